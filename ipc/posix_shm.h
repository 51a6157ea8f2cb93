// POSIX shared memory objects (XSH shm_open(), shm_unlink(), ftruncate(), mmap(); man 7
// shm_overview): a named object, sized and mapped shared, as one value.
#ifndef IPCCONF_IPC_POSIX_SHM_H_
#define IPCCONF_IPC_POSIX_SHM_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <string>

#include "ipc/error.h"
#include "ipc/unique_fd.h"

namespace ipc {

// A MAP_SHARED mapping of a POSIX shared memory object, with the object's fd. The one that
// created the object also owns its name: when it goes, the name is shm_unlink'ed (the object
// itself lives on while other processes still map it). Every mapping is munmap'ed when its
// value goes.
class PosixSharedMemory {
 public:
  // shm_open(name, O_CREAT|O_EXCL|O_RDWR, mode), ftruncate(size), mmap(size, MAP_SHARED): a new
  // object of `size` bytes (read as zeros; mode masked by the umask). A failure undoes what was
  // done (the name is unlinked if this call made it).
  static Result<PosixSharedMemory> Create(const std::string& name, size_t size, mode_t mode = 0600);
  // shm_open(name, O_RDWR or O_RDONLY) of an existing object, mapped whole (its size by fstat)
  // with PROT_READ|PROT_WRITE or PROT_READ. Never unlinks the name. An object of size 0 is
  // opened but not mapped (bytes() is null).
  static Result<PosixSharedMemory> Open(const std::string& name, bool writable = true);

  PosixSharedMemory() = default;
  PosixSharedMemory(PosixSharedMemory&& other) noexcept { *this = std::move(other); }
  PosixSharedMemory& operator=(PosixSharedMemory&& other) noexcept;
  PosixSharedMemory(const PosixSharedMemory&) = delete;
  PosixSharedMemory& operator=(const PosixSharedMemory&) = delete;
  ~PosixSharedMemory() { Reset(); }

  const std::string& name() const { return name_; }
  int fd() const { return fd_.get(); }
  char* bytes() const { return static_cast<char*>(address_); }
  size_t size() const { return size_; }
  // Whether this value unlinks the name when it goes.
  bool owns_name() const { return owns_name_; }

  // fstat() of the object: its size (st_size), mode, owner.
  Result<struct stat> Stat() const;
  // shm_unlink() of the name now (the mapping stays usable); the value no longer owns the name.
  Result<bool> Unlink();
  // Gives up the name: it is no longer unlinked by this value.
  void ReleaseName() { owns_name_ = false; }

 private:
  void Reset();
  std::string name_;
  UniqueFd fd_;
  void* address_ = nullptr;
  size_t size_ = 0;
  bool owns_name_ = false;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_POSIX_SHM_H_
