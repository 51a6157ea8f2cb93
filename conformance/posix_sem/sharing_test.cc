// Who shares a semaphore: forked processes through pshared 1 in shared memory, or through an
// inherited named semaphore; unrelated (exec'd) processes through the name; and nobody through
// a pshared 0 semaphore in private memory, which fork copies.
#include <fcntl.h>
#include <semaphore.h>

#include <string>

#include "conformance/posix_sem/sem_kinds.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "ipc/posix_sem.h"

namespace ipcconf {
namespace {

// Opens the named semaphore argv[1] (without O_CREAT), then posts (argv[2] "post") or waits
// ("wait"). Exit 0 when the call returned 0; 3: the open failed; 10 + errno: the call failed.
IPCCONF_HELPER(posix_sem_by_name) {
  if (argc < 3) return 2;
  sem_t* sem = sem_open(argv[1], 0);
  if (sem == SEM_FAILED) return 3;
  int rc = std::string(argv[2]) == "post" ? sem_post(sem) : sem_wait(sem);
  return rc == 0 ? 0 : 10 + errno;
}

// A child's post is taken here, and a waiting child is released by a post from here.
void ChildrenShare(SemKind kind) {
  KindSemaphore sem(kind, 0);
  ASSERT_NE(sem.get(), nullptr) << sem.error();
  if (!SharedWithChildren(kind, sem.get())) return;  // the test's own failure
  Child waiter = StartWaiter(sem.get());
  if (!Waiting(waiter)) return;
  ASSERT_EQ(sem_post(sem.get()), 0) << ErrnoName(errno);
  EXPECT_TRUE(ReleasedByPost(waiter));
}

IPC_TEST(PosixSemSharing, PsharedSemaphoreInSharedMemoryIsOneForForkedProcesses,
         "POSIX_SEM.UNNAMED.PSHARED_ACROSS_PROCESSES") {
  ChildrenShare(SemKind::kUnnamed);
}

IPC_TEST(PosixSemSharing, ForkedChildUsesItsParentsNamedSemaphore,
         "POSIX_SEM.NAMED.INHERITED_BY_FORK") {
  ChildrenShare(SemKind::kNamed);
}

IPC_TEST(PosixSemSharing, PrivateSemaphoreIsCopiedByFork,
         "POSIX_SEM.UNNAMED.PRIVATE_COPIED_BY_FORK") {
  auto made = ipc::UnnamedSemaphore::Create(0, ipc::Sharing::kThreads);
  ASSERT_TRUE(made.ok()) << made.error().Describe();
  sem_t* sem = made->get();
  Child waiter = StartWaiter(sem);
  if (!Waiting(waiter)) return;
  Outcome posted = RunInChild([&]() { return sem_post(sem) == 0 ? 0 : 10 + errno; });
  ASSERT_TRUE(ExitedWith(posted, 0)) << "a child's sem_post on its copy";
  EXPECT_TRUE(StaysBlocked(waiter.pid(), kInSemWait))
      << "a post on another process's copy of a pshared 0 semaphore woke the waiter";
  ASSERT_EQ(sem_post(sem), 0) << ErrnoName(errno);
  EXPECT_TRUE(StaysBlocked(waiter.pid(), kInSemWait))
      << "a post on the parent's copy of a pshared 0 semaphore woke a forked waiter";
  if (!GetvalueHonest()) return;
  EXPECT_EQ(ValueOf(sem), 1) << "the parent's copy holds the parent's post, nobody took it";
}

IPC_TEST(PosixSemSharing, UnrelatedProcessOpensTheSameSemaphoreByName,
         "POSIX_SEM.NAMED.SHARED_BY_NAME") {
  KindSemaphore sem(SemKind::kNamed, 0);
  ASSERT_NE(sem.get(), nullptr) << sem.error();
  Child poster = Child::Exec(HelperCommand("posix_sem_by_name", {sem.name(), "post"}));
  Outcome posted = poster.Wait();
  ASSERT_TRUE(ExitedWith(posted, 0)) << "the exec'd program opening " << sem.name()
                                     << " and posting (exit 3: it could not open the name)";
  EXPECT_EQ(sem_trywait(sem.get()), 0)
      << "the exec'd program's post did not reach this process: " << ErrnoName(errno);
  Child waiter = Child::Exec(HelperCommand("posix_sem_by_name", {sem.name(), "wait"}));
  if (!Waiting(waiter)) return;
  ASSERT_EQ(sem_post(sem.get()), 0) << ErrnoName(errno);
  EXPECT_TRUE(ReleasedByPost(waiter));
}

}  // namespace
}  // namespace ipcconf
