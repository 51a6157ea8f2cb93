// The permission header common to the three kinds (XBD <sys/ipc.h> struct ipc_perm): what
// IPC_STAT reports, what IPC_SET changes, and who is denied.
#include <sys/ipc.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

std::string ToOctal(int mode) {
  char text[8];
  snprintf(text, sizeof text, "%o", mode);
  return text;
}

class SysvPerm : public ::testing::TestWithParam<ipc::SysvKind> {
 protected:
  void SetUp() override {
    key_ = file_.Key();
    ASSERT_NE(key_, -1);
    id_ = CreateOnFreeKey(ops(), key_, ops().default_size, 0640);
    if (!CurrentBlocker().empty()) GTEST_SKIP() << "blocked by " << CurrentBlocker();
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
  // What IPC_SET did is read with IPC_STAT: it must first report the mode the object was made
  // with.
  int made = Stat().mode & 0777;
  IPCCONF_BLOCKED_BY_IF(made != 0640, "SYSV.PERM.STAT_MODE",
                        "IPC_STAT reports mode 0" + ToOctal(made) + " for an object made 0640");
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
  if (!granted.Exited(0)) {
    // Still denied: the mode may never have changed.
    int mode = Stat().mode & 0777;
    IPCCONF_BLOCKED_BY_IF(mode != 0606, "SYSV.PERM.SET_CHANGES_MODE",
                          "after IPC_SET of mode 0606, IPC_STAT reports 0" + ToOctal(mode));
  }
  EXPECT_TRUE(ExitedWith(granted, 0)) << "with mode 0606 other users must be granted access";
}

INSTANTIATE_TEST_SUITE_P(Kinds, SysvPerm, ::testing::ValuesIn(AllSysvKinds()), SysvKindName);

}  // namespace
}  // namespace ipcconf
