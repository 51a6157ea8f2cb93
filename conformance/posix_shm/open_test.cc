// shm_open() (XSH shm_open(); man 3 shm_open): creation, O_EXCL, O_TRUNC, missing names, the
// names Linux refuses, and where Linux keeps the objects.
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "conformance/posix_shm/posix_shm_objects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_shm {
namespace {

struct OpenFlags {
  const char* name;
  int flags;
};

class PosixShmCreate : public ::testing::TestWithParam<OpenFlags> {};

IPC_TEST_P(PosixShmCreate, ANewObjectHasSizeZero, "POSIX_SHM.OPEN.CREAT_NEW_EMPTY") {
  ShmName name("new");
  ipc::UniqueFd fd(shm_open(name.c_str(), GetParam().flags, 0600));
  ASSERT_TRUE(fd) << "shm_open(" << name.str() << ", " << GetParam().name
                  << ") of a fresh name: " << ErrnoName(errno);
  struct stat st {};
  ASSERT_THAT(SYS(fstat(fd.get(), &st)), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0) << "a new shared memory object has a size of zero";
}

INSTANTIATE_TEST_SUITE_P(Flags, PosixShmCreate,
                         ::testing::Values(OpenFlags{"Creat", O_CREAT | O_RDWR},
                                           OpenFlags{"CreatExcl", O_CREAT | O_EXCL | O_RDWR},
                                           OpenFlags{"CreatReadOnly", O_CREAT | O_RDONLY}),
                         [](const auto& info) { return std::string(info.param.name); });

class PosixShmExisting : public ::testing::TestWithParam<OpenFlags> {
 protected:
  void SetUp() override {
    fd_ = CreateSized(name_, 4096);
    if (!CurrentBlocker().empty()) GTEST_SKIP() << "blocked by " << CurrentBlocker();
  }
  ShmName name_{"existing"};
  ipc::UniqueFd fd_;
};

IPC_TEST_P(PosixShmExisting, CreatExclFailsWithEexist, "POSIX_SHM.OPEN.EXCL_EXISTING_EEXIST") {
  int flags = GetParam().flags | O_CREAT | O_EXCL;
  ipc::UniqueFd again;
  EXPECT_THAT(SYS((again.reset(shm_open(name_.c_str(), flags, 0600)), again.get())),
              SyscallFailsWithErrno(EEXIST))
      << "O_CREAT|O_EXCL of a name that exists must fail";
}

IPC_TEST_P(PosixShmExisting, CreatWithoutExclOpensTheSameObject,
           "POSIX_SHM.OPEN.CREAT_GETS_EXISTING") {
  if (!MappingsShare(fd_.get(), 4096)) return;
  Mapping first = MapShared(fd_.get(), 4096);
  if (!first) return;
  strcpy(first.bytes(), "written before the second shm_open");
  ipc::UniqueFd again(shm_open(name_.c_str(), GetParam().flags | O_CREAT, 0600));
  ASSERT_TRUE(again) << "O_CREAT of an existing name: " << ErrnoName(errno);
  ASSERT_EQ(SizeOf(again.get()), 4096) << "the existing object keeps its size";
  void* a = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, again.get(), 0);
  ASSERT_NE(a, MAP_FAILED) << "mmap of the object opened again: " << ErrnoName(errno);
  Mapping second(a, 4096);
  EXPECT_STREQ(second.bytes(), "written before the second shm_open")
      << "O_CREAT on an existing object must have no effect: same object, bytes intact";
}

INSTANTIATE_TEST_SUITE_P(Flags, PosixShmExisting,
                         ::testing::Values(OpenFlags{"ReadWrite", O_RDWR},
                                           OpenFlags{"ReadOnly", O_RDONLY}),
                         [](const auto& info) { return std::string(info.param.name); });

class PosixShmMissing : public ::testing::TestWithParam<OpenFlags> {};

IPC_TEST_P(PosixShmMissing, OpenWithoutCreatFailsWithEnoent, "POSIX_SHM.OPEN.MISSING_ENOENT") {
  ShmName name("missing");
  ipc::UniqueFd fd;
  EXPECT_THAT(SYS((fd.reset(shm_open(name.c_str(), GetParam().flags, 0600)), fd.get())),
              SyscallFailsWithErrno(ENOENT))
      << "no O_CREAT: nothing may be created";
}

INSTANTIATE_TEST_SUITE_P(Flags, PosixShmMissing,
                         ::testing::Values(OpenFlags{"ReadWrite", O_RDWR},
                                           OpenFlags{"ReadOnly", O_RDONLY}),
                         [](const auto& info) { return std::string(info.param.name); });

class PosixShmTrunc : public ::testing::TestWithParam<size_t> {};

IPC_TEST_P(PosixShmTrunc, TruncEmptiesTheObject, "POSIX_SHM.OPEN.TRUNC_EMPTIES") {
  const size_t size = GetParam();
  ShmName name("trunc");
  ipc::UniqueFd fd = CreateSized(name, size);
  if (!fd || !MappingsShare(fd.get(), size)) return;
  {
    Mapping old = MapShared(fd.get(), size);
    if (!old) return;
    memset(old.bytes(), 'x', size);
  }
  ipc::UniqueFd trunc(shm_open(name.c_str(), O_RDWR | O_TRUNC, 0600));
  ASSERT_TRUE(trunc) << "shm_open(O_RDWR|O_TRUNC) of an existing object: " << ErrnoName(errno);
  EXPECT_EQ(SizeOf(trunc.get()), 0) << "O_TRUNC must truncate the object to zero length";
  // Grown again, the old bytes must not come back.
  ASSERT_THAT(SYS(ftruncate(trunc.get(), static_cast<off_t>(size))), SyscallSucceeds());
  long grown = SizeOf(trunc.get());
  IPCCONF_BLOCKED_BY_IF(
      grown != static_cast<long>(size), kFtruncateSetsSize,
      "after ftruncate(" + std::to_string(size) + ") fstat reports " + std::to_string(grown));
  Mapping now = MapShared(trunc.get(), size);
  if (!now) return;
  size_t old_byte = FirstNotEqual(now.bytes(), size, 0);
  if (old_byte < size && now.bytes()[old_byte] != 'x') {
    RecordBlocked(kNewBytesZero,
                  "bytes added by ftruncate read " +
                      std::to_string(static_cast<unsigned char>(now.bytes()[old_byte])) +
                      ", neither zero nor the old contents");
    return;
  }
  EXPECT_EQ(old_byte, size) << "byte " << old_byte << " still holds the old contents 'x'";
}

INSTANTIATE_TEST_SUITE_P(Sizes, PosixShmTrunc, ::testing::Values(1, 4096, 65536 + 7));

struct BadName {
  const char* name;
  std::string (*make)();
};

class PosixShmName : public ::testing::TestWithParam<BadName> {};

// Tries to create `name`; if that wrongly succeeds, closes and unlinks what was made.
SyscallResult TryCreate(const std::string& name) {
  SyscallResult r = SYS(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
  if (r.value >= 0) {
    close(static_cast<int>(r.value));
    shm_unlink(name.c_str());
  }
  return r;
}

IPC_TEST_P(PosixShmName, InvalidNamesFailWithEinval, "POSIX_SHM.NAME.INVALID_EINVAL") {
  EXPECT_THAT(TryCreate(GetParam().make()), SyscallFailsWithErrno(EINVAL));
}

INSTANTIATE_TEST_SUITE_P(
    Names, PosixShmName,
    ::testing::Values(BadName{"InnerSlash", []() { return PosixIpcName("dir") + "/object"; }},
                      BadName{"SlashOnly", []() { return std::string("/"); }},
                      BadName{"Empty", []() { return std::string(); }}),
    [](const auto& info) { return std::string(info.param.name); });

// A name of `length` characters after its slash, made from a PosixIpcName.
std::string NameOfLength(size_t length) {
  std::string name = PosixIpcName("long");
  name.resize(length + 1, 'x');
  return name;
}

class PosixShmNameLength : public ::testing::TestWithParam<size_t> {};

IPC_TEST_P(PosixShmNameLength, NamesLongerThanNameMaxFail, "POSIX_SHM.NAME.TOO_LONG_ENAMETOOLONG") {
  const size_t length = GetParam();
  const std::string name = NameOfLength(length);
  if (length <= NAME_MAX) {
    EXPECT_THAT(TryCreate(name), SyscallSucceeds()) << "a name of NAME_MAX characters is valid";
  } else if (length == NAME_MAX + 1) {
    EXPECT_THAT(TryCreate(name), SyscallFailsWithErrno(ENAMETOOLONG))
        << "one character more than NAME_MAX after the slash";
  } else {
    // Far longer names never reach the kernel: glibc 2.34+ refuses what does not fit its buffer
    // of /dev/shm/ + NAME_MAX with EINVAL; older ones pass them on (ENAMETOOLONG).
    EXPECT_THAT(TryCreate(name), ::testing::AnyOf(SyscallFailsWithErrno(ENAMETOOLONG),
                                                  SyscallFailsWithErrno(EINVAL)))
        << length << " characters after the slash";
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, PosixShmNameLength,
                         ::testing::Values(NAME_MAX, NAME_MAX + 1, 1000, PATH_MAX + 10));

IPC_TEST(PosixShmLinux, TheObjectIsAFileInDevShm, "POSIX_SHM.NAME.IN_DEV_SHM") {
  struct stat dir {};
  IPCCONF_UNSUPPORTED_IF(stat("/dev/shm", &dir) != 0, "stat(/dev/shm) -> " + ErrnoName(errno));
  ShmName name("devshm");
  const std::string path = "/dev/shm" + name.str();
  struct stat object {};
  {
    ipc::UniqueFd fd(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600));
    ASSERT_TRUE(fd) << "shm_open(O_CREAT|O_EXCL): " << ErrnoName(errno);
    ASSERT_THAT(SYS(fstat(fd.get(), &object)), SyscallSucceeds());
  }
  struct stat file {};
  ASSERT_THAT(SYS(stat(path.c_str(), &file)), SyscallSucceeds())
      << path << " must exist while the object has its name";
  EXPECT_EQ(file.st_ino, object.st_ino) << path << " must be the object itself";
  EXPECT_EQ(file.st_dev, object.st_dev) << path << " must be the object itself";
  ASSERT_THAT(SYS(shm_unlink(name.c_str())), SyscallSucceeds());
  EXPECT_THAT(SYS(stat(path.c_str(), &file)), SyscallFailsWithErrno(ENOENT))
      << path << " must go with shm_unlink";
}

}  // namespace
}  // namespace ipcconf::posix_shm
