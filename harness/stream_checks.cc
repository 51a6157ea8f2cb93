#include "harness/stream_checks.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "harness/syscall.h"

namespace ipcconf {
namespace {

char FillByte(int writer, uint32_t seq, size_t i) {
  return static_cast<char>((writer * 31 + seq * 7 + i) & 0xff);
}

uint32_t SeqOf(const char *rec) {
  uint32_t seq = 0;
  for (int b = 0; b < 4; ++b)
    seq |= static_cast<uint32_t>(static_cast<unsigned char>(rec[1 + b])) << (8 * b);
  return seq;
}

}  // namespace

std::string MakeRecord(int writer, uint32_t seq, size_t size) {
  std::string r(size, '\0');
  r[0] = static_cast<char>(writer);
  for (int b = 0; b < 4; ++b) r[1 + b] = static_cast<char>((seq >> (8 * b)) & 0xff);
  for (size_t i = 5; i < size; ++i) r[i] = FillByte(writer, seq, i);
  return r;
}

int WriteRecords(int fd, int writer, int count, size_t size) {
  for (int seq = 0; seq < count; ++seq) {
    std::string r = MakeRecord(writer, static_cast<uint32_t>(seq), size);
    ssize_t n = write(fd, r.data(), r.size());
    if (n != static_cast<ssize_t>(r.size())) return n < 0 ? 2 : 3;  // 3: a short write
  }
  return 0;
}

::testing::AssertionResult AllRecordsWhole(const std::string &stream, size_t size, int writers,
                                           int per_writer) {
  const size_t expected = size * static_cast<size_t>(writers) * static_cast<size_t>(per_writer);
  std::vector<uint32_t> next(static_cast<size_t>(writers), 0);
  for (size_t off = 0; off + size <= stream.size(); off += size) {
    const char *rec = stream.data() + off;
    int writer = static_cast<unsigned char>(rec[0]);
    uint32_t seq = SeqOf(rec);
    if (writer >= writers || seq != next[static_cast<size_t>(writer)] ||
        stream.compare(off, size, MakeRecord(writer, seq, size)) != 0) {
      return ::testing::AssertionFailure()
             << "the record of " << size << " bytes at offset " << off
             << " is torn or out of order (it starts like writer " << writer << " record " << seq
             << "): writes of at most PIPE_BUF bytes must arrive whole and "
                "contiguous";
    }
    ++next[static_cast<size_t>(writer)];
  }
  if (stream.size() != expected) {
    return ::testing::AssertionFailure()
           << "read " << stream.size() << " bytes, expected " << expected << " (" << writers
           << " writers x " << per_writer << " records x " << size << " bytes)";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ipcconf
