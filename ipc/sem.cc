#include "ipc/sem.h"

#include <cerrno>
#include <string>

namespace ipc {
namespace {

// semctl's fourth argument; the caller must define it (XSH semctl()).
union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
};

std::string OpsText(const std::vector<sembuf>& ops) {
  std::string s = "{";
  for (const sembuf& op : ops) {
    if (s.size() > 1) s += ", ";
    s += "sem " + std::to_string(op.sem_num) + " op " + std::to_string(op.sem_op);
    if (op.sem_flg & SEM_UNDO) s += " SEM_UNDO";
    if (op.sem_flg & IPC_NOWAIT) s += " IPC_NOWAIT";
  }
  return s + "}";
}

}  // namespace

Result<SemaphoreSet> SemaphoreSet::Create(IpcKey key, int nsems, int mode) {
  int flags = IPC_CREAT | IPC_EXCL | (mode & 0777);
  int id = ::semget(key.value(), nsems, flags);
  if (id < 0) return GetError("semget", key, nsems, flags, errno);
  NotifySysvCreated(SysvKind::kSemaphoreSet, id);
  return SemaphoreSet(SysvHandle(SysvKind::kSemaphoreSet, id, true));
}

Result<SemaphoreSet> SemaphoreSet::Get(IpcKey key, int nsems, int flags) {
  int id = ::semget(key.value(), nsems, flags);
  if (id < 0) return GetError("semget", key, nsems, flags, errno);
  return SemaphoreSet(SysvHandle(SysvKind::kSemaphoreSet, id, false));
}

sembuf SemaphoreSet::Op(int num, int delta, int flags) {
  sembuf op{};
  op.sem_num = static_cast<unsigned short>(num);
  op.sem_op = static_cast<short>(delta);
  op.sem_flg = static_cast<short>(flags);
  return op;
}

Result<bool> SemaphoreSet::Apply(std::vector<sembuf> ops) const {
  int rc;
  do {
    rc = ::semop(id(), ops.data(), ops.size());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Error{"semop(" + std::to_string(id()) + ", " + OpsText(ops) + ")", errno};
  return true;
}

Result<bool> SemaphoreSet::ApplyWithin(std::vector<sembuf> ops, const timespec& timeout) const {
  if (::semtimedop(id(), ops.data(), ops.size(), &timeout) != 0) {
    return Error{"semtimedop(" + std::to_string(id()) + ", " + OpsText(ops) + ")", errno};
  }
  return true;
}

Result<int> SemaphoreSet::Control(int num, int cmd, const char* name, void* arg) const {
  SemArg a{};
  a.buf = static_cast<semid_ds*>(arg);
  int rc = ::semctl(id(), num, cmd, a);
  if (rc < 0) {
    return Error{"semctl(" + std::to_string(id()) + ", " + std::to_string(num) + ", " + name + ")",
                 errno};
  }
  return rc;
}

Result<int> SemaphoreSet::Value(int num) const { return Control(num, GETVAL, "GETVAL"); }

Result<bool> SemaphoreSet::SetValue(int num, int value) const {
  SemArg a{};
  a.val = value;
  if (::semctl(id(), num, SETVAL, a) != 0) {
    return Error{"semctl(" + std::to_string(id()) + ", " + std::to_string(num) + ", SETVAL, " +
                     std::to_string(value) + ")",
                 errno};
  }
  return true;
}

Result<std::vector<unsigned short>> SemaphoreSet::Values() const {
  auto st = Stat();
  if (!st.ok()) return st.error();
  std::vector<unsigned short> v(st->sem_nsems);
  auto rc = Control(0, GETALL, "GETALL", v.data());
  if (!rc.ok()) return rc.error();
  return v;
}

Result<bool> SemaphoreSet::SetValues(std::vector<unsigned short> values) const {
  auto rc = Control(0, SETALL, "SETALL", values.data());
  if (!rc.ok()) return rc.error();
  return true;
}

Result<int> SemaphoreSet::WaitingForIncrease(int num) const {
  return Control(num, GETNCNT, "GETNCNT");
}
Result<int> SemaphoreSet::WaitingForZero(int num) const { return Control(num, GETZCNT, "GETZCNT"); }
Result<int> SemaphoreSet::LastPid(int num) const { return Control(num, GETPID, "GETPID"); }

Result<semid_ds> SemaphoreSet::Stat() const {
  semid_ds ds{};
  auto rc = Control(0, IPC_STAT, "IPC_STAT", &ds);
  if (!rc.ok()) return rc.error();
  return ds;
}

Result<bool> SemaphoreSet::SetMode(int mode) const {
  auto ds = Stat();
  if (!ds.ok()) return ds.error();
  ds->sem_perm.mode = static_cast<unsigned short>(mode & 0777);
  auto rc = Control(0, IPC_SET, "IPC_SET", &*ds);
  if (!rc.ok()) return rc.error();
  return true;
}

}  // namespace ipc
