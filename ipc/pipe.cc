#include "ipc/pipe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace ipc {
namespace {

std::string FlagNames(int flags) {
  std::string s;
  auto add = [&](int f, const char* name) {
    if (flags & f) s += std::string(s.empty() ? "" : "|") + name;
  };
  add(O_CLOEXEC, "O_CLOEXEC");
  add(O_NONBLOCK, "O_NONBLOCK");
#ifdef O_DIRECT
  add(O_DIRECT, "O_DIRECT");
#endif
  return s.empty() ? "0" : s;
}

Result<bool> SetFlag(int fd, int flag, bool on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return Error{"fcntl(F_GETFL)", errno};
  int want = on ? (fl | flag) : (fl & ~flag);
  if (want != fl && fcntl(fd, F_SETFL, want) < 0) return Error{"fcntl(F_SETFL)", errno};
  return true;
}

}  // namespace

Result<Pipe> Pipe::Create(int flags) {
  int fds[2];
  if (flags == 0) {
    if (::pipe(fds) != 0) return Error{"pipe()", errno};
  } else if (::pipe2(fds, flags) != 0) {
    return Error{"pipe2(" + FlagNames(flags) + ")", errno};
  }
  return Pipe(fds[0], fds[1]);
}

Result<size_t> Pipe::Write(const void* data, size_t n) const {
  for (;;) {
    ssize_t w = ::write(write_.get(), data, n);
    if (w >= 0) return static_cast<size_t>(w);
    if (errno != EINTR) return Error{"write(pipe write end)", errno};
  }
}

Result<size_t> Pipe::Read(void* data, size_t n) const {
  for (;;) {
    ssize_t r = ::read(read_.get(), data, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return Error{"read(pipe read end)", errno};
  }
}

Result<size_t> Pipe::WriteAll(const void* data, size_t n) const {
  size_t done = 0;
  while (done < n) {
    Result<size_t> w = Write(static_cast<const char*>(data) + done, n - done);
    if (!w) return w.error();
    done += *w;
  }
  return done;
}

Result<size_t> Pipe::ReadFull(void* data, size_t n) const {
  size_t done = 0;
  while (done < n) {
    Result<size_t> r = Read(static_cast<char*>(data) + done, n - done);
    if (!r) return r.error();
    if (*r == 0) break;
    done += *r;
  }
  return done;
}

Result<bool> Pipe::SetNonBlocking(bool on) const {
  for (int fd : {read_.get(), write_.get()}) {
    if (fd < 0) continue;
    Result<bool> r = SetFlag(fd, O_NONBLOCK, on);
    if (!r) return r;
  }
  return true;
}

}  // namespace ipc
