// The id of a System V object, removed (IPC_RMID) when its owner goes out of scope: objects
// outlive processes, so cleanup is by lifetime, not by a list someone has to remember.
#ifndef IPCCONF_IPC_SYSV_HANDLE_H_
#define IPCCONF_IPC_SYSV_HANDLE_H_

#include <sys/ipc.h>

#include <string>

#include "ipc/error.h"
#include "ipc/ipc_key.h"

namespace ipc {

class SysvHandle {
 public:
  SysvHandle() = default;
  SysvHandle(SysvKind kind, int id, bool owned) : kind_(kind), id_(id), owned_(owned) {}
  SysvHandle(SysvHandle&& other) noexcept { *this = std::move(other); }
  SysvHandle& operator=(SysvHandle&& other) noexcept;
  SysvHandle(const SysvHandle&) = delete;
  SysvHandle& operator=(const SysvHandle&) = delete;
  ~SysvHandle();

  int id() const { return id_; }
  bool owned() const { return owned_; }
  // IPC_RMID now (a shared memory segment goes at its last detach); ownership ends.
  Result<bool> Remove();
  // Stops owning: the object stays after this handle (e.g. a server hands it to a client).
  int Release();

 private:
  SysvKind kind_ = SysvKind::kSharedMemory;
  int id_ = -1;
  bool owned_ = false;
};

// The *get(2) flags as text, for error messages: "IPC_CREAT|IPC_EXCL|0600".
std::string GetFlagNames(int flags);
// Builds the Error of a failed *get: "semget(key 0x.., 2, IPC_CREAT|0600)".
Error GetError(const char* call, const IpcKey& key, long size, int flags, int error);

}  // namespace ipc

#endif  // IPCCONF_IPC_SYSV_HANDLE_H_
