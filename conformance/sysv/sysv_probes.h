// The facilities a System V test uses but does not check (the value commands and the V and P of
// a semaphore, sharing of an attached segment, a message's round trip), probed on scratch objects
// of their own just before a test relies on them. A facility that misbehaves is a Fault naming
// the assertion that checks it: the test is then blocked by that assertion instead of failing
// for it (harness/result_kind.h). Each probe is a few calls, bounded like every call that must
// not wait.
#ifndef IPCCONF_CONFORMANCE_SYSV_SYSV_PROBES_H_
#define IPCCONF_CONFORMANCE_SYSV_SYSV_PROBES_H_

#include <string>

#include "conformance/sysv/sysv_kinds.h"
#include "harness/result_kind.h"

namespace ipcconf {

struct Fault {
  std::string id;    // the assertion that checks the facility; "" when it works
  std::string seen;  // what the facility did, for people
  explicit operator bool() const { return !id.empty(); }
};

// Semaphores: SETVAL then GETVAL agree (SYSV.SEM.SETVAL_GETVAL, read first: the other two are
// read with GETVAL); a V (+1) adds exactly one (SYSV.SEM.V_WAKES_ONE_WAITER, the V assertion);
// a P (-1) on 1 takes exactly one (SYSV.SEM.P_ON_ZERO_BLOCKS, the P assertion).
enum SemFacility { kSemValues = 1, kSemV = 2, kSemP = 4 };
Fault SemFault(int facilities);

// Shared memory: two attaches of one segment see each other's stores (SYSV.SHM.BYTES_SHARED; an
// attach that hangs is that fault too); a SHM_RDONLY attach reads them (SYSV.SHM.RDONLY_READS).
enum ShmFacility { kShmShared = 1, kShmReadOnlyReads = 2 };
Fault ShmFault(int facilities);

// Messages: a message sent to an empty queue comes back, whole, from msgrcv(type 0, IPC_NOWAIT)
// (SYSV.MSG.BODY_INTACT: a message msgsnd() accepted and lost, or garbled).
Fault MsgFault();

// The create/get matrix as other tests use it, on keys KeyFile found free:
// ops.get(key, size, IPC_CREAT|IPC_EXCL|mode), for a test that needs a new object there. Failing
// with EEXIST on a free key is what SYSV.KEY.EXCL_FREE_CREATES checks: the test is blocked by it
// (RecordBlocked) and -1 is returned, errno EEXIST.
int CreateOnFreeKey(const SysvKindOps& ops, key_t key, int size, int mode);
// A *get without IPC_CREAT on the free `key` that makes an object (removed again) is the fault
// SYSV.KEY.NO_FLAG_FREE_ENOENT checks.
Fault NoFlagGetFault(const SysvKindOps& ops, key_t key);

// Stops the running test as blocked by the fault's assertion when `probe` finds one (a test that
// checks that assertion itself gets a failure instead: RecordBlocked).
#define IPCCONF_BLOCKED_BY_FAULT(probe)                                \
  if (::ipcconf::Fault ipcconf_fault_ = (probe); !ipcconf_fault_) {   \
  } else if (::ipcconf::RecordBlocked(ipcconf_fault_.id, ipcconf_fault_.seen), false) { \
  } else                                                               \
    return

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_SYSV_SYSV_PROBES_H_
