// shm_unlink() (XSH shm_unlink()): the name goes at once, the object lives on while mapped, the
// name then makes a new object, and a missing name is ENOENT.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "conformance/posix_shm/posix_shm_objects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_shm {
namespace {

constexpr size_t kSize = 8192;

class PosixShmUnlink : public ::testing::TestWithParam<bool> {};

IPC_TEST_P(PosixShmUnlink, TheNameGoesAtOnceWhileInUse, "POSIX_SHM.UNLINK.NAME_GOES") {
  const bool keep_fd_open = GetParam();
  ShmName name("unlinked");
  ipc::UniqueFd fd = CreateSized(name, kSize);
  if (!fd) return;
  Mapping mapped = MapShared(fd.get(), kSize);
  if (!mapped) return;
  if (!keep_fd_open) fd.reset();
  ASSERT_THAT(SYS(shm_unlink(name.c_str())), SyscallSucceeds());
  for (int flags : {O_RDWR, O_RDONLY}) {
    ipc::UniqueFd again;
    EXPECT_THAT(SYS((again.reset(shm_open(name.c_str(), flags, 0600)), again.get())),
                SyscallFailsWithErrno(ENOENT))
        << "the name must be gone while the object is still mapped"
        << (keep_fd_open ? " and open" : "");
  }
}

INSTANTIATE_TEST_SUITE_P(InUse, PosixShmUnlink, ::testing::Bool(), [](const auto& info) {
  return std::string(info.param ? "OpenAndMapped" : "MappedOnly");
});

// Makes an object, writes `text` through a mapping, checks that mappings share (else blocked)
// and unlinks the name. Leaves the fd and the mapping in *fd and *mapped.
bool MakeWrittenAndUnlink(const ShmName& name, const char* text, ipc::UniqueFd* fd,
                          Mapping* mapped) {
  *fd = CreateSized(name, kSize);
  if (!*fd || !MappingsShare(fd->get(), kSize)) return false;
  *mapped = MapShared(fd->get(), kSize);
  if (!*mapped) return false;
  strcpy(mapped->bytes(), text);
  if (shm_unlink(name.c_str()) != 0) {
    RecordBlocked(kNameGoes, "shm_unlink() of an existing object failed with " + ErrnoName(errno));
    return false;
  }
  return true;
}

IPC_TEST(PosixShmUnlinked, MappingsKeepWorking, "POSIX_SHM.UNLINK.MAPPING_SURVIVES") {
  ShmName name("survives");
  ipc::UniqueFd fd;
  Mapping mapped;
  if (!MakeWrittenAndUnlink(name, "before the unlink", &fd, &mapped)) return;
  EXPECT_STREQ(mapped.bytes(), "before the unlink") << "the mapping must keep its bytes";
  strcpy(mapped.bytes() + 100, "after the unlink");
  EXPECT_STREQ(mapped.bytes() + 100, "after the unlink") << "the mapping must stay writable";
  ASSERT_EQ(SizeOf(fd.get()), static_cast<long>(kSize)) << "the object keeps its size";
  Mapping later = MapShared(fd.get(), kSize);
  if (!later) return;
  EXPECT_STREQ(later.bytes(), "before the unlink") << "a new mapping of the open fd";
  EXPECT_STREQ(later.bytes() + 100, "after the unlink") << "a new mapping of the open fd";
}

IPC_TEST(PosixShmUnlinked, ReusingTheNameMakesANewObject, "POSIX_SHM.UNLINK.RECREATE_IS_NEW") {
  ShmName name("recreated");
  ipc::UniqueFd old_fd;
  Mapping old_mapping;
  if (!MakeWrittenAndUnlink(name, "the old object", &old_fd, &old_mapping)) return;
  {
    ipc::UniqueFd probe(shm_open(name.c_str(), O_RDWR, 0));
    IPCCONF_BLOCKED_BY_IF(probe, kNameGoes,
                          "shm_open() without O_CREAT still opens the name after shm_unlink");
  }
  IPCCONF_BLOCKED_BY_IF(strcmp(old_mapping.bytes(), "the old object") != 0, kMappingSurvives,
                        "the old mapping lost its bytes at shm_unlink");
  ipc::UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
  ASSERT_TRUE(fd) << "shm_open(O_CREAT|O_EXCL) of the unlinked name: " << ErrnoName(errno);
  ASSERT_THAT(SYS(ftruncate(fd.get(), kSize)), SyscallSucceeds());
  long size = SizeOf(fd.get());
  IPCCONF_BLOCKED_BY_IF(
      size != static_cast<long>(kSize), kFtruncateSetsSize,
      "after ftruncate(" + std::to_string(kSize) + ") fstat reports " + std::to_string(size));
  Mapping fresh = MapShared(fd.get(), kSize);
  if (!fresh) return;
  ASSERT_STRNE(fresh.bytes(), "the old object") << "the name gave back the unlinked object";
  size_t at = FirstNotEqual(fresh.bytes(), kSize, 0);
  IPCCONF_BLOCKED_BY_IF(at != kSize, kNewBytesZero,
                        "byte " + std::to_string(at) + " of the new object is not zero");
  strcpy(fresh.bytes(), "the new object");
  EXPECT_STREQ(old_mapping.bytes(), "the old object")
      << "a store to the new object reached the old one's mapping";
}

IPC_TEST(PosixShmUnlinkMissing, ANameNeverMadeIsEnoent, "POSIX_SHM.UNLINK.MISSING_ENOENT") {
  ShmName name("never");
  EXPECT_THAT(SYS(shm_unlink(name.c_str())), SyscallFailsWithErrno(ENOENT));
}

IPC_TEST(PosixShmUnlinkMissing, ANameUnlinkedBeforeIsEnoent, "POSIX_SHM.UNLINK.MISSING_ENOENT") {
  ShmName name("twice");
  {
    ipc::UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
    IPCCONF_BLOCKED_BY_IF(
        !fd, kCreatNewEmpty,
        "shm_open(O_CREAT|O_EXCL) of a fresh name failed with " + ErrnoName(errno));
  }
  IPCCONF_BLOCKED_BY_IF(shm_unlink(name.c_str()) != 0, kNameGoes,
                        "shm_unlink() of an existing object failed with " + ErrnoName(errno));
  EXPECT_THAT(SYS(shm_unlink(name.c_str())), SyscallFailsWithErrno(ENOENT))
      << "the second shm_unlink of the name";
}

}  // namespace
}  // namespace ipcconf::posix_shm
