// System V message queues (XSH msgget(), msgsnd(), msgrcv(), msgctl()).
#ifndef IPCCONF_IPC_MSG_H_
#define IPCCONF_IPC_MSG_H_

#include <sys/msg.h>

#include <string>

#include "ipc/error.h"
#include "ipc/ipc_key.h"
#include "ipc/sysv_handle.h"

namespace ipc {

struct Message {
  long type = 0;
  std::string body;
};

class MessageQueue {
 public:
  // msgget(key, IPC_CREAT|IPC_EXCL|mode): a new queue, removed when this object goes.
  static Result<MessageQueue> Create(IpcKey key, int mode = kOwnerReadWrite);
  // msgget(key, flags) on an existing queue.
  static Result<MessageQueue> Get(IpcKey key, int flags = 0);

  MessageQueue() = default;
  int id() const { return handle_.id(); }

  // msgsnd(): blocks while the queue is full unless flags has IPC_NOWAIT (then EAGAIN).
  Result<bool> Send(long type, const std::string& body, int flags = 0) const;
  Result<bool> TrySend(long type, const std::string& body) const {
    return Send(type, body, IPC_NOWAIT);
  }
  // msgrcv(): type 0 takes the first message, > 0 the first of that type, < 0 the first of the
  // lowest type <= |type|. Bodies longer than `max_size` fail with E2BIG unless MSG_NOERROR.
  Result<Message> Receive(long type, size_t max_size, int flags = 0) const;
  Result<Message> TryReceive(long type, size_t max_size) const {
    return Receive(type, max_size, IPC_NOWAIT);
  }

  Result<msqid_ds> Stat() const;
  Result<bool> SetMode(int mode) const;
  // IPC_SET of msg_qbytes, the most bytes the queue holds.
  Result<bool> SetMaxBytes(size_t qbytes) const;
  Result<bool> Remove() { return handle_.Remove(); }
  int Release() { return handle_.Release(); }

 private:
  explicit MessageQueue(SysvHandle handle) : handle_(std::move(handle)) {}
  Result<bool> Set(msqid_ds* ds) const;
  SysvHandle handle_;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_MSG_H_
