// PIPE_BUF and atomic writes (XSH write(), fpathconf()): records of at most PIPE_BUF bytes from
// many writers never interleave; larger blocking writes complete, interleaved or not.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr int kWriters = 8;

// fpathconf(_PC_PIPE_BUF) of `fd`, never the <limits.h> macro (they may differ).
long PipeBufOf(int fd) { return fpathconf(fd, _PC_PIPE_BUF); }

class PipeAtomic : public ::testing::TestWithParam<PipeKind> {};

IPC_TEST_P(PipeAtomic, PipeBufIsAtLeast512, "PIPE.ATOMIC.PIPE_BUF_MIN") {
  PipeEnds ends = MakePipe(GetParam());
  ASSERT_TRUE(ends.ok());
  for (int fd : {ends.read.get(), ends.write.get()}) {
    errno = 0;
    long pipe_buf = PipeBufOf(fd);
    EXPECT_GE(pipe_buf, 512) << "fpathconf(" << fd << ", _PC_PIPE_BUF) returned " << pipe_buf
                             << (pipe_buf == -1 ? ", errno " + ErrnoName(errno) : "")
                             << "; {_POSIX_PIPE_BUF} is 512";
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeAtomic, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// Milliseconds left until `deadline` (0 once it passed), as a poll() timeout.
int MsUntil(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// A writer child's exit code: 0 every write returned its full count; kWriteFailed one did not
// (the test's own verdict); the others name a write() that broke another assertion's facility.
enum WriterExit : int {
  kAllWritten = 0,
  kWriteFailed = 10,
  kBlockingEintr = 11,   // a blocking write() failed with EINTR, though no signal was sent
  kBlockingEagain = 12,  // a blocking write() failed with EAGAIN instead of waiting
  kNonBlockingZero = 13,  // an O_NONBLOCK write() returned 0 instead of failing with EAGAIN
};

// How a write() of `n` bytes on `fd` that returned `put` (errno `error`) ended, as a WriterExit.
int WriteExit(int fd, ssize_t put, size_t n, int error) {
  if (put == static_cast<ssize_t>(n)) return kAllWritten;
  bool nonblocking = fcntl(fd, F_GETFL) & O_NONBLOCK;
  if (!nonblocking && put < 0 && error == EINTR) return kBlockingEintr;
  if (!nonblocking && put < 0 && error == EAGAIN) return kBlockingEagain;
  if (nonblocking && put == 0 && n > 0) return kNonBlockingZero;
  return kWriteFailed;
}

// Records the running test blocked when a writer exited with the code of another facility.
void BlockOnWriterExit(const Outcome& o) {
  IPCCONF_BLOCKED_BY_IF(o.Exited(kBlockingEintr), "PIPE.CASE.WRITER_WAKES_ON_DRAIN",
                        "a writer's blocking write() failed with EINTR (no signal was sent)");
  IPCCONF_BLOCKED_BY_IF(o.Exited(kBlockingEagain), "PIPE.CASE.FULL_BLOCKS_WRITER",
                        "a writer's blocking write() failed with EAGAIN instead of waiting");
  IPCCONF_BLOCKED_BY_IF(o.Exited(kNonBlockingZero), "PIPE.NONBLOCK.FULL_WRITE_EAGAIN",
                        "a writer's O_NONBLOCK write() returned 0 instead of failing with EAGAIN");
}

// Writes one record with one write() call, waiting in poll() while a non-blocking end says
// EAGAIN; returns a WriterExit (kWriteFailed also when it never finds room).
int WriteRecord(int fd, const char* data, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + kEventBound;
  for (;;) {
    ssize_t put = write(fd, data, n);
    int error = errno;
    if (put != -1 || error != EAGAIN || !(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
      return WriteExit(fd, put, n, error);
    }
    pollfd p{fd, POLLOUT, 0};
    if (MsUntil(deadline) == 0 || poll(&p, 1, MsUntil(deadline)) == -1) return kWriteFailed;
  }
}

// A record size: fixed, or PIPE_BUF less some bytes (PIPE_BUF is only known at run time).
struct RecordSize {
  const char* name;
  size_t fixed;  // 0: relative to PIPE_BUF
  size_t below_pipe_buf;
  size_t Bytes(size_t pipe_buf) const { return fixed ? fixed : pipe_buf - below_pipe_buf; }
};
void PrintTo(const RecordSize& s, std::ostream* os) { *os << s.name; }

// Bytes no shifted window of which repeats another (a linear congruential sequence): record
// filler is cut from it, so a record spliced with another one's bytes cannot pass.
const std::vector<char>& Noise() {
  static const std::vector<char>* noise = [] {
    auto* v = new std::vector<char>(1 << 17);
    uint32_t x = 12345;
    for (char& c : *v) {
      x = x * 1103515245u + 12345u;
      c = static_cast<char>(x >> 23);
    }
    return v;
  }();
  return *noise;
}

// A self-identifying record: writer id, sequence number (4 bytes, little endian), then filler
// taken from Noise() at an offset derived from both. A 1-byte record is just a byte proper to
// its writer.
constexpr size_t kHeader = 5;

void MakeRecord(int writer, uint32_t seq, std::vector<char>* rec) {
  std::vector<char>& r = *rec;
  if (r.size() == 1) {
    r[0] = static_cast<char>('A' + writer);
    return;
  }
  r[0] = static_cast<char>(writer);
  for (size_t i = 0; i < 4; ++i) r[1 + i] = static_cast<char>(seq >> (8 * i));
  size_t offset = (static_cast<size_t>(writer) * 7919 + seq * 104729) % (Noise().size() / 2);
  std::memcpy(&r[kHeader], &Noise()[offset], r.size() - kHeader);
}

// Checks the stream record by record: each whole, and each writer's records in order.
class RecordChecker {
 public:
  RecordChecker(size_t size, int records_per_writer)
      : rec_(size), per_writer_(records_per_writer), next_(kWriters, 0) {}

  // Checks the complete records at the start of `data`; returns how many bytes they took.
  size_t Take(const char* data, size_t n) {
    size_t at = 0;
    for (; n - at >= rec_.size(); at += rec_.size()) Check(data + at);
    return at;
  }

  // Empty when every writer's records all arrived whole and in order.
  std::string Verdict(size_t left_over) const {
    if (!problem_.empty()) return problem_;
    if (left_over != 0) {
      return "the stream ends with " + std::to_string(left_over) + " bytes of a record";
    }
    for (int w = 0; w < kWriters; ++w) {
      if (next_[w] != static_cast<uint32_t>(per_writer_)) {
        return "writer " + std::to_string(w) + ": " + std::to_string(next_[w]) + " of " +
               std::to_string(per_writer_) + " records arrived";
      }
    }
    return "";
  }

 private:
  void Check(const char* got) {
    if (!problem_.empty()) return;
    const size_t index = seen_++;
    int writer = rec_.size() == 1 ? got[0] - 'A' : static_cast<unsigned char>(got[0]);
    if (writer < 0 || writer >= kWriters) {
      problem_ = "record " + std::to_string(index) + " (at byte " +
                 std::to_string(index * rec_.size()) +
                 ") starts with no writer's id: the "
                 "previous record was cut or interleaved";
      return;
    }
    MakeRecord(writer, next_[writer], &rec_);
    if (std::memcmp(got, rec_.data(), rec_.size()) != 0) {
      problem_ = "record " + std::to_string(index) + " (at byte " +
                 std::to_string(index * rec_.size()) + ") is not writer " + std::to_string(writer) +
                 "'s record " + std::to_string(next_[writer]) +
                 " whole: interleaved, cut or out of order";
      return;
    }
    ++next_[writer];
  }

  std::vector<char> rec_;
  int per_writer_;
  std::vector<uint32_t> next_;
  size_t seen_ = 0;
  std::string problem_;
};

class PipeAtomicRecords : public ::testing::TestWithParam<std::tuple<PipeKind, RecordSize>> {};

IPC_TEST_P(PipeAtomicRecords, ConcurrentRecordsArriveWhole, "PIPE.ATOMIC.NO_INTERLEAVE") {
  const auto& [kind, record_size] = GetParam();
  PipeEnds ends = MakePipe(kind);
  ASSERT_TRUE(ends.ok());
  long pipe_buf = PipeBufForSizing(ends.write.get());
  if (pipe_buf < 0) return;
  const size_t size = record_size.Bytes(static_cast<size_t>(pipe_buf));
  // Enough records that writers meet a full pipe many times; 1-byte records cost a call each.
  const int per_writer = size == 1 ? 4000 : 2000;
  std::vector<Child> writers;
  for (int id = 0; id < kWriters; ++id) {
    writers.push_back(Child::Fork([&, id]() {
      ends.read.reset();
      std::vector<char> rec(size);
      for (int seq = 0; seq < per_writer; ++seq) {
        MakeRecord(id, static_cast<uint32_t>(seq), &rec);
        // A short count for a record of at most PIPE_BUF bytes is already a violation.
        if (int exit = WriteRecord(ends.write.get(), rec.data(), size)) return exit;
      }
      return 0;
    }));
  }
  ends.write.reset();  // end of file once every writer is done
  RecordChecker checker(size, per_writer);
  std::string pending;  // the start of a record cut by the end of a read
  EXPECT_TRUE(ReadToEndOfFile(ends.read.get(), [&](const char* d, size_t n) {
    if (pending.empty()) {
      size_t used = checker.Take(d, n);
      pending.assign(d + used, n - used);
    } else {
      pending.append(d, n);
      pending.erase(0, checker.Take(pending.data(), pending.size()));
    }
  }));
  // Blocked (the end of file or the read is broken): what the writers did says nothing more, and
  // the Child destructors end them.
  if (!CurrentBlocker().empty()) return;
  ends.read.reset();  // writers a failed read left blocked now end with EPIPE, not a timeout
  for (Child& writer : writers) {
    Outcome o = writer.Wait();
    BlockOnWriterExit(o);
    if (!CurrentBlocker().empty()) return;
    EXPECT_TRUE(ExitedWith(o, 0))
        << "each write of a " << size << "-byte record must return its full count (exit 10: "
        << "it did not)";
  }
  EXPECT_EQ(checker.Verdict(pending.size()), "")
      << kWriters << " writers x " << per_writer << " records of " << size << " bytes (PIPE_BUF "
      << pipe_buf << ")";
}

// One kind per path the kernel may take: anonymous or named, blocking or not (pipe2(0) and
// pipe2(O_CLOEXEC) make the same pipe as pipe(), and each instance costs tens of ms).
std::vector<PipeKind> DistinctPathKinds() {
  std::vector<PipeKind> kinds;
  for (const PipeKind& k : AllPipeKinds()) {
    if (k.name == "pipe" || k.name == "fifo" || k.name == "pipe2_nonblock" ||
        k.name == "fifo_nonblock") {
      kinds.push_back(k);
    }
  }
  return kinds;
}

// Blocking and non-blocking writers alike: a record of at most PIPE_BUF bytes goes in whole.
INSTANTIATE_TEST_SUITE_P(
    KindsAndSizes, PipeAtomicRecords,
    ::testing::Combine(::testing::ValuesIn(DistinctPathKinds()),
                       ::testing::Values(RecordSize{"1", 1, 0}, RecordSize{"512", 512, 0},
                                         RecordSize{"PIPE_BUF_less_1", 0, 1},
                                         RecordSize{"PIPE_BUF", 0, 0})),
    [](const ::testing::TestParamInfo<std::tuple<PipeKind, RecordSize>>& info) {
      return std::get<0>(info.param).name + "_" + std::get<1>(info.param).name;
    });

class PipeAtomicLarge : public ::testing::TestWithParam<PipeKind> {};

IPC_TEST_P(PipeAtomicLarge, LargeBlockingWritesReturnFullCount,
           "PIPE.ATOMIC.LARGE_WRITE_COMPLETES") {
  PipeEnds ends = MakePipe(GetParam());
  ASSERT_TRUE(ends.ok());
  long pipe_buf = PipeBufForSizing(ends.write.get());
  if (pipe_buf < 0) return;
  // What the empty pipe takes at once bounds its room; then writes well beyond it.
  SetNonBlocking(ends.write.get(), true);
  std::vector<char> probe(4 << 20, 'p');
  long room = write(ends.write.get(), probe.data(), probe.size());
  const int room_error = errno;
  IPCCONF_BLOCKED_BY_IF(room < 0 && room_error == EAGAIN, "PIPE.NONBLOCK.LARGE_WRITE_PARTIAL",
                        "an O_NONBLOCK write() of " + std::to_string(probe.size()) +
                            " bytes into the empty pipe failed with EAGAIN instead of "
                            "transferring what fits");
  ASSERT_GE(room, pipe_buf) << "a non-blocking write into the empty pipe: "
                            << ErrnoName(room_error);
  SetNonBlocking(ends.write.get(), false);
  SyscallResult emptied = SYS(ReadWithin(ends.read.get(), probe.data(), room, kAlreadyInPipe));
  IPCCONF_BLOCKED_BY_IF(emptied.value > 0 && emptied.value < room, "PIPE.PROP.BYTE_STREAM_MERGES",
                        "a read() of the " + std::to_string(room) + " bytes in the pipe returned " +
                            std::to_string(emptied.value));
  ASSERT_THAT(emptied, SyscallSucceedsWithValue(room));
  const int kLargeWriters = 4, kWritesEach = 2;
  std::vector<Child> writers;
  std::vector<long> expected(kLargeWriters);
  for (int id = 0; id < kLargeWriters; ++id) {
    const size_t size = 2 * static_cast<size_t>(room) + static_cast<size_t>(pipe_buf) + id;
    expected[id] = static_cast<long>(size) * kWritesEach;
    writers.push_back(Child::Fork([&, id, size]() {
      ends.read.reset();
      std::vector<char> data(size, static_cast<char>('a' + id));
      for (int i = 0; i < kWritesEach; ++i) {
        ssize_t put = write(ends.write.get(), data.data(), size);
        if (int exit = WriteExit(ends.write.get(), put, size, errno)) return exit;
      }
      return 0;
    }));
  }
  ends.write.reset();  // end of file once every writer is done
  std::vector<long> got(kLargeWriters, 0);
  long stray = 0;
  EXPECT_TRUE(ReadToEndOfFile(ends.read.get(), [&](const char* d, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      int id = d[i] - 'a';
      if (id >= 0 && id < kLargeWriters)
        ++got[id];
      else
        ++stray;
    }
  }));
  ends.read.reset();
  for (Child& writer : writers) {
    Outcome o = writer.Wait();
    BlockOnWriterExit(o);
    if (!CurrentBlocker().empty()) return;
    EXPECT_TRUE(ExitedWith(o, 0))
        << "a blocking write larger than PIPE_BUF and than the pipe's room (" << room
        << ") must return its full count (exit 10: it did not)";
  }
  // Interleaving of such writes is allowed: only the byte counts per writer are checked.
  EXPECT_EQ(got, expected) << "bytes per writer";
  EXPECT_EQ(stray, 0) << "bytes no writer wrote";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeAtomicLarge, ::testing::ValuesIn(BlockingPipeKinds()),
                         PipeKindName);

}  // namespace
}  // namespace ipcconf
