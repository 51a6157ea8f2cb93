// Sizing an object (XSH ftruncate() on a shared memory object; XSH fstat() st_size): the size
// set is the size reported, and the bytes it adds read as zero.
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

class PosixShmSize : public ::testing::TestWithParam<size_t> {};

IPC_TEST_P(PosixShmSize, FtruncateSetsTheSizeFstatReports, "POSIX_SHM.SIZE.FTRUNCATE_SETS_SIZE") {
  const size_t size = GetParam();
  ShmName name("size");
  ipc::UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
  IPCCONF_BLOCKED_BY_IF(!fd, kCreatNewEmpty,
                        "shm_open(O_CREAT|O_EXCL) of a fresh name failed with " + ErrnoName(errno));
  // Grow, shrink, grow past the first size: each time fstat reports what was set.
  for (size_t want : {size, size / 2, size * 3}) {
    ASSERT_THAT(SYS(ftruncate(fd.get(), static_cast<off_t>(want))), SyscallSucceeds());
    struct stat st {};
    ASSERT_THAT(SYS(fstat(fd.get(), &st)), SyscallSucceeds());
    EXPECT_EQ(st.st_size, static_cast<off_t>(want)) << "fstat after ftruncate(" << want << ")";
  }
}

IPC_TEST_P(PosixShmSize, BytesAddedByFtruncateReadAsZero, "POSIX_SHM.SIZE.NEW_BYTES_ZERO") {
  const size_t size = GetParam();
  ShmName name("zero");
  ipc::UniqueFd fd = CreateSized(name, size);
  if (!fd) return;
  {
    Mapping fresh = MapShared(fd.get(), size);
    if (!fresh) return;
    size_t at = FirstNotEqual(fresh.bytes(), size, 0);
    EXPECT_EQ(at, size) << "byte " << at << " of a new object of " << size << " bytes is not 0";
  }
  // Written, shrunk to nothing, grown again: the bytes come back as zeros, not as they were.
  if (!MappingsShare(fd.get(), size)) return;
  {
    Mapping written = MapShared(fd.get(), size);
    if (!written) return;
    memset(written.bytes(), 0x7f, size);
  }
  ASSERT_THAT(SYS(ftruncate(fd.get(), 0)), SyscallSucceeds());
  ASSERT_THAT(SYS(ftruncate(fd.get(), static_cast<off_t>(size))), SyscallSucceeds());
  long now = SizeOf(fd.get());
  IPCCONF_BLOCKED_BY_IF(now != static_cast<long>(size), kFtruncateSetsSize,
                        "after shrinking to 0 and ftruncate(" + std::to_string(size) +
                            ") fstat reports " + std::to_string(now));
  Mapping regrown = MapShared(fd.get(), size);
  if (!regrown) return;
  size_t at = FirstNotEqual(regrown.bytes(), size, 0);
  EXPECT_EQ(at, size) << "byte " << at << " reads "
                      << static_cast<int>(static_cast<unsigned char>(regrown.bytes()[at]))
                      << " after shrinking to 0 and growing back to " << size;
}

INSTANTIATE_TEST_SUITE_P(Sizes, PosixShmSize,
                         ::testing::Values(1, 100, 4095, 4096, 4097, 3 * 4096, 65536 + 7, 1 << 20));

}  // namespace
}  // namespace ipcconf::posix_shm
