// SharedMemory and ShmAttachment: creation, get, attach/detach by lifetime, errors.
#include "ipc/shm.h"

#include <signal.h>

#include <cstring>
#include <utility>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipc_test::TestKey;

ipc::SharedMemory NewSegment(size_t size = 4096, int mode = 0600) {
  return std::move(ipc::SharedMemory::Create(ipc::IpcKey::Private(), size, mode).value());
}

unsigned long Attachments(const ipc::SharedMemory& shm) { return shm.Stat()->shm_nattch; }

bool Exists(int id) {
  shmid_ds ds;
  return shmctl(id, IPC_STAT, &ds) == 0;
}

TEST(SharedMemory, CreateGivesASegmentOfThatSizeAndMode) {
  ipc::Result<ipc::SharedMemory> shm = ipc::SharedMemory::Create(TestKey(), 8192, 0640);
  ASSERT_TRUE(Succeeded(shm));
  ipc::Result<shmid_ds> ds = shm->Stat();
  ASSERT_TRUE(Succeeded(ds));
  EXPECT_EQ(ds->shm_segsz, 8192u);
  EXPECT_EQ(ds->shm_perm.mode & 0777, 0640u);
  EXPECT_EQ(ds->shm_perm.__key, TestKey().value());
  EXPECT_EQ(shm->size(), 8192u);
}

TEST(SharedMemory, ASecondCreateOfTheKeyFailsWithEexistNamingTheCall) {
  ipc::Result<ipc::SharedMemory> first = ipc::SharedMemory::Create(TestKey(), 64);
  ASSERT_TRUE(Succeeded(first));
  EXPECT_TRUE(FailedWith(ipc::SharedMemory::Create(TestKey(), 64), EEXIST,
                         "shmget(" + TestKey().Describe() + ", 64, IPC_CREAT|IPC_EXCL|0600)"));
  EXPECT_TRUE(Exists(first->id()));
}

TEST(SharedMemory, GetOfAMissingKeyFailsWithEnoent) {
  EXPECT_TRUE(FailedWith(ipc::SharedMemory::Get(TestKey()), ENOENT, "shmget("));
}

TEST(SharedMemory, GetFindsTheSegmentAndItsSizeButNeverRemovesIt) {
  ipc::SharedMemory owner = std::move(ipc::SharedMemory::Create(TestKey(), 12345).value());
  {
    ipc::Result<ipc::SharedMemory> got = ipc::SharedMemory::Get(TestKey());
    ASSERT_TRUE(Succeeded(got));
    EXPECT_EQ(got->id(), owner.id());
    EXPECT_EQ(got->size(), 12345u) << "size read by IPC_STAT";
  }
  EXPECT_TRUE(Exists(owner.id())) << "only the creator removes";
}

TEST(SharedMemory, DestructionRemovesAndMovesTransferOwnership) {
  int id;
  {
    ipc::SharedMemory a = NewSegment();
    id = a.id();
    ipc::SharedMemory b(std::move(a));
    { ipc::SharedMemory c = std::move(b); }
    EXPECT_FALSE(Exists(id)) << "the last owner removed it; the moved-from ones own nothing";
  }
  ipc::SharedMemory released = NewSegment();
  id = released.Release();
  { ipc::SharedMemory gone = std::move(released); }
  EXPECT_TRUE(Exists(id)) << "Release() ends ownership";
  shmctl(id, IPC_RMID, nullptr);
}

TEST(SharedMemory, TwoAttachmentsSeeTheSameBytesAndDetachByLifetime) {
  ipc::SharedMemory shm = NewSegment();
  {
    ipc::Result<ipc::ShmAttachment> writer = shm.Attach();
    ipc::Result<ipc::ShmAttachment> reader = shm.Attach(SHM_RDONLY);
    ASSERT_TRUE(Succeeded(writer));
    ASSERT_TRUE(Succeeded(reader));
    EXPECT_EQ(writer->size(), 4096u);
    EXPECT_NE(writer->address(), reader->address());
    strcpy(writer->bytes(), "through the segment");
    EXPECT_STREQ(reader->bytes(), "through the segment");
    EXPECT_EQ(Attachments(shm), 2u);
  }
  EXPECT_EQ(Attachments(shm), 0u) << "attachments detach when they go";
}

TEST(ShmAttachment, MovesKeepOneAttachmentAndDetachIsIdempotent) {
  ipc::SharedMemory shm = NewSegment();
  ipc::ShmAttachment a = std::move(shm.Attach().value());
  void* address = a.address();
  ipc::ShmAttachment b(std::move(a));
  EXPECT_EQ(a.address(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_EQ(b.address(), address);
  EXPECT_EQ(Attachments(shm), 1u);
  b = std::move(shm.Attach().value());
  EXPECT_EQ(Attachments(shm), 1u) << "assigning over an attachment detaches it";
  EXPECT_TRUE(Succeeded(b.Detach()));
  EXPECT_EQ(b.address(), nullptr);
  EXPECT_TRUE(*b.Detach()) << "a second Detach() is a no-op";
  EXPECT_EQ(Attachments(shm), 0u);
}

TEST(ShmAttachment, AReadOnlyAttachmentCannotBeWritten) {
  ipc::SharedMemory shm = NewSegment();
  ipcconf::Outcome o = ipcconf::RunInChild([&] {
    ipc::Result<ipc::ShmAttachment> ro = shm.Attach(SHM_RDONLY);
    if (!ro) return 1;
    *static_cast<volatile char*>(ro->address()) = 'x';
    return 0;
  });
  EXPECT_TRUE(ipcconf::KilledBySignal(o, SIGSEGV));
}

TEST(SharedMemory, AttachToARemovedSegmentFailsWithEinval) {
  ipc::SharedMemory shm = NewSegment();
  ASSERT_TRUE(Succeeded(shm.Remove()));
  EXPECT_TRUE(FailedWith(shm.Attach(SHM_RDONLY), EINVAL,
                         "shmat(" + std::to_string(shm.id()) + ", SHM_RDONLY)"));
  EXPECT_TRUE(FailedWith(shm.Stat(), EINVAL, "shmctl(" + std::to_string(shm.id()) + ", IPC_STAT)"));
}

TEST(SharedMemory, RemoveWhileAttachedKeepsTheMappingUntilDetach) {
  ipc::SharedMemory shm = NewSegment();
  ipc::ShmAttachment at = std::move(shm.Attach().value());
  ASSERT_TRUE(Succeeded(shm.Remove()));
  strcpy(at.bytes(), "still mapped");  // man 2 shmctl: destroyed after the last detach
  EXPECT_STREQ(at.bytes(), "still mapped");
  EXPECT_TRUE(Succeeded(at.Detach()));
  EXPECT_FALSE(Exists(shm.id()));
}

TEST(SharedMemory, SetModeChangesThePermissionBits) {
  ipc::SharedMemory shm = NewSegment();
  EXPECT_TRUE(Succeeded(shm.SetMode(0604)));
  EXPECT_EQ(shm.Stat()->shm_perm.mode & 0777, 0604u);
}

}  // namespace
