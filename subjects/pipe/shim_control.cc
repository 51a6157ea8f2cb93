// libbroken_pipe.so: what a program asks about its pipes (fcntl, fpathconf) and how it waits
// for them (poll, ppoll, select, pselect), broken on request.
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "subjects/pipe/shim.h"

namespace brokenpipe {
namespace {

// small_pipe_buf: below the 512 bytes POSIX requires.
constexpr long kSmallPipeBuf = 256;

int BrokenFcntl(int fd, int cmd, void* arg) {
  auto real = [&]() { return Real().fcntl(fd, cmd, arg); };
  if ((cmd != F_GETPIPE_SZ && cmd != F_SETPIPE_SZ) || !IsSubjectPipe(fd)) return real();
  int size = static_cast<int>(reinterpret_cast<intptr_t>(arg));
  switch (g_defect) {
    case Defect::kGetpipeSzLies: {
      int r = real();
      return cmd == F_GETPIPE_SZ && r > 0 ? r / 2 : r;
    }
    case Defect::kSetpipeSzShort: {
      if (cmd != F_SETPIPE_SZ) return real();
      int r = Real().fcntl(fd, F_SETPIPE_SZ, std::max(size / 2, 4096));
      return r < 0 ? r : size;  // claims the size asked, holds half of it
    }
    case Defect::kSetpipeSzDropsData: {
      int r = real();
      while (cmd == F_SETPIPE_SZ && r < 0 && errno == EBUSY) {
        if (DiscardQueued(fd, 4096) == 0) break;  // shrinks by throwing bytes away
        r = real();
      }
      return r;
    }
    default:
      return real();
  }
}

int CountReady(const struct pollfd* fds, nfds_t n) {
  int ready = 0;
  for (nfds_t i = 0; i < n; ++i) ready += fds[i].revents != 0;
  return ready;
}

// Pipe ends in `fds` that the defect forces ready: read ends asked for POLLIN
// (poll_always_readable) or write ends asked for POLLOUT (poll_always_writable).
bool ForcedReady(const struct pollfd& p) {
  if (Is(Defect::kPollAlwaysReadable)) {
    return (p.events & POLLIN) && IsSubjectPipe(p.fd) && IsReadEnd(p.fd);
  }
  if (Is(Defect::kPollAlwaysWritable)) {
    return (p.events & POLLOUT) && IsSubjectPipe(p.fd) && IsWriteEnd(p.fd);
  }
  return false;
}

// `call(zero)` runs the real poll, with a zero timeout if `zero`.
template <typename Call>
int BrokenPoll(struct pollfd* fds, nfds_t n, bool timeout_is_zero, Call call) {
  bool any_pipe = false;
  for (nfds_t i = 0; i < n; ++i) any_pipe = any_pipe || IsSubjectPipe(fds[i].fd);
  if (!any_pipe) return call(false);
  switch (g_defect) {
    case Defect::kPollAlwaysReadable:
    case Defect::kPollAlwaysWritable: {
      bool forced = false;
      for (nfds_t i = 0; i < n; ++i) forced = forced || ForcedReady(fds[i]);
      if (!forced) return call(false);
      int r = call(true);
      if (r < 0) return r;
      short bit = Is(Defect::kPollAlwaysReadable) ? POLLIN : POLLOUT;
      for (nfds_t i = 0; i < n; ++i) {
        if (ForcedReady(fds[i])) fds[i].revents |= bit;
      }
      return CountReady(fds, n);
    }
    case Defect::kPollWakeupLost: {
      int r = call(true);
      if (r != 0 || timeout_is_zero) return r;
      r = call(false);  // sleeps; a pipe that wakes it is then reported as nothing
      if (r <= 0) return r;
      for (nfds_t i = 0; i < n; ++i) {
        if (IsSubjectPipe(fds[i].fd)) fds[i].revents = 0;
      }
      return CountReady(fds, n);
    }
    case Defect::kPollNoHup:
    case Defect::kPollNoErr: {
      int r = call(false);
      if (r <= 0) return r;
      short lost = Is(Defect::kPollNoHup) ? POLLHUP : POLLERR;
      for (nfds_t i = 0; i < n; ++i) {
        if (IsSubjectPipe(fds[i].fd)) fds[i].revents &= ~lost;
      }
      return CountReady(fds, n);
    }
    default:
      return call(false);
  }
}

int CountSet(int nfds, const fd_set* r, const fd_set* w, const fd_set* e) {
  int ready = 0;
  for (int fd = 0; fd < nfds; ++fd) {
    ready += (r && FD_ISSET(fd, r)) + (w && FD_ISSET(fd, w)) + (e && FD_ISSET(fd, e));
  }
  return ready;
}

// select() and pselect() share poll's readiness in the kernel, so the same defects show there.
template <typename Call>
int BrokenSelect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, Call call) {
  bool readable = Is(Defect::kPollAlwaysReadable);
  fd_set* forced_set = readable ? rd : Is(Defect::kPollAlwaysWritable) ? wr : nullptr;
  if (!forced_set) return call(false);
  fd_set forced;
  FD_ZERO(&forced);
  bool any = false;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE; ++fd) {
    if (FD_ISSET(fd, forced_set) && IsSubjectPipe(fd) &&
        (readable ? IsReadEnd(fd) : IsWriteEnd(fd))) {
      FD_SET(fd, &forced);
      any = true;
    }
  }
  if (!any) return call(false);
  int r = call(true);
  if (r < 0) return r;
  for (int fd = 0; fd < nfds && fd < FD_SETSIZE; ++fd) {
    if (FD_ISSET(fd, &forced)) FD_SET(fd, forced_set);
  }
  return CountSet(nfds, rd, wr, ex);
}

}  // namespace
}  // namespace brokenpipe

using brokenpipe::Broken;
using brokenpipe::Defect;
using brokenpipe::Is;
using brokenpipe::Real;

extern "C" int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);  // every command takes an int, a pointer or nothing
  va_end(ap);
  if (!Broken()) return Real().fcntl(fd, cmd, arg);
  return brokenpipe::BrokenFcntl(fd, cmd, arg);
}

extern "C" int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  return fcntl(fd, cmd, arg);
}

extern "C" long fpathconf(int fd, int name) {
  if (Is(Defect::kSmallPipeBuf) && name == _PC_PIPE_BUF && brokenpipe::IsSubjectPipe(fd)) {
    return brokenpipe::kSmallPipeBuf;
  }
  // Legal: a conservative PIPE_BUF of 512 (writes up to the real 4096 stay atomic anyway).
  if (Is(Defect::kLegalPipeBuf512) && name == _PC_PIPE_BUF && brokenpipe::IsSubjectPipe(fd)) {
    return 512;
  }
  return Real().fpathconf(fd, name);
}

extern "C" long pathconf(const char* path, int name) {
  struct stat st;
  if ((Is(Defect::kSmallPipeBuf) || Is(Defect::kLegalPipeBuf512)) && name == _PC_PIPE_BUF &&
      syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0 && S_ISFIFO(st.st_mode)) {
    return Is(Defect::kSmallPipeBuf) ? brokenpipe::kSmallPipeBuf : 512;
  }
  return Real().pathconf(path, name);
}

extern "C" int poll(struct pollfd* fds, nfds_t n, int timeout) {
  if (!Broken()) return Real().poll(fds, n, timeout);
  return brokenpipe::BrokenPoll(fds, n, timeout == 0,
                                [&](bool zero) { return Real().poll(fds, n, zero ? 0 : timeout); });
}

extern "C" int ppoll(struct pollfd* fds, nfds_t n, const struct timespec* timeout,
                     const sigset_t* mask) {
  if (!Broken()) return Real().ppoll(fds, n, timeout, mask);
  struct timespec none = {0, 0};
  bool zero = timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
  return brokenpipe::BrokenPoll(
      fds, n, zero, [&](bool z) { return Real().ppoll(fds, n, z ? &none : timeout, mask); });
}

extern "C" int select(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, struct timeval* timeout) {
  if (!Broken()) return Real().select(nfds, rd, wr, ex, timeout);
  struct timeval none = {0, 0};
  return brokenpipe::BrokenSelect(nfds, rd, wr, ex, [&](bool z) {
    return Real().select(nfds, rd, wr, ex, z ? &none : timeout);
  });
}

extern "C" int pselect(int nfds, fd_set* rd, fd_set* wr, fd_set* ex, const struct timespec* timeout,
                       const sigset_t* mask) {
  if (!Broken()) return Real().pselect(nfds, rd, wr, ex, timeout, mask);
  struct timespec none = {0, 0};
  return brokenpipe::BrokenSelect(nfds, rd, wr, ex, [&](bool z) {
    return Real().pselect(nfds, rd, wr, ex, z ? &none : timeout, mask);
  });
}
