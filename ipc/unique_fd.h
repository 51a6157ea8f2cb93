// A file descriptor that closes itself.
#ifndef IPCCONF_IPC_UNIQUE_FD_H_
#define IPCCONF_IPC_UNIQUE_FD_H_

namespace ipc {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }
  // Gives up ownership without closing.
  int release();
  // Closes the current fd (if any) and takes `fd`. Returns close()'s result (0 if none).
  int reset(int fd = -1);

 private:
  int fd_ = -1;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_UNIQUE_FD_H_
