// A read() blocked on an empty pipe and a caught signal: EINTR when the handler lacks SA_RESTART
// (XSH read() [EINTR]), a read that resumes and returns the later data when it has it (XSH
// sigaction() SA_RESTART).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// The handler's only way out is a global; both are set and used only in the forked reader.
volatile sig_atomic_t g_handler_runs = 0;
Handshake* g_handler_ran = nullptr;

// Counts the run and tells the parent at once (send() is async-signal-safe), so that the
// parent writes only after the signal has interrupted the read.
void OnSigusr1(int) {
  int saved = errno;
  g_handler_runs = g_handler_runs + 1;
  if (g_handler_ran) g_handler_ran->Send('h');
  errno = saved;
}

bool CatchSigusr1(Handshake* ran, int sa_flags) {
  g_handler_ran = ran;
  struct sigaction sa = {};
  sa.sa_handler = OnSigusr1;
  sa.sa_flags = sa_flags;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGUSR1, &sa, nullptr) == 0;
}

// Written by the parent only after the handler ran.
constexpr char kLater[] = "written after the signal";
constexpr size_t kLaterSize = sizeof kLater - 1;

// The reader's exit codes, for the parent's message.
enum ReaderVerdict : int {
  kAsExpected = 0,
  kSigactionFailed = 1,
  kReadReturnedData = 2,
  kReadFailedOtherwise = 3,
  kHandlerRunsWrong = 4,
  kLaterDataWrong = 5,
};

const char* ExplainVerdict(int code) {
  switch (code) {
    case kSigactionFailed:
      return " (sigaction failed)";
    case kReadReturnedData:
      return " (the interrupted read() did not fail with EINTR: it went on and returned data)";
    case kReadFailedOtherwise:
      return " (read() failed: EINTR with SA_RESTART, or another errno; see the log)";
    case kHandlerRunsWrong:
      return " (the SIGUSR1 handler did not run exactly once)";
    case kLaterDataWrong:
      return " (the bytes written after the signal did not arrive whole)";
  }
  return "";
}

::testing::AssertionResult ReaderSucceeded(const Outcome& o) {
  if (o.Exited(kAsExpected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected the reader to exit(0); it " << o.Describe()
         << (o.kind == Outcome::Kind::kExited ? ExplainVerdict(o.code) : "");
}

// In the reader: appends to `got` until it holds kLaterSize bytes or read() stops giving any.
void ReadRestOfLater(int fd, std::string* got) {
  char buf[64];
  while (got->size() < kLaterSize) {
    ssize_t n = read(fd, buf, kLaterSize - got->size());
    if (n <= 0) return;
    got->append(buf, static_cast<size_t>(n));
  }
}

class PipeSignal : public PipeTest {
 protected:
  // Interrupts the reader's read() with SIGUSR1 once it blocks in it, and returns when the
  // reader's handler has run.
  void InterruptBlockedRead(const Child& reader, Handshake& handler_ran) {
    ASSERT_TRUE(WaitUntilBlocked(reader.pid(), {SYS_read, r()}));
    ASSERT_THAT(SYS(kill(reader.pid(), SIGUSR1)), SyscallSucceeds());
    ASSERT_TRUE(handler_ran.Receive()) << "the reader's SIGUSR1 handler did not run";
  }
};

IPC_TEST_P(PipeSignal, CaughtSignalWithoutRestartFailsBlockedReadWithEintr,
           "PIPE.SIGNAL.READ_EINTR") {
  Handshake handler_ran;
  Child reader = Child::Fork([&]() -> int {
    handler_ran.BecomeChild();
    ends_.write.reset();  // the parent keeps the only writer open
    if (!CatchSigusr1(&handler_ran, 0)) return kSigactionFailed;
    char buf[64];
    SyscallResult first = SYS(read(r(), buf, sizeof buf));
    if (first.value >= 0) return kReadReturnedData;
    if (first.error != EINTR) {
      fprintf(stderr, "reader: read() failed with %s\n", ErrnoName(first.error).c_str());
      return kReadFailedOtherwise;
    }
    if (g_handler_runs != 1) return kHandlerRunsWrong;
    // "No data was transferred": what is written later arrives whole.
    std::string got;
    ReadRestOfLater(r(), &got);
    return got == kLater ? kAsExpected : kLaterDataWrong;
  });
  handler_ran.BecomeParent();
  InterruptBlockedRead(reader, handler_ran);
  if (HasFatalFailure()) return;
  ASSERT_THAT(SYS(write(w(), kLater, kLaterSize)), SyscallSucceedsWithValue(kLaterSize));
  EXPECT_TRUE(ReaderSucceeded(reader.Wait()))
      << "a read() blocked on an empty pipe must fail with EINTR when a handler without "
         "SA_RESTART catches a signal";
}

IPC_TEST_P(PipeSignal, CaughtSignalWithRestartResumesBlockedRead, "PIPE.SIGNAL.READ_RESTARTS") {
  Handshake handler_ran;
  Child reader = Child::Fork([&]() -> int {
    handler_ran.BecomeChild();
    ends_.write.reset();
    if (!CatchSigusr1(&handler_ran, SA_RESTART)) return kSigactionFailed;
    char buf[64];
    SyscallResult first = SYS(read(r(), buf, kLaterSize));
    if (first.value < 0) {
      fprintf(stderr, "reader: read() failed with %s\n", ErrnoName(first.error).c_str());
      return kReadFailedOtherwise;
    }
    if (g_handler_runs != 1) return kHandlerRunsWrong;
    std::string got(buf, static_cast<size_t>(first.value));
    if (first.value > 0) ReadRestOfLater(r(), &got);  // POSIX allows a short first read
    return got == kLater ? kAsExpected : kLaterDataWrong;
  });
  handler_ran.BecomeParent();
  InterruptBlockedRead(reader, handler_ran);
  if (HasFatalFailure()) return;
  EXPECT_TRUE(WaitUntilBlocked(reader.pid(), {SYS_read, r()}))
      << "with SA_RESTART the read() must resume, and block again, after the handler";
  ASSERT_THAT(SYS(write(w(), kLater, kLaterSize)), SyscallSucceedsWithValue(kLaterSize));
  EXPECT_TRUE(ReaderSucceeded(reader.Wait()))
      << "with SA_RESTART, a read() blocked on an empty pipe must survive the caught signal and "
         "return the bytes written afterwards";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeSignal, ::testing::ValuesIn(BlockingPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
