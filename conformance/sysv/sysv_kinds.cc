#include "conformance/sysv/sysv_kinds.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "fixtures/child.h"
#include "fixtures/leak_guard.h"
#include "fixtures/sysv_journal.h"

namespace ipcconf {
namespace {

int ShmGet(key_t key, int size, int flags) { return JournaledShmget(key, size, flags); }
int SemGet(key_t key, int size, int flags) { return JournaledSemget(key, size, flags); }
int MsgGet(key_t key, int, int flags) { return JournaledMsgget(key, flags); }

int ShmStat(int id, ipc_perm* perm) {
  shmid_ds ds{};
  int rc = shmctl(id, IPC_STAT, &ds);
  *perm = ds.shm_perm;
  return rc;
}
int SemStat(int id, ipc_perm* perm) {
  semid_ds ds{};
  int rc = semctl(id, 0, IPC_STAT, &ds);
  *perm = ds.sem_perm;
  return rc;
}
int MsgStat(int id, ipc_perm* perm) {
  msqid_ds ds{};
  int rc = msgctl(id, IPC_STAT, &ds);
  *perm = ds.msg_perm;
  return rc;
}

int ShmSetMode(int id, int mode) {
  shmid_ds ds{};
  if (shmctl(id, IPC_STAT, &ds) != 0) return -1;
  ds.shm_perm.mode = static_cast<unsigned short>(mode);
  return shmctl(id, IPC_SET, &ds);
}
int SemSetMode(int id, int mode) {
  semid_ds ds{};
  if (semctl(id, 0, IPC_STAT, &ds) != 0) return -1;
  ds.sem_perm.mode = static_cast<unsigned short>(mode);
  return semctl(id, 0, IPC_SET, &ds);
}
int MsgSetMode(int id, int mode) {
  msqid_ds ds{};
  if (msgctl(id, IPC_STAT, &ds) != 0) return -1;
  ds.msg_perm.mode = static_cast<unsigned short>(mode);
  return msgctl(id, IPC_SET, &ds);
}

int ShmRemove(int id) { return shmctl(id, IPC_RMID, nullptr); }
int SemRemove(int id) { return semctl(id, 0, IPC_RMID); }
int MsgRemove(int id) { return msgctl(id, IPC_RMID, nullptr); }

const SysvKindOps kShm{ipc::SysvKind::kSharedMemory, "shm", ShmGet, ShmStat, ShmSetMode,
                       ShmRemove, 4096, true};
const SysvKindOps kSem{ipc::SysvKind::kSemaphoreSet, "sem", SemGet, SemStat, SemSetMode,
                       SemRemove, 2, true};
const SysvKindOps kMsg{ipc::SysvKind::kMessageQueue, "msg", MsgGet, MsgStat, MsgSetMode,
                       MsgRemove, 0, false};

bool KeyInUse(key_t key) {
  for (const SysvObject& o : ReadSysvObjects()) {
    if (static_cast<key_t>(o.key) == key) return true;
  }
  return false;
}

}  // namespace

const SysvKindOps& OpsOf(ipc::SysvKind kind) {
  switch (kind) {
    case ipc::SysvKind::kSharedMemory:
      return kShm;
    case ipc::SysvKind::kSemaphoreSet:
      return kSem;
    case ipc::SysvKind::kMessageQueue:
      break;
  }
  return kMsg;
}

std::vector<ipc::SysvKind> AllSysvKinds() {
  return {ipc::SysvKind::kSharedMemory, ipc::SysvKind::kSemaphoreSet,
          ipc::SysvKind::kMessageQueue};
}

std::vector<ipc::SysvKind> SizedSysvKinds() {
  return {ipc::SysvKind::kSharedMemory, ipc::SysvKind::kSemaphoreSet};
}

std::string SysvKindName(const ::testing::TestParamInfo<ipc::SysvKind>& info) {
  return OpsOf(info.param).name;
}

KeyFile::KeyFile() {
  static std::atomic<int> serial{0};
  path_ = TestTmpDir() + "/key." + std::to_string(serial++);
  int fd = open(path_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
}

KeyFile::~KeyFile() { unlink(path_.c_str()); }

key_t KeyFile::Key(int project_id) const {
  key_t key = ftok(path_.c_str(), project_id);
  if (key != -1 && KeyInUse(key)) {
    ADD_FAILURE() << "ftok(" << path_ << ", " << project_id << ") gave a key an object already "
                  << "uses; the test needs a free one";
    return -1;
  }
  return key;
}

bool PollUntilEquals(const std::function<long()>& probe, long want) {
  auto deadline = std::chrono::steady_clock::now() + kEventBound;
  for (int round = 0;; ++round) {
    if (probe() == want) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (round < 50) {
      sched_yield();
    } else {
      timespec ts{0, 200 * 1000};
      nanosleep(&ts, nullptr);  // polling interval of the observation, not a wait for an event
    }
  }
}

bool BecomeNobody() {
  return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

}  // namespace ipcconf
