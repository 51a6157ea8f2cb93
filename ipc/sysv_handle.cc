#include "ipc/sysv_handle.h"

#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdio>

namespace ipc {

SysvHandle& SysvHandle::operator=(SysvHandle&& other) noexcept {
  if (this != &other) {
    if (owned_) Remove();
    kind_ = other.kind_;
    id_ = other.id_;
    owned_ = other.owned_;
    other.id_ = -1;
    other.owned_ = false;
  }
  return *this;
}

SysvHandle::~SysvHandle() {
  if (owned_) Remove();
}

Result<bool> SysvHandle::Remove() {
  owned_ = false;
  int rc = -1;
  const char* call = "";
  switch (kind_) {
    case SysvKind::kSharedMemory:
      rc = ::shmctl(id_, IPC_RMID, nullptr);
      call = "shmctl";
      break;
    case SysvKind::kSemaphoreSet:
      rc = ::semctl(id_, 0, IPC_RMID);
      call = "semctl";
      break;
    case SysvKind::kMessageQueue:
      rc = ::msgctl(id_, IPC_RMID, nullptr);
      call = "msgctl";
      break;
  }
  if (rc != 0) return Error{std::string(call) + "(" + std::to_string(id_) + ", IPC_RMID)", errno};
  return true;
}

int SysvHandle::Release() {
  owned_ = false;
  return id_;
}

std::string GetFlagNames(int flags) {
  std::string s;
  if (flags & IPC_CREAT) s += "IPC_CREAT|";
  if (flags & IPC_EXCL) s += "IPC_EXCL|";
  char mode[8];
  snprintf(mode, sizeof mode, "0%o", flags & 0777);
  return s + mode;
}

Error GetError(const char* call, const IpcKey& key, long size, int flags, int error) {
  return Error{std::string(call) + "(" + key.Describe() + ", " + std::to_string(size) + ", " +
                   GetFlagNames(flags) + ")",
               error};
}

}  // namespace ipc
