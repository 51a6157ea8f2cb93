// Errors of the ipc library: the failing call and errno, as a value.
#ifndef IPCCONF_IPC_ERROR_H_
#define IPCCONF_IPC_ERROR_H_

#include <string>

namespace ipc {

struct Error {
  std::string call;  // "pipe2(O_CLOEXEC)"
  int error = 0;     // errno
  std::string Describe() const;  // "pipe2(O_CLOEXEC): Too many open files (errno 24)"
};

// The value of a call that either produces T or fails with an Error.
template <typename T>
class Result {
 public:
  Result(T value) : ok_(true), value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error e) : ok_(false), error_(std::move(e)) {}      // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  T& value() { return value_; }
  T& operator*() { return value_; }
  T* operator->() { return &value_; }
  const Error& error() const { return error_; }

 private:
  bool ok_;
  T value_{};
  Error error_;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_ERROR_H_
