// Making, opening, closing and removing semaphores (XSH sem_open(), sem_close(), sem_unlink(),
// sem_init(); man 7 sem_overview for names): flags, values, names, permissions, lifetime.
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <semaphore.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <tuple>
#include <utility>

#include "conformance/posix_sem/sem_kinds.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "ipc/posix_sem.h"

namespace ipcconf {
namespace {

// sem_open that the test checks for failure: a semaphore it opens anyway is closed, and removed
// when the call was to create it, so that the failure of this test is the only consequence.
int OpenFailure(const std::string& name, int flags, unsigned value = 0) {
  sem_t* sem = sem_open(name.c_str(), flags, 0600, value);
  if (sem == SEM_FAILED) return errno;
  sem_close(sem);
  if (!(flags & O_CREAT) || (flags & O_EXCL)) sem_unlink(name.c_str());
  return 0;
}

ipc::NamedSemaphore MakeNamed(unsigned value = 0, int mode = 0600) {
  auto made = ipc::NamedSemaphore::Create(PosixIpcName("sem"), value, mode);
  EXPECT_TRUE(made.ok()) << made.error().Describe();
  return made.ok() ? std::move(made.value()) : ipc::NamedSemaphore();
}

// Whether this process still has the named semaphore open, or has closed every handle of it
// (the name alone keeps it).
class PosixSemHandle : public ::testing::TestWithParam<bool> {
 protected:
  bool closed() const { return GetParam(); }
};

std::string HandleCaseName(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "AllHandlesClosed" : "HandleOpen";
}

IPC_TEST_P(PosixSemHandle, CreateExclusiveOnAnExistingNameFailsWithEexist,
           "POSIX_SEM.OPEN.EXCL_EXISTING_EEXIST") {
  ipc::NamedSemaphore sem = MakeNamed();
  ASSERT_NE(sem.get(), nullptr);
  if (closed()) {
    ASSERT_TRUE(sem.Close().ok()) << "sem_close";
    // The name must still be there for O_EXCL to find it.
    sem_t* probe = sem_open(sem.name().c_str(), 0);
    IPCCONF_BLOCKED_BY_IF(
        probe == SEM_FAILED, "POSIX_SEM.CLOSE.NAME_REMAINS",
        "after sem_close of its only handle, the name no longer opens: " + ErrnoName(errno));
    sem_close(probe);
  }
  EXPECT_EQ(ErrnoName(OpenFailure(sem.name(), O_CREAT | O_EXCL)), ErrnoName(EEXIST));
}

IPC_TEST(PosixSemOpen, CreateOnAnExistingNameOpensIt, "POSIX_SEM.OPEN.CREAT_OPENS_EXISTING") {
  if (!GetvalueHonest()) return;
  ipc::NamedSemaphore sem = MakeNamed();
  ASSERT_NE(sem.get(), nullptr);
  ASSERT_EQ(sem_post(sem.get()), 0);
  ASSERT_EQ(sem_post(sem.get()), 0);
  sem_t* again = sem_open(sem.name().c_str(), O_CREAT, 0600, 7);
  ASSERT_NE(again, SEM_FAILED) << "sem_open(O_CREAT) of an existing name: " << ErrnoName(errno);
  EXPECT_EQ(ValueOf(again), 2) << "the existing semaphore's value, not the value argument";
  ASSERT_EQ(sem_post(again), 0);
  EXPECT_EQ(ValueOf(sem.get()), 3) << "a post through the second handle reaches the first";
  sem_close(again);
}

IPC_TEST(PosixSemOpen, OpenWithoutCreateOfAMissingNameFailsWithEnoent,
         "POSIX_SEM.OPEN.MISSING_ENOENT") {
  EXPECT_EQ(ErrnoName(OpenFailure(PosixIpcName("absent"), 0)), ErrnoName(ENOENT));
  EXPECT_EQ(ErrnoName(OpenFailure(PosixIpcName("absent"), O_RDWR)), ErrnoName(ENOENT));
}

using KindAndValue = std::tuple<SemKind, unsigned>;
class PosixSemValue : public ::testing::TestWithParam<KindAndValue> {};

std::string KindAndValueName(const ::testing::TestParamInfo<KindAndValue>& info) {
  unsigned v = std::get<1>(info.param);
  return SemKindName({std::get<0>(info.param), info.index}) +
         (v == SEM_VALUE_MAX ? std::string("ValueMax") : "Value" + std::to_string(v));
}

IPC_TEST_P(PosixSemValue, NewSemaphoreHasTheValueGiven, "POSIX_SEM.OPEN.INITIAL_VALUE") {
  if (!GetvalueHonest()) return;
  KindSemaphore sem(std::get<0>(GetParam()), std::get<1>(GetParam()));
  ASSERT_NE(sem.get(), nullptr) << sem.error();
  EXPECT_EQ(ValueOf(sem.get()), static_cast<int>(std::get<1>(GetParam())));
}

INSTANTIATE_TEST_SUITE_P(KindsAndValues, PosixSemValue,
                         ::testing::Combine(::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                                            ::testing::Values(0u, 1u, 5u, unsigned{SEM_VALUE_MAX})),
                         KindAndValueName);

class PosixSemKind : public ::testing::TestWithParam<SemKind> {};

IPC_TEST_P(PosixSemKind, ValueAboveSemValueMaxFailsWithEinval,
           "POSIX_SEM.OPEN.ABOVE_VALUE_MAX_EINVAL") {
  unsigned above = static_cast<unsigned>(SEM_VALUE_MAX) + 1;
  if (GetParam() == SemKind::kNamed) {
    EXPECT_EQ(ErrnoName(OpenFailure(PosixIpcName("big"), O_CREAT | O_EXCL, above)),
              ErrnoName(EINVAL));
  } else {
    auto made = ipc::UnnamedSemaphore::Create(above);
    EXPECT_FALSE(made.ok()) << "sem_init with SEM_VALUE_MAX + 1 succeeded";
    if (!made.ok()) {
      EXPECT_EQ(ErrnoName(made.error().error), ErrnoName(EINVAL));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, PosixSemKind, ::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                         SemKindName);

// Names man 7 sem_overview rules out; each made from PosixIpcName where it can be.
enum class BadName { kSlashOnly, kEmpty, kInnerSlash };
class PosixSemBadName : public ::testing::TestWithParam<BadName> {};

std::string BadNameName(const ::testing::TestParamInfo<BadName>& info) {
  switch (info.param) {
    case BadName::kSlashOnly:
      return "SlashOnly";
    case BadName::kEmpty:
      return "Empty";
    case BadName::kInnerSlash:
      return "InnerSlash";
  }
  return "Unknown";
}

IPC_TEST_P(PosixSemBadName, MalformedNameFailsWithEinval, "POSIX_SEM.NAME.MALFORMED_EINVAL") {
  std::string name = GetParam() == BadName::kSlashOnly ? "/"
                     : GetParam() == BadName::kEmpty   ? ""
                                                       : PosixIpcName("dir") + "/sem";
  EXPECT_EQ(ErrnoName(OpenFailure(name, O_CREAT | O_EXCL)), ErrnoName(EINVAL))
      << "sem_open(\"" << name << "\", O_CREAT|O_EXCL)";
}

INSTANTIATE_TEST_SUITE_P(Names, PosixSemBadName,
                         ::testing::Values(BadName::kSlashOnly, BadName::kEmpty,
                                           BadName::kInnerSlash),
                         BadNameName);

IPC_TEST(PosixSemOpen, NameLongerThanNameMaxIsRefused, "POSIX_SEM.NAME.TOO_LONG_REFUSED") {
  std::string name = PosixIpcName("long");
  name.resize(NAME_MAX + 2, 'x');  // a slash and NAME_MAX + 1 characters
  int error = OpenFailure(name, O_CREAT | O_EXCL);
  EXPECT_TRUE(error == ENAMETOOLONG || error == EINVAL)
      << "sem_open of a name of " << name.size() - 1
      << " characters after the slash: " << (error ? ErrnoName(error) : "succeeded")
      << "; expected ENAMETOOLONG or EINVAL";
}

IPC_TEST(PosixSemOpen, ModeDeniesOtherUsersWithEacces, "POSIX_SEM.OPEN.MODE_DENIES_EACCES") {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: to make a semaphore and then become nobody";
  Outcome can_drop = RunInChild([]() {
    return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0 ? 0 : errno;
  });
  if (!can_drop.Exited(0)) {
    GTEST_SKIP() << "cannot become uid 65534 here (" << ErrnoName(can_drop.code)
                 << "): run with --spawn_strategy=standalone to check this assertion";
  }
  // The mode asked is what must decide, not the umask: none here.
  mode_t old_umask = umask(0);
  ipc::NamedSemaphore denied = MakeNamed(0, 0600);
  ipc::NamedSemaphore granted = MakeNamed(0, 0666);
  umask(old_umask);
  ASSERT_NE(denied.get(), nullptr);
  ASSERT_NE(granted.get(), nullptr);
  auto open_as_nobody = [](const std::string& name) {
    return RunInChild([&]() {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) return 2;
      sem_t* sem = sem_open(name.c_str(), 0);
      if (sem != SEM_FAILED) return 0;
      return 10 + errno;
    });
  };
  EXPECT_TRUE(ExitedWith(open_as_nobody(denied.name()), 10 + EACCES))
      << "nobody opening a semaphore of mode 0600 owned by root (exit 0: it opened; 10 + errno)";
  EXPECT_TRUE(ExitedWith(open_as_nobody(granted.name()), 0))
      << "nobody opening a semaphore of mode 0666 (exit 10 + errno)";
}

IPC_TEST_P(PosixSemHandle, CloseLeavesTheNameAndValue, "POSIX_SEM.CLOSE.NAME_REMAINS") {
  if (!GetvalueHonest()) return;
  ipc::NamedSemaphore sem = MakeNamed();
  ASSERT_NE(sem.get(), nullptr);
  ASSERT_EQ(sem_post(sem.get()), 0);
  // Closing a second handle, or the creator's own (the last one of this process).
  sem_t* second = sem_open(sem.name().c_str(), 0);
  ASSERT_NE(second, SEM_FAILED) << "opening the name a second time: " << ErrnoName(errno);
  ASSERT_THAT(SYS(sem_close(second)), SyscallSucceeds());
  if (closed()) {
    ASSERT_TRUE(sem.Close().ok()) << "sem_close";
  }
  sem_t* again = sem_open(sem.name().c_str(), 0);
  ASSERT_NE(again, SEM_FAILED) << "the name after sem_close: " << ErrnoName(errno);
  EXPECT_EQ(ValueOf(again), 1) << "the value posted before sem_close";
  sem_close(again);
}

INSTANTIATE_TEST_SUITE_P(Handles, PosixSemHandle, ::testing::Bool(), HandleCaseName);

IPC_TEST(PosixSemLife, UnlinkRemovesTheName, "POSIX_SEM.UNLINK.REMOVES_NAME") {
  if (!GetvalueHonest()) return;
  ipc::NamedSemaphore sem = MakeNamed();
  ASSERT_NE(sem.get(), nullptr);
  ASSERT_EQ(sem_post(sem.get()), 0);
  std::string name = sem.name();
  ASSERT_THAT(SYS(sem_unlink(name.c_str())), SyscallSucceeds());
  EXPECT_EQ(ErrnoName(OpenFailure(name, 0)), ErrnoName(ENOENT)) << "opening the unlinked name";
  EXPECT_THAT(SYS(sem_unlink(name.c_str())), SyscallFailsWithErrno(ENOENT));
  auto fresh = ipc::NamedSemaphore::Create(name, 0);
  ASSERT_TRUE(fresh.ok()) << "the name must be free again: " << fresh.error().Describe();
  EXPECT_EQ(ValueOf(fresh->get()), 0) << "a new semaphore, not the old one (which holds 1)";
  sem.Close();
}

IPC_TEST(PosixSemLife, UnlinkedSemaphoreKeepsWorkingThroughOpenHandles,
         "POSIX_SEM.UNLINK.OPEN_HANDLES_WORK") {
  ipc::NamedSemaphore sem = MakeNamed();
  ASSERT_NE(sem.get(), nullptr);
  if (!SharedWithChildren(SemKind::kNamed, sem.get())) return;
  ASSERT_TRUE(sem.Unlink().ok()) << "sem_unlink";
  sem_t* s = sem.get();
  EXPECT_THAT(SYS(sem_post(s)), SyscallSucceeds());
  EXPECT_THAT(SYS(sem_trywait(s)), SyscallSucceeds()) << "taking the unit just posted";
  Outcome posted = RunInChild([&]() { return sem_post(s) == 0 ? 0 : 10 + errno; });
  EXPECT_TRUE(ExitedWith(posted, 0)) << "a child's post through the inherited handle";
  EXPECT_THAT(SYS(sem_trywait(s)), SyscallSucceeds()) << "taking the child's post";
}

}  // namespace
}  // namespace ipcconf
