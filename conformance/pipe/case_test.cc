// The course's four cases of reading and writing a pipe (and their wake-ups), against every way
// to get a blocking pipe.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class PipeCase : public PipeTest {
 protected:
  static constexpr size_t kExtra = 100;

  // Fills the pipe (*capacity: the bytes it took) and forks a writer of kExtra more bytes
  // (exit 0: its write() returned the full count).
  Child FillAndStartWriter(size_t* capacity) {
    *capacity = static_cast<size_t>(std::max(FillPipe(w()), 0L));
    return Child::Fork([&]() {
      ends_.read.reset();
      std::string data(kExtra, 'x');
      ssize_t n = write(w(), data.data(), data.size());
      return n == static_cast<ssize_t>(kExtra) ? 0 : 10;
    });
  }

  // Drains the filler and the writer's bytes; returns the last kExtra bytes read.
  std::string DrainAll(size_t capacity) {
    std::vector<char> buf(capacity + kExtra);
    size_t got = 0;
    while (got < buf.size()) {
      ssize_t n = ReadWithin(r(), buf.data() + got, buf.size() - got);
      if (n <= 0) {
        ADD_FAILURE() << "read while draining, after " << got << " bytes: "
                      << (n == 0 ? "end of file" : ErrnoName(errno));
        return "";
      }
      got += static_cast<size_t>(n);
    }
    return std::string(buf.end() - kExtra, buf.end());
  }
};

IPC_TEST_P(PipeCase, EmptyPipeBlocksReaderUntilDataArrives, "PIPE.CASE.EMPTY_BLOCKS_READER",
           "PIPE.CASE.READER_WAKES_ON_DATA") {
  Child reader = Child::Fork([&]() {
    ends_.write.reset();  // the parent keeps the only writer open
    char buf[64];
    ssize_t n = read(r(), buf, sizeof buf);
    // The woken read returns the bytes available: at least one, so possibly fewer than the 3
    // written by then; the rest follows.
    if (n < 1 || n > 3) return 10 + static_cast<int>(n);
    std::string got(buf, static_cast<size_t>(n));
    while (got.size() < 3 && (n = read(r(), buf, 3 - got.size())) > 0) {
      got.append(buf, static_cast<size_t>(n));
    }
    return got == "abc" ? 0 : 20;
  });
  ASSERT_TRUE(WaitUntilBlocked(reader.pid(), {SYS_read, r()}));
  ASSERT_THAT(SYS(write(w(), "abc", 3)), SyscallSucceedsWithValue(3));
  EXPECT_TRUE(ExitedWith(reader.Wait(), 0))
      << "a reader blocked on an empty pipe must return the bytes written (exit 10 + n: its "
         "read() returned n; 20: the 3 bytes did not arrive as written)";
}

IPC_TEST_P(PipeCase, BlockedReaderGetsEndOfFileWhenLastWriterCloses,
           "PIPE.CASE.BLOCKED_READER_GETS_EOF") {
  Child reader = Child::Fork([&]() {
    ends_.write.reset();
    char c;
    ssize_t n = read(r(), &c, 1);
    return n == 0 ? 0 : 10 + static_cast<int>(n);
  });
  ASSERT_TRUE(WaitUntilBlocked(reader.pid(), {SYS_read, r()}));
  ends_.write.reset();  // the last write end
  EXPECT_TRUE(ExitedWith(reader.Wait(), 0)) << "read() must return 0 once no writer is left";
}

IPC_TEST_P(PipeCase, FullPipeBlocksWriter, "PIPE.CASE.FULL_BLOCKS_WRITER") {
  size_t capacity = 0;
  Child writer = FillAndStartWriter(&capacity);
  ASSERT_GT(capacity, 0u);
  ASSERT_TRUE(WaitUntilBlocked(writer.pid(), {SYS_write, w()}));
  ASSERT_TRUE(StaysBlocked(writer.pid(), {SYS_write, w()}));
  DrainAll(capacity);  // lets the writer finish; what it returns is WRITER_WAKES_ON_DRAIN's
}

IPC_TEST_P(PipeCase, BlockedWriterCompletesWhenReaderDrains, "PIPE.CASE.WRITER_WAKES_ON_DRAIN") {
  size_t capacity = 0;
  Child writer = FillAndStartWriter(&capacity);
  ASSERT_GT(capacity, 0u);
  ::testing::AssertionResult blocked = WaitUntilBlocked(writer.pid(), {SYS_write, w()});
  IPCCONF_BLOCKED_BY_IF(!blocked, "PIPE.CASE.FULL_BLOCKS_WRITER",
                        std::string("a write() to the full pipe did not block: ") +
                            blocked.message());
  // Drain everything; the writer must finish and its bytes arrive after the filler.
  std::string last = DrainAll(capacity);
  EXPECT_TRUE(ExitedWith(writer.Wait(), 0)) << "the blocked write must return its full count";
  EXPECT_EQ(last, std::string(kExtra, 'x'));
}

IPC_TEST_P(PipeCase, ReaderDrainsThenGetsEndOfFile, "PIPE.CASE.EOF_AFTER_DRAIN") {
  ASSERT_THAT(SYS(write(w(), "hello", 5)), SyscallSucceedsWithValue(5));
  ends_.write.reset();
  char buf[16];
  std::string got;
  for (;;) {
    ssize_t n = ReadWithin(r(), buf, 2, kAlreadyInPipe);
    ASSERT_GE(n, 0) << ErrnoName(errno);
    if (n == 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "hello") << "every byte written before the close must be read before EOF";
}

IPC_TEST_P(PipeCase, EndOfFileRepeats, "PIPE.CASE.EOF_REPEATS") {
  ends_.write.reset();
  char c;
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(SYS(ReadWithin(r(), &c, 1, kAlreadyInPipe)), SyscallSucceedsWithValue(0))
        << "read number " << i;
  }
}

IPC_TEST_P(PipeCase, WriteWithoutReaderKillsWithSigpipe, "PIPE.CASE.SIGPIPE_KILLS_WRITER",
           "PIPE.CASE.SIGPIPE_STATUS_13") {
  ends_.read.reset();
  Outcome o = RunInChild([&]() {
    write(w(), "x", 1);  // default SIGPIPE disposition: this must not return
    return 0;
  });
  EXPECT_TRUE(KilledBySignal(o, SIGPIPE));
  EXPECT_EQ(o.raw_status & 0x7F, 13) << "the course's check: status & 0x7F == 13 (SIGPIPE)";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeCase, ::testing::ValuesIn(BlockingPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
