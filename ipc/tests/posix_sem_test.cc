// NamedSemaphore and UnnamedSemaphore: creation and its errors, the operations, sharing with a
// forked child, and what their lifetimes release (the name, the mapping).
#include "ipc/posix_sem.h"

#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "harness/child.h"
#include "harness/posix_names.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipcconf::Child;
using ::ipcconf::ExitedWith;
using ::ipcconf::PosixIpcName;

bool NameExists(const std::string& name) {
  sem_t* sem = sem_open(name.c_str(), 0);
  if (sem == SEM_FAILED) return false;
  sem_close(sem);
  return true;
}

TEST(NamedSemaphore, CreateThenOpenShareTheValue) {
  std::string name = PosixIpcName("unit");
  ipc::Result<ipc::NamedSemaphore> made = ipc::NamedSemaphore::Create(name, 2);
  ASSERT_TRUE(Succeeded(made));
  EXPECT_TRUE(made->owns_name());
  EXPECT_EQ(made->name(), name);
  ipc::Result<ipc::NamedSemaphore> opened = ipc::NamedSemaphore::Open(name);
  ASSERT_TRUE(Succeeded(opened));
  EXPECT_FALSE(opened->owns_name());
  EXPECT_TRUE(Succeeded(opened->TryWait()));
  EXPECT_EQ(made->Value().value(), 1);
  EXPECT_TRUE(Succeeded(made->Post()));
  EXPECT_EQ(opened->Value().value(), 2);
}

TEST(NamedSemaphore, ErrorsNameTheCall) {
  std::string name = PosixIpcName("unit");
  ipc::NamedSemaphore made = std::move(ipc::NamedSemaphore::Create(name, 0).value());
  EXPECT_TRUE(FailedWith(ipc::NamedSemaphore::Create(name, 0), EEXIST,
                         "sem_open(" + name + ", O_CREAT|O_EXCL, 0600, 0)"));
  EXPECT_TRUE(FailedWith(ipc::NamedSemaphore::Open(PosixIpcName("absent")), ENOENT, "sem_open("));
  EXPECT_TRUE(FailedWith(made.TryWait(), EAGAIN, "sem_trywait(" + name + ")"));
  EXPECT_TRUE(FailedWith(
      ipc::NamedSemaphore::Create(PosixIpcName("big"), static_cast<unsigned>(SEM_VALUE_MAX) + 1),
      EINVAL, "sem_open("));
}

TEST(NamedSemaphore, TheCreatorUnlinksTheNameWhenItGoesAnOpenerDoesNot) {
  std::string name = PosixIpcName("unit");
  {
    ipc::NamedSemaphore made = std::move(ipc::NamedSemaphore::Create(name, 0).value());
    { ipc::NamedSemaphore opened = std::move(ipc::NamedSemaphore::Open(name).value()); }
    EXPECT_TRUE(NameExists(name)) << "an opener's end must not remove the name";
    ipc::NamedSemaphore moved = std::move(made);
    EXPECT_TRUE(moved.owns_name());
    EXPECT_FALSE(made.owns_name());  // NOLINT(bugprone-use-after-move): checking the move
  }
  EXPECT_FALSE(NameExists(name)) << "the creator's end must unlink the name";
}

TEST(NamedSemaphore, UnlinkRemovesTheNameAndTheHandleStillWorks) {
  std::string name = PosixIpcName("unit");
  ipc::NamedSemaphore made = std::move(ipc::NamedSemaphore::Create(name, 0).value());
  ASSERT_TRUE(Succeeded(made.Unlink()));
  EXPECT_FALSE(made.owns_name());
  EXPECT_FALSE(NameExists(name));
  EXPECT_TRUE(Succeeded(made.Post()));
  EXPECT_TRUE(Succeeded(made.Wait()));
  EXPECT_TRUE(FailedWith(made.Unlink(), ENOENT, "sem_unlink(" + name + ")"));
  EXPECT_TRUE(Succeeded(made.Close()));
  EXPECT_TRUE(Succeeded(made.Close())) << "closing twice closes once";
}

TEST(UnnamedSemaphore, OperationsAndTimedWait) {
  ipc::Result<ipc::UnnamedSemaphore> sem = ipc::UnnamedSemaphore::Create(1);
  ASSERT_TRUE(Succeeded(sem));
  EXPECT_EQ(sem->sharing(), ipc::Sharing::kProcesses);
  EXPECT_TRUE(Succeeded(sem->Wait()));
  EXPECT_EQ(sem->Value().value(), 0);
  timespec past{};
  clock_gettime(CLOCK_REALTIME, &past);
  EXPECT_TRUE(FailedWith(sem->WaitUntil(past), ETIMEDOUT, "sem_timedwait(unnamed)"));
  EXPECT_TRUE(Succeeded(sem->Post()));
  EXPECT_TRUE(Succeeded(sem->WaitUntil(past))) << "a positive value is taken at once";
  EXPECT_TRUE(FailedWith(ipc::UnnamedSemaphore::Create(static_cast<unsigned>(SEM_VALUE_MAX) + 1),
                         EINVAL, "sem_init(pshared 1, "));
}

TEST(UnnamedSemaphore, OverflowFailsWithEoverflow) {
  ipc::UnnamedSemaphore sem = std::move(ipc::UnnamedSemaphore::Create(SEM_VALUE_MAX).value());
  EXPECT_TRUE(FailedWith(sem.Post(), EOVERFLOW, "sem_post(unnamed)"));
}

TEST(UnnamedSemaphore, SharedWithAForkedChildOrCopied) {
  for (ipc::Sharing sharing : {ipc::Sharing::kProcesses, ipc::Sharing::kThreads}) {
    ipc::UnnamedSemaphore sem = std::move(ipc::UnnamedSemaphore::Create(0, sharing).value());
    ipcconf::Outcome posted = ipcconf::RunInChild([&]() { return sem.Post() ? 0 : 3; });
    EXPECT_TRUE(ExitedWith(posted, 0));
    EXPECT_EQ(sem.Value().value(), sharing == ipc::Sharing::kProcesses ? 1 : 0)
        << "a child's post reaches a shared semaphore and only its own copy of a private one";
  }
}

TEST(UnnamedSemaphore, MovedFromOwnsNothing) {
  ipc::UnnamedSemaphore first = std::move(ipc::UnnamedSemaphore::Create(3).value());
  sem_t* sem = first.get();
  ipc::UnnamedSemaphore second;
  second = std::move(first);
  EXPECT_EQ(first.get(), nullptr);  // NOLINT(bugprone-use-after-move): checking the move
  EXPECT_EQ(second.get(), sem);
  EXPECT_EQ(second.Value().value(), 3);
}

}  // namespace
