// System V IPC keys (XBD <sys/ipc.h>, XSH ftok()): IPC_PRIVATE, or ftok() of a path and a
// project id. Also the hook through which the library reports each object it creates.
#ifndef IPCCONF_IPC_IPC_KEY_H_
#define IPCCONF_IPC_IPC_KEY_H_

#include <sys/ipc.h>
#include <sys/types.h>

#include <string>

#include "ipc/error.h"

namespace ipc {

class IpcKey {
 public:
  // A key that always makes a new object (IPC_PRIVATE).
  static IpcKey Private() { return IpcKey(IPC_PRIVATE); }
  // ftok(path, project_id): the same path and id give the same key while the file exists.
  static Result<IpcKey> FromPath(const std::string& path, int project_id);

  IpcKey() = default;
  key_t value() const { return key_; }
  bool is_private() const { return key_ == IPC_PRIVATE; }
  std::string Describe() const;  // "IPC_PRIVATE" or "key 0x4d05a3f1"

 private:
  explicit IpcKey(key_t key) : key_(key) {}
  key_t key_ = IPC_PRIVATE;
};

// The kinds of System V object, with the letters /proc/sysvipc and ipcs use.
enum class SysvKind : char { kSharedMemory = 'm', kSemaphoreSet = 's', kMessageQueue = 'q' };

// Called right after the library created an object (not when it merely got one): lets a test
// harness record what a run made, so that a run killed half-way can be cleaned up later.
using SysvCreationObserver = void (*)(SysvKind kind, int id);
void SetSysvCreationObserver(SysvCreationObserver observer);
void NotifySysvCreated(SysvKind kind, int id);

// Owner-only read/write: the default permission bits of objects the library creates.
inline constexpr int kOwnerReadWrite = 0600;

}  // namespace ipc

#endif  // IPCCONF_IPC_IPC_KEY_H_
