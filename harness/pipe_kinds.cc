#include "harness/pipe_kinds.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <chrono>
#include <cstring>
#include <vector>

#include "harness/assertions.h"
#include "harness/leak_guard.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf {

bool PipeKind::nonblocking() const { return flags & O_NONBLOCK; }
bool PipeKind::cloexec() const { return flags & O_CLOEXEC; }

void SetNonBlocking(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

namespace {

bool IsNonBlocking(int fd) { return fcntl(fd, F_GETFL) & O_NONBLOCK; }

}  // namespace

long FillPipe(int write_fd) {
  static const char kFiller[4096] = {};
  bool was_nonblocking = IsNonBlocking(write_fd);
  SetNonBlocking(write_fd, true);
  long total = 0;
  for (size_t size = sizeof kFiller; size > 0 && total < kNeverFull; size /= 8) {
    ssize_t n;
    errno = 0;
    while (total < kNeverFull && (n = write(write_fd, kFiller, size)) > 0) total += n;
    if (total < kNeverFull && errno != EAGAIN) {
      ADD_FAILURE() << "filling the pipe: after " << total << " bytes a write failed with "
                    << ErrnoName(errno);
      break;
    }
  }
  if (total >= kNeverFull)
    ADD_FAILURE() << "the pipe took " << total << " bytes and never got full";
  SetNonBlocking(write_fd, was_nonblocking);
  return total;
}

namespace {

// The events poll() reports on `fd` within `bound` (POLLHUP, POLLERR included), 0 if none.
short ReadyEvents(int fd, short events, Millis bound) {
  pollfd p{fd, events, 0};
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    int ready = poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (ready >= 0 || errno != EINTR) return ready > 0 ? p.revents : 0;
  }
}

bool ReadyWithin(int fd, short events, Millis bound) { return ReadyEvents(fd, events, bound); }

}  // namespace

bool ReadableWithin(int fd, Millis bound) { return ReadyWithin(fd, POLLIN, bound); }

ssize_t ReadWithin(int fd, void* buf, size_t n, Millis bound) {
  if (!ReadyWithin(fd, POLLIN, bound)) {
    errno = ETIMEDOUT;
    return -1;
  }
  return read(fd, buf, n);
}

ssize_t WriteWithin(int fd, const void* buf, size_t n, Millis bound) {
  if (!ReadyWithin(fd, POLLOUT, bound)) {
    errno = ETIMEDOUT;
    return -1;
  }
  return write(fd, buf, n);
}

namespace {

// The running test's area is the FIFO area ("FIFO." ids); else the pipe area, which also runs
// over FIFOs.
bool InFifoArea() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::vector<std::string>* ids = info ? IdsOf(*info) : nullptr;
  return ids && !ids->empty() && ids->front().rfind("FIFO.", 0) == 0;
}

// The assertion that read() returns 0 once no writer is left, of the running test's area.
const char* EndOfFileAssertion() {
  return InFifoArea() ? "FIFO.CASE.EOF_NO_WRITERS" : "PIPE.CASE.EOF_AFTER_DRAIN";
}

// A descriptor of this process other than `fd` that can write the pipe or FIFO `fd` reads, or
// -1: while one is open here, end of file cannot come.
int OwnWriteEnd(int fd) {
  struct stat mine;
  if (fstat(fd, &mine) != 0) return -1;
  for (const auto& [other, target] : ReadFdTable(getpid())) {
    struct stat st;
    if (other == fd || fstat(other, &st) != 0) continue;
    if (st.st_dev != mine.st_dev || st.st_ino != mine.st_ino) continue;
    int mode = fcntl(other, F_GETFL) & O_ACCMODE;
    if (mode == O_WRONLY || mode == O_RDWR) return other;
  }
  return -1;
}

// At most this many EINTR/EAGAIN answers in a row, after poll() said the end is readable.
constexpr int kRetriesInARow = 100;
// At most this many reads in a row that return less than was asked and available.
constexpr int kShortReadsInARow = 64;

}  // namespace

::testing::AssertionResult ReadToEndOfFile(int fd,
                                           const std::function<void(const char*, size_t)>& take,
                                           Millis quiet_bound) {
  static thread_local std::vector<char> buf(1 << 16);
  size_t total = 0;
  // The test closed its own write ends before reading to the end; one still open here means a
  // close() that left its descriptor open, and end of file would never come.
  if (int held = OwnWriteEnd(fd); held >= 0) {
    std::string seen = "this process still holds a write end (fd " + std::to_string(held) +
                       ") of the pipe it reads to the end: a close() left it open";
    if (!InFifoArea()) RecordBlocked("PIPE.PROP.LAST_CLOSE_FREES", seen);
    return ::testing::AssertionFailure() << seen;
  }
  for (int retries = 0, short_reads = 0;;) {
    short revents = ReadyEvents(fd, POLLIN, quiet_bound);
    if (!revents) {
      return ::testing::AssertionFailure()
             << "no byte and no end of file within " << quiet_bound.count() << " ms after " << total
             << " bytes: some process still holds a write end";
    }
    bool no_writer = revents & POLLHUP;
    int available = 0;
    if (ioctl(fd, FIONREAD, &available) != 0) available = 0;
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n > 0) {
      retries = 0;
      total += static_cast<size_t>(n);
      take(buf.data(), static_cast<size_t>(n));
      // A read that returns less than was asked while more was there: reading on would take a
      // call per crumb (minutes for a few megabytes); that is the byte stream's fault.
      size_t could = std::min(static_cast<size_t>(std::max(available, 0)), buf.size());
      short_reads = static_cast<size_t>(n) < could ? short_reads + 1 : 0;
      if (short_reads < kShortReadsInARow) continue;
      std::string seen = std::to_string(kShortReadsInARow) + " reads in a row returned less "
                         "than was asked and available (the last: " + std::to_string(n) +
                         " of " + std::to_string(could) + " bytes), after " +
                         std::to_string(total) + " bytes";
      if (!InFifoArea()) RecordBlocked("PIPE.PROP.BYTE_STREAM_MERGES", seen);
      return ::testing::AssertionFailure() << seen;
    }
    if (n == 0) return ::testing::AssertionSuccess();
    int err = errno;
    if ((err == EINTR || err == EAGAIN) && ++retries < kRetriesInARow) continue;
    std::string seen = "read() failed with " + ErrnoName(err) +
                       (retries ? " " + std::to_string(retries) + " times in a row" : "") +
                       " after poll() reported the end readable" +
                       (no_writer ? " with no writer left (POLLHUP)" : "") + ", after " +
                       std::to_string(total) + " bytes";
    // With no writer left the call can only be answering end of file: that facility is what
    // broke, and a test that merely collects bytes is blocked by it.
    if (no_writer) RecordBlocked(EndOfFileAssertion(), seen);
    return ::testing::AssertionFailure() << seen;
  }
}

long PipeBufForSizing(int fd) {
  errno = 0;
  long pipe_buf = fpathconf(fd, _PC_PIPE_BUF);
  if (pipe_buf >= 512) return pipe_buf;
  RecordBlocked(InFifoArea() ? "FIFO.ATOMIC.PIPE_BUF_MIN" : "PIPE.ATOMIC.PIPE_BUF_MIN",
                "fpathconf(_PC_PIPE_BUF) returned " + std::to_string(pipe_buf) +
                    (pipe_buf < 0 ? " (" + ErrnoName(errno) + ")" : "") +
                    ", below POSIX's 512: records and writes cannot be sized from it");
  return -1;
}

::testing::AssertionResult ReadToEndOfFile(int fd, std::string* out, Millis quiet_bound) {
  return ReadToEndOfFile(
      fd, [out](const char* data, size_t n) { out->append(data, n); }, quiet_bound);
}

long DrainPipe(int read_fd) {
  bool was_nonblocking = IsNonBlocking(read_fd);
  SetNonBlocking(read_fd, true);
  static char buf[65536];
  long total = 0;
  ssize_t n;
  errno = 0;
  while ((n = read(read_fd, buf, sizeof buf)) > 0) total += n;
  if (n < 0 && errno != EAGAIN) {
    ADD_FAILURE() << "draining the pipe: read failed with " << ErrnoName(errno);
  }
  SetNonBlocking(read_fd, was_nonblocking);
  return total;
}

namespace {

// F_GETFL access mode of `fd`, -1 on error.
int AccessMode(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fl & O_ACCMODE;
}

// The kCarriesBytes probe of MakePipe (see pipe_kinds.h). Returns true when the pipe passed; else
// the running test is recorded blocked by the facility that misbehaved, named by its assertion.
bool CarriesBytes(int r, int w, PipeCheck check) {
  if (InFifoArea()) return true;  // only the pipe area's assertions can be named here
  auto blocked = [](const char* id, const std::string& seen) {
    RecordBlocked(id, "probing the new pipe: " + seen);
    return false;
  };
  int read_mode = AccessMode(r), write_mode = AccessMode(w);
  if (check == PipeCheck::kEndsAsGiven && read_mode == O_WRONLY && write_mode == O_RDONLY) {
    std::swap(r, w);  // the test judges the swap itself; probe the pipe the right way round
  } else if (read_mode == O_WRONLY || write_mode == O_RDONLY) {
    return blocked("PIPE.DIR.ACCESS_MODES",
                   "fildes[0] has access mode " + std::to_string(read_mode) + " and fildes[1] " +
                       std::to_string(write_mode) + " (O_RDONLY 0, O_WRONLY 1): the read end " +
                       "cannot read or the write end cannot write");
  }
  int second = fcntl(w, F_DUPFD_CLOEXEC, 0);
  if (second < 0) return true;  // no probe possible: the test will see for itself
  const bool was_nonblocking = IsNonBlocking(w);
  SetNonBlocking(w, true);  // the description `second` shares: an empty pipe must not block
  errno = 0;
  ssize_t put = write(second, "ab", 2);
  int write_error = errno;
  SetNonBlocking(w, was_nonblocking);
  int queued = -1;
  if (ioctl(r, FIONREAD, &queued) != 0) queued = -1;
  // close() that reports success must free the descriptor.
  int closed = close(second);
  bool still_open = closed == 0 && fcntl(second, F_GETFD) != -1;
  if (still_open) syscall(SYS_close, second);  // the lying close() is the subject's, not ours
  if (put != 2) {
    return blocked("PIPE.DIR.WRITE_END_TO_READ_END",
                   "write() of 2 bytes into the empty pipe returned " + std::to_string(put) +
                       (put < 0 ? " (" + ErrnoName(write_error) + ")" : ""));
  }
  if (queued != 2) {
    return blocked("PIPE.PROP.FIFO_ORDER", "write() of 2 bytes returned 2 but put " +
                                               std::to_string(queued) +
                                               " bytes into the empty pipe (FIONREAD)");
  }
  if (still_open) {
    return blocked("PIPE.PROP.LAST_CLOSE_FREES",
                   "close(" + std::to_string(second) + ") of a second write descriptor " +
                       "returned 0 but left the descriptor open");
  }
  int kept = -1;
  if (ioctl(r, FIONREAD, &kept) != 0) kept = -1;
  if (kept != 2) {
    return blocked("PIPE.PROP.LIVES_WHILE_OPEN",
                   "closing a second write descriptor (the first still open) left " +
                       std::to_string(kept) + " of the 2 unread bytes in the pipe (FIONREAD)");
  }
  const bool read_was_nonblocking = IsNonBlocking(r);
  SetNonBlocking(r, true);
  char got[2] = {};
  errno = 0;
  ssize_t n = read(r, got, sizeof got);
  int read_error = errno;
  if (n > 0 && n < 2) {  // take the rest, so that the pipe is left empty
    char rest;
    for (int i = 0; i < 4 && read(r, &rest, 1) != 1; ++i) {
    }
  }
  SetNonBlocking(r, read_was_nonblocking);
  if (n == 0) {
    return blocked("PIPE.DIR.TWO_WAY_NEEDS_TWO_PIPES",
                   "read() by the process that wrote the 2 unread bytes returned 0 (end of file)");
  }
  if (n == 1) {
    return blocked("PIPE.PROP.BYTE_STREAM_MERGES",
                   "read() of 2 bytes returned 1 although 2 were in the pipe");
  }
  if (n < 0) {
    return blocked("PIPE.DIR.WRITE_END_TO_READ_END",
                   "read() of the 2 bytes in the pipe failed with " + ErrnoName(read_error));
  }
  if (got[0] != 'a' || got[1] != 'b') {
    return blocked("PIPE.PROP.FIFO_ORDER", "the 2 bytes written as \"ab\" were read back changed");
  }
  return true;
}

}  // namespace

PipeEnds MakePipe(const PipeKind& kind, PipeCheck check) {
  PipeEnds ends;
  int fds[2] = {-1, -1};
  switch (kind.how) {
    case PipeKind::How::kPipe:
      if (pipe(fds) != 0) {
        ADD_FAILURE() << "pipe() failed: " << strerror(errno);
        return ends;
      }
      break;
    case PipeKind::How::kPipe2:
      if (pipe2(fds, kind.flags) != 0) {
        ADD_FAILURE() << "pipe2(" << kind.name << ") failed: " << strerror(errno);
        return ends;
      }
      break;
    case PipeKind::How::kFifo: {
      static int serial = 0;
      std::string path = TestTmpDir() + "/pipe_kind_fifo." + std::to_string(++serial);
      if (mkfifo(path.c_str(), 0600) != 0) {
        ADD_FAILURE() << "mkfifo(" << path << ") failed: " << strerror(errno);
        return ends;
      }
      int cloexec = kind.cloexec() ? O_CLOEXEC : 0;
      // O_RDONLY|O_NONBLOCK returns at once; then O_WRONLY finds a reader and does not block.
      fds[0] = open(path.c_str(), O_RDONLY | O_NONBLOCK | cloexec);
      int saved = errno;
      fds[1] = fds[0] >= 0 ? open(path.c_str(), O_WRONLY | O_NONBLOCK | cloexec) : -1;
      if (fds[1] < 0 && fds[0] >= 0) saved = errno;
      unlink(path.c_str());
      if (fds[0] < 0 || fds[1] < 0) {
        ADD_FAILURE() << "opening FIFO " << path << " failed: " << strerror(saved);
        if (fds[0] >= 0) close(fds[0]);
        return ends;
      }
      SetNonBlocking(fds[0], kind.nonblocking());
      SetNonBlocking(fds[1], kind.nonblocking());
      break;
    }
  }
  ends.read.reset(fds[0]);
  ends.write.reset(fds[1]);
  if (!CarriesBytes(fds[0], fds[1], check)) return PipeEnds{};
  return ends;
}

std::vector<PipeKind> BlockingPipeKinds() {
  return {
      {"pipe", PipeKind::How::kPipe, 0},
      {"pipe2_0", PipeKind::How::kPipe2, 0},
      {"pipe2_cloexec", PipeKind::How::kPipe2, O_CLOEXEC},
      {"fifo", PipeKind::How::kFifo, 0},
  };
}

std::vector<PipeKind> NonBlockingPipeKinds() {
  return {
      {"pipe2_nonblock", PipeKind::How::kPipe2, O_NONBLOCK},
      {"pipe2_nonblock_cloexec", PipeKind::How::kPipe2, O_NONBLOCK | O_CLOEXEC},
      {"fifo_nonblock", PipeKind::How::kFifo, O_NONBLOCK},
  };
}

std::vector<PipeKind> AllPipeKinds() {
  std::vector<PipeKind> all = BlockingPipeKinds();
  for (PipeKind& k : NonBlockingPipeKinds()) all.push_back(k);
  return all;
}

std::vector<PipeKind> AnonymousPipeKinds() {
  std::vector<PipeKind> out;
  for (PipeKind& k : AllPipeKinds()) {
    if (k.how != PipeKind::How::kFifo) out.push_back(k);
  }
  return out;
}

std::string PipeKindName(const ::testing::TestParamInfo<PipeKind>& info) { return info.param.name; }

void PrintTo(const PipeKind& kind, std::ostream* os) { *os << kind.name; }

}  // namespace ipcconf
