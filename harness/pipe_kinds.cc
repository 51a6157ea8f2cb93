#include "harness/pipe_kinds.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
// poll() returns 0 only when its timeout is up; one that returns 0 well before (pipe area only)
// sets *early, and when the end is ready at that moment the wake-up was lost: the running test
// is blocked by PIPE.POLL.WAKES_ON_DATA and the events are returned.
short ReadyEvents(int fd, short events, Millis bound, bool* early = nullptr) {
  pollfd p{fd, events, 0};
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    int ready = poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (ready < 0 && errno == EINTR) continue;
    if (ready != 0) return ready > 0 ? p.revents : 0;
    constexpr Millis kSlack{5};
    if (std::chrono::steady_clock::now() + kSlack >= deadline || InFifoArea()) return 0;
    if (early) *early = true;
    pollfd now{fd, events, 0};
    if (poll(&now, 1, 0) <= 0) return 0;
    RecordBlocked("PIPE.POLL.WAKES_ON_DATA",
                  "poll() returned no event " + std::to_string(left.count()) +
                      " ms before its timeout, and at once after that reported the end ready");
    return now.revents;
  }
}

bool ReadyWithin(int fd, short events, Millis bound) { return ReadyEvents(fd, events, bound); }

// After poll() returned nothing before its timeout: a non-blocking read() that finds end of file
// shows that poll() failed to report POLLHUP; the running test is blocked by that.
bool EndOfFileUnreported(int fd) {
  int queued = 0;
  if (ioctl(fd, FIONREAD, &queued) != 0 || queued != 0) return false;
  bool was_nonblocking = IsNonBlocking(fd);
  SetNonBlocking(fd, true);
  char c;
  ssize_t n = read(fd, &c, 1);
  SetNonBlocking(fd, was_nonblocking);
  if (n != 0) return false;
  RecordBlocked("PIPE.POLL.POLLHUP_NO_WRITERS",
                "poll() returned no event before its timeout while read() finds end of file "
                "(no writer left): no POLLHUP");
  return true;
}

}  // namespace

bool ReadableWithin(int fd, Millis bound) {
  bool early = false;
  return ReadyEvents(fd, POLLIN, bound, &early) || (early && EndOfFileUnreported(fd));
}

ssize_t ReadWithin(int fd, void* buf, size_t n, Millis bound) {
  bool early = false;
  if (!ReadyEvents(fd, POLLIN, bound, &early)) {
    if (early && EndOfFileUnreported(fd)) return 0;
    errno = ETIMEDOUT;
    return -1;
  }
  int before = -1, after = -1;
  if (ioctl(fd, FIONREAD, &before) != 0) before = -1;
  ssize_t got = read(fd, buf, n);
  int error = errno;
  // The tests are the only readers of their pipes: a read() that takes more out of the pipe than
  // it returns threw away the rest of a write.
  if (got > 0 && before >= 0 && !InFifoArea() && ioctl(fd, FIONREAD, &after) == 0 &&
      after < before - got) {
    RecordBlocked("PIPE.PROP.BYTE_STREAM_SPLITS",
                  "a read() of " + std::to_string(n) + " bytes returned " + std::to_string(got) +
                      " but took " + std::to_string(before - after) + " out of the pipe");
  }
  errno = error;
  return got;
}

ssize_t WriteWithin(int fd, const void* buf, size_t n, Millis bound) {
  if (!ReadyWithin(fd, POLLOUT, bound)) {
    errno = ETIMEDOUT;
    return -1;
  }
  return write(fd, buf, n);
}

bool InFifoArea() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::vector<std::string>* ids = info ? IdsOf(*info) : nullptr;
  return ids && !ids->empty() && ids->front().rfind("FIFO.", 0) == 0;
}

namespace {

// The assertion that read() returns 0 once no writer is left, of the running test's area.
// For an O_NONBLOCK end `fd` of the pipe area, the non-blocking read's own assertion.
const char* EndOfFileAssertion(int fd) {
  if (InFifoArea()) return "FIFO.CASE.EOF_NO_WRITERS";
  return IsNonBlocking(fd) ? "PIPE.NONBLOCK.READ_EMPTY_NO_WRITER_EOF" : "PIPE.CASE.EOF_AFTER_DRAIN";
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
  // The tests are the only readers of their pipes: poll() reported POLLIN (no POLLHUP) on an
  // end whose read() then found nothing to take (EAGAIN, and FIONREAD 0 right after), so the
  // pipe was empty when poll() said readable. Remembered over the retries: a writer adding
  // bytes later does not undo it.
  bool readable_while_empty = false;
  for (int retries = 0, short_reads = 0;;) {
    bool early = false;
    short revents = ReadyEvents(fd, POLLIN, quiet_bound, &early);
    if (!revents && early && EndOfFileUnreported(fd)) return ::testing::AssertionSuccess();
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
    int queued = -1;
    if (err == EAGAIN && !no_writer && ioctl(fd, FIONREAD, &queued) == 0 && queued == 0) {
      readable_while_empty = true;
    }
    if ((err == EINTR || err == EAGAIN) && ++retries < kRetriesInARow) continue;
    std::string seen = "read() failed with " + ErrnoName(err) +
                       (retries ? " " + std::to_string(retries) + " times in a row" : "") +
                       " after poll() reported the end readable" +
                       (no_writer ? " with no writer left (POLLHUP)" : "") + ", after " +
                       std::to_string(total) + " bytes";
    // With no writer left the call can only be answering end of file: that facility is what
    // broke, and a test that merely collects bytes is blocked by it. With writers, poll()
    // reported POLLIN on an end that had nothing to read.
    if (no_writer) {
      RecordBlocked(EndOfFileAssertion(fd), seen);
    } else if (err == EAGAIN && !InFifoArea() && readable_while_empty) {
      RecordBlocked("PIPE.POLL.POLLIN_WITH_DATA",
                    seen + "; poll() had reported POLLIN while nothing was in the pipe");
    }
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
  if (!ProbeNewPipe(fds[0], fds[1], check)) return PipeEnds{};
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
