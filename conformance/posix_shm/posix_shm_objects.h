// What the POSIX shared memory tests stand on: names that clean up after themselves, objects
// made and sized with the sizing checked, mappings that unmap themselves, and the probes that
// say "blocked by" when a facility a test only uses misbehaves.
#ifndef IPCCONF_CONFORMANCE_POSIX_SHM_POSIX_SHM_OBJECTS_H_
#define IPCCONF_CONFORMANCE_POSIX_SHM_POSIX_SHM_OBJECTS_H_

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "ipc/unique_fd.h"

namespace ipcconf::posix_shm {

// The catalog ids the probes name.
inline constexpr char kCreatNewEmpty[] = "POSIX_SHM.OPEN.CREAT_NEW_EMPTY";
inline constexpr char kFtruncateSetsSize[] = "POSIX_SHM.SIZE.FTRUNCATE_SETS_SIZE";
inline constexpr char kNewBytesZero[] = "POSIX_SHM.SIZE.NEW_BYTES_ZERO";
inline constexpr char kNoMsyncNeeded[] = "POSIX_SHM.SHARE.NO_MSYNC_NEEDED";
inline constexpr char kNameGoes[] = "POSIX_SHM.UNLINK.NAME_GOES";
inline constexpr char kMappingSurvives[] = "POSIX_SHM.UNLINK.MAPPING_SURVIVES";

// A name made with PosixIpcName (the leak guard knows it), shm_unlink'ed when it goes: declare
// it before the fds and mappings of its object, so that it goes last.
class ShmName {
 public:
  explicit ShmName(const std::string& what);
  ~ShmName();
  ShmName(const ShmName&) = delete;
  ShmName& operator=(const ShmName&) = delete;
  const char* c_str() const { return name_.c_str(); }
  const std::string& str() const { return name_; }

 private:
  std::string name_;
};

// A mapping that unmaps itself.
class Mapping {
 public:
  Mapping() = default;
  Mapping(void* address, size_t size) : address_(address), size_(size) {}
  Mapping(Mapping&& other) noexcept;
  Mapping& operator=(Mapping&& other) noexcept;
  ~Mapping();
  char* bytes() const { return static_cast<char*>(address_); }
  size_t size() const { return size_; }
  explicit operator bool() const { return address_ != nullptr; }

 private:
  void* address_ = nullptr;
  size_t size_ = 0;
};

// mmap(size, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); empty (and the test blocked by
// NO_MSYNC_NEEDED, the mapping facility) when it fails.
Mapping MapShared(int fd, size_t size);

// fstat(fd).st_size, or -1 (the test blocked by FTRUNCATE_SETS_SIZE, which fstat's size backs).
long SizeOf(int fd);

// shm_open(name, O_CREAT|O_EXCL|O_RDWR, mode) then ftruncate(size), checked with fstat. An
// invalid fd when either misbehaved: the test is then blocked by CREAT_NEW_EMPTY or
// FTRUNCATE_SETS_SIZE, saying what was seen.
ipc::UniqueFd CreateSized(const ShmName& name, size_t size, mode_t mode = 0600);

// Whether a store through one mapping of fd is seen through a second one; otherwise the test
// is blocked by NO_MSYNC_NEEDED (what every check through two mappings relies on).
bool MappingsShare(int fd, size_t size);

// The offset of the first byte that is not `value`, or n when all are.
size_t FirstNotEqual(const char* bytes, size_t n, char value);

// "0644".
std::string Octal(unsigned mode);

// Gives up root for uid/gid 65534 (nobody) in a child; false if this system does not allow it.
bool BecomeNobody();

}  // namespace ipcconf::posix_shm

#endif  // IPCCONF_CONFORMANCE_POSIX_SHM_POSIX_SHM_OBJECTS_H_
