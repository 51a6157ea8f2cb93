#include "conformance/sysv/sysv_kinds.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>

#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/leak_guard.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/sysv_journal.h"

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

bool PollUntilEquals(const std::function<long()>& probe, long want,
                     const std::function<bool()>& hopeless) {
  auto deadline = std::chrono::steady_clock::now() + kEventBound;
  for (int round = 0;; ++round) {
    if (probe() == want) return true;
    // One more reading after `hopeless`: the value may have got there just before.
    if (hopeless && hopeless()) return probe() == want;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    PollPause(round);
  }
}

Outcome RunAtOnce(const std::function<int()>& body, Millis sleeps_by_design) {
  Child child = Child::Fork(body);
  auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> asleep_since;
  // Between waits for its end (1 ms, later 5: the child should be done in microseconds, and the
  // readings must not load a busy machine), /proc tells a child asleep in a call from one that
  // runs or waits for a CPU (state R): only sleeping the whole window is a hang.
  for (int round = 0; !child.EndsWithin(Millis(round < 10 ? 1 : 5)); ++round) {
    auto now = std::chrono::steady_clock::now();
    if (ReadProcessState(child.pid()).state != 'S') {
      asleep_since.reset();
    } else if (!asleep_since) {
      asleep_since = now;
    }
    bool asleep = asleep_since && now - *asleep_since >= sleeps_by_design + kAsleepMeansHung;
    if (asleep || now - start >= kEventBound) {
      std::string diagnosis =
          (asleep ? "asleep for " + std::to_string((sleeps_by_design + kAsleepMeansHung).count()) +
                        " ms in a call that must not wait that long; "
                  : "still running after " + std::to_string(kEventBound.count()) + " ms; ") +
          DescribeProcessGroup(child.pid());
      Outcome o = child.Kill();
      o.kind = Outcome::Kind::kTimedOut;
      o.diagnosis = diagnosis;
      return o;
    }
  }
  return child.Wait(Millis(0));
}

long CallAtOnceInto(const std::string& what, void* out, size_t size,
                    const std::function<long(void*)>& call, pid_t* by,
                    const char* hung_blocks_by) {
  struct Returned {
    long value;
    int error;
  };
  // Anonymous shared memory, not the subject's: the harness must not depend on what it tests.
  size_t len = sizeof(Returned) + size;
  void* map = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    ADD_FAILURE() << "mmap for " << what << ": " << strerror(errno);
    return -1;
  }
  auto* returned = static_cast<Returned*>(map);
  char* shared = static_cast<char*>(map) + sizeof(Returned);
  if (size) memcpy(shared, out, size);
  Outcome o = RunAtOnce([&]() {
    errno = 0;
    returned->value = call(shared);
    returned->error = errno;
    return 0;
  });
  if (by) *by = o.pid;
  long value = -1;
  int error = o.kind == Outcome::Kind::kTimedOut ? ETIMEDOUT : ECHILD;
  if (o.Exited(0)) {
    value = returned->value;
    error = returned->error;
    if (size) memcpy(out, shared, size);
  } else if (hung_blocks_by && o.kind == Outcome::Kind::kTimedOut) {
    RecordBlocked(hung_blocks_by, what + " did not return: the process calling it " + o.Describe());
  } else {
    ADD_FAILURE() << what << " must return at once; the process calling it " << o.Describe();
  }
  munmap(map, len);
  errno = error;
  return value;
}

void* ShmatAfterProbe(int id, int flags) {
  std::string what = "shmat(" + std::to_string(id) + ", " +
                     (flags & SHM_RDONLY ? "SHM_RDONLY" : std::to_string(flags)) + ")";
  long probe = CallAtOnceInto(
      what + " and shmdt in a child", nullptr, 0,
      [&](void*) -> long {
        void* a = shmat(id, nullptr, flags);
        if (a != reinterpret_cast<void*>(-1)) shmdt(a);
        return 0;
      },
      nullptr, "SYSV.SHM.BYTES_SHARED");
  if (probe != 0) return reinterpret_cast<void*>(-1);
  return shmat(id, nullptr, flags);
}

bool BecomeNobody() {
  return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

}  // namespace ipcconf
