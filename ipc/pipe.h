// An anonymous pipe (man 2 pipe, man 7 pipe): a read end and a write end, each closing itself.
#ifndef IPCCONF_IPC_PIPE_H_
#define IPCCONF_IPC_PIPE_H_

#include <sys/types.h>

#include "ipc/error.h"
#include "ipc/unique_fd.h"

namespace ipc {

class Pipe {
 public:
  // pipe(2) when flags == 0, pipe2(2) otherwise (O_CLOEXEC, O_NONBLOCK, O_DIRECT).
  static Result<Pipe> Create(int flags = 0);

  Pipe() = default;
  Pipe(Pipe&&) = default;
  Pipe& operator=(Pipe&&) = default;

  int read_end() const { return read_.get(); }
  int write_end() const { return write_.get(); }
  // Closing one end is how a process says it is done with that direction.
  void CloseReadEnd() { read_.reset(); }
  void CloseWriteEnd() { write_.reset(); }
  // Hands an end over to the caller (e.g. before dup2 onto stdin in a child).
  UniqueFd TakeReadEnd() { return std::move(read_); }
  UniqueFd TakeWriteEnd() { return std::move(write_); }

  // One write()/read() call, retried on EINTR; the count, or an Error naming the call.
  Result<size_t> Write(const void* data, size_t n) const;
  Result<size_t> Read(void* data, size_t n) const;
  // Writes all of `data`, looping over partial writes.
  Result<size_t> WriteAll(const void* data, size_t n) const;
  // Reads until `n` bytes or end of file; returns how many were read.
  Result<size_t> ReadFull(void* data, size_t n) const;

  // Sets or clears O_NONBLOCK on both ends.
  Result<bool> SetNonBlocking(bool on) const;

 private:
  Pipe(int r, int w) : read_(r), write_(w) {}
  UniqueFd read_;
  UniqueFd write_;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_PIPE_H_
