// A FIFO is reached by its path: unrelated programs meet through it, and the
// name and the pipe behind it have separate lives (XSH unlink(), man 7 fifo).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "conformance/fifo/fifo_node.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/stream_checks.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// fifo_send PATH MESSAGE: opens PATH for writing (waiting for a reader) and
// writes MESSAGE.
IPCCONF_HELPER(fifo_send) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_WRONLY);
  if (fd < 0) return 3;
  std::string m = argv[2];
  return write(fd, m.data(), m.size()) == static_cast<ssize_t>(m.size()) ? 0 : 4;
}

// fifo_expect PATH MESSAGE: opens PATH for reading (waiting for a writer),
// reads to end-of-file, exits 0 if exactly MESSAGE arrived.
IPCCONF_HELPER(fifo_expect) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  std::string got;
  if (!ReadToEndOfFile(fd, &got)) return 4;
  return got == argv[2] ? 0 : 5;
}

// Which program starts (and waits in open) first.
enum class First { kReader, kWriter };

class FifoUnrelated : public ::testing::TestWithParam<First> {};

IPC_TEST_P(FifoUnrelated, ExecedProgramsTalkThroughThePath, "FIFO.PATH.UNRELATED_PROCESSES") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  const std::string message = "from one program to another through " + fifo.path();
  auto reader_cmd = HelperCommand("fifo_expect", {fifo.path(), message});
  auto writer_cmd = HelperCommand("fifo_send", {fifo.path(), message});
  bool reader_first = GetParam() == First::kReader;
  Child first = Child::Exec(reader_first ? reader_cmd : writer_cmd);
  // The first one sleeps in open until the other program opens the other end.
  ASSERT_TRUE(WaitUntilBlocked(first.pid(), {SYS_openat, std::nullopt}));
  Child second = Child::Exec(reader_first ? writer_cmd : reader_cmd);
  Outcome a = first.Wait(), b = second.Wait();
  EXPECT_TRUE(ExitedWith(reader_first ? a : b, 0))
      << "the reader: 3 open failed, 4 no end-of-file, 5 wrong bytes";
  EXPECT_TRUE(ExitedWith(reader_first ? b : a, 0)) << "the writer: 3 open failed, 4 short write";
}

std::string FirstName(const ::testing::TestParamInfo<First> &info) {
  return std::string(info.param == First::kReader ? "reader_first" : "writer_first");
}

INSTANTIATE_TEST_SUITE_P(Order, FifoUnrelated, ::testing::Values(First::kReader, First::kWriter),
                         FirstName);

IPC_TEST(FifoPath, LseekFailsWithEspipe, "FIFO.PATH.LSEEK_ESPIPE") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(ends.read && ends.write);
  EXPECT_THAT(SYS(lseek(ends.read.get(), 0, SEEK_CUR)), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(SYS(lseek(ends.write.get(), 0, SEEK_SET)), SyscallFailsWithErrno(ESPIPE));
}

IPC_TEST(FifoUnlink, OpenEndsKeepWorkingAfterUnlink, "FIFO.UNLINK.OPEN_ENDS_KEEP_WORKING") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(ends.read && ends.write);
  ASSERT_THAT(SYS(unlink(fifo.c_str())), SyscallSucceeds());
  ASSERT_THAT(SYS(write(ends.write.get(), "after unlink", 12)), SyscallSucceedsWithValue(12));
  ends.write.reset();
  std::string got;
  EXPECT_TRUE(ReadToEndOfFile(ends.read.get(), &got));
  EXPECT_EQ(got, "after unlink") << "bytes written after unlink must reach the open reader";
}

IPC_TEST(FifoUnlink, NameIsGoneWhileEndsAreOpen, "FIFO.UNLINK.NAME_GONE") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(ends.read && ends.write);
  ASSERT_THAT(SYS(unlink(fifo.c_str())), SyscallSucceeds());
  struct stat st;
  EXPECT_THAT(SYS(lstat(fifo.c_str(), &st)), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(SYS(open(fifo.c_str(), O_RDONLY | O_NONBLOCK)), SyscallFailsWithErrno(ENOENT));
}

IPC_TEST(FifoUnlink, NewNodeOnTheSamePathIsADifferentFifo, "FIFO.UNLINK.NEW_NODE_IS_NEW_FIFO") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds old_ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(old_ends.read && old_ends.write);
  ASSERT_THAT(SYS(unlink(fifo.c_str())), SyscallSucceeds());
  ASSERT_THAT(SYS(mkfifo(fifo.c_str(), 0600)), SyscallSucceeds());
  HeldEnds new_ends = HoldBothEnds(fifo.path());
  ASSERT_TRUE(new_ends.read && new_ends.write);
  ASSERT_THAT(SYS(write(new_ends.write.get(), "new", 3)), SyscallSucceedsWithValue(3));
  ASSERT_THAT(SYS(write(old_ends.write.get(), "old", 3)), SyscallSucceedsWithValue(3));
  old_ends.write.reset();
  new_ends.write.reset();
  std::string old_got, new_got;
  EXPECT_TRUE(ReadToEndOfFile(old_ends.read.get(), &old_got));
  EXPECT_TRUE(ReadToEndOfFile(new_ends.read.get(), &new_got));
  EXPECT_EQ(old_got, "old") << "the old FIFO's reader must see only the old FIFO's data";
  EXPECT_EQ(new_got, "new") << "the new node must lead to a new, separate pipe";
  unlink(fifo.c_str());
}

}  // namespace
}  // namespace ipcconf
