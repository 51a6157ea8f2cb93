// IpcKey, the creation observer, and SysvHandle: removal by lifetime, moves, release.
#include "ipc/sysv_handle.h"

#include <sys/sem.h>
#include <sys/shm.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "harness/leak_guard.h"
#include "harness/sysv_journal.h"
#include "gtest/gtest.h"
#include "ipc/ipc_key.h"
#include "ipc/msg.h"
#include "ipc/sem.h"
#include "ipc/shm.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipc_test::TestKey;

bool SegmentExists(int id) {
  shmid_ds ds;
  return shmctl(id, IPC_STAT, &ds) == 0;
}

int NewSegment() { return shmget(IPC_PRIVATE, 64, IPC_CREAT | 0600); }

TEST(IpcKey, PrivateIsTheDefault) {
  EXPECT_TRUE(ipc::IpcKey().is_private());
  EXPECT_EQ(ipc::IpcKey::Private().value(), IPC_PRIVATE);
  EXPECT_EQ(ipc::IpcKey::Private().Describe(), "IPC_PRIVATE");
}

TEST(IpcKey, FromPathIsFtokAndStable) {
  const std::string dir = ipcconf::TestTmpDir();
  ipc::Result<ipc::IpcKey> a = ipc::IpcKey::FromPath(dir, 7);
  ASSERT_TRUE(Succeeded(a));
  EXPECT_EQ(a->value(), ftok(dir.c_str(), 7));
  EXPECT_FALSE(a->is_private());
  EXPECT_EQ(ipc::IpcKey::FromPath(dir, 7)->value(), a->value()) << "same path and id, same key";
  EXPECT_NE(ipc::IpcKey::FromPath(dir, 8)->value(), a->value()) << "another project id";
  char text[32];
  snprintf(text, sizeof text, "key 0x%08x", static_cast<unsigned>(a->value()));
  EXPECT_EQ(a->Describe(), text);
}

TEST(IpcKey, FromAMissingPathFailsWithEnoentNamingFtok) {
  const std::string path = ipcconf::TestTmpDir() + "/missing";
  EXPECT_TRUE(FailedWith(ipc::IpcKey::FromPath(path, 3), ENOENT, "ftok(\"" + path + "\", 3)"));
}

std::vector<std::pair<ipc::SysvKind, int>> g_created;
void RecordCreation(ipc::SysvKind kind, int id) { g_created.emplace_back(kind, id); }

TEST(SysvCreationObserver, HearsOfEachCreationButNotOfAGet) {
  if (ipcconf::SysvJournalEnabled()) GTEST_SKIP() << "the run journal owns the observer here";
  g_created.clear();
  ipc::SetSysvCreationObserver(&RecordCreation);
  {
    ipc::SharedMemory shm = std::move(ipc::SharedMemory::Create(TestKey(), 64).value());
    ipc::SemaphoreSet sems = std::move(ipc::SemaphoreSet::Create(TestKey(), 1).value());
    ipc::MessageQueue queue = std::move(ipc::MessageQueue::Create(TestKey()).value());
    EXPECT_TRUE(Succeeded(ipc::SharedMemory::Get(TestKey())));
    EXPECT_EQ(g_created, (std::vector<std::pair<ipc::SysvKind, int>>{
                             {ipc::SysvKind::kSharedMemory, shm.id()},
                             {ipc::SysvKind::kSemaphoreSet, sems.id()},
                             {ipc::SysvKind::kMessageQueue, queue.id()}}));
  }
  ipc::SetSysvCreationObserver(nullptr);
}

TEST(SysvHandle, AnOwnerRemovesTheObjectWhenItGoes) {
  const int id = NewSegment();
  ASSERT_GE(id, 0);
  { ipc::SysvHandle owner(ipc::SysvKind::kSharedMemory, id, true); }
  EXPECT_FALSE(SegmentExists(id));
}

TEST(SysvHandle, ANonOwnerAndAReleasedOwnerLeaveIt) {
  const int id = NewSegment();
  ASSERT_GE(id, 0);
  { ipc::SysvHandle viewer(ipc::SysvKind::kSharedMemory, id, false); }
  EXPECT_TRUE(SegmentExists(id));
  {
    ipc::SysvHandle owner(ipc::SysvKind::kSharedMemory, id, true);
    EXPECT_EQ(owner.Release(), id);
    EXPECT_FALSE(owner.owned());
  }
  EXPECT_TRUE(SegmentExists(id));
  shmctl(id, IPC_RMID, nullptr);
}

TEST(SysvHandle, MovesTransferOwnershipAndAssignmentRemovesTheOldObject) {
  const int a = NewSegment(), b = NewSegment();
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  ipc::SysvHandle first(ipc::SysvKind::kSharedMemory, a, true);
  ipc::SysvHandle moved(std::move(first));
  EXPECT_FALSE(first.owned());  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(first.id(), -1);    // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved.owned());
  moved = ipc::SysvHandle(ipc::SysvKind::kSharedMemory, b, true);
  EXPECT_FALSE(SegmentExists(a)) << "assigning over an owner removes its object";
  EXPECT_TRUE(SegmentExists(b));
  EXPECT_EQ(moved.id(), b);
}

TEST(SysvHandle, RemoveOfAnObjectAlreadyGoneNamesTheCall) {
  const int shm = NewSegment();
  const int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  const int msg = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_TRUE(shm >= 0 && sem >= 0 && msg >= 0);
  for (auto [kind, id, call] : {std::tuple{ipc::SysvKind::kSharedMemory, shm, "shmctl"},
                                std::tuple{ipc::SysvKind::kSemaphoreSet, sem, "semctl"},
                                std::tuple{ipc::SysvKind::kMessageQueue, msg, "msgctl"}}) {
    ipc::SysvHandle owner(kind, id, true);
    EXPECT_TRUE(Succeeded(owner.Remove()));
    EXPECT_FALSE(owner.owned()) << "after Remove() the destructor removes nothing";
    ipc::SysvHandle stale(kind, id, true);
    EXPECT_TRUE(FailedWith(stale.Remove(), EINVAL,
                           std::string(call) + "(" + std::to_string(id) + ", IPC_RMID)"));
  }
}

TEST(SysvHandle, GetFlagNamesSpellsTheFlagsAndOctalMode) {
  EXPECT_EQ(ipc::GetFlagNames(IPC_CREAT | IPC_EXCL | 0600), "IPC_CREAT|IPC_EXCL|0600");
  EXPECT_EQ(ipc::GetFlagNames(IPC_CREAT | 0644), "IPC_CREAT|0644");
  ipc::Error e = ipc::GetError("semget", ipc::IpcKey::Private(), 2, IPC_CREAT | 0600, ENOSPC);
  EXPECT_EQ(e.call, "semget(IPC_PRIVATE, 2, IPC_CREAT|0600)");
  EXPECT_EQ(e.error, ENOSPC);
}

}  // namespace
