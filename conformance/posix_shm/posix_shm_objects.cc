#include "conformance/posix_shm/posix_shm_objects.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_shm {

ShmName::ShmName(const std::string& what) : name_(PosixIpcName(what)) {}

ShmName::~ShmName() { shm_unlink(name_.c_str()); }

Mapping::Mapping(Mapping&& other) noexcept { *this = std::move(other); }

Mapping& Mapping::operator=(Mapping&& other) noexcept {
  if (this != &other) {
    if (address_) munmap(address_, size_);
    address_ = other.address_;
    size_ = other.size_;
    other.address_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

Mapping::~Mapping() {
  if (address_) munmap(address_, size_);
}

Mapping MapShared(int fd, size_t size) {
  void* a = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED) {
    RecordBlocked(kNoMsyncNeeded, "mmap(" + std::to_string(size) +
                                      ", PROT_READ|PROT_WRITE, MAP_SHARED) of the object failed "
                                      "with " +
                                      ErrnoName(errno));
    return Mapping();
  }
  return Mapping(a, size);
}

long SizeOf(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    RecordBlocked(kFtruncateSetsSize, "fstat() of the object failed with " + ErrnoName(errno));
    return -1;
  }
  return static_cast<long>(st.st_size);
}

ipc::UniqueFd CreateSized(const ShmName& name, size_t size, mode_t mode) {
  ipc::UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, mode));
  if (!fd) {
    RecordBlocked(kCreatNewEmpty, "shm_open(" + name.str() + ", O_CREAT|O_EXCL|O_RDWR, " +
                                      Octal(mode) + ") of a fresh name failed with " +
                                      ErrnoName(errno));
    return fd;
  }
  if (ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    RecordBlocked(kFtruncateSetsSize, "ftruncate(" + std::to_string(size) +
                                          ") of a new object failed with " + ErrnoName(errno));
    return ipc::UniqueFd();
  }
  long got = SizeOf(fd.get());
  if (got != static_cast<long>(size)) {
    if (got >= 0) {
      RecordBlocked(kFtruncateSetsSize, "after ftruncate(" + std::to_string(size) +
                                            ") fstat reports st_size " + std::to_string(got));
    }
    return ipc::UniqueFd();
  }
  return fd;
}

bool MappingsShare(int fd, size_t size) {
  Mapping one = MapShared(fd, size);
  if (!one) return false;
  Mapping two = MapShared(fd, size);
  if (!two) return false;
  // One byte, flipped and put back: the object's bytes are as before.
  const char saved = one.bytes()[0];
  one.bytes()[0] = static_cast<char>(saved ^ 0x5a);
  bool shared = two.bytes()[0] == one.bytes()[0];
  one.bytes()[0] = saved;
  if (!shared) {
    RecordBlocked(kNoMsyncNeeded,
                  "a store through one MAP_SHARED mapping is not seen through a second one");
  }
  return shared;
}

size_t FirstNotEqual(const char* bytes, size_t n, char value) {
  for (size_t i = 0; i < n; ++i) {
    if (bytes[i] != value) return i;
  }
  return n;
}

std::string Octal(unsigned mode) {
  char text[16];
  snprintf(text, sizeof text, "0%o", mode);
  return text;
}

bool BecomeNobody() {
  return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

}  // namespace ipcconf::posix_shm
