// The course's pipe property 2: related processes share a pipe. A forked child holds the same
// open file descriptions as its parent (XSH fork()); exec keeps every end without FD_CLOEXEC and
// closes those with it (XSH exec).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/proc.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// Reads from `fd` until `n` bytes have come or read() gives no more.
std::string ReadUpTo(int fd, size_t n) {
  std::string got;
  char buf[256];
  while (got.size() < n) {
    ssize_t r = read(fd, buf, std::min(sizeof buf, n - got.size()));
    if (r <= 0) break;
    got.append(buf, static_cast<size_t>(r));
  }
  return got;
}

// Exit codes of the programs below: 0 done, kFdNotOpen when the fd named is not open in them.
constexpr int kFdNotOpen = 3;
constexpr int kFdOnOtherFile = 4;
constexpr int kFailed = 5;

bool FdIsOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

// pipe_write_text FD TEXT: writes TEXT to the inherited FD.
IPCCONF_HELPER(pipe_write_text) {
  if (argc != 3) return 2;
  int fd = atoi(argv[1]);
  if (!FdIsOpen(fd)) return kFdNotOpen;
  ssize_t len = static_cast<ssize_t>(strlen(argv[2]));
  return write(fd, argv[2], static_cast<size_t>(len)) == len ? 0 : kFailed;
}

// pipe_read_text FD TEXT: reads strlen(TEXT) bytes from the inherited FD; 0 if they are TEXT.
IPCCONF_HELPER(pipe_read_text) {
  if (argc != 3) return 2;
  int fd = atoi(argv[1]);
  if (!FdIsOpen(fd)) return kFdNotOpen;
  return ReadUpTo(fd, strlen(argv[2])) == argv[2] ? 0 : kFailed;
}

// pipe_fd_identity FD DEV INO: 0 if FD is open on file DEV:INO, kFdOnOtherFile if on another one
// (its number was reused after the close), kFdNotOpen if closed.
IPCCONF_HELPER(pipe_fd_identity) {
  if (argc != 4) return 2;
  struct stat st;
  if (fstat(atoi(argv[1]), &st) != 0) return errno == EBADF ? kFdNotOpen : kFailed;
  bool same =
      st.st_dev == strtoull(argv[2], nullptr, 10) && st.st_ino == strtoull(argv[3], nullptr, 10);
  return same ? 0 : kFdOnOtherFile;
}

class PipeInherit : public PipeTest {
 protected:
  // Sets or clears FD_CLOEXEC on both ends (the cloexec kinds start with it set).
  void SetCloexec(bool on) {
    for (int fd : {r(), w()}) {
      ASSERT_THAT(SYS(fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0)), SyscallSucceeds());
    }
  }

  // How the pipe_fd_identity program, exec'd with the pipe's ends open, sees `fd`.
  Outcome IdentityAfterExec(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) ADD_FAILURE() << "fstat(" << fd << "): " << ErrnoName(errno);
    return Child::Exec(
               HelperCommand("pipe_fd_identity", {std::to_string(fd), std::to_string(st.st_dev),
                                                  std::to_string(st.st_ino)}))
        .Wait();
  }
};

IPC_TEST_P(PipeInherit, StatusFlagSetInChildIsSeenByParent, "PIPE.PROP.FORK_SHARES_DESCRIPTION") {
  int before[2] = {fcntl(r(), F_GETFL), fcntl(w(), F_GETFL)};
  ASSERT_TRUE(before[0] >= 0 && before[1] >= 0) << ErrnoName(errno);
  // The child turns O_NONBLOCK over on both inherited ends.
  Outcome o = RunInChild([&]() -> int {
    for (int fd : {r(), w()}) {
      int flags = fcntl(fd, F_GETFL);
      if (flags < 0 || fcntl(fd, F_SETFL, flags ^ O_NONBLOCK) != 0) return 1;
    }
    return 0;
  });
  ASSERT_TRUE(ExitedWith(o, 0)) << "exit 1: fcntl failed in the child";
  const int fds[2] = {r(), w()};
  for (int i = 0; i < 2; ++i) {
    int now = fcntl(fds[i], F_GETFL);
    EXPECT_EQ(now & O_NONBLOCK, (before[i] & O_NONBLOCK) ^ O_NONBLOCK)
        << "fd " << fds[i] << ": the child " << (before[i] & O_NONBLOCK ? "cleared" : "set")
        << " O_NONBLOCK on the open file description it shares with this process, which must "
           "see the change";
  }
}

IPC_TEST_P(PipeInherit, WriteEndWithoutCloexecWorksAfterExec, "PIPE.PROP.EXEC_KEEPS_ENDS") {
  SetCloexec(false);
  const std::string kText = "written by the exec'd program";
  Outcome o = Child::Exec(HelperCommand("pipe_write_text", {std::to_string(w()), kText})).Wait();
  ASSERT_TRUE(ExitedWith(o, 0)) << "exit 3: the write end was not open in the new program; "
                                   "5: its write() failed";
  ends_.write.reset();  // missing bytes then show as end of file, not as a read that blocks
  EXPECT_EQ(ReadUpTo(r(), kText.size()), kText);
}

IPC_TEST_P(PipeInherit, ReadEndWithoutCloexecWorksAfterExec, "PIPE.PROP.EXEC_KEEPS_ENDS") {
  SetCloexec(false);
  const std::string kText = "read by the exec'd program";
  ASSERT_THAT(SYS(write(w(), kText.data(), kText.size())), SyscallSucceedsWithValue(kText.size()));
  Outcome o = Child::Exec(HelperCommand("pipe_read_text", {std::to_string(r()), kText})).Wait();
  EXPECT_TRUE(ExitedWith(o, 0)) << "exit 3: the read end was not open in the new program; "
                                   "5: it read other bytes";
}

IPC_TEST_P(PipeInherit, EndsWithCloexecAreClosedByExec, "PIPE.PROP.EXEC_CLOSES_CLOEXEC") {
  // Control: without FD_CLOEXEC the program finds both ends, so it can tell. If it does not,
  // exec closes ends it must keep: that facility is broken, and this test cannot tell anything.
  SetCloexec(false);
  for (int fd : {r(), w()}) {
    Outcome control = IdentityAfterExec(fd);
    IPCCONF_BLOCKED_BY_IF(!control.Exited(0), "PIPE.PROP.EXEC_KEEPS_ENDS",
                          "control: fd " + std::to_string(fd) + " without FD_CLOEXEC is not the "
                          "pipe after exec; the program " + control.Describe() +
                          " (3: closed, 4: reused for another file)");
  }
  SetCloexec(true);
  for (int fd : {r(), w()}) {
    Outcome o = IdentityAfterExec(fd);
    EXPECT_TRUE(o.Exited(kFdNotOpen) || o.Exited(kFdOnOtherFile))
        << "fd " << fd << " has FD_CLOEXEC: after exec it must be closed; the program "
        << o.Describe() << " (3: closed, 4: reused for another file, 0: still the pipe)";
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeInherit, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// Parent and child talking over one pipe, each way in turn, with blocking ends.
class PipeForkTalk : public PipeInherit {};

IPC_TEST_P(PipeForkTalk, ForkedChildHoldsBothEndsAndTalksWithParent, "PIPE.PROP.FORK_SHARES_PIPE") {
  const std::string kDown = "from the parent";
  const std::string kUp = "from the child";
  // The child's exit codes: 0 done; 1 the parent's bytes did not come; 2 its write failed;
  // kEmptyReadFailed its first read() of the empty pipe failed with EAGAIN instead of waiting.
  enum { kEmptyReadFailed = 3 };
  Child child = Child::Fork([&]() -> int {
    std::string got(kDown.size(), '\0');
    errno = 0;
    ssize_t n = read(r(), &got[0], got.size());  // the pipe is empty: this waits for the parent
    if (n < 0 && errno == EAGAIN) return kEmptyReadFailed;
    if (n <= 0) return 1;
    got.resize(static_cast<size_t>(n));
    if (got + ReadUpTo(r(), kDown.size() - got.size()) != kDown) return 1;
    return write(w(), kUp.data(), kUp.size()) == static_cast<ssize_t>(kUp.size()) ? 0 : 2;
  });
  if (::testing::AssertionResult waits = WaitUntilBlocked(child.pid(), {SYS_read, r()}); !waits) {
    // A child that ended instead of waiting tells why: a blocking read() of the empty pipe that
    // returned at once is the blocking read's assertion, not the sharing this test checks.
    Outcome early = child.Wait();
    IPCCONF_BLOCKED_BY_IF(early.Exited(kEmptyReadFailed), "PIPE.CASE.EMPTY_BLOCKS_READER",
                          "the child's blocking read() of the empty pipe, whose write end both "
                          "processes hold, failed at once with EAGAIN");
    FAIL() << waits.message() << "; the child " << early.Describe();
  }
  // While it waits, the child holds both ends: the very pipe this process holds.
  FdTable theirs = ReadFdTable(child.pid());
  FdTable ours = ReadFdTable(getpid());
  for (int fd : {r(), w()}) {
    EXPECT_EQ(theirs[fd], ours[fd]) << "fd " << fd << " in the child versus in the parent";
  }
  ASSERT_THAT(SYS(write(w(), kDown.data(), kDown.size())), SyscallSucceedsWithValue(kDown.size()));
  EXPECT_TRUE(ExitedWith(child.Wait(), 0))
      << "exit 1: the parent's bytes did not reach the child; 2: the child's write failed";
  ends_.write.reset();  // the child is gone: no writer left, so missing bytes cannot block us
  EXPECT_EQ(ReadUpTo(r(), kUp.size()), kUp);
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeForkTalk, ::testing::ValuesIn(BlockingPipeKinds()),
                         PipeKindName);

}  // namespace
}  // namespace ipcconf
