#include "ipc/ipc_key.h"

#include <cerrno>
#include <cstdio>

namespace ipc {
namespace {

SysvCreationObserver g_observer = nullptr;

}  // namespace

Result<IpcKey> IpcKey::FromPath(const std::string& path, int project_id) {
  key_t k = ::ftok(path.c_str(), project_id);
  if (k == -1) {
    return Error{"ftok(\"" + path + "\", " + std::to_string(project_id) + ")", errno};
  }
  return IpcKey(k);
}

std::string IpcKey::Describe() const {
  if (is_private()) return "IPC_PRIVATE";
  char buf[32];
  snprintf(buf, sizeof buf, "key 0x%08x", static_cast<unsigned>(key_));
  return buf;
}

void SetSysvCreationObserver(SysvCreationObserver observer) { g_observer = observer; }

void NotifySysvCreated(SysvKind kind, int id) {
  if (g_observer) g_observer(kind, id);
}

}  // namespace ipc
