// Semaphore sets (XSH semop(), semctl(); man 2 semop for semtimedop): blocking observed through
// GETNCNT/GETZCNT, atomic operation lists, SEM_UNDO, the value commands, and a mutex.
#include <signal.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "harness/sysv_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr int kSemvmx = 32767;  // SEMVMX on Linux; POSIX only requires a limit to exist

class SysvSem : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = JournaledSemget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    ASSERT_GE(id_, 0) << ErrnoName(errno);
    owner_ = Own(ipc::SysvKind::kSemaphoreSet, id_);
  }
  // The call itself, made by the calling process: for children, which are bounded.
  int RawOp(int num, int delta, int flags = 0) {
    sembuf op{static_cast<unsigned short>(num), static_cast<short>(delta),
              static_cast<short>(flags)};
    return semop(id_, &op, 1);
  }
  // The same from the test process, bounded (CallAtOnce): only operations the value allows
  // (a V, a P on a positive value) or with IPC_NOWAIT, which a correct set does at once.
  int Op(int num, int delta, int flags = 0, pid_t* by = nullptr) {
    std::string what = "semop(sem " + std::to_string(num) + ", " + std::to_string(delta) +
                       (flags & IPC_NOWAIT ? ", IPC_NOWAIT)" : ")");
    return static_cast<int>(
        CallAtOnce(what, [&]() -> long { return RawOp(num, delta, flags); }, by));
  }
  long Value(int num) { return semctl(id_, num, GETVAL); }
  // A child doing `delta` on semaphore `num`; exits 0 when the operation returned 0.
  Child Operate(int num, int delta, int flags = 0) {
    return Child::Fork([=]() { return RawOp(num, delta, flags) == 0 ? 0 : 10 + errno; });
  }
  // Polls GETNCNT/GETZCNT of `num` for `want`; gives up once `hopeless` (the waiters it would
  // count have ended: the count can no longer get there).
  bool CountReaches(int cmd, int num, long want, const std::function<bool()>& hopeless) {
    return PollUntilEquals([=]() { return semctl(id_, num, cmd); }, want, hopeless);
  }
  // For tests that need processes blocked in P (the P is not what they check): polls GETNCNT of
  // `num` for as many waiters as given. A waiter that ended instead did not wait: its P does not
  // block, and the test is blocked by SYSV.SEM.P_ON_ZERO_BLOCKS (the caller stops on false).
  bool WaitersCounted(int num, const std::vector<Child*>& waiters) {
    auto ended = [&]() {
      for (Child* w : waiters) {
        if (w->EndsWithin(Millis(0))) return true;
      }
      return false;
    };
    if (CountReaches(GETNCNT, num, static_cast<long>(waiters.size()), ended)) return true;
    for (Child* w : waiters) {
      if (w->EndsWithin(Millis(0))) {
        RecordBlocked("SYSV.SEM.P_ON_ZERO_BLOCKS",
                      "a P on a semaphore of value 0 did not wait: the process doing it " +
                          w->Wait(Millis(0)).Describe());
        return false;
      }
    }
    ADD_FAILURE() << "GETNCNT of semaphore " << num << " never counted the " << waiters.size()
                  << " process(es) waiting in P; it reads " << semctl(id_, num, GETNCNT);
    return false;
  }
  int id_ = -1;
  ipc::SysvHandle owner_;
};

IPC_TEST_F(SysvSem, POnZeroBlocksAndIsCountedByGetncnt, "SYSV.SEM.P_ON_ZERO_BLOCKS") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV | kSemP));  // the V that releases, the P it checks
  Child waiter = Operate(0, -1);
  ASSERT_TRUE(CountReaches(GETNCNT, 0, 1, [&]() { return waiter.EndsWithin(Millis(0)); }))
      << "a P on 0 must wait, counted by GETNCNT; got " << semctl(id_, 0, GETNCNT)
      << "; the waiter " << (waiter.reaped() ? waiter.Wait().Describe() : "is running");
  // Not proof of blocking by itself: it must also not have returned.
  EXPECT_FALSE(waiter.EndsWithin(kQuietWindow)) << "the P returned while the value was 0";
  ASSERT_EQ(Op(0, +1), 0);
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0));
  EXPECT_EQ(Value(0), 0) << "the waiter took the unit";
  EXPECT_EQ(semctl(id_, 0, GETNCNT), 0);
}

IPC_TEST_F(SysvSem, VWakesExactlyOneOfTwoWaiters, "SYSV.SEM.V_WAKES_ONE_WAITER") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV | kSemP));
  Child first = Operate(0, -1);
  Child second = Operate(0, -1);
  if (!WaitersCounted(0, {&first, &second})) return;
  ASSERT_EQ(Op(0, +1), 0);
  ASSERT_TRUE(CountReaches(GETNCNT, 0, 1, [&]() {
    return first.EndsWithin(Millis(0)) && second.EndsWithin(Millis(0));
  })) << "one waiter must be released, the other still counted; got "
      << semctl(id_, 0, GETNCNT);
  // Which one is free to the kernel; the other must still be waiting (a quiet window).
  ASSERT_TRUE(PollUntilEquals(
      [&]() { return first.EndsWithin(Millis(0)) || second.EndsWithin(Millis(0)); }, 1))
      << "neither released waiter returned";
  bool first_done = first.EndsWithin(Millis(0));
  Child& done = first_done ? first : second;
  Child& still = first_done ? second : first;
  EXPECT_TRUE(ExitedWith(done.Wait(), 0));
  EXPECT_FALSE(still.EndsWithin(kQuietWindow)) << "both waiters returned after a single V";
  EXPECT_EQ(semctl(id_, 0, GETNCNT), 1);
  ASSERT_EQ(Op(0, +1), 0);
  EXPECT_TRUE(ExitedWith(still.Wait(), 0));
}

IPC_TEST_F(SysvSem, NowaitOnZeroFailsWithEagain, "SYSV.SEM.NOWAIT_EAGAIN") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemP));  // a P that does nothing cannot tell
  Outcome o =
      RunAtOnce([&]() { return RawOp(0, -1, IPC_NOWAIT) == -1 && errno == EAGAIN ? 0 : 3; });
  EXPECT_TRUE(ExitedWith(o, 0)) << "P with IPC_NOWAIT on 0 must fail at once with EAGAIN";
  EXPECT_EQ(Value(0), 0);
}

IPC_TEST_F(SysvSem, ZeroOpWaitsForZeroAndIsCountedByGetzcnt, "SYSV.SEM.WAIT_FOR_ZERO") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemP));  // the Ps that bring the value to 0
  ASSERT_EQ(semctl(id_, 1, SETVAL, 2), 0);
  Child waiter = Operate(1, 0);
  ASSERT_TRUE(CountReaches(GETZCNT, 1, 1, [&]() { return waiter.EndsWithin(Millis(0)); }))
      << "GETZCNT must count the wait-for-zero; got " << semctl(id_, 1, GETZCNT)
      << "; the waiter " << (waiter.reaped() ? waiter.Wait().Describe() : "is running");
  ASSERT_EQ(Op(1, -1), 0);
  EXPECT_FALSE(waiter.EndsWithin(kQuietWindow)) << "returned while the value was 1";
  ASSERT_EQ(Op(1, -1), 0);
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0));
  EXPECT_EQ(semctl(id_, 1, GETZCNT), 0);
  EXPECT_EQ(Op(1, 0, IPC_NOWAIT), 0) << "a zero op on 0 returns at once";
}

IPC_TEST_F(SysvSem, OperationsOfOneCallAreAllOrNothing, "SYSV.SEM.OPS_ATOMIC") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV | kSemP));
  // +1 on sem 0 and -1 on sem 1 (value 0): the second cannot proceed, so neither happens.
  Outcome o = RunAtOnce([&]() {
    sembuf ops[2] = {{0, +1, IPC_NOWAIT}, {1, -1, IPC_NOWAIT}};
    return semop(id_, ops, 2) == -1 && errno == EAGAIN ? 0 : 3;
  });
  // IPC_NOWAIT is how this half tells "cannot proceed" at once; a call that waits instead says
  // nothing about atomicity.
  IPCCONF_BLOCKED_BY_IF(o.kind == Outcome::Kind::kTimedOut, "SYSV.SEM.NOWAIT_EAGAIN",
                        "semop with IPC_NOWAIT on both operations waited: " + o.Describe());
  EXPECT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(Value(0), 0) << "the first operation took effect although the second could not";
  // And blocking: a waiter for both leaves them untouched until both can go. (From 0 again,
  // whatever the first half left.)
  ASSERT_THAT(SYS(semctl(id_, 0, SETVAL, 0)), SyscallSucceeds());
  Child both = Child::Fork([&]() {
    sembuf ops[2] = {{0, -1, 0}, {1, -1, 0}};
    return semop(id_, ops, 2) == 0 ? 0 : 3;
  });
  if (!WaitersCounted(0, {&both})) return;
  ASSERT_EQ(Op(0, +1), 0);
  EXPECT_FALSE(both.EndsWithin(kQuietWindow)) << "went on with only one of its two operations";
  EXPECT_EQ(Value(0), 1) << "semaphore 0 was taken alone";
  ASSERT_EQ(Op(1, +1), 0);
  EXPECT_TRUE(ExitedWith(both.Wait(), 0));
  EXPECT_EQ(Value(0), 0);
  EXPECT_EQ(Value(1), 0);
}

class SysvSemUndo : public SysvSem, public ::testing::WithParamInterface<int> {};

IPC_TEST_P(SysvSemUndo, UndoRevertsWhenTheProcessExits, "SYSV.SEM.UNDO_ON_EXIT") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV | kSemP));
  ASSERT_EQ(semctl(id_, 2, SETVAL, 5), 0);
  int delta = GetParam();
  Outcome o = RunAtOnce([&]() { return RawOp(2, delta, SEM_UNDO) == 0 ? 0 : 3; });
  ASSERT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(Value(2), 5) << "the child's " << delta << " with SEM_UNDO must be reverted at exit";
  Outcome plain = RunAtOnce([&]() { return RawOp(2, delta) == 0 ? 0 : 3; });
  ASSERT_TRUE(ExitedWith(plain, 0));
  EXPECT_EQ(Value(2), 5 + delta) << "without SEM_UNDO the operation stays";
}

IPC_TEST_P(SysvSemUndo, UndoRevertsWhenTheProcessIsKilled, "SYSV.SEM.UNDO_ON_KILL") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV | kSemP));
  ASSERT_EQ(semctl(id_, 2, SETVAL, 5), 0);
  int delta = GetParam();
  Handshake done;
  Child holder = Child::Fork([&]() {
    done.BecomeChild();
    if (RawOp(2, delta, SEM_UNDO) != 0) return 3;
    done.Send();
    pause();  // until killed
    return 0;
  });
  done.BecomeParent();
  ASSERT_TRUE(done.Receive()) << "the holder's " << delta << " with SEM_UNDO did not return 0: "
                              << holder.Wait(Millis(0)).Describe();
  ASSERT_EQ(Value(2), 5 + delta) << "the holder's operation returned without taking effect";
  EXPECT_TRUE(KilledBySignal(holder.Kill(), SIGKILL));
  EXPECT_EQ(Value(2), 5) << "SEM_UNDO must revert the " << delta << " of a killed process";
}

INSTANTIATE_TEST_SUITE_P(Deltas, SysvSemUndo, ::testing::Values(-3, -1, 1, 4));

IPC_TEST_F(SysvSem, SetvalThenGetvalPerSemaphore, "SYSV.SEM.SETVAL_GETVAL") {
  for (int v : {0, 1, 7, kSemvmx}) {
    ASSERT_THAT(SYS(semctl(id_, 1, SETVAL, v)), SyscallSucceeds());
    EXPECT_THAT(SYS(semctl(id_, 1, GETVAL)), SyscallSucceedsWithValue(v));
    EXPECT_EQ(Value(0), 0) << "SETVAL on 1 changed 0";
  }
}

IPC_TEST_F(SysvSem, SetallThenGetall, "SYSV.SEM.SETALL_GETALL") {
  unsigned short set[3] = {3, 0, 9};
  ASSERT_THAT(SYS(semctl(id_, 0, SETALL, set)), SyscallSucceeds());
  unsigned short got[3] = {1, 1, 1};
  ASSERT_THAT(SYS(semctl(id_, 0, GETALL, got)), SyscallSucceeds());
  EXPECT_EQ(std::vector<unsigned short>(got, got + 3), std::vector<unsigned short>(set, set + 3));
  EXPECT_EQ(Value(2), 9);
}

IPC_TEST_F(SysvSem, GetpidNamesTheLastProcessToOperate, "SYSV.SEM.GETPID_LAST_OP") {
  pid_t first = 0;
  ASSERT_EQ(Op(1, +1, 0, &first), 0);
  EXPECT_THAT(SYS(semctl(id_, 1, GETPID)), SyscallSucceedsWithValue(first));
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemP));  // a P that does nothing is not an operation
  pid_t second = 0;
  ASSERT_EQ(Op(1, -1, 0, &second), 0);
  ASSERT_NE(second, first) << "the first process's pid was reused: the two cannot be told apart";
  EXPECT_THAT(SYS(semctl(id_, 1, GETPID)), SyscallSucceedsWithValue(second));
}

IPC_TEST_F(SysvSem, ValuesAboveSemvmxFailWithErange, "SYSV.SEM.ABOVE_SEMVMX_ERANGE") {
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV));  // the V that must overflow
  EXPECT_THAT(SYS(semctl(id_, 0, SETVAL, kSemvmx + 1)), SyscallFailsWithErrno(ERANGE));
  EXPECT_EQ(Value(0), 0);
  ASSERT_THAT(SYS(semctl(id_, 0, SETVAL, kSemvmx)), SyscallSucceeds());
  EXPECT_THAT(SYS(Op(0, +1, IPC_NOWAIT)), SyscallFailsWithErrno(ERANGE));
  EXPECT_EQ(Value(0), kSemvmx);
}

IPC_TEST_F(SysvSem, SemtimedopTimesOutWithEagain, "SYSV.SEM.TIMEDOP_TIMES_OUT") {
  constexpr Millis kTimeout{20};  // the timeout under test, not a wait of ours
  // Asleep in the call kAsleepMeansHung after its timeout passed: the timeout was ignored.
  Outcome o = RunAtOnce(
      [&]() {
        sembuf p{0, -1, 0};
        timespec timeout{0, kTimeout.count() * 1000 * 1000};
        return semtimedop(id_, &p, 1, &timeout) == -1 && errno == EAGAIN ? 0 : 3;
      },
      kTimeout);
  EXPECT_TRUE(ExitedWith(o, 0)) << "semtimedop must give up with EAGAIN after its timeout";
}

IPC_TEST_F(SysvSem, BinarySemaphoreGivesMutualExclusion, "SYSV.SEM.MUTUAL_EXCLUSION") {
  constexpr int kProcesses = 4;
  constexpr int kRounds = 400;
  // The V that leaves the section and the memory that holds the counter are what it stands on;
  // the P is what it checks.
  IPCCONF_BLOCKED_BY_FAULT(SemFault(kSemV));
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared));
  int shm = JournaledShmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(shm, 0);
  auto shm_owner = Own(ipc::SysvKind::kSharedMemory, shm);
  volatile long* shared = static_cast<long*>(ShmatAfterProbe(shm, 0));
  ASSERT_NE(shared, reinterpret_cast<long*>(-1));
  for (int i = 0; i < 4; ++i) shared[i] = 0;  // counter, inside, overlap seen, a P's errno
  ASSERT_EQ(semctl(id_, 0, SETVAL, 1), 0);
  std::vector<Child> workers;
  for (int w = 0; w < kProcesses; ++w) {
    workers.push_back(Child::Fork([&]() {
      for (int i = 0; i < kRounds; ++i) {
        if (RawOp(0, -1, SEM_UNDO) != 0) {
          shared[3] = errno;
          return 3;
        }
        if (__atomic_add_fetch(&shared[1], 1, __ATOMIC_SEQ_CST) != 1) shared[2] = 1;  // overlap
        long c = shared[0];
        sched_yield();  // widens the critical section: others run now if they can get in
        shared[0] = c + 1;
        __atomic_sub_fetch(&shared[1], 1, __ATOMIC_SEQ_CST);
        if (RawOp(0, +1, SEM_UNDO) != 0) return 4;
      }
      return 0;
    }));
  }
  // One bound for the workers together: they run at the same time.
  auto deadline = std::chrono::steady_clock::now() + kEventBound;
  std::vector<Outcome> ended;
  for (Child& w : workers) {
    auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    ended.push_back(w.Wait(std::max(left, Millis(0))));
  }
  // A P that fails instead of waiting for the holder is not a lock at all.
  IPCCONF_BLOCKED_BY_IF(shared[3] != 0, "SYSV.SEM.P_ON_ZERO_BLOCKS",
                        "a worker's P (without IPC_NOWAIT) failed with " +
                            ErrnoName(static_cast<int>(shared[3])) + " instead of waiting");
  for (const Outcome& o : ended) EXPECT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(shared[2], 0) << "two processes were inside the critical section at once";
  EXPECT_EQ(shared[0], kProcesses * kRounds) << "increments were lost";
  shmdt(const_cast<long*>(shared));
}

}  // namespace
}  // namespace ipcconf
