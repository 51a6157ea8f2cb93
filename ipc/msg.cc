#include "ipc/msg.h"

#include <cerrno>
#include <cstring>
#include <vector>

namespace ipc {
namespace {

// The buffer msgsnd/msgrcv expect: a long type followed by the bytes.
std::vector<char> Buffer(long type, size_t size) {
  std::vector<char> buf(sizeof(long) + size);
  memcpy(buf.data(), &type, sizeof type);
  return buf;
}

}  // namespace

Result<MessageQueue> MessageQueue::Create(IpcKey key, int mode) {
  int flags = IPC_CREAT | IPC_EXCL | (mode & 0777);
  int id = ::msgget(key.value(), flags);
  if (id < 0) return GetError("msgget", key, 0, flags, errno);
  NotifySysvCreated(SysvKind::kMessageQueue, id);
  return MessageQueue(SysvHandle(SysvKind::kMessageQueue, id, true));
}

Result<MessageQueue> MessageQueue::Get(IpcKey key, int flags) {
  int id = ::msgget(key.value(), flags);
  if (id < 0) return GetError("msgget", key, 0, flags, errno);
  return MessageQueue(SysvHandle(SysvKind::kMessageQueue, id, false));
}

Result<bool> MessageQueue::Send(long type, const std::string& body, int flags) const {
  std::vector<char> buf = Buffer(type, body.size());
  memcpy(buf.data() + sizeof(long), body.data(), body.size());
  int rc;
  do {
    rc = ::msgsnd(id(), buf.data(), body.size(), flags);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return Error{"msgsnd(" + std::to_string(id()) + ", type " + std::to_string(type) + ", " +
                     std::to_string(body.size()) + " bytes" +
                     (flags & IPC_NOWAIT ? ", IPC_NOWAIT)" : ")"),
                 errno};
  }
  return true;
}

Result<Message> MessageQueue::Receive(long type, size_t max_size, int flags) const {
  std::vector<char> buf = Buffer(0, max_size);
  ssize_t n;
  do {
    n = ::msgrcv(id(), buf.data(), max_size, type, flags);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return Error{"msgrcv(" + std::to_string(id()) + ", max " + std::to_string(max_size) +
                     ", type " + std::to_string(type) + ")",
                 errno};
  }
  Message m;
  memcpy(&m.type, buf.data(), sizeof(long));
  m.body.assign(buf.data() + sizeof(long), static_cast<size_t>(n));
  return m;
}

Result<msqid_ds> MessageQueue::Stat() const {
  msqid_ds ds{};
  if (::msgctl(id(), IPC_STAT, &ds) != 0) {
    return Error{"msgctl(" + std::to_string(id()) + ", IPC_STAT)", errno};
  }
  return ds;
}

Result<bool> MessageQueue::Set(msqid_ds* ds) const {
  if (::msgctl(id(), IPC_SET, ds) != 0) {
    return Error{"msgctl(" + std::to_string(id()) + ", IPC_SET)", errno};
  }
  return true;
}

Result<bool> MessageQueue::SetMode(int mode) const {
  auto ds = Stat();
  if (!ds.ok()) return ds.error();
  ds->msg_perm.mode = static_cast<unsigned short>(mode & 0777);
  return Set(&*ds);
}

Result<bool> MessageQueue::SetMaxBytes(size_t qbytes) const {
  auto ds = Stat();
  if (!ds.ok()) return ds.error();
  ds->msg_qbytes = qbytes;
  return Set(&*ds);
}

}  // namespace ipc
