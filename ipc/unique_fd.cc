#include "ipc/unique_fd.h"

#include <unistd.h>

namespace ipc {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

int UniqueFd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

int UniqueFd::reset(int fd) {
  int rc = 0;
  // close() is not retried on EINTR: on Linux the fd is released either way (man 2 close).
  if (fd_ >= 0 && fd_ != fd) rc = ::close(fd_);
  fd_ = fd;
  return rc;
}

}  // namespace ipc
