// Creating a pipe: which fd numbers it gets, which flags its ends carry, what pipe2() rejects,
// and what kind of file an end is (fstat, lseek).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness/assertions.h"
#include "harness/pipe_kinds.h"
#include "harness/proc.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {
namespace {

using ::testing::UnorderedElementsAreArray;

// The `count` lowest fd numbers not in use, found with F_GETFD (EBADF: free) rather than by
// allocating, so the expectation does not rest on the allocation rule under test.
std::vector<int> LowestFreeFds(int count) {
  std::vector<int> free_fds;
  for (int fd = 0; static_cast<int>(free_fds.size()) < count; ++fd) {
    if (fcntl(fd, F_GETFD) == -1 && errno == EBADF) free_fds.push_back(fd);
  }
  return free_fds;
}

// An fd held only to occupy a number.
ipc::UniqueFd OpenPlaceholder() {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << "open(/dev/null): " << ErrnoName(errno);
  return ipc::UniqueFd(fd);
}

// The anonymous kinds: pipe() and every pipe2() variant allocate fds the same way.
class PipeCreate : public ::testing::TestWithParam<PipeKind> {};

IPC_TEST_P(PipeCreate, GetsTheTwoLowestFreeNumbers, "PIPE.CREATE.LOWEST_FDS") {
  std::vector<int> expected = LowestFreeFds(2);
  PipeEnds ends = MakePipe(GetParam());
  ASSERT_TRUE(ends.ok());
  // POSIX does not say which end gets the lower number: compare the pair as a set.
  EXPECT_THAT((std::vector<int>{ends.read.get(), ends.write.get()}),
              UnorderedElementsAreArray(expected))
      << "pipe ends must take the two lowest unused fd numbers (XSH 2.14)";
}

IPC_TEST_P(PipeCreate, FillsAHoleBelowOpenFdsFirst, "PIPE.CREATE.LOWEST_FDS") {
  // Open three fds and close the lowest: a free number now lies below fds in use, so a kernel
  // that hands out "one past the highest" is caught.
  ipc::UniqueFd hole = OpenPlaceholder();
  ipc::UniqueFd above1 = OpenPlaceholder();
  ipc::UniqueFd above2 = OpenPlaceholder();
  ASSERT_TRUE(hole.valid() && above1.valid() && above2.valid());
  int hole_fd = hole.get();
  hole.reset();
  std::vector<int> expected = LowestFreeFds(2);
  ASSERT_EQ(expected[0], hole_fd) << "the probe must find the hole just made";
  PipeEnds ends = MakePipe(GetParam());
  ASSERT_TRUE(ends.ok());
  EXPECT_THAT((std::vector<int>{ends.read.get(), ends.write.get()}),
              UnorderedElementsAreArray(expected))
      << "one end must reuse the free fd " << hole_fd << " below the open fds " << above1.get()
      << " and " << above2.get();
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeCreate, ::testing::ValuesIn(AnonymousPipeKinds()),
                         PipeKindName);

// Which of the two flags a check looks at.
enum Flags { kBothFlags, kOnlyNonblock, kOnlyCloexec };

// Checks O_NONBLOCK (a file status flag) and FD_CLOEXEC (an fd flag) on both ends made by `how`.
void ExpectEndsCarry(const int fds[2], const char* how, bool nonblock, bool cloexec,
                     Flags which = kBothFlags) {
  for (int i = 0; i < 2; ++i) {
    const char* end = i == 0 ? "read end" : "write end";
    int status = fcntl(fds[i], F_GETFL);
    int fd_flags = fcntl(fds[i], F_GETFD);
    ASSERT_NE(status, -1) << "fcntl(F_GETFL) on the " << end << ": " << ErrnoName(errno);
    ASSERT_NE(fd_flags, -1) << "fcntl(F_GETFD) on the " << end << ": " << ErrnoName(errno);
    if (which != kOnlyCloexec) {
      EXPECT_EQ((status & O_NONBLOCK) != 0, nonblock)
          << how << ": O_NONBLOCK must be " << (nonblock ? "set" : "clear") << " on the " << end;
    }
    if (which != kOnlyNonblock) {
      EXPECT_EQ((fd_flags & FD_CLOEXEC) != 0, cloexec)
          << how << ": FD_CLOEXEC must be " << (cloexec ? "set" : "clear") << " on the " << end;
    }
  }
}

// Makes a pipe with pipe2(`flags`) and checks the flags both ends carry.
void ExpectPipe2Carries(int flags, const char* how, bool nonblock, bool cloexec,
                        Flags which = kBothFlags) {
  int fds[2];
  ASSERT_THAT(SYS(pipe2(fds, flags)), SyscallSucceeds()) << how;
  ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
  ExpectEndsCarry(fds, how, nonblock, cloexec, which);
}

IPC_TEST(PipeCreateFlags, PipeLeavesBothFlagsClear, "PIPE.CREATE.FLAGS_CLEAR") {
  int fds[2];
  ASSERT_THAT(SYS(pipe(fds)), SyscallSucceeds());
  ipc::UniqueFd read_end(fds[0]), write_end(fds[1]);
  ExpectEndsCarry(fds, "pipe()", false, false);
}

IPC_TEST(PipeCreateFlags, Pipe2WithoutFlagsLeavesBothClear, "PIPE.CREATE.FLAGS_CLEAR") {
  ExpectPipe2Carries(0, "pipe2(0)", false, false);
}

IPC_TEST(PipeCreateFlags, Pipe2CloexecSetsOnlyCloexec, "PIPE.CREATE.PIPE2_CLOEXEC") {
  ExpectPipe2Carries(O_CLOEXEC, "pipe2(O_CLOEXEC)", false, true);
}

IPC_TEST(PipeCreateFlags, Pipe2NonblockSetsOnlyNonblock, "PIPE.CREATE.PIPE2_NONBLOCK") {
  ExpectPipe2Carries(O_NONBLOCK, "pipe2(O_NONBLOCK)", true, false);
}

// Both flags at once, each checked by the test of its own assertion (a pipe2() that drops one
// flag breaks that flag's assertion, not the other's).
IPC_TEST(PipeCreateFlags, Pipe2BothFlagsSetsNonblock, "PIPE.CREATE.PIPE2_NONBLOCK") {
  ExpectPipe2Carries(O_NONBLOCK | O_CLOEXEC, "pipe2(O_NONBLOCK|O_CLOEXEC)", true, true,
                     kOnlyNonblock);
}

IPC_TEST(PipeCreateFlags, Pipe2BothFlagsSetsCloexec, "PIPE.CREATE.PIPE2_CLOEXEC") {
  ExpectPipe2Carries(O_NONBLOCK | O_CLOEXEC, "pipe2(O_NONBLOCK|O_CLOEXEC)", true, true,
                     kOnlyCloexec);
}

// A pipe2() flag argument POSIX does not define: O_APPEND, alone or next to valid flags.
// (O_EXCL is not used: Linux takes it as O_NOTIFICATION_PIPE.)
struct InvalidFlags {
  const char* name;
  int flags;
};

class PipeCreateInvalid : public ::testing::TestWithParam<InvalidFlags> {};

IPC_TEST_P(PipeCreateInvalid, Pipe2RejectsUndefinedFlagAndCreatesNothing,
           "PIPE.CREATE.PIPE2_EINVAL") {
  FdTable before = ReadFdTable(getpid());
  ASSERT_FALSE(before.empty()) << "cannot read /proc/self/fd to compare the fd table";
  int fds[2] = {-1, -1};
  auto result = SYS(pipe2(fds, GetParam().flags));
  FdTable after = ReadFdTable(getpid());
  // Close whatever a wrong subject made, so the leak guard does not repeat the failure.
  if (result.value == 0) {
    close(fds[0]);
    close(fds[1]);
  }
  EXPECT_THAT(result, SyscallFailsWithErrno(EINVAL)) << "pipe2(" << GetParam().name << ")";
  EXPECT_EQ(after, before) << "a failed pipe2() must not leave new fds behind";
}

INSTANTIATE_TEST_SUITE_P(Flags, PipeCreateInvalid,
                         ::testing::Values(InvalidFlags{"O_APPEND", O_APPEND},
                                           InvalidFlags{"O_APPEND_O_CLOEXEC", O_APPEND | O_CLOEXEC},
                                           InvalidFlags{"O_APPEND_O_NONBLOCK",
                                                        O_APPEND | O_NONBLOCK}),
                         [](const ::testing::TestParamInfo<InvalidFlags>& info) {
                           return std::string(info.param.name);
                         });

// What kind of file a pipe end is: the same for every way to make one, FIFOs included.
class PipeFile : public PipeTest {};

IPC_TEST_P(PipeFile, FstatReportsAFifo, "PIPE.FILE.FSTAT_IS_FIFO") {
  for (int fd : {ends_.read.get(), ends_.write.get()}) {
    struct stat st;
    ASSERT_THAT(SYS(fstat(fd, &st)), SyscallSucceeds());
    EXPECT_TRUE(S_ISFIFO(st.st_mode))
        << "fstat(" << fd << ") must report S_ISFIFO; st_mode is 0" << std::oct << st.st_mode;
  }
}

IPC_TEST_P(PipeFile, LseekFailsWithEspipe, "PIPE.FILE.LSEEK_ESPIPE") {
  // With bytes in the pipe too: a subject must not pretend to seek within buffered data.
  ASSERT_THAT(SYS(write(ends_.write.get(), "abc", 3)), SyscallSucceedsWithValue(3));
  for (int fd : {ends_.read.get(), ends_.write.get()}) {
    EXPECT_THAT(SYS(lseek(fd, 0, SEEK_CUR)), SyscallFailsWithErrno(ESPIPE)) << "fd " << fd;
    EXPECT_THAT(SYS(lseek(fd, 0, SEEK_SET)), SyscallFailsWithErrno(ESPIPE)) << "fd " << fd;
    EXPECT_THAT(SYS(lseek(fd, 1, SEEK_END)), SyscallFailsWithErrno(ESPIPE)) << "fd " << fd;
  }
  char buf[3];
  EXPECT_THAT(SYS(ReadWithin(ends_.read.get(), buf, 3, kAlreadyInPipe)),
              SyscallSucceedsWithValue(3))
      << "the failed seeks must not have disturbed the data";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeFile, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
