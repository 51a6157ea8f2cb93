#include "conformance/sysv/sysv_probes.h"

#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cstring>

#include "conformance/sysv/sysv_kinds.h"
#include "harness/syscall.h"

namespace ipcconf {
namespace {

constexpr char kSetvalGetval[] = "SYSV.SEM.SETVAL_GETVAL";
constexpr char kV[] = "SYSV.SEM.V_WAKES_ONE_WAITER";
constexpr char kP[] = "SYSV.SEM.P_ON_ZERO_BLOCKS";

// A scratch object is made on a key of its own, not IPC_PRIVATE: a subject that maps IPC_PRIVATE
// onto one object would make it the test's own. A scratch object a probe could not make says
// nothing about the facility: no fault (the test's own calls meet the same trouble). The project
// id is the kind's letter: where IPC_RMID fails, a scratch object outlives its file, and the next
// probe's file may get the same inode (the same ftok key but for the project id).
int Scratch(ipc::SysvKind kind, const KeyFile& file) {
  key_t key = file.Key(static_cast<char>(kind));
  const SysvKindOps& ops = OpsOf(kind);
  return key == -1 ? -1 : ops.get(key, ops.default_size, IPC_CREAT | IPC_EXCL | 0600);
}

}  // namespace

Fault SemFault(int facilities) {
  KeyFile file;
  int id = Scratch(ipc::SysvKind::kSemaphoreSet, file);
  if (id < 0) return {};
  auto owner = Own(ipc::SysvKind::kSemaphoreSet, id);
  auto set_and_read = [&](int value) {
    semctl(id, 0, SETVAL, value);
    return semctl(id, 0, GETVAL);
  };
  // V and P are read back with GETVAL: the value commands are probed first whatever is asked.
  long got = set_and_read(3);
  if (got != 3) {
    return {kSetvalGetval, "a scratch semaphore set to 3 with SETVAL reads " +
                               std::to_string(got) + " with GETVAL"};
  }
  // With IPC_NOWAIT: the value allows both operations, a correct set does them at once.
  auto op = [&](int delta) {
    return CallAtOnce("semop(scratch semaphore, " + std::to_string(delta) + ", IPC_NOWAIT)",
                      [&]() -> long {
                        sembuf o{0, static_cast<short>(delta), IPC_NOWAIT};
                        return semop(id, &o, 1);
                      });
  };
  if (facilities & kSemV) {
    set_and_read(0);
    long rc = op(+1);
    got = semctl(id, 0, GETVAL);
    if (rc != 0 || got != 1) {
      return {kV, "a V (+1) on a scratch semaphore of value 0 returned " + std::to_string(rc) +
                      " and left the value " + std::to_string(got) + ", not 1"};
    }
  }
  if (facilities & kSemP) {
    set_and_read(1);
    long rc = op(-1);
    got = semctl(id, 0, GETVAL);
    if (rc != 0 || got != 0) {
      return {kP, "a P (-1) on a scratch semaphore of value 1 returned " + std::to_string(rc) +
                      " and left the value " + std::to_string(got) + ", not 0"};
    }
  }
  return {};
}

Fault ShmFault(int facilities) {
  KeyFile file;
  int id = Scratch(ipc::SysvKind::kSharedMemory, file);
  if (id < 0) return {};
  auto owner = Own(ipc::SysvKind::kSharedMemory, id);
  const std::string kShared = "SYSV.SHM.BYTES_SHARED";
  char* a = static_cast<char*>(ShmatAfterProbe(id, 0));
  if (a == reinterpret_cast<char*>(-1)) {
    return {kShared, "shmat of a scratch segment failed: " + ErrnoName(errno)};
  }
  char* b = static_cast<char*>(ShmatAfterProbe(id, 0));
  if (b == reinterpret_cast<char*>(-1)) {
    shmdt(a);
    return {kShared, "a second shmat of a scratch segment failed: " + ErrnoName(errno)};
  }
  strcpy(a, "probe");
  bool shared = strcmp(b, "probe") == 0;
  Fault fault;
  if (!shared) {
    fault = {kShared, "two attaches of one scratch segment in this process do not see each "
                      "other's bytes"};
  } else if (facilities & kShmReadOnlyReads) {
    char* ro = static_cast<char*>(ShmatAfterProbe(id, SHM_RDONLY));
    if (ro == reinterpret_cast<char*>(-1)) {
      fault = {"SYSV.SHM.RDONLY_READS",
               "shmat(SHM_RDONLY) of a scratch segment failed: " + ErrnoName(errno)};
    } else {
      if (strncmp(ro, "probe", 6) != 0) {
        fault = {"SYSV.SHM.RDONLY_READS",
                 "a SHM_RDONLY attach of a scratch segment does not read what a read-write "
                 "attach stored"};
      }
      shmdt(ro);
    }
  }
  shmdt(b);
  shmdt(a);
  return fault;
}

Fault MsgFault() {
  KeyFile file;
  int id = Scratch(ipc::SysvKind::kMessageQueue, file);
  if (id < 0) return {};
  auto owner = Own(ipc::SysvKind::kMessageQueue, id);
  struct Message {
    long type;
    char text[8];
  };
  // The queue is empty and the message small: a correct queue takes it at once.
  long sent = CallAtOnce("msgsnd(scratch queue, type 1, \"probe\")", [&]() -> long {
    Message m{1, "probe"};
    return msgsnd(id, &m, 5, 0);
  });
  if (sent != 0) return {};  // refused, not lost: the test's own sends will say why
  Message got{};
  long n = CallAtOnce<Message>("msgrcv(scratch queue, type 0, IPC_NOWAIT)", &got,
                               [&](Message* shared) {
                                 return msgrcv(id, shared, sizeof got.text, 0, IPC_NOWAIT);
                               });
  const std::string kBody = "SYSV.MSG.BODY_INTACT";
  if (n < 0) {
    return {kBody, "msgsnd() of a message to an empty scratch queue returned 0, but "
                   "msgrcv(type 0, IPC_NOWAIT) then found none: " + ErrnoName(errno)};
  }
  std::string text(got.text, static_cast<size_t>(n > 8 ? 8 : n));
  if (n != 5 || got.type != 1 || text != "probe") {
    return {kBody, "a message sent as type 1 \"probe\" came back as type " +
                       std::to_string(got.type) + " \"" + text + "\""};
  }
  return {};
}

int CreateOnFreeKey(const SysvKindOps& ops, key_t key, int size, int mode) {
  int id = ops.get(key, size, IPC_CREAT | IPC_EXCL | mode);
  if (id < 0 && errno == EEXIST) {
    RecordBlocked("SYSV.KEY.EXCL_FREE_CREATES",
                  std::string(ops.name) + "get(key " + std::to_string(key) +
                      ", IPC_CREAT|IPC_EXCL) failed with EEXIST on a key no object has");
    errno = EEXIST;
  }
  return id;
}

Fault NoFlagGetFault(const SysvKindOps& ops, key_t key) {
  int id = ops.get(key, ops.default_size, 0600);
  if (id < 0) return {};
  ops.remove(id);
  return {"SYSV.KEY.NO_FLAG_FREE_ENOENT", std::string(ops.name) + "get(key " +
                                              std::to_string(key) + ", 0600) without IPC_CREAT "
                                              "made an object for a key no object had"};
}

}  // namespace ipcconf
