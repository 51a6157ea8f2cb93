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
#include "harness/result_kind.h"
#include "harness/stream_checks.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// fifo_expect's exit status when the whole message came but read() at
// end-of-file failed (or end-of-file never came).
constexpr int kNoEndOfFileAfterMessage = 6;

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
// reads to end-of-file, exits 0 if exactly MESSAGE arrived (6: MESSAGE
// arrived, then no end-of-file).
IPCCONF_HELPER(fifo_expect) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  std::string got;
  if (!ReadToEndOfFile(fd, &got)) return got == argv[2] ? kNoEndOfFileAfterMessage : 4;
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
  if (auto asleep = SleepsInOpen(first.pid()); !asleep) {
    // Its open returned with nobody at the other end. Two opens of the path that
    // do not lead to the FIFO there are this test's failure (HoldBothEnds records
    // it); if they do, the open merely did not wait, and the order this test
    // needs cannot be made.
    HeldEnds probe = HoldBothEnds(fifo.path());
    if (!probe.write) return;
    RecordBlocked(WaitsForPeerAssertion(reader_first ? O_RDONLY : O_WRONLY),
                  std::string("the first program's blocking open, nobody at the other end, "
                              "did not wait: ") +
                      asleep.message());
    return;
  }
  Child second = Child::Exec(reader_first ? writer_cmd : reader_cmd);
  Outcome a = first.Wait(), b = second.Wait();
  IPCCONF_BLOCKED_BY_IF((reader_first ? a : b).Exited(kNoEndOfFileAfterMessage),
                        "FIFO.CASE.EOF_NO_WRITERS",
                        "the reader got the whole message, then no end-of-file (read() failed "
                        "or never returned 0) after the writer exited");
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
  const bool name_gone = lstat(fifo.c_str(), &st) != 0 && errno == ENOENT;
  errno = 0;
  int fd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  const int err = errno;
  if (fd >= 0) close(fd);
  // The name is gone (lstat says so); which errno an open of a missing path
  // gives is FIFO.OPEN.ENOENT's.
  IPCCONF_BLOCKED_BY_IF(name_gone && fd < 0 && err != ENOENT, "FIFO.OPEN.ENOENT",
                        "open() of the unlinked path failed with " + ErrnoName(err) +
                            " where lstat() reports ENOENT");
  EXPECT_TRUE(fd < 0 && err == ENOENT)
      << "open() of the unlinked path must fail with ENOENT; it "
      << (fd >= 0 ? std::string("succeeded") : "failed with " + ErrnoName(err));
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
  ::testing::AssertionResult old_read = ReadToEndOfFile(old_ends.read.get(), &old_got);
  ::testing::AssertionResult new_read = ReadToEndOfFile(new_ends.read.get(), &new_got);
  // This test is about where the NEW node's bytes go. The old ends carrying their
  // own bytes after the unlink is FIFO.UNLINK.OPEN_ENDS_KEEP_WORKING.
  IPCCONF_BLOCKED_BY_IF(old_got.find("new") == std::string::npos && old_got != "old",
                        "FIFO.UNLINK.OPEN_ENDS_KEEP_WORKING",
                        "the old FIFO's ends, its name unlinked, lost their own bytes: its "
                        "reader got \"" +
                            old_got + "\" instead of \"old\"");
  EXPECT_TRUE(old_read);
  EXPECT_TRUE(new_read);
  EXPECT_EQ(old_got, "old") << "the old FIFO's reader must see only the old FIFO's data";
  EXPECT_EQ(new_got, "new") << "the new node must lead to a new, separate pipe";
}

}  // namespace
}  // namespace ipcconf
