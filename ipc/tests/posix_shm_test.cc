// PosixSharedMemory: creation, sizes, opening by name, sharing, unlink by lifetime, errors.
#include "ipc/posix_shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "harness/child.h"
#include "harness/posix_names.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;

// Whether a POSIX shared memory object of that name exists (checked without the library).
bool NameExists(const std::string& name) {
  int fd = shm_open(name.c_str(), O_RDONLY, 0);
  if (fd < 0) return false;
  close(fd);
  return true;
}

TEST(PosixSharedMemory, CreateGivesAZeroFilledMappingOfThatSizeAndMode) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::Result<ipc::PosixSharedMemory> shm = ipc::PosixSharedMemory::Create(name, 10000, 0640);
  ASSERT_TRUE(Succeeded(shm));
  EXPECT_EQ(shm->name(), name);
  EXPECT_TRUE(shm->owns_name());
  ASSERT_NE(shm->bytes(), nullptr);
  EXPECT_EQ(shm->size(), 10000u);
  for (size_t i = 0; i < shm->size(); ++i) ASSERT_EQ(shm->bytes()[i], 0) << "byte " << i;
  ipc::Result<struct stat> st = shm->Stat();
  ASSERT_TRUE(Succeeded(st));
  EXPECT_EQ(st->st_size, 10000);
  mode_t mask = umask(0);
  umask(mask);
  EXPECT_EQ(st->st_mode & 0777, 0640u & ~mask) << "the mode given, masked by the umask";
}

TEST(PosixSharedMemory, ASecondCreateOfTheNameFailsWithEexistNamingTheCall) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::Result<ipc::PosixSharedMemory> first = ipc::PosixSharedMemory::Create(name, 64);
  ASSERT_TRUE(Succeeded(first));
  EXPECT_TRUE(FailedWith(ipc::PosixSharedMemory::Create(name, 64), EEXIST,
                         "shm_open(" + name + ", O_CREAT|O_EXCL|O_RDWR, 0600)"));
  EXPECT_TRUE(NameExists(name)) << "the failed create must not unlink the first one's name";
}

TEST(PosixSharedMemory, OpenOfAMissingNameFailsWithEnoent) {
  EXPECT_TRUE(
      FailedWith(ipc::PosixSharedMemory::Open(ipcconf::PosixIpcName("none")), ENOENT, "shm_open("));
}

TEST(PosixSharedMemory, AnInvalidNameFailsNamingTheCall) {
  EXPECT_TRUE(FailedWith(ipc::PosixSharedMemory::Create("/a/b", 64), EINVAL, "shm_open(/a/b"));
}

TEST(PosixSharedMemory, OpenMapsTheSameBytesAndNeverUnlinks) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::PosixSharedMemory owner = std::move(ipc::PosixSharedMemory::Create(name, 5000).value());
  {
    ipc::Result<ipc::PosixSharedMemory> other = ipc::PosixSharedMemory::Open(name);
    ASSERT_TRUE(Succeeded(other));
    EXPECT_FALSE(other->owns_name());
    EXPECT_EQ(other->size(), 5000u) << "the size read by fstat";
    strcpy(other->bytes(), "through the second mapping");
    EXPECT_STREQ(owner.bytes(), "through the second mapping");
  }
  EXPECT_TRUE(NameExists(name)) << "only the creator unlinks";
  EXPECT_STREQ(owner.bytes(), "through the second mapping") << "the owner's mapping stays";
}

TEST(PosixSharedMemory, AReadOnlyOpenMapsForReading) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::PosixSharedMemory owner = std::move(ipc::PosixSharedMemory::Create(name, 100).value());
  strcpy(owner.bytes(), "read me");
  ipc::Result<ipc::PosixSharedMemory> reader = ipc::PosixSharedMemory::Open(name, false);
  ASSERT_TRUE(Succeeded(reader));
  EXPECT_STREQ(reader->bytes(), "read me");
  EXPECT_EQ(fcntl(reader->fd(), F_GETFL) & O_ACCMODE, O_RDONLY);
}

TEST(PosixSharedMemory, AnEmptyObjectIsOpenedButNotMapped) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::PosixSharedMemory owner = std::move(ipc::PosixSharedMemory::Create(name, 0).value());
  EXPECT_EQ(owner.bytes(), nullptr);
  ipc::Result<ipc::PosixSharedMemory> other = ipc::PosixSharedMemory::Open(name);
  ASSERT_TRUE(Succeeded(other));
  EXPECT_EQ(other->bytes(), nullptr);
  EXPECT_EQ(other->size(), 0u);
}

TEST(PosixSharedMemory, DestructionUnlinksAndMovesTransferOwnership) {
  const std::string name = ipcconf::PosixIpcName("unit");
  {
    ipc::PosixSharedMemory a = std::move(ipc::PosixSharedMemory::Create(name, 64).value());
    ipc::PosixSharedMemory b(std::move(a));
    EXPECT_FALSE(a.owns_name());  // NOLINT(bugprone-use-after-move): moved-from owns nothing
    EXPECT_EQ(a.bytes(), nullptr);
    { ipc::PosixSharedMemory c = std::move(b); }
    EXPECT_FALSE(NameExists(name)) << "the last owner unlinked it";
  }
  const std::string kept = ipcconf::PosixIpcName("unit");
  {
    ipc::PosixSharedMemory released = std::move(ipc::PosixSharedMemory::Create(kept, 64).value());
    released.ReleaseName();
  }
  EXPECT_TRUE(NameExists(kept)) << "ReleaseName() ends ownership of the name";
  shm_unlink(kept.c_str());
}

TEST(PosixSharedMemory, UnlinkRemovesTheNameAndKeepsTheMapping) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::PosixSharedMemory shm = std::move(ipc::PosixSharedMemory::Create(name, 64).value());
  ASSERT_TRUE(Succeeded(shm.Unlink()));
  EXPECT_FALSE(NameExists(name));
  EXPECT_FALSE(shm.owns_name());
  strcpy(shm.bytes(), "still here");
  EXPECT_STREQ(shm.bytes(), "still here");
  EXPECT_TRUE(FailedWith(shm.Unlink(), ENOENT, "shm_unlink(" + name + ")"));
}

TEST(PosixSharedMemory, AForkedChildWritesThroughTheInheritedMapping) {
  const std::string name = ipcconf::PosixIpcName("unit");
  ipc::PosixSharedMemory shm = std::move(ipc::PosixSharedMemory::Create(name, 64).value());
  char* bytes = shm.bytes();
  ipcconf::Outcome out = ipcconf::RunInChild([bytes]() {
    strcpy(bytes, "from the child");
    return 0;
  });
  ASSERT_TRUE(ipcconf::ExitedWith(out, 0));
  EXPECT_STREQ(shm.bytes(), "from the child");
}

}  // namespace
