// SemaphoreSet: values, P and V, atomic operation lists, non-blocking and timed variants,
// waiters seen through GETNCNT/GETZCNT, SEM_UNDO, removal by lifetime, errors.
#include "ipc/sem.h"

#include <unistd.h>

#include <utility>
#include <vector>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::PollUntil;
using ::ipc_test::Succeeded;
using ::ipc_test::TestKey;
using ::ipcconf::Child;
using ::ipcconf::ExitedWith;

using Values = std::vector<unsigned short>;

// A new private set of `n` semaphores holding `values`.
ipc::SemaphoreSet NewSet(Values values) {
  ipc::SemaphoreSet set =
      std::move(ipc::SemaphoreSet::Create(ipc::IpcKey::Private(), values.size()).value());
  EXPECT_TRUE(Succeeded(set.SetValues(values)));
  return set;
}

bool Exists(int id) { return semctl(id, 0, GETVAL) >= 0; }

TEST(SemaphoreSet, CreateGivesASetOfThatSizeAndMode) {
  ipc::Result<ipc::SemaphoreSet> set = ipc::SemaphoreSet::Create(TestKey(), 3, 0640);
  ASSERT_TRUE(Succeeded(set));
  ipc::Result<semid_ds> ds = set->Stat();
  ASSERT_TRUE(Succeeded(ds));
  EXPECT_EQ(ds->sem_nsems, 3u);
  EXPECT_EQ(ds->sem_perm.mode & 0777, 0640u);
  EXPECT_TRUE(Succeeded(set->SetMode(0604)));
  EXPECT_EQ(set->Stat()->sem_perm.mode & 0777, 0604u);
}

TEST(SemaphoreSet, CreateGetAndTheirErrorsNameTheCall) {
  ipc::SemaphoreSet set = std::move(ipc::SemaphoreSet::Create(TestKey(), 2).value());
  EXPECT_TRUE(FailedWith(ipc::SemaphoreSet::Create(TestKey(), 2), EEXIST,
                         "semget(" + TestKey().Describe() + ", 2, IPC_CREAT|IPC_EXCL|0600)"));
  EXPECT_TRUE(FailedWith(ipc::SemaphoreSet::Get(TestKey(2)), ENOENT, "semget("));
  EXPECT_TRUE(FailedWith(ipc::SemaphoreSet::Get(TestKey(), 3), EINVAL, "semget("))
      << "asking for more semaphores than the set has";
  ipc::Result<ipc::SemaphoreSet> got = ipc::SemaphoreSet::Get(TestKey());
  ASSERT_TRUE(Succeeded(got));
  EXPECT_EQ(got->id(), set.id());
}

TEST(SemaphoreSet, DestructionRemovesAnOwnedSetOnly) {
  int id;
  {
    ipc::SemaphoreSet owner = std::move(ipc::SemaphoreSet::Create(TestKey(), 1).value());
    id = owner.id();
    { ipc::SemaphoreSet viewer = std::move(ipc::SemaphoreSet::Get(TestKey()).value()); }
    EXPECT_TRUE(Exists(id)) << "a Get never removes";
    ipc::SemaphoreSet moved = std::move(owner);
  }
  EXPECT_FALSE(Exists(id));
}

TEST(SemaphoreSet, ValuesAndSingleValues) {
  ipc::SemaphoreSet set = NewSet({1, 2, 3});
  EXPECT_EQ(*set.Values(), (Values{1, 2, 3}));
  EXPECT_TRUE(Succeeded(set.SetValue(1, 7)));
  EXPECT_EQ(*set.Value(1), 7);
  EXPECT_TRUE(FailedWith(set.SetValue(5, 1), EINVAL,
                         "semctl(" + std::to_string(set.id()) + ", 5, SETVAL, 1)"));
  EXPECT_TRUE(
      FailedWith(set.Value(5), EINVAL, "semctl(" + std::to_string(set.id()) + ", 5, GETVAL)"));
}

TEST(SemaphoreSet, PAndVMoveTheValueAndRecordThePid) {
  ipc::SemaphoreSet set = NewSet({0});
  EXPECT_TRUE(Succeeded(set.V(0)));
  EXPECT_TRUE(Succeeded(set.V(0)));
  EXPECT_TRUE(Succeeded(set.P(0)));
  EXPECT_EQ(*set.Value(0), 1);
  EXPECT_EQ(*set.LastPid(0), getpid());
}

TEST(SemaphoreSet, ANonBlockingPOnZeroFailsWithEagain) {
  ipc::SemaphoreSet set = NewSet({0});
  EXPECT_TRUE(FailedWith(set.P(0, IPC_NOWAIT), EAGAIN,
                         "semop(" + std::to_string(set.id()) + ", {sem 0 op -1 IPC_NOWAIT})"));
  EXPECT_EQ(*set.Value(0), 0);
}

TEST(SemaphoreSet, AnOperationListIsAppliedWholeOrNotAtAll) {
  ipc::SemaphoreSet set = NewSet({0, 0});
  auto both = {ipc::SemaphoreSet::Op(0, +1), ipc::SemaphoreSet::Op(1, -1, IPC_NOWAIT)};
  EXPECT_TRUE(FailedWith(set.Apply(both), EAGAIN, "semop("));
  EXPECT_EQ(*set.Values(), (Values{0, 0})) << "the +1 must not be applied alone";
  ASSERT_TRUE(Succeeded(set.SetValue(1, 1)));
  EXPECT_TRUE(Succeeded(set.Apply(both)));
  EXPECT_EQ(*set.Values(), (Values{1, 0}));
}

TEST(SemaphoreSet, ATimedPFailsWithEagainWhenTheTimeoutPasses) {
  ipc::SemaphoreSet set = NewSet({0});
  const timespec ten_ms{0, 10 * 1000 * 1000};  // proves a P that must not succeed does not
  EXPECT_TRUE(
      FailedWith(set.ApplyWithin({ipc::SemaphoreSet::Op(0, -1)}, ten_ms), EAGAIN, "semtimedop("));
  ASSERT_TRUE(Succeeded(set.V(0)));
  EXPECT_TRUE(Succeeded(set.ApplyWithin({ipc::SemaphoreSet::Op(0, -1)}, ten_ms)));
}

TEST(SemaphoreSet, ABlockedPIsCountedAndReleasedByAV) {
  ipc::SemaphoreSet set = NewSet({0});
  Child waiter = Child::Fork([&] { return set.P(0).ok() ? 0 : 1; });
  ASSERT_TRUE(PollUntil([&] { return *set.WaitingForIncrease(0) == 1; }))
      << "the child's P on 0 must wait, counted by GETNCNT";
  EXPECT_TRUE(Succeeded(set.V(0)));
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0));
  EXPECT_EQ(*set.Value(0), 0);
  EXPECT_EQ(*set.LastPid(0), waiter.pid());
}

TEST(SemaphoreSet, AWaitForZeroIsCountedAndReleasedAtZero) {
  ipc::SemaphoreSet set = NewSet({1});
  Child waiter = Child::Fork([&] { return set.Apply({ipc::SemaphoreSet::Op(0, 0)}).ok() ? 0 : 1; });
  ASSERT_TRUE(PollUntil([&] { return *set.WaitingForZero(0) == 1; })) << "GETZCNT";
  EXPECT_TRUE(Succeeded(set.P(0)));
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0));
}

TEST(SemaphoreSet, RemovalWakesAWaiterWithEidrm) {
  ipc::SemaphoreSet set = NewSet({0});
  Child waiter = Child::Fork([&] { return set.P(0).error().error == EIDRM ? 0 : 1; });
  ASSERT_TRUE(PollUntil([&] { return *set.WaitingForIncrease(0) == 1; }));
  EXPECT_TRUE(Succeeded(set.Remove()));
  EXPECT_TRUE(ExitedWith(waiter.Wait(), 0)) << "the waiting P must fail with EIDRM";
}

TEST(SemaphoreSet, SemUndoIsReversedWhenTheProcessExits) {
  ipc::SemaphoreSet set = NewSet({0});
  EXPECT_TRUE(ExitedWith(ipcconf::RunInChild([&] { return set.V(0, SEM_UNDO).ok() ? 0 : 1; }), 0));
  EXPECT_EQ(*set.Value(0), 0) << "the exiting child's SEM_UNDO V is undone";
  EXPECT_TRUE(ExitedWith(ipcconf::RunInChild([&] { return set.V(0).ok() ? 0 : 1; }), 0));
  EXPECT_EQ(*set.Value(0), 1) << "without SEM_UNDO the V stays";
}

}  // namespace
