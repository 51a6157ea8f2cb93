#include "ipc/shm.h"

#include <cerrno>

namespace ipc {

ShmAttachment& ShmAttachment::operator=(ShmAttachment&& other) noexcept {
  if (this != &other) {
    Detach();
    address_ = other.address_;
    size_ = other.size_;
    other.address_ = nullptr;
  }
  return *this;
}

Result<bool> ShmAttachment::Detach() {
  if (!address_) return true;
  void* a = address_;
  address_ = nullptr;
  if (::shmdt(a) != 0) return Error{"shmdt()", errno};
  return true;
}

Result<SharedMemory> SharedMemory::Create(IpcKey key, size_t size, int mode) {
  int flags = IPC_CREAT | IPC_EXCL | (mode & 0777);
  int id = ::shmget(key.value(), size, flags);
  if (id < 0) return GetError("shmget", key, static_cast<long>(size), flags, errno);
  NotifySysvCreated(SysvKind::kSharedMemory, id);
  return SharedMemory(SysvHandle(SysvKind::kSharedMemory, id, true), size);
}

Result<SharedMemory> SharedMemory::Get(IpcKey key, size_t size, int flags) {
  int id = ::shmget(key.value(), size, flags);
  if (id < 0) return GetError("shmget", key, static_cast<long>(size), flags, errno);
  SharedMemory shm(SysvHandle(SysvKind::kSharedMemory, id, false), size);
  auto st = shm.Stat();
  if (st.ok()) shm.size_ = st->shm_segsz;
  return shm;
}

Result<ShmAttachment> SharedMemory::Attach(int flags) const {
  void* a = ::shmat(id(), nullptr, flags);
  if (a == reinterpret_cast<void*>(-1)) {
    return Error{"shmat(" + std::to_string(id()) + (flags & SHM_RDONLY ? ", SHM_RDONLY)" : ")"),
                 errno};
  }
  return ShmAttachment(a, size_);
}

Result<shmid_ds> SharedMemory::Stat() const {
  shmid_ds ds{};
  if (::shmctl(id(), IPC_STAT, &ds) != 0) {
    return Error{"shmctl(" + std::to_string(id()) + ", IPC_STAT)", errno};
  }
  return ds;
}

Result<bool> SharedMemory::SetMode(int mode) const {
  auto ds = Stat();
  if (!ds.ok()) return ds.error();
  ds->shm_perm.mode = static_cast<unsigned short>(mode & 0777);
  if (::shmctl(id(), IPC_SET, &*ds) != 0) {
    return Error{"shmctl(" + std::to_string(id()) + ", IPC_SET)", errno};
  }
  return true;
}

}  // namespace ipc
