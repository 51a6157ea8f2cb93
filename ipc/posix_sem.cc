#include "ipc/posix_sem.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace ipc {
namespace {

std::string Octal(int mode) {
  char text[8];
  snprintf(text, sizeof text, "0%o", mode);
  return text;
}

}  // namespace

Result<bool> SemaphoreOps::Wait() const {
  int rc;
  do {
    rc = ::sem_wait(sem_);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error{Call("sem_wait"), errno};
  return true;
}

Result<bool> SemaphoreOps::TryWait() const {
  if (::sem_trywait(sem_) != 0) return Error{Call("sem_trywait"), errno};
  return true;
}

Result<bool> SemaphoreOps::WaitUntil(const timespec& deadline) const {
  int rc;
  do {
    rc = ::sem_timedwait(sem_, &deadline);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error{Call("sem_timedwait"), errno};
  return true;
}

Result<bool> SemaphoreOps::Post() const {
  if (::sem_post(sem_) != 0) return Error{Call("sem_post"), errno};
  return true;
}

Result<int> SemaphoreOps::Value() const {
  int value = 0;
  if (::sem_getvalue(sem_, &value) != 0) return Error{Call("sem_getvalue"), errno};
  return value;
}

Result<NamedSemaphore> NamedSemaphore::Create(const std::string& name, unsigned value, int mode) {
  sem_t* sem = ::sem_open(name.c_str(), O_CREAT | O_EXCL, static_cast<mode_t>(mode), value);
  if (sem == SEM_FAILED) {
    return Error{"sem_open(" + name + ", O_CREAT|O_EXCL, " + Octal(mode) + ", " +
                     std::to_string(value) + ")",
                 errno};
  }
  return NamedSemaphore(sem, name, true);
}

Result<NamedSemaphore> NamedSemaphore::Open(const std::string& name) {
  sem_t* sem = ::sem_open(name.c_str(), 0);
  if (sem == SEM_FAILED) return Error{"sem_open(" + name + ", 0)", errno};
  return NamedSemaphore(sem, name, false);
}

NamedSemaphore::NamedSemaphore(NamedSemaphore&& other) noexcept
    : SemaphoreOps(std::exchange(other.sem_, nullptr), std::move(other.what_)),
      name_(std::move(other.name_)),
      owns_name_(std::exchange(other.owns_name_, false)) {}

NamedSemaphore& NamedSemaphore::operator=(NamedSemaphore&& other) noexcept {
  if (this != &other) {
    Release();
    sem_ = std::exchange(other.sem_, nullptr);
    what_ = std::move(other.what_);
    name_ = std::move(other.name_);
    owns_name_ = std::exchange(other.owns_name_, false);
  }
  return *this;
}

NamedSemaphore::~NamedSemaphore() { Release(); }

void NamedSemaphore::Release() {
  if (sem_ != nullptr) ::sem_close(std::exchange(sem_, nullptr));
  if (owns_name_) ::sem_unlink(name_.c_str());
  owns_name_ = false;
}

Result<bool> NamedSemaphore::Unlink() {
  owns_name_ = false;  // whatever happens, the destructor must not unlink a name reused since
  if (::sem_unlink(name_.c_str()) != 0) return Error{"sem_unlink(" + name_ + ")", errno};
  return true;
}

Result<bool> NamedSemaphore::Close() {
  if (sem_ == nullptr) return true;
  if (::sem_close(std::exchange(sem_, nullptr)) != 0) return Error{Call("sem_close"), errno};
  return true;
}

Result<UnnamedSemaphore> UnnamedSemaphore::Create(unsigned value, Sharing sharing) {
  bool shared = sharing == Sharing::kProcesses;
  void* page = ::mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE,
                      (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    return Error{shared ? "mmap(MAP_SHARED|MAP_ANONYMOUS)" : "mmap(MAP_PRIVATE|MAP_ANONYMOUS)",
                 errno};
  }
  sem_t* sem = static_cast<sem_t*>(page);
  if (::sem_init(sem, shared ? 1 : 0, value) != 0) {
    int error = errno;
    ::munmap(page, sizeof(sem_t));
    return Error{
        "sem_init(pshared " + std::string(shared ? "1" : "0") + ", " + std::to_string(value) + ")",
        error};
  }
  return UnnamedSemaphore(sem, sharing);
}

UnnamedSemaphore::UnnamedSemaphore(UnnamedSemaphore&& other) noexcept
    : SemaphoreOps(std::exchange(other.sem_, nullptr), std::move(other.what_)),
      sharing_(other.sharing_) {}

UnnamedSemaphore& UnnamedSemaphore::operator=(UnnamedSemaphore&& other) noexcept {
  if (this != &other) {
    Release();
    sem_ = std::exchange(other.sem_, nullptr);
    what_ = std::move(other.what_);
    sharing_ = other.sharing_;
  }
  return *this;
}

UnnamedSemaphore::~UnnamedSemaphore() { Release(); }

void UnnamedSemaphore::Release() {
  if (sem_ == nullptr) return;
  ::sem_destroy(sem_);
  ::munmap(std::exchange(sem_, nullptr), sizeof(sem_t));
}

}  // namespace ipc
