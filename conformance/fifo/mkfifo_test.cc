// mkfifo(): what it creates, with which mode, and how it fails (XSH mkfifo(),
// man 3 mkfifo).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "conformance/fifo/fifo_node.h"
#include "harness/assertions.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

IPC_TEST(Mkfifo, CreatesAFifoSpecialFile, "FIFO.MKFIFO.CREATES_FIFO") {
  std::string path = FreshPath("new_fifo");
  ASSERT_THAT(SYS(mkfifo(path.c_str(), 0600)), SyscallSucceedsWithValue(0));
  struct stat st;
  ASSERT_THAT(SYS(lstat(path.c_str(), &st)), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "stat() mode " << std::oct << st.st_mode << " is not a FIFO";
  RemoveFifoName(path);
}

struct ModeCase {
  mode_t mode;
  mode_t umask;
};

class MkfifoMode : public ::testing::TestWithParam<ModeCase> {};

IPC_TEST_P(MkfifoMode, PermissionBitsAreModeMinusUmask, "FIFO.MKFIFO.MODE_UMASK") {
  const ModeCase c = GetParam();
  std::string path = FreshPath("mode_fifo");
  mode_t old = umask(c.umask);  // the test process is single-threaded here
  int r = mkfifo(path.c_str(), c.mode);
  int saved = errno;
  umask(old);
  ASSERT_EQ(r, 0) << "mkfifo failed: " << ErrnoName(saved);
  struct stat st;
  ASSERT_THAT(SYS(lstat(path.c_str(), &st)), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 07777, c.mode & ~c.umask)
      << std::oct << "mkfifo(path, 0" << c.mode << ") with umask 0" << c.umask;
  RemoveFifoName(path);
}

std::string ModeCaseName(const ::testing::TestParamInfo<ModeCase> &info) {
  char name[32];
  snprintf(name, sizeof name, "mode_%o_umask_%03o", info.param.mode, info.param.umask);
  return std::string(name);
}

INSTANTIATE_TEST_SUITE_P(Modes, MkfifoMode,
                         ::testing::Values(ModeCase{0600, 022}, ModeCase{0666, 022},
                                           ModeCase{0666, 077}, ModeCase{0640, 0}),
                         ModeCaseName);

// What already occupies the path mkfifo() is asked to create.
enum class Existing { kFifo, kRegularFile, kDirectory, kSymlink };

class MkfifoExisting : public ::testing::TestWithParam<Existing> {};

IPC_TEST_P(MkfifoExisting, FailsWithEexistAndKeepsTheFile, "FIFO.MKFIFO.EEXIST") {
  std::string path = FreshPath("taken");
  switch (GetParam()) {
    case Existing::kFifo:
      ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << ErrnoName(errno);
      break;
    case Existing::kRegularFile:
      ASSERT_EQ(close(open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600)), 0);
      break;
    case Existing::kDirectory:
      ASSERT_EQ(mkdir(path.c_str(), 0700), 0);
      break;
    case Existing::kSymlink:
      ASSERT_EQ(symlink("dangling_target", path.c_str()), 0);
      break;
  }
  struct stat before, after;
  ASSERT_EQ(lstat(path.c_str(), &before), 0);
  EXPECT_THAT(SYS(mkfifo(path.c_str(), 0600)), SyscallFailsWithErrno(EEXIST));
  ASSERT_EQ(lstat(path.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the existing file was replaced";
  EXPECT_EQ(before.st_mode, after.st_mode) << "the existing file was changed";
  if (GetParam() == Existing::kDirectory) {
    rmdir(path.c_str());
  } else {
    RemoveFifoName(path);  // a plain unlink() for what is not a FIFO
  }
}

std::string ExistingName(const ::testing::TestParamInfo<Existing> &info) {
  const char *names[] = {"fifo", "regular_file", "directory", "symlink"};
  return std::string(names[static_cast<int>(info.param)]);
}

INSTANTIATE_TEST_SUITE_P(Occupants, MkfifoExisting,
                         ::testing::Values(Existing::kFifo, Existing::kRegularFile,
                                           Existing::kDirectory, Existing::kSymlink),
                         ExistingName);

IPC_TEST(Mkfifo, MissingParentDirectoryFailsWithEnoent, "FIFO.MKFIFO.ENOENT") {
  std::string path = FreshPath("no_such_dir/fifo");
  EXPECT_THAT(SYS(mkfifo(path.c_str(), 0600)), SyscallFailsWithErrno(ENOENT));
}

IPC_TEST(Mkfifo, EmptyPathFailsWithEnoent, "FIFO.MKFIFO.ENOENT") {
  EXPECT_THAT(SYS(mkfifo("", 0600)), SyscallFailsWithErrno(ENOENT));
}

IPC_TEST(Mkfifo, ParentThatIsAFileFailsWithEnotdir, "FIFO.MKFIFO.ENOTDIR") {
  std::string file = FreshPath("plain_file");
  ASSERT_EQ(close(open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600)), 0);
  EXPECT_THAT(SYS(mkfifo((file + "/fifo").c_str(), 0600)), SyscallFailsWithErrno(ENOTDIR));
  unlink(file.c_str());
}

IPC_TEST(Mkfifo, SizeStaysZeroWhileDataFlows, "FIFO.MKFIFO.SIZE_STAYS_ZERO") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(ends.read && ends.write);
  std::string data(3000, 'd');
  ASSERT_THAT(SYS(write(ends.write.get(), data.data(), data.size())),
              SyscallSucceedsWithValue(3000));
  struct stat by_path, by_fd;
  ASSERT_THAT(SYS(stat(fifo.c_str(), &by_path)), SyscallSucceeds());
  ASSERT_THAT(SYS(fstat(ends.read.get(), &by_fd)), SyscallSucceeds());
  EXPECT_EQ(by_path.st_size, 0) << "3000 unread bytes must not make the node grow";
  EXPECT_EQ(by_fd.st_size, 0) << "fstat on the read end, 3000 bytes unread";
}

}  // namespace
}  // namespace ipcconf
