// What the conformance tests of System V IPC stand on: the three kinds of object as one test
// parameter (the create/get matrix and the permission header are common to them), fresh keys
// from files in the test's directory, and ownership of raw ids so nothing outlives a test.
#ifndef IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_
#define IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_

#include <sys/ipc.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

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
// msg_qnum... are how blocking shows in SysV objects); true if it did.
bool PollUntilEquals(const std::function<long()>& probe, long want);

// Drops to nobody (uid and gid 65534, no supplementary groups); false if not allowed.
bool BecomeNobody();

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_SYSV_SYSV_KINDS_H_
