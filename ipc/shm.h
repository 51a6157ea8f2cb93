// System V shared memory (XSH shmget(), shmat(), shmdt(), shmctl(); man 2 shmget, man 2 shmop).
#ifndef IPCCONF_IPC_SHM_H_
#define IPCCONF_IPC_SHM_H_

#include <sys/shm.h>

#include <cstddef>

#include "ipc/error.h"
#include "ipc/ipc_key.h"
#include "ipc/sysv_handle.h"

namespace ipc {

// A mapping of a segment into this process; detaches itself.
class ShmAttachment {
 public:
  ShmAttachment() = default;
  ShmAttachment(void* address, size_t size) : address_(address), size_(size) {}
  ShmAttachment(ShmAttachment&& other) noexcept { *this = std::move(other); }
  ShmAttachment& operator=(ShmAttachment&& other) noexcept;
  ~ShmAttachment() { Detach(); }

  void* address() const { return address_; }
  char* bytes() const { return static_cast<char*>(address_); }
  size_t size() const { return size_; }
  // shmdt(); a no-op when not attached.
  Result<bool> Detach();

 private:
  void* address_ = nullptr;
  size_t size_ = 0;
};

class SharedMemory {
 public:
  // shmget(key, size, IPC_CREAT|IPC_EXCL|mode): a new segment, removed when this object goes.
  static Result<SharedMemory> Create(IpcKey key, size_t size, int mode = kOwnerReadWrite);
  // shmget(key, size, flags) on an existing segment (flags: permission bits requested).
  static Result<SharedMemory> Get(IpcKey key, size_t size = 0, int flags = 0);

  SharedMemory() = default;
  int id() const { return handle_.id(); }
  size_t size() const { return size_; }

  // shmat(id, nullptr, flags): flags 0 or SHM_RDONLY.
  Result<ShmAttachment> Attach(int flags = 0) const;
  Result<shmid_ds> Stat() const;
  // IPC_SET of the permission bits.
  Result<bool> SetMode(int mode) const;
  // IPC_RMID: the segment goes once the last process has detached.
  Result<bool> Remove() { return handle_.Remove(); }
  int Release() { return handle_.Release(); }

 private:
  SharedMemory(SysvHandle handle, size_t size) : handle_(std::move(handle)), size_(size) {}
  SysvHandle handle_;
  size_t size_ = 0;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_SHM_H_
