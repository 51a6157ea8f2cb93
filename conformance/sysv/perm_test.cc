// The permission header common to the three kinds (XBD <sys/ipc.h> struct ipc_perm): what
// IPC_STAT reports, what IPC_SET changes, and who is denied.
#include <sys/ipc.h>
#include <unistd.h>

#include "conformance/sysv/sysv_kinds.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class SysvPerm : public ::testing::TestWithParam<ipc::SysvKind> {
 protected:
  void SetUp() override {
    key_ = file_.Key();
    ASSERT_NE(key_, -1);
    id_ = ops().get(key_, ops().default_size, IPC_CREAT | IPC_EXCL | 0640);
    ASSERT_GE(id_, 0) << ErrnoName(errno);
    owner_ = Own(GetParam(), id_);
  }
  const SysvKindOps& ops() const { return OpsOf(GetParam()); }
  ipc_perm Stat() {
    ipc_perm perm{};
    EXPECT_THAT(SYS(ops().stat(id_, &perm)), SyscallSucceeds()) << "IPC_STAT";
    return perm;
  }
  KeyFile file_;
  key_t key_ = -1;
  int id_ = -1;
  ipc::SysvHandle owner_;
};

IPC_TEST_P(SysvPerm, StatReportsTheCreatorsIds, "SYSV.PERM.STAT_OWNERS") {
  ipc_perm p = Stat();
  EXPECT_EQ(p.uid, geteuid()) << "uid";
  EXPECT_EQ(p.cuid, geteuid()) << "cuid";
  EXPECT_EQ(p.gid, getegid()) << "gid";
  EXPECT_EQ(p.cgid, getegid()) << "cgid";
}

IPC_TEST_P(SysvPerm, StatReportsTheKey, "SYSV.PERM.STAT_KEY") {
  EXPECT_EQ(Stat().__key, key_) << "ipc_perm.__key must be the key given to *get";
}

IPC_TEST_P(SysvPerm, StatReportsTheCreationMode, "SYSV.PERM.STAT_MODE") {
  EXPECT_EQ(Stat().mode & 0777, 0640) << "the low nine bits of the creating flags";
}

IPC_TEST_P(SysvPerm, SetChangesTheMode, "SYSV.PERM.SET_CHANGES_MODE") {
  ASSERT_THAT(SYS(ops().set_mode(id_, 0604)), SyscallSucceeds());
  EXPECT_EQ(Stat().mode & 0777, 0604);
  ASSERT_THAT(SYS(ops().set_mode(id_, 0600)), SyscallSucceeds());
  EXPECT_EQ(Stat().mode & 0777, 0600);
}

IPC_TEST_P(SysvPerm, OthersWithoutPermissionGetEacces, "SYSV.PERM.DENIED_EACCES") {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root: a non-root test cannot create an object another uid is "
                    "denied and then become that uid";
  }
  Outcome can_drop = RunInChild([]() { return BecomeNobody() ? 0 : errno; });
  if (!can_drop.Exited(0)) {
    GTEST_SKIP() << "cannot become uid 65534 here (" << ErrnoName(can_drop.code)
                 << "): a user namespace mapping only root, as Bazel's linux-sandbox makes; "
                    "run with --spawn_strategy=standalone to check this assertion";
  }
  // Mode 0640 owned by root: nobody (other) gets neither read nor write.
  const SysvKindOps& o = ops();
  key_t key = key_;
  Outcome out = RunInChild([&]() {
    if (!BecomeNobody()) return 2;
    int id = o.get(key, 0, 0600);
    if (id >= 0) return 3;
    return errno == EACCES ? 0 : 4;
  });
  EXPECT_TRUE(ExitedWith(out, 0))
      << "exit 3: nobody got the object; 4: another errno than EACCES; 2: could not drop "
         "privileges";
  // The permission bits decide: once others may read and write, nobody gets it.
  ASSERT_THAT(SYS(o.set_mode(id_, 0606)), SyscallSucceeds());
  Outcome granted = RunInChild([&]() {
    if (!BecomeNobody()) return 2;
    return o.get(key, 0, 0600) >= 0 ? 0 : 5;
  });
  EXPECT_TRUE(ExitedWith(granted, 0)) << "with mode 0606 other users must be granted access";
}

INSTANTIATE_TEST_SUITE_P(Kinds, SysvPerm, ::testing::ValuesIn(AllSysvKinds()), SysvKindName);

}  // namespace
}  // namespace ipcconf
