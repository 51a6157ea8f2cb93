// Shared memory (XSH shmget(), shmat(), shmdt(), shmctl()): bytes shared without copies, sizes,
// read-only attaches, and who touched the segment last.
#include <signal.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cstring>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/syscall.h"
#include "harness/sysv_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// A private segment of `size` bytes, owned by the test.
class SysvShm : public ::testing::Test {
 protected:
  void Make(size_t size) {
    id_ = JournaledShmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
    ASSERT_GE(id_, 0) << "shmget(IPC_PRIVATE, " << size << "): " << ErrnoName(errno);
    owner_ = Own(ipc::SysvKind::kSharedMemory, id_);
  }
  void SetUp() override { Make(4096); }
  // Attaches in the test process, bounded by a probe in a child (ShmatAfterProbe).
  char* Attach(int flags = 0) {
    void* a = ShmatAfterProbe(id_, flags);
    EXPECT_NE(a, reinterpret_cast<void*>(-1)) << "shmat: " << ErrnoName(errno);
    return a == reinterpret_cast<void*>(-1) ? nullptr : static_cast<char*>(a);
  }
  shmid_ds Stat() {
    shmid_ds ds{};
    EXPECT_THAT(SYS(shmctl(id_, IPC_STAT, &ds)), SyscallSucceeds());
    return ds;
  }
  int id_ = -1;
  ipc::SysvHandle owner_;
};

IPC_TEST_F(SysvShm, BytesWrittenByOneProcessAreSeenByAnother, "SYSV.SHM.BYTES_SHARED") {
  char* mine = Attach();
  ASSERT_NE(mine, nullptr);
  Handshake written;
  Child writer = Child::Fork([&]() {
    written.BecomeChild();
    char* theirs = static_cast<char*>(shmat(id_, nullptr, 0));
    if (theirs == reinterpret_cast<char*>(-1)) return 3;
    strcpy(theirs, "from the child");
    written.Send();
    char c;
    // Waits for the parent's answer in the same memory, then reads it without any copy call.
    if (!written.Receive(&c)) return 4;
    return strcmp(theirs + 100, "from the parent") == 0 ? 0 : 5;
  });
  written.BecomeParent();
  ASSERT_TRUE(written.Receive());
  EXPECT_STREQ(mine, "from the child");
  strcpy(mine + 100, "from the parent");
  written.Send();
  EXPECT_TRUE(ExitedWith(writer.Wait(), 0)) << "exit 5: the child did not see the parent's bytes";
  shmdt(mine);
}

class SysvShmSize : public SysvShm, public ::testing::WithParamInterface<size_t> {
 protected:
  void SetUp() override { Make(GetParam()); }
};

IPC_TEST_P(SysvShmSize, SegszIsTheRequestedSize, "SYSV.SHM.SEGSZ_AS_REQUESTED") {
  EXPECT_EQ(Stat().shm_segsz, GetParam());
}

IPC_TEST_P(SysvShmSize, WholePagesAreUsable, "SYSV.SHM.PAGE_ROUNDED") {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = (GetParam() + page - 1) / page * page;
  char* a = Attach();
  ASSERT_NE(a, nullptr);
  // The last byte of the rounded region is mapped: a store there must not fault.
  Outcome o = RunInChild([&]() {
    a[rounded - 1] = 'z';
    return a[rounded - 1] == 'z' ? 0 : 3;
  });
  EXPECT_TRUE(ExitedWith(o, 0)) << "byte " << rounded - 1 << " of a " << GetParam()
                                << "-byte segment (rounded to " << rounded << ")";
  shmdt(a);
}

IPC_TEST_P(SysvShmSize, NewSegmentReadsAsZeros, "SYSV.SHM.ZERO_FILLED") {
  char* a = Attach();
  ASSERT_NE(a, nullptr);
  size_t nonzero = 0;
  for (size_t i = 0; i < GetParam(); ++i) nonzero += a[i] != 0;
  EXPECT_EQ(nonzero, 0u) << "bytes not zero in a new segment";
  shmdt(a);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SysvShmSize,
                         ::testing::Values(1, 100, 4095, 4096, 4097, 3 * 4096 + 5, 1 << 20));

IPC_TEST_F(SysvShm, ReadOnlyAttachReadsWhatOthersWrite, "SYSV.SHM.RDONLY_READS") {
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared));  // the writer's attach must share at all
  char* rw = Attach();
  char* ro = Attach(SHM_RDONLY);
  ASSERT_NE(rw, nullptr);
  ASSERT_NE(ro, nullptr);
  strcpy(rw, "visible");
  EXPECT_STREQ(ro, "visible");
  shmdt(ro);
  shmdt(rw);
}

IPC_TEST_F(SysvShm, WriteThroughReadOnlyAttachFaults, "SYSV.SHM.RDONLY_WRITE_FAULTS") {
  // A store into a private copy does not fault either: the attach must map the segment itself.
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared));
  Outcome o = RunAtOnce([&]() {
    volatile char* ro = static_cast<char*>(shmat(id_, nullptr, SHM_RDONLY));
    if (ro == reinterpret_cast<char*>(-1)) return 3;
    ro[0] = 'x';  // must not return
    return 0;
  });
  EXPECT_TRUE(KilledBySignal(o, SIGSEGV)) << "a store through a SHM_RDONLY attach";
}

IPC_TEST_F(SysvShm, StatNamesCreatorAndLastAttacher, "SYSV.SHM.STAT_PIDS") {
  IPCCONF_BLOCKED_BY_FAULT(ShmFault(kShmShared));  // the attach it names must return
  EXPECT_EQ(Stat().shm_cpid, getpid());
  Outcome user = RunAtOnce([&]() {
    void* a = shmat(id_, nullptr, 0);
    return a != reinterpret_cast<void*>(-1) && shmdt(a) == 0 ? 0 : 3;
  });
  ASSERT_TRUE(ExitedWith(user, 0));
  shmid_ds ds = Stat();
  EXPECT_EQ(ds.shm_lpid, user.pid) << "shm_lpid: the last process to attach/detach";
  EXPECT_EQ(ds.shm_cpid, getpid()) << "shm_cpid stays the creator";
}

}  // namespace
}  // namespace ipcconf
