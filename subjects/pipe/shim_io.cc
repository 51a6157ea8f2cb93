// libbroken_pipe.so: read(), write(), close(), lseek() and fstat() on pipes, broken on request.
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "subjects/pipe/shim.h"

namespace brokenpipe {
namespace {

// tiny_capacity: the pipe holds 1 KiB, less than PIPE_BUF.
constexpr size_t kTinyCapacity = 1024;
// small_pipe_buf reports this; the real limit is what writes are measured against.
size_t RealPipeBuf(int fd) {
  long v = Real().fpathconf(fd, _PC_PIPE_BUF);
  return v > 0 ? static_cast<size_t>(v) : 4096;
}

// Runs `call` with O_NONBLOCK set on the description of `fd`, as if the caller had set it.
template <typename Call>
ssize_t AsNonBlocking(int fd, Call call) {
  int fl = Real().fcntl(fd, F_GETFL);
  Real().fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = call();
  int saved = errno;
  Real().fcntl(fd, F_SETFL, fl);
  errno = saved;
  return n;
}

// Runs `call` with SIGPIPE blocked; a SIGPIPE it raises is taken away, so the caller never sees
// it. Returns the call's result with errno intact.
template <typename Call>
ssize_t SwallowingSigpipe(Call call) {
  sigset_t pipe_only, old, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_only, &old);
  sigpending(&pending);
  bool was_pending = sigismember(&pending, SIGPIPE);
  ssize_t n = call();
  int saved = errno;
  if (!was_pending) {
    struct timespec zero = {0, 0};
    sigtimedwait(&pipe_only, nullptr, &zero);
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return n;
}

bool SigpipeIsDefault() {
  struct sigaction sa;
  return sigaction(SIGPIPE, nullptr, &sa) == 0 && sa.sa_handler == SIG_DFL;
}

bool RoomNow(int fd) { return ReadyNow(fd, POLLOUT) & POLLOUT; }

ssize_t Fail(int error) {
  errno = error;
  return -1;
}

// bidirectional_ends: does `io` on a second description of the pipe, opened `access_mode`.
template <typename Io>
ssize_t ThroughOtherEnd(int fd, int access_mode, Io io) {
  int other = ReopenPipe(fd, access_mode);
  if (other < 0) return Fail(EBADF);
  ssize_t n = io(other);
  int saved = errno;
  Real().close(other);
  errno = saved;
  return n;
}

// Writes piece by piece, giving other writers the processor in between.
ssize_t WriteInPieces(int fd, const char* p, size_t count, size_t piece) {
  size_t done = 0;
  while (done < count) {
    ssize_t n = Real().write(fd, p + done, std::min(piece, count - done));
    if (n < 0) return done > 0 ? static_cast<ssize_t>(done) : -1;
    done += static_cast<size_t>(n);
    sched_yield();
  }
  return static_cast<ssize_t>(done);
}

ssize_t TinyCapacityWrite(int fd, const char* p, size_t count) {
  bool nonblocking = IsNonBlocking(fd);
  for (;;) {
    size_t queued = static_cast<size_t>(QueuedBytes(fd));
    size_t room = queued < kTinyCapacity ? kTinyCapacity - queued : 0;
    if (count <= room) return Real().write(fd, p, count);
    if (nonblocking && (count <= RealPipeBuf(fd) || room == 0)) return Fail(EAGAIN);
    if (room > 0) return Real().write(fd, p, room);  // what fits, as a short count
    if (ReadyNow(fd, POLLOUT) & POLLERR) return Real().write(fd, p, count);  // no reader: EPIPE
    struct timespec tick = {0, 1000 * 1000};  // the emulated pipe has no wake-up: poll it
    nanosleep(&tick, nullptr);  // the broken subject polls its emulated pipe; not a test wait
  }
}

ssize_t BrokenWrite(int fd, const void* buf, size_t count, const struct stat& st) {
  const char* p = static_cast<const char*>(buf);
  auto real = [&]() { return Real().write(fd, buf, count); };
  bool nonblocking = IsNonBlocking(fd);
  switch (g_defect) {
    case Defect::kWriteNeverBlocks:
      return nonblocking ? real() : AsNonBlocking(fd, real);
    case Defect::kWokenWriterGetsEintr: {
      if (nonblocking || count == 0 || RoomNow(fd)) return real();
      ssize_t n = real();  // sleeps until the reader drains, and transfers everything
      return n == static_cast<ssize_t>(count) ? Fail(EINTR) : n;
    }
    case Defect::kBlockedWriterMissesEpipe: {
      if (nonblocking || RoomNow(fd)) return real();
      ssize_t n = SwallowingSigpipe(real);
      return n < 0 && errno == EPIPE ? static_cast<ssize_t>(count) : n;
    }
    case Defect::kNoSigpipe:
      return SwallowingSigpipe(real);
    case Defect::kSigpipeNoEpipe: {
      ssize_t n = real();
      return n < 0 && errno == EPIPE && !SigpipeIsDefault() ? static_cast<ssize_t>(count) : n;
    }
    case Defect::kDuplicatesBytes: {
      if (count == 0) return real();
      ssize_t first = Real().write(fd, p, 1);  // the first byte goes in twice
      return first < 0 ? first : real();
    }
    case Defect::kNonatomicWrites:
      return WriteInPieces(fd, p, count, std::max<size_t>(1, count / 4));
    case Defect::kLargeWriteShort:
      if (!nonblocking && count > RealPipeBuf(fd)) return Real().write(fd, p, RealPipeBuf(fd));
      return real();
    case Defect::kPartialSmallNonblock: {
      ssize_t n = real();
      if (!(n < 0 && errno == EAGAIN && nonblocking && count <= RealPipeBuf(fd))) return n;
      size_t done = 0;  // squeeze in what fits, byte by byte
      while (done < count && Real().write(fd, p + done, 1) == 1) ++done;
      return done > 0 ? static_cast<ssize_t>(done) : Fail(EAGAIN);
    }
    case Defect::kLargeNonblockEagain: {
      if (!nonblocking || count <= RealPipeBuf(fd)) return real();
      // Without a reader nothing "fits or not": the write fails with EPIPE (and SIGPIPE) as usual.
      if (ReadyNow(fd, POLLOUT) & POLLERR) return real();
      long capacity = Real().fcntl(fd, F_GETPIPE_SZ);
      long room = capacity - QueuedBytes(fd);
      return static_cast<long>(count) > room ? Fail(EAGAIN) : real();
    }
    case Defect::kNonblockWriteReturnsZero: {
      ssize_t n = real();
      return n < 0 && errno == EAGAIN && nonblocking ? 0 : n;
    }
    case Defect::kTinyCapacity:
      return TinyCapacityWrite(fd, p, count);
    case Defect::kBidirectionalEnds: {
      ssize_t n = real();
      if (!(n < 0 && errno == EBADF) || IsWriteEnd(fd)) return n;
      // The read end takes the bytes into the same pipe.
      return ThroughOtherEnd(fd, O_WRONLY, [&](int w) { return Real().write(w, buf, count); });
    }
    case Defect::kPipeDiesWithCreator:
      if (!CreatorGone(st.st_ino)) return real();
      raise(SIGPIPE);  // the pipe went away with its creator: no reader any more
      return Fail(EPIPE);
    default:
      return real();
  }
}

// sa_restart_ignored: the read runs with SA_RESTART taken off every caught signal.
ssize_t ReadWithoutRestart(int fd, void* buf, size_t count) {
  static bool cleared[NSIG];
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    cleared[sig] = false;
    if (sigaction(sig, nullptr, &sa) != 0 || !(sa.sa_flags & SA_RESTART)) continue;
    if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN) continue;
    sa.sa_flags &= ~SA_RESTART;
    cleared[sig] = sigaction(sig, &sa, nullptr) == 0;
  }
  ssize_t n = Real().read(fd, buf, count);
  int saved = errno;
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa;
    if (!cleared[sig] || sigaction(sig, nullptr, &sa) != 0) continue;
    sa.sa_flags |= SA_RESTART;
    sigaction(sig, &sa, nullptr);
  }
  errno = saved;
  return n;
}

ssize_t BrokenRead(int fd, void* buf, size_t count, const struct stat& st) {
  auto real = [&]() { return Real().read(fd, buf, count); };
  switch (g_defect) {
    case Defect::kReadNeverBlocks:
      if (count > 0 && !IsNonBlocking(fd) &&
          !(ReadyNow(fd, POLLIN) & (POLLIN | POLLHUP | POLLERR))) {
        return Fail(EAGAIN);
      }
      return real();
    case Defect::kEofIsError: {
      ssize_t n = real();
      return n == 0 && count > 0 ? Fail(EIO) : n;
    }
    case Defect::kEofIsEagain: {  // a blocking read at end of file says "try again"
      ssize_t n = real();
      return n == 0 && count > 0 && !IsNonBlocking(fd) ? Fail(EAGAIN) : n;
    }
    case Defect::kEofOnce: {
      ssize_t n = real();
      if (n != 0 || count == 0) return n;
      if (HasMark(fd, kSawEof)) return Fail(EIO);
      SetMark(fd, kSawEof);
      return 0;
    }
    case Defect::kEofDropsData:
      if (count > 0 && (ReadyNow(fd, POLLIN) & POLLHUP)) return 0;  // bytes left behind
      return real();
    case Defect::kReadsOneByte:
      return Real().read(fd, buf, std::min<size_t>(count, 1));
    case Defect::kNonblockReadEof: {
      ssize_t n = real();
      return n < 0 && errno == EAGAIN ? 0 : n;
    }
    case Defect::kNonblockEofEagain: {
      ssize_t n = real();
      return n == 0 && count > 0 && IsNonBlocking(fd) ? Fail(EAGAIN) : n;
    }
    case Defect::kEintrAsEof: {
      ssize_t n = real();
      return n < 0 && errno == EINTR ? 0 : n;
    }
    case Defect::kSaRestartIgnored:
      return IsNonBlocking(fd) ? real() : ReadWithoutRestart(fd, buf, count);
    case Defect::kBidirectionalEnds: {
      ssize_t n = real();
      if (!(n < 0 && errno == EBADF) || IsReadEnd(fd)) return n;
      // The write end hands out what is in the pipe.
      return ThroughOtherEnd(fd, O_RDONLY, [&](int r) { return Real().read(r, buf, count); });
    }
    case Defect::kOwnWritesUnreadable:
      return WasWritten(st.st_ino) ? 0 : real();
    case Defect::kPipeDiesWithCreator:
      return CreatorGone(st.st_ino) ? 0 : real();
    default:
      return real();
  }
}

}  // namespace
}  // namespace brokenpipe

using brokenpipe::Broken;
using brokenpipe::Defect;
using brokenpipe::Is;
using brokenpipe::IsSubjectPipe;
using brokenpipe::Real;

// A call on the wrong end fails with EBADF as usual, except under bidirectional_ends.
extern "C" ssize_t read(int fd, void* buf, size_t count) {
  struct stat st;
  if (!Broken() || !IsSubjectPipe(fd, &st)) return Real().read(fd, buf, count);
  if (!brokenpipe::IsReadEnd(fd) && !Is(Defect::kBidirectionalEnds)) {
    return Real().read(fd, buf, count);
  }
  return brokenpipe::BrokenRead(fd, buf, count, st);
}

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  struct stat st;
  if (!Broken() || !IsSubjectPipe(fd, &st)) return Real().write(fd, buf, count);
  if (!brokenpipe::IsWriteEnd(fd) && !Is(Defect::kBidirectionalEnds)) {
    return Real().write(fd, buf, count);
  }
  ssize_t n = brokenpipe::BrokenWrite(fd, buf, count, st);
  if (n > 0) brokenpipe::NoteWritten(st.st_ino);
  return n;
}

extern "C" int close(int fd) {
  if (Broken()) {
    struct stat st;
    if (IsSubjectPipe(fd, &st)) {
      if (Is(Defect::kCloseKeepsFd)) return 0;  // reported closed, still allocated
      if (Is(Defect::kDataDiesWithWriter) && brokenpipe::IsWriteEnd(fd) &&
          brokenpipe::WasWritten(st.st_ino)) {
        brokenpipe::DiscardQueued(fd, static_cast<size_t>(-1));
      }
    }
    brokenpipe::ClearMarks(fd);
  }
  return Real().close(fd);
}

extern "C" off_t lseek(int fd, off_t offset, int whence) {
  if (Is(Defect::kLseekSucceeds) && IsSubjectPipe(fd)) return 0;
  return Real().lseek(fd, offset, whence);
}

extern "C" off_t lseek64(int fd, off_t offset, int whence) { return lseek(fd, offset, whence); }

namespace {

int HideFifo(int rc, struct stat* st) {
  if (rc == 0 && S_ISFIFO(st->st_mode)) st->st_mode = (st->st_mode & ~S_IFMT) | S_IFREG;
  return rc;
}

}  // namespace

extern "C" int fstat(int fd, struct stat* st) {
  int rc = Real().fstat(fd, st);
  return Is(Defect::kFstatNotFifo) && IsSubjectPipe(fd) ? HideFifo(rc, st) : rc;
}

extern "C" int fstat64(int fd, struct stat64* st) {
  return fstat(fd, reinterpret_cast<struct stat*>(st));  // the same layout on 64-bit Linux
}

extern "C" int fstatat(int dirfd, const char* path, struct stat* st, int flags) {
  int rc = Real().fstatat(dirfd, path, st, flags);
  return Is(Defect::kFstatNotFifo) ? HideFifo(rc, st) : rc;
}

extern "C" int fstatat64(int dirfd, const char* path, struct stat64* st, int flags) {
  return fstatat(dirfd, path, reinterpret_cast<struct stat*>(st), flags);
}
