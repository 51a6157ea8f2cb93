#include "harness/syscall.h"

#include <cerrno>
#include <cstring>

namespace ipcconf {

std::string ErrnoName(int error) {
  // strerrorname_np is glibc >= 2.32 only; musl and older ports lack it.
  static const struct {
    int value;
    const char* name;
  } kNames[] = {
      {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},     {EINTR, "EINTR"},
      {EIO, "EIO"},       {ENXIO, "ENXIO"},     {E2BIG, "E2BIG"},     {EBADF, "EBADF"},
      {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},   {EACCES, "EACCES"},
      {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},   {ENOTDIR, "ENOTDIR"},
      {EISDIR, "EISDIR"}, {EINVAL, "EINVAL"},   {ENFILE, "ENFILE"},   {EMFILE, "EMFILE"},
      {EFBIG, "EFBIG"},   {ENOSPC, "ENOSPC"},   {ESPIPE, "ESPIPE"},   {EROFS, "EROFS"},
      {EPIPE, "EPIPE"},   {ERANGE, "ERANGE"},   {ENOSYS, "ENOSYS"},   {ENOMSG, "ENOMSG"},
      {EIDRM, "EIDRM"},   {ENOTSUP, "ENOTSUP"}, {ETIMEDOUT, "ETIMEDOUT"},
      {ENAMETOOLONG, "ENAMETOOLONG"},
  };
  for (const auto& n : kNames) {
    if (n.value == error) return std::string(n.name) + " (" + std::strerror(error) + ")";
  }
  return "errno " + std::to_string(error) + " (" + std::strerror(error) + ")";
}

void PrintTo(const SyscallResult& r, std::ostream* os) {
  *os << r.call << " returned " << r.value;
  if (r.value == -1) *os << ", errno " << ErrnoName(r.error);
}

}  // namespace ipcconf
