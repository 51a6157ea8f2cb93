// POSIX message queues (XSH mq_open(), mq_send(), mq_receive(), mq_getattr(), mq_setattr(),
// mq_unlink(); man 7 mq_overview). Linked with -lrt on an older glibc.
#ifndef IPCCONF_IPC_POSIX_MQ_H_
#define IPCCONF_IPC_POSIX_MQ_H_

#include <fcntl.h>
#include <mqueue.h>

#include <string>

#include "ipc/error.h"

namespace ipc {

struct PosixMessage {
  std::string body;
  unsigned priority = 0;
};

// Owns one message queue descriptor (mq_close when it goes). A queue made by Create also owns
// its name: the destructor mq_unlinks it, so a test or a program leaves nothing behind.
class PosixMessageQueue {
 public:
  // mq_open(name, O_CREAT|O_EXCL|flags, mode, {max_messages, message_size}): a new queue whose
  // name is unlinked when this object goes. `flags` adds O_RDONLY/O_WRONLY (default O_RDWR)
  // and O_NONBLOCK.
  static Result<PosixMessageQueue> Create(const std::string& name, long max_messages,
                                          long message_size, int flags = O_RDWR, int mode = 0600);
  // mq_open(name, flags) of an existing queue; the name is not owned.
  static Result<PosixMessageQueue> Open(const std::string& name, int flags = O_RDWR);

  PosixMessageQueue() = default;
  PosixMessageQueue(PosixMessageQueue&& other) noexcept;
  PosixMessageQueue& operator=(PosixMessageQueue&& other) noexcept;
  PosixMessageQueue(const PosixMessageQueue&) = delete;
  PosixMessageQueue& operator=(const PosixMessageQueue&) = delete;
  ~PosixMessageQueue();

  bool valid() const { return mqd_ != static_cast<mqd_t>(-1); }
  mqd_t descriptor() const { return mqd_; }
  const std::string& name() const { return name_; }
  bool owns_name() const { return owns_name_; }

  // mq_send(): blocks while the queue is full unless O_NONBLOCK (then EAGAIN); a body longer
  // than mq_msgsize fails with EMSGSIZE. Retried on EINTR.
  Result<bool> Send(const std::string& body, unsigned priority = 0) const;
  // mq_receive() into a buffer of mq_msgsize bytes: the oldest message of the highest priority.
  Result<PosixMessage> Receive() const;
  // mq_getattr(): mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs.
  Result<mq_attr> Attributes() const;
  // mq_setattr() of O_NONBLOCK (the only attribute it changes).
  Result<bool> SetNonBlocking(bool nonblocking) const;
  // mq_unlink() now: the name goes, this descriptor keeps working; the name is no longer owned.
  Result<bool> Unlink();
  // Closes the descriptor now (the name, if owned, is kept owned and unlinked at destruction).
  Result<bool> Close();

 private:
  PosixMessageQueue(mqd_t mqd, std::string name, bool owns_name)
      : mqd_(mqd), name_(std::move(name)), owns_name_(owns_name) {}
  void Reset();
  mqd_t mqd_ = static_cast<mqd_t>(-1);
  std::string name_;
  bool owns_name_ = false;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_POSIX_MQ_H_
