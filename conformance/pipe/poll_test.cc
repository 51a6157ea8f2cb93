// Readiness of pipe ends as poll() and select() report it (XSH poll(), pselect()).
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// The events poll() reports at once (timeout 0) for `events` on `fd`.
short ReadyNow(int fd, short events) {
  pollfd p{fd, events, 0};
  int n = poll(&p, 1, 0);
  EXPECT_NE(n, -1) << "poll(fd " << fd << ", timeout 0): " << ErrnoName(errno);
  return n == 1 ? p.revents : 0;
}

std::string Events(short revents) {
  std::string s;
  for (auto [bit, name] : {std::pair<short, const char*>{POLLIN, "POLLIN"},
                           {POLLOUT, "POLLOUT"},
                           {POLLHUP, "POLLHUP"},
                           {POLLERR, "POLLERR"},
                           {POLLNVAL, "POLLNVAL"}}) {
    if (revents & bit) s += std::string(s.empty() ? "" : "|") + name;
  }
  return s.empty() ? "no event" : s;
}

// select() with timeout 0 on one fd: {readable, writable}.
std::pair<bool, bool> SelectNow(int fd) {
  fd_set readable, writable;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_SET(fd, &readable);
  FD_SET(fd, &writable);
  timeval zero{0, 0};
  int n = select(fd + 1, &readable, &writable, nullptr, &zero);
  EXPECT_NE(n, -1) << "select(fd " << fd << ", timeout 0): " << ErrnoName(errno);
  return {n > 0 && FD_ISSET(fd, &readable), n > 0 && FD_ISSET(fd, &writable)};
}

// glibc's poll() enters the kernel as poll or as ppoll depending on the architecture and
// version: accept a sleep in either.
::testing::AssertionResult WaitUntilBlockedInPoll(pid_t pid) {
  auto deadline = std::chrono::steady_clock::now() + kEventBound;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    ::testing::AssertionResult blocked = WaitUntilBlocked(pid, {}, left);
    if (!blocked) return blocked;
    ProcessState s = ReadProcessState(pid);
    bool in_poll = !s.syscall_nr || *s.syscall_nr == SYS_ppoll;
#ifdef SYS_poll
    in_poll = in_poll || *s.syscall_nr == SYS_poll;
#endif
    if (in_poll) return ::testing::AssertionSuccess();
    if (std::chrono::steady_clock::now() >= deadline) {
      return ::testing::AssertionFailure()
             << "expected pid " << pid << " to block in poll or ppoll, it is " << s.Describe();
    }
  }
}

class PipePoll : public PipeTest {
 protected:
  void Fill() { FillPipe(w()); }
  void Drain() { DrainPipe(r()); }
};

IPC_TEST_P(PipePoll, PollinOnlyWithData, "PIPE.POLL.POLLIN_WITH_DATA") {
  EXPECT_EQ(ReadyNow(r(), POLLIN), 0) << "an empty pipe with an open writer is not readable, "
                                         "got "
                                      << Events(ReadyNow(r(), POLLIN));
  ASSERT_THAT(SYS(write(w(), "d", 1)), SyscallSucceedsWithValue(1));
  short got = ReadyNow(r(), POLLIN);
  EXPECT_TRUE(got & POLLIN) << "one byte is in the pipe: expected POLLIN, got " << Events(got);
  char c;
  ASSERT_THAT(SYS(ReadWithin(r(), &c, 1, kAlreadyInPipe)), SyscallSucceedsWithValue(1));
  got = ReadyNow(r(), POLLIN);
  EXPECT_EQ(got, 0) << "after the only byte was read: expected no event, got " << Events(got);
}

IPC_TEST_P(PipePoll, BlockedPollWakesWhenDataArrives, "PIPE.POLL.WAKES_ON_DATA") {
  // A poll() that finds the empty end readable never sleeps: nothing could wake it.
  short at_once = ReadyNow(r(), POLLIN);
  IPCCONF_BLOCKED_BY_IF(at_once != 0, "PIPE.POLL.POLLIN_WITH_DATA",
                        "poll() reports " + Events(at_once) + " on the empty read end at once");
  Child poller = Child::Fork([&]() {
    pollfd p{r(), POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(kEventBound.count()));
    if (n != 1) return 10 + n;  // 10: poll timed out without the event
    return (p.revents & POLLIN) ? 0 : 20;
  });
  ASSERT_TRUE(WaitUntilBlockedInPoll(poller.pid()));
  ASSERT_THAT(SYS(write(w(), "w", 1)), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(ExitedWith(poller.Wait(), 0))
      << "a poll() blocked on the empty read end must return POLLIN once a byte is written "
         "(exit 10: it timed out, 20: no POLLIN in revents)";
}

IPC_TEST_P(PipePoll, PolloutOnlyWithRoom, "PIPE.POLL.POLLOUT_WITH_SPACE") {
  short got = ReadyNow(w(), POLLOUT);
  EXPECT_TRUE(got & POLLOUT) << "an empty pipe has room: expected POLLOUT, got " << Events(got);
  ASSERT_NO_FATAL_FAILURE(Fill());
  got = ReadyNow(w(), POLLOUT);
  EXPECT_FALSE(got & POLLOUT) << "a full pipe (a one-byte write failed with EAGAIN) has no "
                                 "room: expected no POLLOUT, got "
                              << Events(got);
  ASSERT_NO_FATAL_FAILURE(Drain());
  got = ReadyNow(w(), POLLOUT);
  EXPECT_TRUE(got & POLLOUT) << "drained again: expected POLLOUT, got " << Events(got);
}

IPC_TEST_P(PipePoll, PollhupOnceLastWriterCloses, "PIPE.POLL.POLLHUP_NO_WRITERS") {
  short got = ReadyNow(r(), POLLIN);
  EXPECT_FALSE(got & POLLHUP) << "the writer is open: expected no POLLHUP, got " << Events(got);
  ASSERT_THAT(SYS(write(w(), "ab", 2)), SyscallSucceedsWithValue(2));
  ends_.write.reset();
  got = ReadyNow(r(), POLLIN);
  EXPECT_EQ(got & (POLLIN | POLLHUP), POLLIN | POLLHUP)
      << "no writer and 2 bytes left: expected POLLIN|POLLHUP, got " << Events(got);
  char buf[2];
  ASSERT_THAT(SYS(ReadWithin(r(), buf, 2, kAlreadyInPipe)), SyscallSucceedsWithValue(2));
  got = ReadyNow(r(), POLLIN);
  EXPECT_TRUE(got & POLLHUP) << "no writer, drained: expected POLLHUP, got " << Events(got);
}

IPC_TEST_P(PipePoll, PollerrOnceLastReaderCloses, "PIPE.POLL.POLLERR_NO_READERS") {
  short got = ReadyNow(w(), POLLOUT);
  EXPECT_FALSE(got & POLLERR) << "the reader is open: expected no POLLERR, got " << Events(got);
  ends_.read.reset();
  got = ReadyNow(w(), POLLOUT);
  EXPECT_TRUE(got & POLLERR) << "no reader left: Linux reports POLLERR on the write end, got "
                             << Events(got);
}

IPC_TEST_P(PipePoll, SelectMarksReadEndReadableOnDataOrEndOfFile, "PIPE.POLL.SELECT_READINESS") {
  EXPECT_FALSE(SelectNow(r()).first) << "empty pipe, writer open: the read end is not readable";
  ASSERT_THAT(SYS(write(w(), "d", 1)), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(SelectNow(r()).first) << "one byte in the pipe: the read end is readable";
  char c;
  ASSERT_THAT(SYS(ReadWithin(r(), &c, 1, kAlreadyInPipe)), SyscallSucceedsWithValue(1));
  EXPECT_FALSE(SelectNow(r()).first) << "drained, writer open: the read end is not readable";
  ends_.write.reset();
  EXPECT_TRUE(SelectNow(r()).first)
      << "no writer: a read would return 0 at once, so the read end is readable";
}

IPC_TEST_P(PipePoll, SelectMarksWriteEndWritableWithRoom, "PIPE.POLL.SELECT_READINESS") {
  EXPECT_TRUE(SelectNow(w()).second) << "empty pipe: the write end is writable";
  ASSERT_NO_FATAL_FAILURE(Fill());
  EXPECT_FALSE(SelectNow(w()).second) << "full pipe: the write end is not writable";
  ASSERT_NO_FATAL_FAILURE(Drain());
  EXPECT_TRUE(SelectNow(w()).second) << "drained again: the write end is writable";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipePoll, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
