// A deliberately broken FIFO, by LD_PRELOAD: libbroken_fifo.so wraps libc calls and, for the
// defect named in IPCCONF_BREAK, gets FIFOs wrong the way a faulty port or library would.
// Only FIFOs reached by path are touched (anonymous pipes, files and sockets pass through), so
// the harness keeps working. Without IPCCONF_BREAK every call passes through unchanged; an
// unknown name makes every process it is loaded into exit 2 at once, listing the known ones.
// The defects and the assertions each must break: defects.txt.
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "harness/defect_choice.h"
#include "subjects/fifo/fifo_peers.h"

// X(EnumName, defect_name): every defect the shim knows, in the order of defects.txt.
#define IPCCONF_FIFO_DEFECTS(X)                                             \
  X(OpenNeverWaits, open_never_waits)                                       \
  X(OpenWaitsForNewPeer, open_waits_for_new_peer)                           \
  X(NonblockReaderEnxio, nonblock_reader_enxio)                             \
  X(NonblockWriterOpensWithoutReader, nonblock_writer_opens_without_reader) \
  X(OpenGetsPrivatePipe, open_gets_private_pipe)                            \
  X(NonblockWriterAlwaysEnxio, nonblock_writer_always_enxio)                \
  X(OpenRestartsAfterSignal, open_restarts_after_signal)                    \
  X(OpenIgnoresSaRestart, open_ignores_sa_restart)                          \
  X(OpenMissingGivesEnxio, open_missing_gives_enxio)                        \
  X(MkfifoMakesRegularFile, mkfifo_makes_regular_file)                      \
  X(MkfifoIgnoresUmask, mkfifo_ignores_umask)                               \
  X(MkfifoNoEexist, mkfifo_no_eexist)                                       \
  X(MkfifoWrongErrno, mkfifo_wrong_errno)                                   \
  X(FifoHasSize, fifo_has_size)                                             \
  X(LseekWorksOnFifo, lseek_works_on_fifo)                                  \
  X(UnlinkIgnored, unlink_ignored)                                          \
  X(UnlinkDestroysOpenEnds, unlink_destroys_open_ends)                      \
  X(ReadNeverBlocks, read_never_blocks)                                     \
  X(WriteNeverBlocks, write_never_blocks)                                   \
  X(EofIsError, eof_is_error)                                               \
  X(EofIsEagain, eof_is_eagain)                                             \
  X(NoSigpipe, no_sigpipe)                                                  \
  X(WriteWithoutReaderSucceeds, write_without_reader_succeeds)              \
  X(WriteSplits, write_splits)                                              \
  X(PipeBufTooSmall, pipe_buf_too_small)                                    \
  X(LegalOnePage, legal_one_page)                                           \
  X(LegalPipeBuf512, legal_pipe_buf_512)

namespace {

IPCCONF_DEFINE_DEFECTS(IPCCONF_FIFO_DEFECTS, "IPCCONF_BREAK", "libbroken_fifo")

using fifo_shim::PeerEndOpen;
using fifo_shim::WaitForAnotherOpen;

bool Is(Defect d) { return ChosenDefect() == d; }

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

bool FifoAt(int dirfd, const char* path) {
  struct stat st;
  return path && fstatat(dirfd, path, &st, 0) == 0 && S_ISFIFO(st.st_mode);
}

// A named FIFO's end: S_ISFIFO, and /proc/self/fd names a path, not "pipe:[...]".
bool NamedFifoFd(int fd) {
  struct stat st;
  if (fstatat(fd, "", &st, AT_EMPTY_PATH) != 0 || !S_ISFIFO(st.st_mode)) return false;
  char link[64], target[16] = {0};
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  return readlink(link, target, sizeof target - 1) > 0 && target[0] == '/';
}

void SetNonBlock(int fd, bool on) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
}

using OpenAtFn = int (*)(int, const char*, int, ...);

int RealOpenAt(int dirfd, const char* path, int flags, mode_t mode) {
  static OpenAtFn real = Real<OpenAtFn>("openat");
  return real(dirfd, path, flags, mode);
}

// Runs the real open with SA_RESTART taken off every caught signal's handler, so that a signal
// caught while the open waits ends it with EINTR.
int OpenWithoutRestart(int dirfd, const char* path, int flags, mode_t mode) {
  struct sigaction saved[NSIG];
  bool changed[NSIG] = {};
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigaction(sig, nullptr, &saved[sig]) != 0 || !(saved[sig].sa_flags & SA_RESTART)) continue;
    struct sigaction plain = saved[sig];
    plain.sa_flags &= ~SA_RESTART;
    changed[sig] = sigaction(sig, &plain, nullptr) == 0;
  }
  int fd = RealOpenAt(dirfd, path, flags, mode);
  int err = errno;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (changed[sig]) sigaction(sig, &saved[sig], nullptr);
  }
  errno = err;
  return fd;
}

int OpenWithDefect(int dirfd, const char* path, int flags, mode_t mode) {
  const bool fifo = !(flags & O_CREAT) && FifoAt(dirfd, path);
  const int access = flags & O_ACCMODE;
  const bool nonblock = flags & O_NONBLOCK;
  if (fifo && Is(Defect::kOpenGetsPrivatePipe) && access != O_RDWR) {
    // Every open gets its own anonymous pipe: processes never meet.
    int p[2];
    if (pipe2(p, flags & O_CLOEXEC) != 0) return -1;
    if (access == O_RDONLY) {
      close(p[1]);
      return p[0];
    }
    return p[1];  // the read end stays open (leaked), so writes go nowhere without error
  }
  if (fifo && Is(Defect::kOpenNeverWaits) && access != O_RDWR && !nonblock) {
    int fd = RealOpenAt(dirfd, path, flags | O_NONBLOCK, mode);
    if (fd < 0 && errno == ENXIO) {
      fd = RealOpenAt(dirfd, path, (flags & ~O_ACCMODE) | O_RDWR | O_NONBLOCK, mode);
    }
    if (fd >= 0) SetNonBlock(fd, false);
    return fd;
  }
  if (fifo && Is(Defect::kNonblockWriterOpensWithoutReader) && access == O_WRONLY && nonblock) {
    int fd = RealOpenAt(dirfd, path, flags, mode);
    if (fd < 0 && errno == ENXIO) {
      fd = RealOpenAt(dirfd, path, (flags & ~O_ACCMODE) | O_RDWR, mode);
    }
    return fd;
  }
  if (fifo && Is(Defect::kNonblockWriterAlwaysEnxio) && access == O_WRONLY && nonblock) {
    errno = ENXIO;
    return -1;
  }
  if (fifo && Is(Defect::kNonblockReaderEnxio) && access == O_RDONLY && nonblock) {
    // The writer's rule applied to readers: no writer yet, so ENXIO.
    int probe = RealOpenAt(dirfd, path, O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
    if (probe < 0) {
      errno = ENXIO;
      return -1;
    }
    close(probe);
  }
  if (fifo && Is(Defect::kOpenWaitsForNewPeer) && !nonblock) {
    struct stat node;
    if (fstatat(dirfd, path, &node, 0) == 0 && PeerEndOpen(node, access) &&
        WaitForAnotherOpen(dirfd, path) < 0) {
      return -1;  // EINTR
    }
  }
  if (fifo && Is(Defect::kOpenIgnoresSaRestart) && access != O_RDWR && !nonblock) {
    return OpenWithoutRestart(dirfd, path, flags, mode);
  }
  if (fifo && Is(Defect::kOpenRestartsAfterSignal)) {
    int fd;
    do {
      fd = RealOpenAt(dirfd, path, flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
  }
  int fd = RealOpenAt(dirfd, path, flags, mode);
  if (fd < 0 && errno == ENOENT && !(flags & O_CREAT) && Is(Defect::kOpenMissingGivesEnxio) &&
      strstr(path, "fifo")) {
    errno = ENXIO;
  }
  return fd;
}

mode_t ModeArg(int flags, va_list ap) {
  return (flags & (O_CREAT | O_TMPFILE)) ? static_cast<mode_t>(va_arg(ap, int)) : 0;
}

int RealMkfifo(const char* path, mode_t mode) { return mknodat(AT_FDCWD, path, S_IFIFO | mode, 0); }

// The fds of this process open on `path`.
template <typename F>
void ForEachFdOn(const char* path, F f) {
  char real_path[4096];
  if (!realpath(path, real_path)) return;
  for (int fd = 0; fd < 1024; ++fd) {
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (strcmp(target, real_path) == 0) f(fd);
  }
}

// The open, and the legal one-page variant: a FIFO opened is shrunk to one page at once (while
// its other end may already hold data, so EBUSY is possible and ignored), as a system whose
// FIFOs hold PIPE_BUF bytes, POSIX's minimum, would have them.
int BrokenOpen(int dirfd, const char* path, int flags, mode_t mode) {
  const bool fifo = !(flags & O_CREAT) && FifoAt(dirfd, path);
  int fd = OpenWithDefect(dirfd, path, flags, mode);
  if (fd >= 0 && fifo && Is(Defect::kLegalOnePage)) fcntl(fd, F_SETPIPE_SZ, 4096);
  return fd;
}

int StatDefect(int r, struct stat* st) {
  if (r == 0 && S_ISFIFO(st->st_mode) && Is(Defect::kFifoHasSize)) st->st_size = 4096;
  return r;
}

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return BrokenOpen(AT_FDCWD, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return BrokenOpen(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return BrokenOpen(dirfd, path, flags, mode);
}

int mkfifo(const char* path, mode_t mode) {
  if (Is(Defect::kMkfifoIgnoresUmask)) {
    mode_t old = umask(0);
    int r = RealMkfifo(path, mode);
    int saved = errno;
    umask(old);
    errno = saved;
    return r;
  }
  if (Is(Defect::kMkfifoMakesRegularFile)) {
    int fd = RealOpenAt(AT_FDCWD, path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    return fd < 0 ? -1 : close(fd);
  }
  int r = RealMkfifo(path, mode);
  if (r < 0 && errno == EEXIST && Is(Defect::kMkfifoNoEexist)) return 0;
  if (r < 0 && Is(Defect::kMkfifoWrongErrno)) {
    if (errno == ENOENT)
      errno = EACCES;
    else if (errno == ENOTDIR)
      errno = ENOENT;
  }
  return r;
}

int unlink(const char* path) {
  static auto real = Real<int (*)(const char*)>("unlink");
  if (FifoAt(AT_FDCWD, path)) {
    if (Is(Defect::kUnlinkIgnored)) return 0;
    if (Is(Defect::kUnlinkDestroysOpenEnds)) {
      // The pipe dies with its name: the ends open here now lead nowhere.
      ForEachFdOn(path, [](int fd) {
        int null_fd = RealOpenAt(AT_FDCWD, "/dev/null", O_RDWR, 0);
        dup2(null_fd, fd);
        close(null_fd);
      });
    }
  }
  return real(path);
}

ssize_t read(int fd, void* buf, size_t n) {
  static auto real = Real<ssize_t (*)(int, void*, size_t)>("read");
  if (Is(Defect::kReadNeverBlocks) && NamedFifoFd(fd)) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) return 0;  // empty: claims end-of-file instead of waiting
  }
  ssize_t r = real(fd, buf, n);
  if (r == 0 && n > 0 && (Is(Defect::kEofIsError) || Is(Defect::kEofIsEagain)) &&
      NamedFifoFd(fd)) {
    // EAGAIN only where it cannot be legal: a blocking read at end of file.
    if (Is(Defect::kEofIsError) || !(fcntl(fd, F_GETFL) & O_NONBLOCK)) {
      errno = Is(Defect::kEofIsError) ? EIO : EAGAIN;
      return -1;
    }
  }
  return r;
}

ssize_t write(int fd, const void* buf, size_t n) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t)>("write");
  if (Is(Defect::kWriteNeverBlocks) && NamedFifoFd(fd)) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 0) == 0) {
      errno = EAGAIN;
      return -1;
    }
  }
  if (Is(Defect::kWriteWithoutReaderSucceeds) && NamedFifoFd(fd)) {
    // SIGPIPE still comes (and kills a writer that does not catch or ignore it); a writer that
    // lives on is told its bytes went out.
    ssize_t r = real(fd, buf, n);
    return r < 0 && errno == EPIPE ? static_cast<ssize_t>(n) : r;
  }
  if (Is(Defect::kNoSigpipe) && NamedFifoFd(fd)) {
    sigset_t pipe_only, old;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_only, &old);
    ssize_t r = real(fd, buf, n);
    int saved = errno;
    if (r < 0 && saved == EPIPE) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_only, nullptr, &zero);  // swallow the SIGPIPE
    }
    sigprocmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return r;
  }
  if (Is(Defect::kWriteSplits) && n > 1 && NamedFifoFd(fd)) {
    // Two halves with a pause between them: other writers' data lands in the middle.
    ssize_t a = real(fd, buf, n / 2);
    if (a <= 0) return a;
    timespec pause{0, 50 * 1000};
    nanosleep(&pause, nullptr);  // the defect itself (a broken subject), not a wait of a test
    ssize_t b = real(fd, static_cast<const char*>(buf) + a, n - static_cast<size_t>(a));
    return b < 0 ? a : a + b;
  }
  return real(fd, buf, n);
}

off_t lseek(int fd, off_t offset, int whence) {
  static auto real = Real<off_t (*)(int, off_t, int)>("lseek");
  if (Is(Defect::kLseekWorksOnFifo) && NamedFifoFd(fd)) return 0;
  return real(fd, offset, whence);
}

long fpathconf(int fd, int name) {
  static auto real = Real<long (*)(int, int)>("fpathconf");
  if (name == _PC_PIPE_BUF && Is(Defect::kPipeBufTooSmall) && NamedFifoFd(fd)) return 256;
  if (name == _PC_PIPE_BUF && Is(Defect::kLegalPipeBuf512) && NamedFifoFd(fd)) return 512;
  return real(fd, name);
}

long pathconf(const char* path, int name) {
  static auto real = Real<long (*)(const char*, int)>("pathconf");
  if (name == _PC_PIPE_BUF && Is(Defect::kPipeBufTooSmall) && FifoAt(AT_FDCWD, path)) return 256;
  if (name == _PC_PIPE_BUF && Is(Defect::kLegalPipeBuf512) && FifoAt(AT_FDCWD, path)) return 512;
  return real(path, name);
}

int stat(const char* path, struct stat* st) {
  static auto real = Real<int (*)(const char*, struct stat*)>("stat");
  return StatDefect(real(path, st), st);
}

int fstat(int fd, struct stat* st) {
  static auto real = Real<int (*)(int, struct stat*)>("fstat");
  return StatDefect(real(fd, st), st);
}

}  // extern "C"
