#include "ipc/posix_mq.h"

#include <cerrno>
#include <utility>
#include <vector>

namespace ipc {
namespace {

std::string OpenCall(const std::string& name, int flags) {
  std::string f = (flags & O_ACCMODE) == O_RDONLY   ? "O_RDONLY"
                  : (flags & O_ACCMODE) == O_WRONLY ? "O_WRONLY"
                                                    : "O_RDWR";
  if (flags & O_CREAT) f += "|O_CREAT";
  if (flags & O_EXCL) f += "|O_EXCL";
  if (flags & O_NONBLOCK) f += "|O_NONBLOCK";
  return "mq_open(" + name + ", " + f;
}

}  // namespace

Result<PosixMessageQueue> PosixMessageQueue::Create(const std::string& name, long max_messages,
                                                    long message_size, int flags, int mode) {
  mq_attr attr{};
  attr.mq_maxmsg = max_messages;
  attr.mq_msgsize = message_size;
  int all = flags | O_CREAT | O_EXCL;
  mqd_t mqd = ::mq_open(name.c_str(), all, static_cast<mode_t>(mode), &attr);
  if (mqd == static_cast<mqd_t>(-1)) {
    return Error{OpenCall(name, all) + ", " + std::to_string(max_messages) + " x " +
                     std::to_string(message_size) + " bytes)",
                 errno};
  }
  return PosixMessageQueue(mqd, name, true);
}

Result<PosixMessageQueue> PosixMessageQueue::Open(const std::string& name, int flags) {
  mqd_t mqd = ::mq_open(name.c_str(), flags);
  if (mqd == static_cast<mqd_t>(-1)) return Error{OpenCall(name, flags) + ")", errno};
  return PosixMessageQueue(mqd, name, false);
}

PosixMessageQueue::PosixMessageQueue(PosixMessageQueue&& other) noexcept
    : mqd_(std::exchange(other.mqd_, static_cast<mqd_t>(-1))),
      name_(std::move(other.name_)),
      owns_name_(std::exchange(other.owns_name_, false)) {}

PosixMessageQueue& PosixMessageQueue::operator=(PosixMessageQueue&& other) noexcept {
  if (this != &other) {
    Reset();
    mqd_ = std::exchange(other.mqd_, static_cast<mqd_t>(-1));
    name_ = std::move(other.name_);
    owns_name_ = std::exchange(other.owns_name_, false);
  }
  return *this;
}

PosixMessageQueue::~PosixMessageQueue() { Reset(); }

void PosixMessageQueue::Reset() {
  if (valid()) ::mq_close(mqd_);
  if (owns_name_) ::mq_unlink(name_.c_str());
  mqd_ = static_cast<mqd_t>(-1);
  owns_name_ = false;
}

Result<bool> PosixMessageQueue::Send(const std::string& body, unsigned priority) const {
  int rc;
  do {
    rc = ::mq_send(mqd_, body.data(), body.size(), priority);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    return Error{"mq_send(" + name_ + ", " + std::to_string(body.size()) + " bytes, priority " +
                     std::to_string(priority) + ")",
                 errno};
  }
  return true;
}

Result<PosixMessage> PosixMessageQueue::Receive() const {
  auto attr = Attributes();
  if (!attr) return attr.error();
  std::vector<char> buf(static_cast<size_t>(attr->mq_msgsize));
  PosixMessage m;
  ssize_t n;
  do {
    n = ::mq_receive(mqd_, buf.data(), buf.size(), &m.priority);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return Error{"mq_receive(" + name_ + ", " + std::to_string(buf.size()) + " bytes)", errno};
  }
  m.body.assign(buf.data(), static_cast<size_t>(n));
  return m;
}

Result<mq_attr> PosixMessageQueue::Attributes() const {
  mq_attr attr{};
  if (::mq_getattr(mqd_, &attr) != 0) return Error{"mq_getattr(" + name_ + ")", errno};
  return attr;
}

Result<bool> PosixMessageQueue::SetNonBlocking(bool nonblocking) const {
  mq_attr attr{};
  attr.mq_flags = nonblocking ? O_NONBLOCK : 0;
  if (::mq_setattr(mqd_, &attr, nullptr) != 0) {
    return Error{std::string("mq_setattr(") + name_ + (nonblocking ? ", O_NONBLOCK)" : ", 0)"),
                 errno};
  }
  return true;
}

Result<bool> PosixMessageQueue::Unlink() {
  if (::mq_unlink(name_.c_str()) != 0) return Error{"mq_unlink(" + name_ + ")", errno};
  owns_name_ = false;
  return true;
}

Result<bool> PosixMessageQueue::Close() {
  if (!valid()) return Error{"mq_close(" + name_ + ")", EBADF};
  mqd_t mqd = std::exchange(mqd_, static_cast<mqd_t>(-1));
  if (::mq_close(mqd) != 0) return Error{"mq_close(" + name_ + ")", errno};
  return true;
}

}  // namespace ipc
