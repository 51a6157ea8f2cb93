// The course's pipe properties 1, 3 and 4: bytes come out in the order they went in (XSH pipe()
// first-in-first-out); a byte stream keeps no write boundaries (XSH read()); a pipe lives as long
// as some process holds it and is freed by the last close (XSH pipe(), close()).
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/leak_guard.h"
#include "harness/pipe_kinds.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class PipeByteStream : public PipeTest {};

IPC_TEST_P(PipeByteStream, OneReadReturnsSeveralWrites, "PIPE.PROP.BYTE_STREAM_MERGES") {
  // 20 writes of 1 to 20 bytes: 210 bytes, fewer than the smallest capacity POSIX allows
  // (PIPE_BUF, at least 512) holds. Non-blocking, so a subject whose pipe fills up fails with
  // EAGAIN instead of hanging; not through poll(): a one-page Linux pipe whose only buffer is in
  // use reports no POLLOUT although a small write still merges into that buffer.
  SetNonBlocking(w(), true);
  std::string all;
  for (int i = 1; i <= 20; ++i) {
    std::string piece(static_cast<size_t>(i), static_cast<char>('a' + i));
    ASSERT_THAT(SYS(write(w(), piece.data(), piece.size())), SyscallSucceedsWithValue(i))
        << "write number " << i << " after " << all.size() << " bytes";
    all += piece;
  }
  std::vector<char> buf(all.size());
  SyscallResult got = SYS(ReadWithin(r(), buf.data(), buf.size(), kAlreadyInPipe));
  ASSERT_THAT(got, SyscallSucceedsWithValue(all.size()))
      << "a read() asking for N bytes, with at least N in the pipe, returns N across the "
         "boundaries of the 20 writes";
  EXPECT_EQ(std::string(buf.begin(), buf.end()), all);
}

IPC_TEST_P(PipeByteStream, SeveralReadsShareOneWrite, "PIPE.PROP.BYTE_STREAM_SPLITS") {
  std::string one_write(500, '\0');
  for (size_t i = 0; i < one_write.size(); ++i) one_write[i] = static_cast<char>(i * 7 % 251);
  ASSERT_THAT(SYS(WriteWithin(w(), one_write.data(), one_write.size(), kAlreadyInPipe)),
              SyscallSucceedsWithValue(one_write.size()));
  // Reads of 1, 2, 3, ... bytes: each gets exactly what it asks for, in order.
  std::string got;
  char buf[64];
  for (size_t size = 1; got.size() < one_write.size(); ++size) {
    size_t want = std::min(size, one_write.size() - got.size());
    ASSERT_THAT(SYS(ReadWithin(r(), buf, want, kAlreadyInPipe)), SyscallSucceedsWithValue(want))
        << "read number " << size << ", after " << got.size() << " of " << one_write.size()
        << " bytes";
    got.append(buf, want);
  }
  EXPECT_EQ(got, one_write);
  ends_.write.reset();
  SyscallResult eof = SYS(ReadWithin(r(), buf, 1, kAlreadyInPipe));
  // A read() that fails here (not for want of time) answers end of file wrongly: that is the
  // end-of-file assertion of this end, blocking or not.
  IPCCONF_BLOCKED_BY_IF(eof.value < 0 && eof.error != ETIMEDOUT,
                        GetParam().nonblocking() ? "PIPE.NONBLOCK.READ_EMPTY_NO_WRITER_EOF"
                                                 : "PIPE.CASE.EOF_AFTER_DRAIN",
                        "read() of the drained pipe with no writer left failed with " +
                            ErrnoName(eof.error));
  EXPECT_THAT(eof, SyscallSucceedsWithValue(0))
      << "the reads took the whole write: nothing may be left before end of file";
}

IPC_TEST_P(PipeByteStream, BytesOfAnExitedWriterStayReadable, "PIPE.PROP.LIVES_WHILE_OPEN") {
  const std::string kLastWords = "written by a process that is gone";
  Child writer = Child::Fork([&]() -> int {
    ends_.read.reset();
    return write(w(), kLastWords.data(), kLastWords.size()) ==
                   static_cast<ssize_t>(kLastWords.size())
               ? 0
               : 1;
  });
  ends_.write.reset();
  ASSERT_TRUE(ExitedWith(writer.Wait(), 0)) << "the writer could not write its bytes";
  // The writer is reaped: only this process holds the pipe now, by its read end.
  std::string got;
  EXPECT_TRUE(ReadToEndOfFile(r(), &got));
  EXPECT_EQ(got, kLastWords);
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeByteStream, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// A long stream between two processes, with blocking ends on both sides.
class PipeOrder : public PipeByteStream {};

// Write sizes that cross every boundary a pipe might have: single bytes, PIPE_BUF, pages, and
// more than a typical capacity (such a write blocks part-way until the reader drains).
std::vector<size_t> BoundaryCrossingSizes(size_t pipe_buf) {
  return {1,    2,    511,   512,   pipe_buf - 1, pipe_buf, pipe_buf + 1,
          4095, 4097, 65535, 65536, 65537,        200003};
}

IPC_TEST_P(PipeOrder, BytesArriveInTheOrderWritten, "PIPE.PROP.FIFO_ORDER") {
  long pipe_buf = PipeBufForSizing(w());
  if (pipe_buf < 0) return;
  std::mt19937 byte_source(20240601);
  std::string sent(1 << 20, '\0');
  for (char& c : sent) c = static_cast<char>(byte_source() & 0xFF);
  std::vector<size_t> sizes = BoundaryCrossingSizes(static_cast<size_t>(pipe_buf));

  // The writer's exit codes: 0 all written; else how a blocking write() went wrong, each the
  // facility of another assertion (the pipe's writes, not the order of its bytes).
  enum { kWrote = 0, kFailed = 1, kShortLarge = 2, kEagain = 3, kEintr = 4 };
  Child writer = Child::Fork([&]() -> int {
    ends_.read.reset();
    for (size_t off = 0, i = 0; off < sent.size(); off += sizes[i], i = (i + 1) % sizes.size()) {
      size_t size = std::min(sizes[i], sent.size() - off);
      // A blocking write returns its full count.
      ssize_t n = write(w(), sent.data() + off, size);
      if (n == static_cast<ssize_t>(size)) continue;
      if (n > 0 && size > static_cast<size_t>(pipe_buf)) return kShortLarge;
      if (n < 0 && errno == EAGAIN) return kEagain;
      if (n < 0 && errno == EINTR) return kEintr;
      return kFailed;
    }
    return kWrote;
  });
  ends_.write.reset();

  std::minstd_rand read_sizes(7);
  std::string got;
  std::vector<char> buf(100000);
  while (got.size() <= sent.size()) {  // more than was sent means duplicates: stop there
    size_t want = 1 + read_sizes() % buf.size();
    ssize_t n = ReadWithin(r(), buf.data(), want);
    const int error = errno;
    pollfd hangup{r(), POLLIN, 0};
    if (n < 0 && error != ETIMEDOUT && poll(&hangup, 1, 0) == 1 && (hangup.revents & POLLHUP)) {
      // Every byte was read and no writer is left: the read() that fails is end of file's.
      IPCCONF_BLOCKED_BY_IF(got.size() == sent.size(), "PIPE.CASE.EOF_AFTER_DRAIN",
                            "read() at end of file, after all " + std::to_string(got.size()) +
                                " bytes, failed with " + ErrnoName(error));
    }
    ASSERT_GE(n, 0) << "read() after " << got.size() << " bytes failed: " << ErrnoName(error);
    if (n == 0) break;
    got.append(buf.data(), static_cast<size_t>(n));
  }
  Outcome wrote = writer.Wait();
  IPCCONF_BLOCKED_BY_IF(wrote.Exited(kShortLarge), "PIPE.ATOMIC.LARGE_WRITE_COMPLETES",
                        "a blocking write() larger than PIPE_BUF returned a short count");
  IPCCONF_BLOCKED_BY_IF(wrote.Exited(kEagain), "PIPE.CASE.FULL_BLOCKS_WRITER",
                        "a blocking write() failed with EAGAIN instead of waiting for room");
  IPCCONF_BLOCKED_BY_IF(wrote.Exited(kEintr), "PIPE.CASE.WRITER_WAKES_ON_DRAIN",
                        "a blocking write() failed with EINTR (no signal was sent)");
  EXPECT_TRUE(ExitedWith(wrote, kWrote)) << "exit 1: a blocking write() failed";
  EXPECT_EQ(got.size(), sent.size()) << "bytes read versus bytes written";
  size_t same = static_cast<size_t>(
      std::mismatch(got.begin(), got.end(), sent.begin(), sent.end()).first - got.begin());
  EXPECT_EQ(same, std::min(got.size(), sent.size()))
      << "the bytes read differ from the bytes written from offset " << same << " on";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeOrder, ::testing::ValuesIn(BlockingPipeKinds()), PipeKindName);

// Pipes that a child makes. Its FIFOs go into this test's directory (made here, before the
// fork), which the leak guard of this process watches and removes.
class PipeLifetime : public ::testing::TestWithParam<PipeKind> {
 protected:
  void SetUp() override { TestTmpDir(); }
};


// Reaps this process's children once every process holding `lifeline` has exited. If that takes
// longer than kEventBound, `group` is described into *diagnosis and killed first.
std::vector<int> ReapWhenLifelineCloses(int lifeline, pid_t group, std::string* diagnosis) {
  if (!ReadableWithin(lifeline)) {
    *diagnosis = "still running after " + std::to_string(kEventBound.count()) +
                 " ms: " + DescribeProcessGroup(group);
    kill(-group, SIGKILL);
  }
  std::vector<int> statuses;
  for (pid_t pid : ChildrenOf(getpid())) {
    int status = 0;
    for (int tries = 0; tries < 100 && waitpid(pid, &status, 0) < 0 && errno == EINTR; ++tries) {
    }
    statuses.push_back(status);
  }
  return statuses;
}

class PipeCreatorExits : public PipeLifetime {};

IPC_TEST_P(PipeCreatorExits, GrandchildrenTalkAfterCreatorExits, "PIPE.PROP.OUTLIVES_CREATOR") {
  std::string probe;
  IPCCONF_UNSUPPORTED_IF(!AdoptsOrphans(&probe), probe);  // the grandchildren are reaped here
  const std::string kMessage = "the creator is gone, the pipe is not";
  // The reader reads to end of file through blocking ends; a read() that fails there instead of
  // returning 0 is that assertion's failure, and the reader exits kReaderBlockedByEndOfFile.
  const std::string kEndOfFile = "PIPE.CASE.EOF_AFTER_DRAIN";
  constexpr int kReaderBlockedByEndOfFile = 12;
  // Each process of the creator's family holds the far end of `lifeline`; end of file on the
  // near end says that all of them have exited.
  int lifeline[2];
  ASSERT_THAT(SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, lifeline)), SyscallSucceeds());
  ipc::UniqueFd near_end(lifeline[0]), far_end(lifeline[1]);
  Handshake go;
  const PipeKind kind = GetParam();
  // The creator's pipe is probed in the creator, where a blocked probe is lost: probe one here.
  ASSERT_TRUE(MakePipe(kind).ok());
  Child creator = Child::Fork([&]() -> int {
    PipeEnds ends = MakePipe(kind);
    if (!ends.ok()) return 1;
    pid_t reader = fork();
    if (reader == 0) {  // exit 0: read the message and then end of file
      ends.write.reset();
      std::string got;
      if (ReadToEndOfFile(ends.read.get(), &got)) _exit(got == kMessage ? 0 : 11);
      // Its record of being blocked dies with it: the exit code carries it to the test.
      _exit(CurrentBlocker() == kEndOfFile ? kReaderBlockedByEndOfFile : 10);
    }
    pid_t writer = fork();
    if (writer == 0) {  // exit 0: wrote the message once told the creator had been reaped
      ends.read.reset();
      go.BecomeChild();
      if (!go.Receive()) _exit(20);
      ssize_t n = write(ends.write.get(), kMessage.data(), kMessage.size());
      _exit(n == static_cast<ssize_t>(kMessage.size()) ? 0 : 21);
    }
    return reader > 0 && writer > 0 ? 0 : 2;
  });
  far_end.reset();
  go.BecomeParent();
  Outcome created = creator.Wait();
  // The creator is gone; its two children are orphans now, reparented to this process (a child
  // subreaper): the pipe's only holders.
  if (created.Exited(0)) go.Send();
  std::string diagnosis;
  std::vector<int> statuses = ReapWhenLifelineCloses(near_end.get(), creator.pid(), &diagnosis);
  ASSERT_TRUE(ExitedWith(created, 0)) << "exit 1: making the pipe failed; 2: fork failed";
  EXPECT_EQ(diagnosis, "") << "the grandchildren did not finish";
  ASSERT_EQ(statuses.size(), 2u) << "the creator's reader and writer, reparented to this process";
  for (int status : statuses) {
    IPCCONF_BLOCKED_BY_IF(WIFEXITED(status) && WEXITSTATUS(status) == kReaderBlockedByEndOfFile,
                          kEndOfFile,
                          "the reader's read() with no writer left failed instead of returning "
                          "the bytes in the pipe and then 0 (end of file)");
  }
  for (int status : statuses) {
    EXPECT_EQ(DescribeWaitStatus(status), "exited with status 0")
        << "how a grandchild ended (reader: 10 read failed, 11 wrong bytes, 12 end of file "
           "failed; writer: 20 no go, 21 write failed)";
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeCreatorExits, ::testing::ValuesIn(BlockingPipeKinds()),
                         PipeKindName);

// Four times as many pipes as the descriptor limit could hold open at once: enough to show that
// each close frees its pipe, cheap enough for FIFOs (each one a mkfifo and an unlink).
constexpr rlim_t kFdLimit = 64;
constexpr int kPipesMade = 4 * kFdLimit;

IPC_TEST_P(PipeLifetime, ClosingBothEndsFreesThePipe, "PIPE.PROP.LAST_CLOSE_FREES") {
  const PipeKind kind = GetParam();
  // The child's pipes are probed in the child, where a blocked probe is lost: probe one here.
  ASSERT_TRUE(MakePipe(kind).ok());
  Outcome o = RunInChild([&]() -> int {
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1;
    limit.rlim_cur = kFdLimit;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return 1;
    for (int i = 0; i < kPipesMade; ++i) {
      PipeEnds ends = MakePipe(kind);  // closes both ends when it goes out of scope
      if (!ends.ok()) {
        fprintf(stderr, "pipe %d of %d could not be made\n", i + 1, kPipesMade);
        return 2;
      }
      if (write(ends.write.get(), "x", 1) != 1) return 3;  // a byte the close must discard
    }
    // The limit binds: pipes kept open run out of descriptors long before kPipesMade.
    std::vector<ipc::UniqueFd> held;
    for (rlim_t i = 0; i < kFdLimit; ++i) {
      int fds[2];
      if (pipe(fds) != 0) return errno == EMFILE ? 0 : 4;
      held.emplace_back(fds[0]);
      held.emplace_back(fds[1]);
    }
    return 5;
  });
  EXPECT_TRUE(ExitedWith(o, 0))
      << "with RLIMIT_NOFILE " << kFdLimit << ", making and closing " << kPipesMade
      << " pipes one after another must never run out of descriptors (exit 2: it did, see the "
         "log; 1: setrlimit failed; 3: write failed; 4/5: the limit itself did not work)";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeLifetime, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
