// Lifetime of System V objects: they follow the kernel, not the processes that made or used
// them; IPC_RMID ends them (a segment at its last detach) and frees the key.
#include <fcntl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "harness/sysv_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr char kLeftBehind[] = "left behind";

// An unrelated process that makes an object for ftok(argv[2], 1), puts something in it, says
// "made" on its standard output, and ends normally (returning from main: whatever runs at exit
// runs) once its standard input ends.
IPCCONF_HELPER(make_object_and_exit) {
  if (argc != 3) return 2;
  key_t key = ftok(argv[2], 1);
  std::string kind = argv[1];
  int rc = 3;
  if (kind == "shm") {
    int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
    void* a = id < 0 ? reinterpret_cast<void*>(-1) : shmat(id, nullptr, 0);
    if (a != reinterpret_cast<void*>(-1)) {
      strcpy(static_cast<char*>(a), kLeftBehind);
      rc = shmdt(a) == 0 ? 0 : 4;
    }
  } else if (kind == "sem") {
    int id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    rc = id >= 0 && semctl(id, 1, SETVAL, 5) == 0 ? 0 : 3;
  } else {
    int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    struct {
      long type;
      char text[16];
    } m{7, {}};
    strcpy(m.text, kLeftBehind);
    rc = id >= 0 && msgsnd(id, &m, sizeof m.text, 0) == 0 ? 0 : 3;
  }
  if (rc == 0 && write(1, "made", 4) != 4) rc = 5;
  if (rc != 0) return rc;  // at once: the test sees the end of the output, not a wait
  char c;
  while (read(0, &c, 1) > 0) {
  }
  return rc;
}

class SysvLife : public ::testing::TestWithParam<ipc::SysvKind> {
 protected:
  const SysvKindOps& ops() const { return OpsOf(GetParam()); }
  KeyFile file_;
};

// What the object made by make_object_and_exit holds ("" when it cannot be read), through the
// kind's own data calls: the segment's bytes, semaphore 1's value, a queued message's text (a
// message is read only once: `consume`).
std::string Contents(ipc::SysvKind kind, int id, bool consume) {
  if (kind == ipc::SysvKind::kSharedMemory) {
    void* a = ShmatAfterProbe(id, 0);
    if (a == reinterpret_cast<void*>(-1)) return "";
    std::string text(static_cast<char*>(a), strnlen(static_cast<char*>(a), 64));
    shmdt(a);
    return text;
  }
  if (kind == ipc::SysvKind::kSemaphoreSet) return std::to_string(semctl(id, 1, GETVAL));
  msqid_ds ds{};
  if (!consume) return msgctl(id, IPC_STAT, &ds) == 0 ? std::to_string(ds.msg_qnum) + " queued" : "";
  struct Message {
    long type;
    char text[16];
  } m{};
  // The message is queued already: bounded like every call that must not wait.
  long n = CallAtOnce<Message>("msgrcv(type 0, IPC_NOWAIT)", &m, [&](Message* shared) {
    return msgrcv(id, shared, sizeof m.text, 0, IPC_NOWAIT);
  });
  return n == static_cast<long>(sizeof m.text) ? std::string(m.text, strnlen(m.text, 16)) : "";
}

// What a test of the kind's lifetime reads its contents with: the segment's sharing (and a
// read-only attach), a semaphore's V and the value commands, a message's round trip.
Fault DataFault(ipc::SysvKind kind) {
  if (kind == ipc::SysvKind::kSharedMemory) return ShmFault(kShmShared | kShmReadOnlyReads);
  if (kind == ipc::SysvKind::kSemaphoreSet) return SemFault(kSemV);
  return MsgFault();
}

IPC_TEST_P(SysvLife, ObjectOutlivesTheProcessThatMadeIt, "SYSV.LIFE.OUTLIVES_CREATOR") {
  IPCCONF_BLOCKED_BY_FAULT(DataFault(GetParam()));
  key_t key = file_.Key();
  ASSERT_NE(key, -1);
  IPCCONF_BLOCKED_BY_IF(ftok(file_.path().c_str(), 1) != ftok(file_.path().c_str(), 1),
                        "SYSV.KEY.FTOK_DETERMINISTIC",
                        "ftok() of the same path and id gave two keys: the maker's key is not ours");
  // The maker keeps running until its input ends: what the object holds is read once while the
  // maker lives (if that is wrong, the data calls are broken, not the object's lifetime), then
  // again after it ended.
  int to_maker[2], from_maker[2];
  ASSERT_EQ(pipe2(to_maker, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(from_maker, O_CLOEXEC), 0);
  ipc::UniqueFd feed(to_maker[1]), in(to_maker[0]), said(from_maker[0]), out(from_maker[1]);
  Child maker = Child::Exec(HelperCommand("make_object_and_exit", {ops().name, file_.path()}), {},
                            Child::Stdio{in.get(), out.get(), -1});
  in.reset();
  out.reset();
  char made[4] = {};
  bool ready = ReadableWithin(said.get()) && read(said.get(), made, 4) == 4;
  int id = ops().get(key, 0, 0600);
  if (id >= 0) JournalSysvObject(static_cast<char>(GetParam()), id);  // ours to clean up
  auto owner = Own(GetParam(), id);
  const std::string kWant = GetParam() == ipc::SysvKind::kSharedMemory   ? kLeftBehind
                            : GetParam() == ipc::SysvKind::kSemaphoreSet ? "5"
                                                                         : "1 queued";
  const char* facility = GetParam() == ipc::SysvKind::kSharedMemory   ? "SYSV.SHM.BYTES_SHARED"
                         : GetParam() == ipc::SysvKind::kSemaphoreSet ? "SYSV.SEM.SETVAL_GETVAL"
                                                                      : "SYSV.MSG.STAT_QNUM_QBYTES";
  std::string alive = ready && id >= 0 ? Contents(GetParam(), id, /*consume=*/false) : "";
  feed.reset();  // the maker's input ends: it exits
  Outcome made_it = maker.Wait();
  if (!made_it.Exited(0)) {
    // The helper makes it with IPC_CREAT|IPC_EXCL on a free key: see whether that works here.
    int probe = CreateOnFreeKey(ops(), file_.Key(2), ops().default_size, 0600);
    if (probe >= 0) ops().remove(probe);
    if (!CurrentBlocker().empty()) return;
  }
  ASSERT_TRUE(ExitedWith(made_it, 0)) << "the helper could not make the object";
  ASSERT_TRUE(ready) << "the helper never said it had made the object";
  ASSERT_GE(id, 0) << "the object the helper made cannot be found by its key: " << ErrnoName(errno);
  IPCCONF_BLOCKED_BY_IF(alive != kWant, facility,
                        "while its maker was alive the object read \"" + alive + "\", not \"" +
                            kWant + "\"");
  ASSERT_EQ(ops().get(key, 0, 0600), id)
      << "the object must still exist after its creator exited: " << ErrnoName(errno);
  EXPECT_EQ(Contents(GetParam(), id, /*consume=*/false), kWant) << "and its contents with it";
  if (GetParam() == ipc::SysvKind::kMessageQueue) {
    std::string text = Contents(GetParam(), id, /*consume=*/true);
    IPCCONF_BLOCKED_BY_IF(text != kLeftBehind, "SYSV.MSG.BODY_INTACT",
                          "the queued message reads \"" + text + "\", not \"" +
                              std::string(kLeftBehind) + "\"");
  }
}

IPC_TEST_P(SysvLife, ObjectOutlivesEveryProcessThatUsedIt, "SYSV.LIFE.OUTLIVES_CREATOR") {
  IPCCONF_BLOCKED_BY_FAULT(DataFault(GetParam()));
  int id = ops().get(IPC_PRIVATE, ops().default_size, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(GetParam(), id);
  ipc::SysvKind kind = GetParam();
  for (int user = 0; user < 2; ++user) {
    // An attach, a V, a send to a queue with room: a correct subject does each at once.
    Outcome o = RunAtOnce([&]() {
      if (kind == ipc::SysvKind::kSharedMemory) {
        char* a = static_cast<char*>(shmat(id, nullptr, 0));
        if (a == reinterpret_cast<char*>(-1)) return 3;
        a[user] = 'u';
        return 0;  // exits attached: exit detaches
      }
      if (kind == ipc::SysvKind::kSemaphoreSet) {
        sembuf v{0, 1, 0};
        return semop(id, &v, 1) == 0 ? 0 : 3;
      }
      struct {
        long type;
        char text[1];
      } m{1, {'u'}};
      return msgsnd(id, &m, 1, 0) == 0 ? 0 : 3;
    });
    ASSERT_TRUE(ExitedWith(o, 0)) << "user " << user;
  }
  ipc_perm perm{};
  ASSERT_THAT(SYS(ops().stat(id, &perm)), SyscallSucceeds())
      << "the object must remain after every process that used it ended";
  if (kind == ipc::SysvKind::kSemaphoreSet) EXPECT_EQ(semctl(id, 0, GETVAL), 2);
  if (kind == ipc::SysvKind::kMessageQueue) {
    msqid_ds ds{};
    ASSERT_EQ(msgctl(id, IPC_STAT, &ds), 0);
    if (ds.msg_qnum != 2u) {
      // Counted wrong or gone: the messages themselves tell.
      int queued = 0;
      for (; queued < 3; ++queued) {
        struct {
          long type;
          char text[1];
        } m{};
        if (CallAtOnce("msgrcv(type 0, IPC_NOWAIT)",
                       [&]() -> long { return msgrcv(id, &m, 1, 0, IPC_NOWAIT); }) != 1) {
          break;
        }
      }
      IPCCONF_BLOCKED_BY_IF(queued == 2, "SYSV.MSG.STAT_QNUM_QBYTES",
                            "both messages are queued but IPC_STAT reports msg_qnum " +
                                std::to_string(ds.msg_qnum));
      EXPECT_EQ(queued, 2) << "messages left in the queue after their senders ended";
    }
  }
  if (kind == ipc::SysvKind::kSharedMemory) {
    char* a = static_cast<char*>(ShmatAfterProbe(id, SHM_RDONLY));
    ASSERT_NE(a, reinterpret_cast<char*>(-1)) << ErrnoName(errno);
    EXPECT_EQ(std::string(a, 2), "uu");
    shmdt(a);
  }
}

IPC_TEST_P(SysvLife, RmidRemovesAtOnce, "SYSV.LIFE.RMID_REMOVES_AT_ONCE") {
  key_t key = file_.Key();
  int id = CreateOnFreeKey(ops(), key, ops().default_size, 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(GetParam(), id);
  ASSERT_THAT(SYS(ops().remove(id)), SyscallSucceeds());
  owner.Release();
  ipc_perm perm{};
  int rc = ops().stat(id, &perm);
  int err = errno;
  EXPECT_EQ(rc, -1) << "IPC_STAT on a removed id succeeded";
  EXPECT_TRUE(err == EINVAL || err == EIDRM) << "got " << ErrnoName(err);
  int again = ops().get(key, 0, 0600);
  int again_errno = errno;
  auto again_owner = Own(GetParam(), again == id ? -1 : again);
  if (again != id && !(again == -1 && again_errno == ENOENT)) {
    // Not the removed object, yet not ENOENT: a get without IPC_CREAT may make objects.
    IPCCONF_BLOCKED_BY_FAULT(NoFlagGetFault(ops(), file_.Key(2)));
  }
  EXPECT_THAT((SyscallResult{again, again_errno, "*get(key of the removed object, 0600)"}),
              SyscallFailsWithErrno(ENOENT))
      << "the key must no longer name an object";
  if (rc == 0) ops().remove(id);
}

IPC_TEST_P(SysvLife, KeyCanBeReusedAfterRemoval, "SYSV.LIFE.KEY_REUSABLE_AFTER_RMID") {
  key_t key = file_.Key();
  int first = CreateOnFreeKey(ops(), key, ops().default_size, 0600);
  ASSERT_GE(first, 0) << ErrnoName(errno);
  {
    auto owner = Own(GetParam(), first);
    ASSERT_THAT(SYS(ops().remove(first)), SyscallSucceeds());
    owner.Release();
  }
  int second = ops().get(key, ops().default_size, IPC_CREAT | IPC_EXCL | 0600);
  auto owner = Own(GetParam(), second);
  EXPECT_GE(second, 0) << "IPC_CREAT|IPC_EXCL on the key of a removed object: "
                       << ErrnoName(errno);
  if (second == first) ops().remove(first);
}

INSTANTIATE_TEST_SUITE_P(Kinds, SysvLife, ::testing::ValuesIn(AllSysvKinds()), SysvKindName);

IPC_TEST(SysvLifeWaiters, RemovingASemaphoreSetWakesWaitersWithEidrm,
         "SYSV.LIFE.RMID_WAKES_WAITERS_EIDRM") {
  int id = JournaledSemget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(ipc::SysvKind::kSemaphoreSet, id);
  Child waiter = Child::Fork([&]() {
    sembuf p{0, -1, 0};
    return semop(id, &p, 1) == -1 && errno == EIDRM ? 0 : 10 + errno;
  });
  bool counted = PollUntilEquals([&]() { return semctl(id, 0, GETNCNT); }, 1,
                                 [&]() { return waiter.EndsWithin(Millis(0)); });
  // A P that ended instead of waiting has nothing to be woken from.
  IPCCONF_BLOCKED_BY_IF(!counted && waiter.EndsWithin(Millis(0)), "SYSV.SEM.P_ON_ZERO_BLOCKS",
                        "a P on a semaphore of value 0 did not wait: the process doing it " +
                            waiter.Wait(Millis(0)).Describe());
  ASSERT_TRUE(counted) << "the waiter never showed in GETNCNT; it is running";
  ASSERT_THAT(SYS(semctl(id, 0, IPC_RMID)), SyscallSucceeds());
  owner.Release();
  semid_ds ds{};
  if (semctl(id, 0, IPC_STAT, &ds) == 0) {
    // Said at once, not after the waiter's bound: a set still there wakes nobody.
    ADD_FAILURE() << "IPC_RMID returned 0 but the set is still there (IPC_STAT succeeds): the "
                     "process blocked in P stays blocked, not woken with EIDRM";
    waiter.Kill();
    return;
  }
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0)) << "the blocked P must fail with EIDRM";
}

IPC_TEST(SysvLifeWaiters, RemovingAQueueWakesReceiversWithEidrm,
         "SYSV.LIFE.RMID_WAKES_WAITERS_EIDRM") {
  int id = JournaledMsgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(ipc::SysvKind::kMessageQueue, id);
  Child receiver = Child::Fork([&]() {
    struct {
      long type;
      char text[8];
    } m{};
    return msgrcv(id, &m, sizeof m.text, 0, 0) == -1 && errno == EIDRM ? 0 : 10 + errno;
  });
  ::testing::AssertionResult blocked = WaitUntilBlocked(receiver.pid(), {SYS_msgrcv});
  // A msgrcv that ended instead of waiting has nothing to be woken from.
  IPCCONF_BLOCKED_BY_IF(!blocked && receiver.EndsWithin(Millis(0)),
                        "SYSV.MSG.EMPTY_BLOCKS_RECEIVER",
                        std::string("a msgrcv on an empty queue did not wait: ") +
                            blocked.message());
  ASSERT_TRUE(blocked);
  ASSERT_THAT(SYS(msgctl(id, IPC_RMID, nullptr)), SyscallSucceeds());
  owner.Release();
  msqid_ds ds{};
  if (msgctl(id, IPC_STAT, &ds) == 0) {
    ADD_FAILURE() << "IPC_RMID returned 0 but the queue is still there (IPC_STAT succeeds): the "
                     "process blocked in msgrcv stays blocked, not woken with EIDRM";
    receiver.Kill();
    return;
  }
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0)) << "the blocked msgrcv must fail with EIDRM";
}

long Nattch(int id) {
  shmid_ds ds{};
  return shmctl(id, IPC_STAT, &ds) == 0 ? static_cast<long>(ds.shm_nattch) : -1;
}

IPC_TEST(SysvLifeShm, RemovedSegmentLivesUntilTheLastDetach,
         "SYSV.LIFE.SHM_REMOVED_AT_LAST_DETACH") {
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared));  // an attach that maps the segment itself
  int id = JournaledShmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(ipc::SysvKind::kSharedMemory, id);
  char* a = static_cast<char*>(ShmatAfterProbe(id, 0));
  ASSERT_NE(a, reinterpret_cast<char*>(-1)) << ErrnoName(errno);
  ASSERT_THAT(SYS(shmctl(id, IPC_RMID, nullptr)), SyscallSucceeds());
  owner.Release();
  strcpy(a, "still here");
  EXPECT_STREQ(a, "still here") << "the attachment stays usable after IPC_RMID";
  EXPECT_EQ(Nattch(id), 1) << "an attached, removed segment still exists";
  ASSERT_THAT(SYS(shmdt(a)), SyscallSucceeds());
  shmid_ds ds{};
  EXPECT_THAT(SYS(shmctl(id, IPC_STAT, &ds)), SyscallFailsWithErrno(EINVAL))
      << "after the last detach the segment must be gone";
  if (shmctl(id, IPC_STAT, &ds) == 0) shmctl(id, IPC_RMID, nullptr);
}

IPC_TEST(SysvLifeShm, NattchCountsAttachesAcrossForkAndProcesses, "SYSV.LIFE.SHM_NATTCH_COUNTS") {
  // Attaches that map the segment itself, read-only ones too, are what it counts.
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared | kShmReadOnlyReads));
  int id = JournaledShmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  auto owner = Own(ipc::SysvKind::kSharedMemory, id);
  EXPECT_EQ(Nattch(id), 0);
  void* a = ShmatAfterProbe(id, 0);
  void* b = ShmatAfterProbe(id, SHM_RDONLY);
  ASSERT_NE(a, reinterpret_cast<void*>(-1));
  ASSERT_NE(b, reinterpret_cast<void*>(-1));
  EXPECT_EQ(Nattch(id), 2) << "two attaches in this process";
  Handshake attached;
  Child user = Child::Fork([&]() {
    attached.BecomeChild();
    // Two inherited attaches plus one of its own.
    if (shmat(id, nullptr, 0) == reinterpret_cast<void*>(-1)) return 3;
    attached.Send();
    char c;
    return attached.Receive(&c) ? 0 : 4;  // stays attached until the parent has counted
  });
  attached.BecomeParent();
  ASSERT_TRUE(attached.Receive()) << "the child's shmat did not return: "
                                  << user.Wait(Millis(0)).Describe();
  // Counted by the time fork and shmat returned.
  EXPECT_EQ(Nattch(id), 5) << "fork inherits both attaches and the child adds one";
  attached.Send();
  EXPECT_TRUE(ExitedWith(user.Wait(), 0));
  EXPECT_EQ(Nattch(id), 2) << "the child's exit detaches its three";
  shmdt(b);
  EXPECT_EQ(Nattch(id), 1);
  shmdt(a);
  EXPECT_EQ(Nattch(id), 0);
}

}  // namespace
}  // namespace ipcconf
