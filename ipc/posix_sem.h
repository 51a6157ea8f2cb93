// POSIX semaphores (XSH sem_open(), sem_close(), sem_unlink(), sem_init(), sem_destroy(),
// sem_wait(), sem_trywait(), sem_timedwait(), sem_post(), sem_getvalue(); man 7 sem_overview):
// a named semaphore and an unnamed one in memory of its own, each released by its lifetime.
#ifndef IPCCONF_IPC_POSIX_SEM_H_
#define IPCCONF_IPC_POSIX_SEM_H_

#include <semaphore.h>
#include <time.h>

#include <string>

#include "ipc/error.h"
#include "ipc/ipc_key.h"

namespace ipc {

// The operations common to both kinds, on a semaphore someone else owns.
class SemaphoreOps {
 public:
  sem_t* get() const { return sem_; }
  // sem_wait(), started again after a signal handler interrupts it (EINTR).
  Result<bool> Wait() const;
  // sem_trywait(): fails with EAGAIN when the value is 0.
  Result<bool> TryWait() const;
  // sem_timedwait(): fails with ETIMEDOUT once CLOCK_REALTIME reaches `deadline`.
  Result<bool> WaitUntil(const timespec& deadline) const;
  // sem_post(): fails with EOVERFLOW at SEM_VALUE_MAX (Linux).
  Result<bool> Post() const;
  // sem_getvalue(): the value (0, not minus the waiters, on Linux when some wait).
  Result<int> Value() const;

 protected:
  SemaphoreOps() = default;
  SemaphoreOps(sem_t* sem, std::string what) : sem_(sem), what_(std::move(what)) {}
  std::string Call(const char* function) const { return std::string(function) + "(" + what_ + ")"; }
  sem_t* sem_ = nullptr;
  std::string what_;  // how errors name the semaphore: its name, or "unnamed"
};

// A named semaphore: sem_close() when this object goes; the one that created the name also
// sem_unlink()s it then (unless Unlink() already did).
class NamedSemaphore : public SemaphoreOps {
 public:
  // sem_open(name, O_CREAT|O_EXCL, mode, value): a new semaphore; EEXIST if the name is taken.
  static Result<NamedSemaphore> Create(const std::string& name, unsigned value,
                                       int mode = kOwnerReadWrite);
  // sem_open(name, 0): the existing semaphore of that name (ENOENT if there is none); the name
  // is left alone when this object goes.
  static Result<NamedSemaphore> Open(const std::string& name);

  NamedSemaphore() = default;
  NamedSemaphore(NamedSemaphore&& other) noexcept;
  NamedSemaphore& operator=(NamedSemaphore&& other) noexcept;
  NamedSemaphore(const NamedSemaphore&) = delete;
  NamedSemaphore& operator=(const NamedSemaphore&) = delete;
  ~NamedSemaphore();

  const std::string& name() const { return name_; }
  bool owns_name() const { return owns_name_; }
  // sem_unlink() now: the name goes, this handle keeps working until it is closed.
  Result<bool> Unlink();
  // sem_close() now (the destructor then has nothing left to close).
  Result<bool> Close();

 private:
  NamedSemaphore(sem_t* sem, std::string name, bool owns_name)
      : SemaphoreOps(sem, name), name_(std::move(name)), owns_name_(owns_name) {}
  void Release();
  std::string name_;
  bool owns_name_ = false;
};

// Who may use an unnamed semaphore (sem_init's pshared) and the memory it lives in.
enum class Sharing {
  kProcesses,  // pshared 1 in an mmap(MAP_SHARED|MAP_ANONYMOUS) page: forked children share it
  kThreads,    // pshared 0 in an mmap(MAP_PRIVATE|MAP_ANONYMOUS) page: fork copies it
};

// An unnamed semaphore in a page of its own: sem_destroy() and munmap() when this object goes.
class UnnamedSemaphore : public SemaphoreOps {
 public:
  static Result<UnnamedSemaphore> Create(unsigned value, Sharing sharing = Sharing::kProcesses);

  UnnamedSemaphore() = default;
  UnnamedSemaphore(UnnamedSemaphore&& other) noexcept;
  UnnamedSemaphore& operator=(UnnamedSemaphore&& other) noexcept;
  UnnamedSemaphore(const UnnamedSemaphore&) = delete;
  UnnamedSemaphore& operator=(const UnnamedSemaphore&) = delete;
  ~UnnamedSemaphore();

  Sharing sharing() const { return sharing_; }

 private:
  UnnamedSemaphore(sem_t* sem, Sharing sharing) : SemaphoreOps(sem, "unnamed"), sharing_(sharing) {}
  void Release();
  Sharing sharing_ = Sharing::kProcesses;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_POSIX_SEM_H_
