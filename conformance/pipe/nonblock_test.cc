// O_NONBLOCK on pipe ends (XSH read(), write()): what a read of an empty pipe and a write to a
// full one do instead of blocking, and how much of a write goes through.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {
namespace {

// Runs `call` in a child with a bound and returns its result: a subject that blocks where
// O_NONBLOCK forbids it fails the test with a diagnosis instead of hanging the suite. The child
// shares the pipe's open file descriptions, so what the call does to the pipe stays done.
SyscallResult WithoutBlocking(const char* text, const std::function<long()>& call) {
  SyscallResult result{-1, 0, text};
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    ADD_FAILURE() << "socketpair: " << ErrnoName(errno);
    return result;
  }
  ipc::UniqueFd mine(sv[0]), theirs(sv[1]);
  Child child = Child::Fork([&]() {
    errno = 0;
    SyscallResult r{call(), errno, text};
    return write(theirs.get(), &r, sizeof r) == sizeof r ? 0 : 1;
  });
  theirs.reset();
  Outcome outcome = child.Wait();
  if (!outcome.Exited(0)) {
    ADD_FAILURE() << text << " must return at once on an O_NONBLOCK end; the child that made "
                  << "the call " << outcome.Describe();
    return result;
  }
  if (read(mine.get(), &result, sizeof result) != sizeof result) {
    ADD_FAILURE() << "no result came back from the child that made " << text;
  }
  result.call = text;
  return result;
}

#define NONBLOCKING(expr) WithoutBlocking(#expr, [&]() -> long { return (expr); })

// The loops below stop at kNeverFull (harness/pipe_kinds.h): beyond it, the pipe never got full.

// Writes `chunk`-byte records, then single bytes, until a one-byte write transfers nothing;
// returns the bytes written (-1 with errno on another failure or if the pipe never fills).
// A write() that returns 0 transferred nothing, as EAGAIN says: the pipe is full all the same.
// Whether "nothing" must be EAGAIN is the assertions' of the O_NONBLOCK write (FULL_WRITE_EAGAIN,
// SMALL_WRITE_ALL_OR_NOTHING, LARGE_WRITE_FULL_EAGAIN), each checked by its test after the fill.
long FillUntilEagain(int fd, size_t chunk) {
  std::vector<char> data(chunk, 'f');
  long total = 0;
  for (size_t size : {chunk, size_t{1}}) {
    ssize_t n;
    errno = 0;
    while ((n = write(fd, data.data(), size)) > 0) {
      total += n;
      if (total > kNeverFull) {
        errno = EFBIG;
        return -1;
      }
    }
    if (n < 0 && errno != EAGAIN) return -1;
  }
  return total;
}

// Reads until EAGAIN or end of file; returns the bytes read (-1 with errno on another failure).
long DrainCount(int fd) {
  char buf[65536];
  long total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      total += n;
      if (total <= kNeverFull) continue;
      errno = EFBIG;
      return -1;
    }
    return n == 0 || errno == EAGAIN ? total : -1;
  }
}

// Every kind, its ends made non-blocking: pipe2/FIFO with O_NONBLOCK from the start, the
// blocking kinds switched with F_SETFL (instances named *_set_nonblock).
class PipeNonBlock : public ::testing::TestWithParam<PipeKind> {
 protected:
  void SetUp() override {
    ends_ = MakePipe(GetParam());
    ASSERT_TRUE(ends_.ok());
    SetNonBlocking(r(), true);
    SetNonBlocking(w(), true);
    long pipe_buf = PipeBufForSizing(r());
    if (pipe_buf < 0) GTEST_SKIP() << "blocked: PIPE_BUF cannot size the writes";
    pipe_buf_ = static_cast<size_t>(pipe_buf);
  }
  int r() const { return ends_.read.get(); }
  int w() const { return ends_.write.get(); }

  // Fills the pipe in PIPE_BUF-sized writes, then single bytes; returns the bytes it holds.
  long Fill() {
    SyscallResult filled = NONBLOCKING(FillUntilEagain(w(), pipe_buf_));
    EXPECT_GT(filled.value, 0) << "filling the pipe until a one-byte write transfers nothing: "
                               << ::testing::PrintToString(filled);
    return filled.value;
  }
  // Empties the pipe and returns how many bytes it held.
  long Drain() { return NONBLOCKING(DrainCount(r())).value; }

  PipeEnds ends_;
  size_t pipe_buf_ = 0;
};

std::string NonBlockName(const ::testing::TestParamInfo<PipeKind>& info) {
  return info.param.nonblocking() ? info.param.name : info.param.name + "_set_nonblock";
}

IPC_TEST_P(PipeNonBlock, ReadOfEmptyPipeFailsWithEagain, "PIPE.NONBLOCK.READ_EMPTY_EAGAIN") {
  char buf[16];
  EXPECT_THAT(NONBLOCKING(read(r(), buf, sizeof buf)), SyscallFailsWithErrno(EAGAIN))
      << "a fresh pipe is empty and its writer open";
  ASSERT_THAT(SYS(write(w(), "ab", 2)), SyscallSucceedsWithValue(2));
  ASSERT_THAT(SYS(read(r(), buf, sizeof buf)), SyscallSucceedsWithValue(2));
  EXPECT_THAT(NONBLOCKING(read(r(), buf, sizeof buf)), SyscallFailsWithErrno(EAGAIN))
      << "the pipe is empty again after its bytes were read";
}

IPC_TEST_P(PipeNonBlock, ReadWithoutWriterReturnsEndOfFile,
           "PIPE.NONBLOCK.READ_EMPTY_NO_WRITER_EOF") {
  ASSERT_THAT(SYS(write(w(), "ab", 2)), SyscallSucceedsWithValue(2));
  ends_.write.reset();  // before any child is forked, so no copy of it stays open
  char buf[16];
  EXPECT_THAT(NONBLOCKING(read(r(), buf, sizeof buf)), SyscallSucceedsWithValue(2))
      << "the bytes written before the last writer closed come first";
  EXPECT_THAT(NONBLOCKING(read(r(), buf, sizeof buf)), SyscallSucceedsWithValue(0))
      << "an empty pipe without writers is at end of file: 0, not EAGAIN";
}

IPC_TEST_P(PipeNonBlock, WriteToFullPipeFailsWithEagain, "PIPE.NONBLOCK.FULL_WRITE_EAGAIN") {
  long filled = Fill();  // the fill ends on a one-byte write that transfers nothing
  ASSERT_GT(filled, 0);
  for (int attempt = 0; attempt < 3; ++attempt) {
    EXPECT_THAT(NONBLOCKING(write(w(), "x", 1)), SyscallFailsWithErrno(EAGAIN))
        << "attempt " << attempt << " to add one byte to a full pipe holding " << filled;
  }
  EXPECT_EQ(Drain(), filled) << "the failed writes must not have added or lost bytes";
}

IPC_TEST_P(PipeNonBlock, SmallWriteIsAllOrNothing, "PIPE.NONBLOCK.SMALL_WRITE_ALL_OR_NOTHING") {
  long filled = Fill();
  ASSERT_GT(filled, 0);
  // Free one unit of room: PIPE_BUF bytes, or a page where the kernel keeps data in pages
  // (Linux frees pipe space a whole buffer page at a time).
  const size_t freed = std::max(pipe_buf_, static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  std::vector<char> buf(freed + pipe_buf_, 's');
  ASSERT_THAT(NONBLOCKING(read(r(), buf.data(), freed)), SyscallSucceedsWithValue(freed));
  // Leave 16 bytes of room: fewer than a PIPE_BUF write needs.
  const size_t refill = freed - 16;
  size_t put = 0;
  while (put < refill) {
    SyscallResult n = NONBLOCKING(write(w(), buf.data(), refill - put));
    ASSERT_GT(n.value, 0) << "the pipe must take back " << refill << " of the " << freed
                          << " bytes just read; after " << put << ": "
                          << ::testing::PrintToString(n);
    put += static_cast<size_t>(n.value);
  }
  EXPECT_THAT(NONBLOCKING(write(w(), buf.data(), pipe_buf_)), SyscallFailsWithErrno(EAGAIN))
      << "a write of PIPE_BUF (" << pipe_buf_ << ") bytes with only 16 bytes of room must "
      << "transfer nothing";
  EXPECT_EQ(Drain(), filled - 16) << "the refused write must not have put any byte in the pipe";
  EXPECT_THAT(NONBLOCKING(write(w(), buf.data(), pipe_buf_)), SyscallSucceedsWithValue(pipe_buf_))
      << "into the empty pipe, a PIPE_BUF write fits and goes through whole";
}

IPC_TEST_P(PipeNonBlock, LargeWriteIntoEmptyPipeIsPartial, "PIPE.NONBLOCK.LARGE_WRITE_PARTIAL") {
  // Measure the capacity, so the write is surely larger than it.
  long capacity = Fill();
  ASSERT_GT(capacity, 0);
  ASSERT_EQ(Drain(), capacity);
  const size_t asked = 2 * static_cast<size_t>(capacity) + pipe_buf_;
  std::vector<char> data(asked, 'L');
  SyscallResult n = NONBLOCKING(write(w(), data.data(), asked));
  ASSERT_THAT(n, SyscallSucceeds()) << "writing " << asked << " bytes into an empty pipe "
                                    << "of capacity " << capacity;
  EXPECT_GE(n.value, static_cast<long>(pipe_buf_))
      << "into an empty pipe at least PIPE_BUF bytes must go through";
  EXPECT_LT(n.value, static_cast<long>(asked))
      << "more than the capacity (" << capacity << ") cannot go through without blocking";
  EXPECT_EQ(Drain(), n.value) << "the pipe must hold exactly the bytes write() reported";
}

IPC_TEST_P(PipeNonBlock, LargeWriteIntoFullPipeFailsWithEagain,
           "PIPE.NONBLOCK.LARGE_WRITE_FULL_EAGAIN") {
  long filled = Fill();
  ASSERT_GT(filled, 0);
  std::vector<char> data(2 * pipe_buf_, 'L');
  EXPECT_THAT(NONBLOCKING(write(w(), data.data(), data.size())), SyscallFailsWithErrno(EAGAIN))
      << "a write of 2*PIPE_BUF into a full pipe must transfer nothing";
  EXPECT_EQ(Drain(), filled) << "the refused write must not have put any byte in the pipe";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeNonBlock, ::testing::ValuesIn(AllPipeKinds()), NonBlockName);

}  // namespace
}  // namespace ipcconf
