// SIGPIPE ignored or caught: a write to a pipe that no process has open for reading fails with
// EPIPE and the writer lives on; a writer blocked on a full pipe is released the same way when the
// last read end closes (XSH write() [EPIPE]; course case 4).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// Runs of the SIGPIPE handler. A handler can only reach a global; it is set and read only in
// forked children, each of which has its own copy.
volatile sig_atomic_t g_sigpipe_runs = 0;
void CountSigpipe(int) { g_sigpipe_runs = g_sigpipe_runs + 1; }

enum class Disposition { kIgnored, kHandled, kDefault };

const char* DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kIgnored:
      return "ignored";
    case Disposition::kHandled:
      return "handled";
    case Disposition::kDefault:
      return "default";
  }
  return "?";
}

// What a writer child saw, as its exit code, so that the parent's message can say it.
enum WriterVerdict : int {
  kGotEpipe = 0,
  kSigactionFailed = 1,
  kWriteSucceeded = 2,
  kOtherErrno = 3,
  kHandlerRunsWrong = 4,
};

// In a child: sets SIGPIPE's disposition (Child::Fork starts every child at the default).
bool SetSigpipe(Disposition d) {
  struct sigaction sa = {};
  sa.sa_handler = d == Disposition::kIgnored   ? SIG_IGN
                  : d == Disposition::kHandled ? CountSigpipe
                                               : SIG_DFL;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGPIPE, &sa, nullptr) == 0;
}

// In a child: one write() of `size` bytes to `fd`, which must fail with EPIPE; with a handler,
// the handler must have run `runs` times in all by the time write() returns.
int WriteExpectingEpipe(int fd, size_t size, Disposition d, int runs) {
  std::vector<char> data(size, 'p');
  SyscallResult r = SYS(write(fd, data.data(), data.size()));
  if (r.value >= 0) return kWriteSucceeded;
  if (r.error != EPIPE) {
    fprintf(stderr, "writer: write() failed with %s, not EPIPE\n", ErrnoName(r.error).c_str());
    return kOtherErrno;
  }
  if (d == Disposition::kHandled && g_sigpipe_runs != runs) {
    fprintf(stderr, "writer: the SIGPIPE handler has run %d time(s), expected %d\n",
            static_cast<int>(g_sigpipe_runs), runs);
    return kHandlerRunsWrong;
  }
  return kGotEpipe;
}

const char* ExplainVerdict(int code) {
  switch (code) {
    case kSigactionFailed:
      return " (sigaction failed)";
    case kWriteSucceeded:
      return " (write() succeeded although no process had the pipe open for reading)";
    case kOtherErrno:
      return " (write() failed, but not with EPIPE)";
    case kHandlerRunsWrong:
      return " (the SIGPIPE handler did not run exactly once per write)";
  }
  return "";
}

::testing::AssertionResult WriterGotEpipe(const Outcome& o) {
  if (o.Exited(kGotEpipe)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected the writer to get EPIPE from write() and live on to exit(0); it "
         << o.Describe() << (o.kind == Outcome::Kind::kExited ? ExplainVerdict(o.code) : "");
}

class PipeSigpipe : public ::testing::TestWithParam<PipeKind> {
 protected:
  void SetUp() override {
    ends_ = MakePipe(GetParam());
    ASSERT_TRUE(ends_.ok());
    ends_.read.reset();  // the only read end: from now on no process has the pipe open for reading
  }
  int w() const { return ends_.write.get(); }

  PipeEnds ends_;
};

// One byte, and more than any pipe holds: neither may be transferred, neither may kill.
constexpr size_t kWriteSizes[] = {1, 1 << 20};

IPC_TEST_P(PipeSigpipe, IgnoredSigpipeGivesEpipeAndWriterLivesOn, "PIPE.CASE.EPIPE_WHEN_IGNORED") {
  Outcome o = RunInChild([&]() -> int {
    if (!SetSigpipe(Disposition::kIgnored)) return kSigactionFailed;
    for (size_t size : kWriteSizes) {
      int verdict = WriteExpectingEpipe(w(), size, Disposition::kIgnored, 0);
      if (verdict != kGotEpipe) return verdict;
    }
    return kGotEpipe;  // still alive after both writes
  });
  EXPECT_TRUE(WriterGotEpipe(o));
}

IPC_TEST_P(PipeSigpipe, HandledSigpipeRunsHandlerOnceAndGivesEpipe,
           "PIPE.CASE.EPIPE_WHEN_HANDLED") {
  Outcome o = RunInChild([&]() -> int {
    if (!SetSigpipe(Disposition::kHandled)) return kSigactionFailed;
    int runs = 0;
    for (size_t size : kWriteSizes) {
      int verdict = WriteExpectingEpipe(w(), size, Disposition::kHandled, ++runs);
      if (verdict != kGotEpipe) return verdict;
    }
    return kGotEpipe;
  });
  EXPECT_TRUE(WriterGotEpipe(o));
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeSigpipe, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// A writer blocked on a full pipe, with each SIGPIPE disposition, when the last reader goes.
class PipeBlockedWriter : public ::testing::TestWithParam<std::tuple<PipeKind, Disposition>> {
 protected:
  void SetUp() override {
    ends_ = MakePipe(std::get<0>(GetParam()));
    ASSERT_TRUE(ends_.ok());
  }
  Disposition disposition() const { return std::get<1>(GetParam()); }

  PipeEnds ends_;
};

// The assertion about a write() to a pipe that already has no reader, under disposition `d`.
const char* NoReaderAssertion(Disposition d) {
  switch (d) {
    case Disposition::kIgnored:
      return "PIPE.CASE.EPIPE_WHEN_IGNORED";
    case Disposition::kHandled:
      return "PIPE.CASE.EPIPE_WHEN_HANDLED";
    case Disposition::kDefault:
      return "PIPE.CASE.SIGPIPE_KILLS_WRITER";
  }
  return "";
}

// "" when a write() to a pipe of `kind` without readers, by a child with SIGPIPE `d`, ends as
// it must (killed by SIGPIPE at the default, else EPIPE and the handler run once); otherwise
// what happened instead.
std::string NoReaderWriteWrong(const PipeKind& kind, Disposition d) {
  PipeEnds spare = MakePipe(kind);
  if (!spare.ok()) return "";  // MakePipe recorded why; the test's own pipe will say the same
  spare.read.reset();
  Outcome o = RunInChild([&]() -> int {
    if (!SetSigpipe(d)) return kSigactionFailed;
    return WriteExpectingEpipe(spare.write.get(), 1, d, 1);
  });
  bool right = d == Disposition::kDefault ? KilledBySignal(o, SIGPIPE) : o.Exited(kGotEpipe);
  if (right) return "";
  return "a writer with SIGPIPE " + std::string(DispositionName(d)) + " that wrote 1 byte to a " +
         "pipe already without readers " + o.Describe() +
         (o.kind == Outcome::Kind::kExited ? ExplainVerdict(o.code) : "");
}

IPC_TEST_P(PipeBlockedWriter, LastReaderClosingReleasesBlockedWriterWithEpipe,
           "PIPE.CASE.BLOCKED_WRITER_GETS_EPIPE") {
  // How a write() without readers ends is another assertion's; this one is about the writer
  // that was asleep when the last reader went. Check the first, to tell the two apart.
  const std::string wrong = NoReaderWriteWrong(std::get<0>(GetParam()), disposition());
  IPCCONF_BLOCKED_BY_IF(!wrong.empty(), NoReaderAssertion(disposition()), wrong);
  const int w = ends_.write.get();
  ASSERT_GT(FillPipe(w), 0);
  Child writer = Child::Fork([&]() -> int {
    if (!SetSigpipe(disposition())) return kSigactionFailed;
    ends_.read.reset();  // the parent's read end is the last one
    return WriteExpectingEpipe(w, 1, disposition(), 1);
  });
  ASSERT_TRUE(WaitUntilBlocked(writer.pid(), {SYS_write, w}));
  ends_.read.reset();
  Outcome o = writer.Wait();
  if (disposition() == Disposition::kDefault) {
    EXPECT_TRUE(KilledBySignal(o, SIGPIPE))
        << "a blocked writer with SIGPIPE at its default action must die of SIGPIPE";
  } else {
    EXPECT_TRUE(WriterGotEpipe(o)) << "SIGPIPE " << DispositionName(disposition());
  }
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndDispositions, PipeBlockedWriter,
    ::testing::Combine(::testing::ValuesIn(BlockingPipeKinds()),
                       ::testing::Values(Disposition::kIgnored, Disposition::kHandled,
                                         Disposition::kDefault)),
    [](const ::testing::TestParamInfo<std::tuple<PipeKind, Disposition>>& info) {
      return std::get<0>(info.param).name + "_" + DispositionName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace ipcconf
