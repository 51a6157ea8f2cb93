// PIPE_BUF through a FIFO: its value, and records of at most PIPE_BUF bytes
// from many writer processes, each of which opened the FIFO by path itself,
// arriving whole (XSH write()).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "conformance/fifo/fifo_node.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/stream_checks.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

IPC_TEST(FifoPipeBuf, AtLeast512ByPathAndByFd, "FIFO.ATOMIC.PIPE_BUF_MIN") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  EXPECT_GE(pathconf(fifo.c_str(), _PC_PIPE_BUF), 512) << "pathconf(FIFO, _PC_PIPE_BUF)";
  HeldEnds ends = HoldReaderOnly(fifo.path());
  ASSERT_TRUE(ends.read);
  EXPECT_GE(fpathconf(ends.read.get(), _PC_PIPE_BUF), 512) << "fpathconf(FIFO end, _PC_PIPE_BUF)";
}

// Record sizes, in terms of PIPE_BUF as fpathconf reports it (the macro may
// differ).
enum class RecordSize { kSmall, k512, kPipeBufMinusOne, kPipeBuf };

size_t Bytes(RecordSize s, long pipe_buf) {
  switch (s) {
    case RecordSize::kSmall:
      return 16;
    case RecordSize::k512:
      return 512;
    case RecordSize::kPipeBufMinusOne:
      return static_cast<size_t>(pipe_buf - 1);
    case RecordSize::kPipeBuf:
      return static_cast<size_t>(pipe_buf);
  }
  return 0;
}

// A writer child's exit status when a blocking write() failed with EAGAIN.
constexpr int kWriteWouldBlock = 4;

class FifoAtomic : public ::testing::TestWithParam<RecordSize> {};

IPC_TEST_P(FifoAtomic, RecordsFromManyWriterProcessesArriveWhole, "FIFO.ATOMIC.NO_INTERLEAVE") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  // The reader: this process. A keeper write end holds off end-of-file until
  // every writer has opened its own end.
  HeldEnds mine = HoldBothEnds(fifo.path());
  ASSERT_TRUE(mine.read && mine.write);
  SetNonBlocking(mine.read.get(), false);
  const long pipe_buf = PipeBufForSizing(mine.read.get());
  if (pipe_buf < 0) return;
  const size_t size = Bytes(GetParam(), pipe_buf);
  const int kWriters = 8;
  const int per_writer = static_cast<int>(std::max<size_t>(64, 131072 / size));

  // Each writer opens the FIFO by path itself, without waiting (a reader is
  // open), and writes more than the FIFO holds: its blocking writes wait for the
  // reader.
  Handshake opened[kWriters];  // one each: a writer that ends early is told from the others
  std::vector<Child> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(Child::Fork([&, w]() {
      mine = HeldEnds();  // the test's ends are not this writer's
      int fd = OpenEnd(fifo.path(), O_WRONLY, OpenWay::kNonBlockThenClear);
      if (fd < 0) return kOpenFailed + errno;
      opened[w].Send();
      int status = WriteRecords(fd, w, per_writer, size);
      return status == 2 && errno == EAGAIN ? kWriteWouldBlock : status;
    }));
  }
  for (int w = 0; w < kWriters; ++w) {
    if (!AwaitOpened(writers[w], opened[w], "FIFO.OPEN.WRONLY_NONBLOCK_WITH_READER",
                     "writer " + std::to_string(w) + "'s open(O_WRONLY|O_NONBLOCK)")) {
      return;
    }
  }
  mine.write.reset();
  std::string stream;
  ::testing::AssertionResult read_all = ReadToEndOfFile(mine.read.get(), &stream);
  std::vector<Outcome> ends;
  for (Child &c : writers) ends.push_back(c.Wait());
  for (const Outcome &o : ends) {
    IPCCONF_BLOCKED_BY_IF(o.Exited(kWriteWouldBlock), "FIFO.CASE.FULL_BLOCKS_WRITER",
                          "a blocking write() of a record to the full FIFO failed with EAGAIN "
                          "instead of waiting for the reader");
  }
  EXPECT_TRUE(read_all);
  for (const Outcome &o : ends) EXPECT_TRUE(ExitedWith(o, 0)) << "2: write failed, 3: short";
  EXPECT_TRUE(AllRecordsWhole(stream, size, kWriters, per_writer));
}

std::string RecordSizeName(const ::testing::TestParamInfo<RecordSize> &info) {
  const char *names[] = {"16_bytes", "512_bytes", "pipe_buf_minus_1", "pipe_buf"};
  return std::string(names[static_cast<int>(info.param)]);
}

INSTANTIATE_TEST_SUITE_P(Sizes, FifoAtomic,
                         ::testing::Values(RecordSize::kSmall, RecordSize::k512,
                                           RecordSize::kPipeBufMinusOne, RecordSize::kPipeBuf),
                         RecordSizeName);

}  // namespace
}  // namespace ipcconf
