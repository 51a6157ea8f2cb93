// What the conformance tests of System V IPC stand on: the three kinds of object as one test
// parameter (the create/get matrix and the permission header are common to them), fresh keys
// from files in the test's directory, and ownership of raw ids so nothing outlives a test.
#ifndef IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_
#define IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_

#include <sys/ipc.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/sysv_handle.h"

namespace ipcconf {

struct SysvKindOps {
  ipc::SysvKind kind;
  const char* name;  // "shm", "sem", "msg"
  // shmget(key, size, flags) / semget(key, size, flags) / msgget(key, flags), journaled.
  int (*get)(key_t key, int size, int flags);
  // The permission header by IPC_STAT (the libc call under test).
  int (*stat)(int id, ipc_perm* perm);
  // IPC_SET of the permission bits.
  int (*set_mode)(int id, int mode);
  int (*remove)(int id);
  // Size argument of a new object: bytes of a segment, semaphores of a set (msg: ignored).
  int default_size;
  bool has_size;  // shm and sem: a get asking for more than the object has fails with EINVAL
};

const SysvKindOps& OpsOf(ipc::SysvKind kind);
std::vector<ipc::SysvKind> AllSysvKinds();
std::vector<ipc::SysvKind> SizedSysvKinds();  // shm, sem
std::string SysvKindName(const ::testing::TestParamInfo<ipc::SysvKind>& info);

// A file in the test's directory, ftok'ed for keys no other object uses; removed at scope end
// (the key stays valid for objects already made with it).
class KeyFile {
 public:
  KeyFile();
  ~KeyFile();
  KeyFile(const KeyFile&) = delete;
  KeyFile& operator=(const KeyFile&) = delete;
  const std::string& path() const { return path_; }
  // ftok(path, project_id), checked free of objects of every kind (-1 on failure).
  key_t Key(int project_id = 1) const;

 private:
  std::string path_;
};

// Takes ownership of a raw id (ignored if id < 0): IPC_RMID at scope end.
inline ipc::SysvHandle Own(ipc::SysvKind kind, int id) {
  return id < 0 ? ipc::SysvHandle() : ipc::SysvHandle(kind, id, true);
}

// Polls `probe` until it returns `want` or the bound passes (the counts GETNCNT/GETZCNT,
// msg_qnum... are how blocking shows in SysV objects); true if it did. It gives up early once
// `hopeless` says the value can no longer get there (e.g. the processes it counts have ended).
bool PollUntilEquals(const std::function<long()>& probe, long want,
                     const std::function<bool()>& hopeless = {});

// Calls that a correct subject completes without waiting: IPC_NOWAIT, a message already queued,
// an operation the semaphore's value allows, an attach. In the test process such a call would
// hang the binary under a subject that waits anyway, so it runs in a child instead, called hung
// (killed, with what it sleeps in) once it has been seen asleep for kAsleepMeansHung: a correct
// subject never sleeps there, and waiting longer cannot help. A child still running or not yet
// scheduled is not asleep; it is given kEventBound. `sleeps_by_design` is how long the call may
// sleep on purpose (a timeout under test): the window starts after it.
inline constexpr Millis kAsleepMeansHung = kQuietWindow;
Outcome RunAtOnce(const std::function<int()>& body, Millis sleeps_by_design = Millis(0));

// Runs `call` in a RunAtOnce child and returns its value, errno as the call left it. What the call
// writes into `*out` (trivially copyable, copied in first) comes back through memory shared with
// the child; `*by` gets the calling process's pid. A call that hangs or crashes is recorded as a
// failure naming `what`, and gives -1 with errno ETIMEDOUT (hung) or ECHILD (crashed); with
// `hung_blocks_by`, a hang is instead recorded as the test being blocked by that assertion (the
// facility that must not wait: see RecordBlocked).
long CallAtOnceInto(const std::string& what, void* out, size_t size,
                    const std::function<long(void*)>& call, pid_t* by = nullptr,
                    const char* hung_blocks_by = nullptr);
template <typename T>
long CallAtOnce(const std::string& what, T* out, const std::function<long(T*)>& call,
                pid_t* by = nullptr) {
  static_assert(std::is_trivially_copyable_v<T>, "copied through shared memory");
  return CallAtOnceInto(
      what, out, sizeof(T), [&](void* shared) { return call(static_cast<T*>(shared)); }, by);
}
inline long CallAtOnce(const std::string& what, const std::function<long()>& call,
                       pid_t* by = nullptr) {
  return CallAtOnceInto(what, nullptr, 0, [&](void*) { return call(); }, by);
}

// shmat(id, nullptr, flags) in this process, once the same attach (and its detach) has returned
// in a RunAtOnce child: a subject whose shmat hangs stops the test there, not the binary, blocked
// by SYSV.SHM.BYTES_SHARED (attaching is what that assertion checks first). (void*)-1 with errno
// ETIMEDOUT (hung: blocked) or ECHILD (crashed: a failure is recorded).
void* ShmatAfterProbe(int id, int flags);

// Drops to nobody (uid and gid 65534, no supplementary groups); false if not allowed.
bool BecomeNobody();

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_
