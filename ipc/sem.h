// System V semaphore sets (XSH semget(), semop(), semctl(); man 2 semop for semtimedop).
#ifndef IPCCONF_IPC_SEM_H_
#define IPCCONF_IPC_SEM_H_

#include <sys/sem.h>
#include <time.h>

#include <vector>

#include "ipc/error.h"
#include "ipc/ipc_key.h"
#include "ipc/sysv_handle.h"

namespace ipc {

class SemaphoreSet {
 public:
  // semget(key, nsems, IPC_CREAT|IPC_EXCL|mode): a new set, removed when this object goes.
  static Result<SemaphoreSet> Create(IpcKey key, int nsems, int mode = kOwnerReadWrite);
  // semget(key, nsems, flags) on an existing set.
  static Result<SemaphoreSet> Get(IpcKey key, int nsems = 0, int flags = 0);

  SemaphoreSet() = default;
  int id() const { return handle_.id(); }

  // semop() of several operations, all applied or none. flags in each sembuf.
  Result<bool> Apply(std::vector<sembuf> ops) const;
  // semtimedop(): fails with EAGAIN when `timeout` passes first.
  Result<bool> ApplyWithin(std::vector<sembuf> ops, const timespec& timeout) const;
  // P (wait: -1) and V (signal: +1) on semaphore `num`; flags: SEM_UNDO, IPC_NOWAIT.
  Result<bool> P(int num, int flags = 0) const { return Apply({Op(num, -1, flags)}); }
  Result<bool> V(int num, int flags = 0) const { return Apply({Op(num, +1, flags)}); }
  static sembuf Op(int num, int delta, int flags = 0);

  Result<int> Value(int num) const;                          // GETVAL
  Result<bool> SetValue(int num, int value) const;           // SETVAL
  Result<std::vector<unsigned short>> Values() const;        // GETALL
  Result<bool> SetValues(std::vector<unsigned short> values) const;  // SETALL
  Result<int> WaitingForIncrease(int num) const;             // GETNCNT
  Result<int> WaitingForZero(int num) const;                 // GETZCNT
  Result<int> LastPid(int num) const;                        // GETPID

  Result<semid_ds> Stat() const;
  Result<bool> SetMode(int mode) const;
  Result<bool> Remove() { return handle_.Remove(); }
  int Release() { return handle_.Release(); }

 private:
  explicit SemaphoreSet(SysvHandle handle) : handle_(std::move(handle)) {}
  Result<int> Control(int num, int cmd, const char* name, void* arg = nullptr) const;
  SysvHandle handle_;
};

}  // namespace ipc

#endif  // IPCCONF_IPC_SEM_H_
