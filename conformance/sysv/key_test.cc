// Keys (XSH ftok(), IPC_PRIVATE) and the create/get matrix of shmget/semget/msgget, one body
// per rule for the three kinds of object.
#include <sys/ipc.h>
#include <unistd.h>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/leak_guard.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

IPC_TEST(SysvKey, FtokIsDeterministic, "SYSV.KEY.FTOK_DETERMINISTIC") {
  KeyFile file;
  key_t first = ftok(file.path().c_str(), 7);
  ASSERT_NE(first, -1) << "ftok of an existing file: " << ErrnoName(errno);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ftok(file.path().c_str(), 7), first) << "ftok of the same file and id, call " << i;
  }
}

IPC_TEST(SysvKey, FtokDiffersAcrossIds, "SYSV.KEY.FTOK_ID_DISTINGUISHES") {
  KeyFile file;
  key_t a = ftok(file.path().c_str(), 1);
  key_t b = ftok(file.path().c_str(), 2);
  ASSERT_NE(a, -1);
  ASSERT_NE(b, -1);
  EXPECT_NE(a, b) << "ids 1 and 2 on the same file gave the same key";
}

IPC_TEST(SysvKey, FtokOfMissingPathFails, "SYSV.KEY.FTOK_MISSING_PATH_FAILS") {
  std::string missing = TestTmpDir() + "/no_such_file";
  EXPECT_THAT(SYS(ftok(missing.c_str(), 1)), SyscallFailsWithErrno(ENOENT));
}

class SysvKeyMatrix : public ::testing::TestWithParam<ipc::SysvKind> {
 protected:
  const SysvKindOps& ops() const { return OpsOf(GetParam()); }
  int Get(key_t key, int flags, int size = -1) {
    return ops().get(key, size < 0 ? ops().default_size : size, flags);
  }
  ipc::SysvHandle Own(int id) { return ipcconf::Own(GetParam(), id); }
  // A new object on the free `key` (blocked by SYSV.KEY.EXCL_FREE_CREATES if that fails).
  int Create(key_t key, int size = -1) {
    return CreateOnFreeKey(ops(), key, size < 0 ? ops().default_size : size, 0600);
  }
  KeyFile file_;
};

IPC_TEST_P(SysvKeyMatrix, PrivateAlwaysMakesANewObject, "SYSV.KEY.PRIVATE_ALWAYS_NEW") {
  int a = Get(IPC_PRIVATE, IPC_CREAT | 0600);
  auto own_a = Own(a);
  int b = Get(IPC_PRIVATE, IPC_CREAT | 0600);
  auto own_b = Own(b);
  int c = Get(IPC_PRIVATE, 0600);  // even without IPC_CREAT
  auto own_c = Own(c);
  ASSERT_GE(a, 0) << ErrnoName(errno);
  ASSERT_GE(b, 0);
  ASSERT_GE(c, 0);
  EXPECT_NE(a, b);
  EXPECT_NE(a, c);
  EXPECT_NE(b, c);
}

IPC_TEST_P(SysvKeyMatrix, CreatOnFreeKeyCreates, "SYSV.KEY.CREAT_CREATES_FREE_KEY") {
  key_t key = file_.Key();
  ASSERT_NE(key, -1);
  // KeyFile found the key free; a get without IPC_CREAT must say so, not make an object.
  int before = Get(key, 0600);
  int before_errno = errno;
  auto own_before = Own(before);
  IPCCONF_BLOCKED_BY_IF(before >= 0, "SYSV.KEY.NO_FLAG_FREE_ENOENT",
                        "*get(free key, 0600) without IPC_CREAT made an object");
  ASSERT_EQ(before_errno, ENOENT) << "the key must be free: " << ErrnoName(before_errno);
  int id = Get(key, IPC_CREAT | 0600);
  auto own = Own(id);
  ASSERT_GE(id, 0) << "IPC_CREAT on a free key: " << ErrnoName(errno);
  EXPECT_THAT(SYS(Get(key, 0600)), SyscallSucceedsWithValue(id)) << "the key now names it";
}

IPC_TEST_P(SysvKeyMatrix, CreatOnExistingKeyGetsIt, "SYSV.KEY.CREAT_GETS_EXISTING") {
  key_t key = file_.Key();
  int id = Create(key);
  auto own = Own(id);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  int again = Get(key, IPC_CREAT | 0600);
  auto own_again = Own(again == id ? -1 : again);
  EXPECT_EQ(again, id) << "IPC_CREAT on a key with an object must return that object";
}

IPC_TEST_P(SysvKeyMatrix, CreatExclOnExistingKeyFailsWithEexist,
           "SYSV.KEY.EXCL_EXISTING_EEXIST") {
  key_t key = file_.Key();
  int id = Create(key);
  auto own = Own(id);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  int again = Get(key, IPC_CREAT | IPC_EXCL | 0600);
  auto own_again = Own(again == id ? -1 : again);
  EXPECT_THAT((SyscallResult{again, errno, "*get(key, IPC_CREAT|IPC_EXCL) again"}),
              SyscallFailsWithErrno(EEXIST));
}

IPC_TEST_P(SysvKeyMatrix, CreatExclOnFreeKeyCreates, "SYSV.KEY.EXCL_FREE_CREATES") {
  key_t key = file_.Key();
  int id = Get(key, IPC_CREAT | IPC_EXCL | 0600);
  auto own = Own(id);
  ASSERT_GE(id, 0) << "IPC_CREAT|IPC_EXCL on a free key: " << ErrnoName(errno);
  EXPECT_THAT(SYS(Get(key, 0600)), SyscallSucceedsWithValue(id));
}

IPC_TEST_P(SysvKeyMatrix, NoFlagOnFreeKeyFailsWithEnoent, "SYSV.KEY.NO_FLAG_FREE_ENOENT") {
  key_t key = file_.Key();
  int id = Get(key, 0600);
  auto own = Own(id);
  EXPECT_THAT((SyscallResult{id, errno, "*get(free key, 0600)"}), SyscallFailsWithErrno(ENOENT));
}

IPC_TEST_P(SysvKeyMatrix, ExclAloneDoesNotCreate, "SYSV.KEY.EXCL_ALONE_NO_CREATE") {
  key_t key = file_.Key();
  int id = Get(key, IPC_EXCL | 0600);
  auto own = Own(id);
  EXPECT_THAT((SyscallResult{id, errno, "*get(free key, IPC_EXCL|0600)"}),
              SyscallFailsWithErrno(ENOENT));
  int later = Get(key, 0600);
  auto own_later = Own(later);
  EXPECT_EQ(later, -1) << "IPC_EXCL without IPC_CREAT must not have created an object";
}

INSTANTIATE_TEST_SUITE_P(Kinds, SysvKeyMatrix, ::testing::ValuesIn(AllSysvKinds()),
                         SysvKindName);

class SysvSizedKeyMatrix : public SysvKeyMatrix {};

IPC_TEST_P(SysvSizedKeyMatrix, LargerThanExistingFailsWithEinval,
           "SYSV.KEY.LARGER_THAN_EXISTING_EINVAL") {
  key_t key = file_.Key();
  int id = Create(key);
  auto own = Own(id);
  ASSERT_GE(id, 0) << ErrnoName(errno);
  EXPECT_THAT(SYS(Get(key, 0600, ops().default_size)), SyscallSucceedsWithValue(id))
      << "the same size gets it";
  EXPECT_THAT(SYS(Get(key, 0600, ops().default_size + 1)), SyscallFailsWithErrno(EINVAL));
  // The last case stands on IPC_CREAT getting an existing object at all.
  int same = Get(key, IPC_CREAT | 0600, ops().default_size);
  auto own_same = Own(same == id ? -1 : same);
  IPCCONF_BLOCKED_BY_IF(same != id, "SYSV.KEY.CREAT_GETS_EXISTING",
                        "*get(key, IPC_CREAT) of the same size gave " + std::to_string(same) +
                            ", not the existing object " + std::to_string(id));
  EXPECT_THAT(SYS(Get(key, IPC_CREAT | 0600, ops().default_size * 4)),
              SyscallFailsWithErrno(EINVAL))
      << "IPC_CREAT does not grow an existing object";
}

INSTANTIATE_TEST_SUITE_P(Kinds, SysvSizedKeyMatrix, ::testing::ValuesIn(SizedSysvKinds()),
                         SysvKindName);

}  // namespace
}  // namespace ipcconf
