#include "ipc/posix_shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace ipc {
namespace {

std::string Octal(mode_t mode) {
  char text[16];
  snprintf(text, sizeof text, "0%o", static_cast<unsigned>(mode));
  return text;
}

// mmap(size, prot, MAP_SHARED, fd, 0), or an Error naming the call.
Result<void*> MapShared(const std::string& name, int fd, size_t size, bool writable) {
  int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  void* a = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED) {
    return Error{"mmap(" + std::to_string(size) +
                     (writable ? ", PROT_READ|PROT_WRITE" : ", PROT_READ") + ", MAP_SHARED, " +
                     name + ")",
                 errno};
  }
  return a;
}

}  // namespace

PosixSharedMemory& PosixSharedMemory::operator=(PosixSharedMemory&& other) noexcept {
  if (this != &other) {
    Reset();
    name_ = std::move(other.name_);
    fd_ = std::move(other.fd_);
    address_ = other.address_;
    size_ = other.size_;
    owns_name_ = other.owns_name_;
    other.address_ = nullptr;
    other.size_ = 0;
    other.owns_name_ = false;
  }
  return *this;
}

void PosixSharedMemory::Reset() {
  if (address_) ::munmap(address_, size_);
  address_ = nullptr;
  size_ = 0;
  fd_.reset();
  if (owns_name_) ::shm_unlink(name_.c_str());
  owns_name_ = false;
}

Result<PosixSharedMemory> PosixSharedMemory::Create(const std::string& name, size_t size,
                                                    mode_t mode) {
  int fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, mode);
  if (fd < 0) {
    return Error{"shm_open(" + name + ", O_CREAT|O_EXCL|O_RDWR, " + Octal(mode) + ")", errno};
  }
  PosixSharedMemory shm;
  shm.name_ = name;
  shm.fd_.reset(fd);
  shm.owns_name_ = true;  // from here on, a failure unlinks the name again
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    return Error{"ftruncate(" + name + ", " + std::to_string(size) + ")", errno};
  }
  if (size > 0) {
    Result<void*> a = MapShared(name, fd, size, true);
    if (!a.ok()) return a.error();
    shm.address_ = *a;
    shm.size_ = size;
  }
  return shm;
}

Result<PosixSharedMemory> PosixSharedMemory::Open(const std::string& name, bool writable) {
  int fd = ::shm_open(name.c_str(), writable ? O_RDWR : O_RDONLY, 0);
  if (fd < 0) {
    return Error{"shm_open(" + name + (writable ? ", O_RDWR)" : ", O_RDONLY)"), errno};
  }
  PosixSharedMemory shm;
  shm.name_ = name;
  shm.fd_.reset(fd);
  Result<struct stat> st = shm.Stat();
  if (!st.ok()) return st.error();
  size_t size = static_cast<size_t>(st->st_size);
  if (size > 0) {
    Result<void*> a = MapShared(name, fd, size, writable);
    if (!a.ok()) return a.error();
    shm.address_ = *a;
    shm.size_ = size;
  }
  return shm;
}

Result<struct stat> PosixSharedMemory::Stat() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) return Error{"fstat(" + name_ + ")", errno};
  return st;
}

Result<bool> PosixSharedMemory::Unlink() {
  if (::shm_unlink(name_.c_str()) != 0) return Error{"shm_unlink(" + name_ + ")", errno};
  owns_name_ = false;
  return true;
}

}  // namespace ipc
