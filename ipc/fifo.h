// A named pipe (man 7 fifo, man 3 mkfifo): a node in the file system through
// which unrelated processes that know only its path open the two ends of one
// pipe.
#ifndef IPCCONF_IPC_FIFO_H_
#define IPCCONF_IPC_FIFO_H_

#include <sys/types.h>

#include <string>

#include "ipc/error.h"
#include "ipc/unique_fd.h"

namespace ipc {

class Fifo {
 public:
  // Whether an open waits for the other end (man 7 fifo: "Normally, opening the
  // FIFO blocks until the other end is opened also").
  enum class Wait { kForPeer, kNoWait };

  // mkfifo(path, mode); the process umask is applied by the system, as for any
  // new file. The Fifo owns the node: its destructor removes it. EEXIST if the
  // path exists (FIFO or not).
  static Result<Fifo> Create(const std::string &path, mode_t mode = 0600);
  // A FIFO someone else created: this object opens it but never removes it.
  static Fifo Existing(const std::string &path);

  Fifo() = default;
  Fifo(Fifo &&other) noexcept;
  Fifo &operator=(Fifo &&other) noexcept;
  Fifo(const Fifo &) = delete;
  Fifo &operator=(const Fifo &) = delete;
  ~Fifo();

  const std::string &path() const { return path_; }
  bool owns_node() const { return owns_; }

  // open(O_RDONLY): kForPeer blocks until a writer opens; kNoWait returns at
  // once.
  Result<UniqueFd> OpenForReading(Wait wait = Wait::kForPeer) const;
  // open(O_WRONLY): kForPeer blocks until a reader opens; kNoWait fails with
  // ENXIO if no process has the FIFO open for reading. A blocked open
  // interrupted by a signal fails with EINTR (not retried: the caller decides
  // whether a signal ends the wait).
  Result<UniqueFd> OpenForWriting(Wait wait = Wait::kForPeer) const;

  // Unlinks the node now (ends already open keep working). Only an owner
  // removes.
  Result<bool> Remove();
  // Gives up ownership: the node stays after this object is gone.
  void Release() { owns_ = false; }

 private:
  Fifo(std::string path, bool owns) : path_(std::move(path)), owns_(owns) {}
  Result<UniqueFd> Open(int access, Wait wait) const;
  std::string path_;
  bool owns_ = false;
};

// Error::Describe() plus what the errno means for a FIFO and what to do about
// it, e.g. "open(/tmp/f, O_WRONLY|O_NONBLOCK): No such device or address (errno
// 6): no process has the FIFO open for reading; start the reader first or open
// without O_NONBLOCK".
std::string DescribeFifoError(const Error &e);

}  // namespace ipc

#endif  // IPCCONF_IPC_FIFO_H_
