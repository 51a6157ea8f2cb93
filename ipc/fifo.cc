#include "ipc/fifo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace ipc {
namespace {

std::string OctalMode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0%o", static_cast<unsigned>(mode));
  return buf;
}

const char *Hint(int error) {
  switch (error) {
    case EEXIST:
      return "the path already exists; remove it or choose another name";
    case ENXIO:
      return "no process has the FIFO open for reading; start the reader first "
             "or open "
             "without O_NONBLOCK";
    case ENOENT:
      return "no such path; is the FIFO created yet (start the server first), or "
             "does a "
             "directory of the path not exist?";
    case ENOTDIR:
      return "a component of the path is not a directory";
    case EINTR:
      return "a signal arrived while waiting for the other end to open";
    case EACCES:
      return "permission denied by the mode of the FIFO or of a directory";
    default:
      return nullptr;
  }
}

}  // namespace

Result<Fifo> Fifo::Create(const std::string &path, mode_t mode) {
  if (::mkfifo(path.c_str(), mode) != 0) {
    return Error{"mkfifo(" + path + ", " + OctalMode(mode) + ")", errno};
  }
  return Fifo(path, true);
}

Fifo Fifo::Existing(const std::string &path) { return Fifo(path, false); }

Fifo::Fifo(Fifo &&other) noexcept { *this = std::move(other); }

Fifo &Fifo::operator=(Fifo &&other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    owns_ = other.owns_;
    other.owns_ = false;
  }
  return *this;
}

Fifo::~Fifo() { Remove(); }

Result<UniqueFd> Fifo::Open(int access, Wait wait) const {
  int flags = access | O_CLOEXEC | (wait == Wait::kNoWait ? O_NONBLOCK : 0);
  int fd = ::open(path_.c_str(), flags);
  if (fd < 0) {
    std::string how = access == O_RDONLY ? "O_RDONLY" : "O_WRONLY";
    if (wait == Wait::kNoWait) how += "|O_NONBLOCK";
    return Error{"open(" + path_ + ", " + how + ")", errno};
  }
  if (wait == Wait::kNoWait) {
    // O_NONBLOCK was only for the open: reads and writes on the end block as
    // usual.
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
      int saved = errno;
      ::close(fd);
      return Error{"fcntl(" + path_ + ", F_SETFL)", saved};
    }
  }
  return UniqueFd(fd);
}

Result<UniqueFd> Fifo::OpenForReading(Wait wait) const { return Open(O_RDONLY, wait); }

Result<UniqueFd> Fifo::OpenForWriting(Wait wait) const { return Open(O_WRONLY, wait); }

Result<bool> Fifo::Remove() {
  if (!owns_) return false;
  owns_ = false;
  if (::unlink(path_.c_str()) != 0) return Error{"unlink(" + path_ + ")", errno};
  return true;
}

std::string DescribeFifoError(const Error &e) {
  std::string s = e.Describe();
  if (const char *hint = Hint(e.error)) s += std::string(": ") + hint;
  return s;
}

}  // namespace ipc
