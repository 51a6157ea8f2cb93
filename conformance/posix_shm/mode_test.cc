// Who may use an object (XSH shm_open() mode and EACCES, XSH mmap() EACCES): the mode given at
// creation, masked by the umask, is what fstat reports and what the system enforces.
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
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_shm {
namespace {

// Sets the umask for a scope (the test process is single-threaded while a test runs).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : saved_(umask(mask)) {}
  ~ScopedUmask() { umask(saved_); }

 private:
  mode_t saved_;
};

struct ModeCase {
  mode_t mode;
  mode_t mask;
};

class PosixShmMode : public ::testing::TestWithParam<ModeCase> {};

IPC_TEST_P(PosixShmMode, FstatReportsTheModeMaskedByTheUmask, "POSIX_SHM.MODE.FSTAT_MODE") {
  const ModeCase c = GetParam();
  ShmName name("mode");
  ipc::UniqueFd fd;
  {
    ScopedUmask mask(c.mask);
    fd.reset(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, c.mode));
  }
  ASSERT_TRUE(fd) << "shm_open(O_CREAT|O_EXCL, " << Octal(c.mode) << "): " << ErrnoName(errno);
  struct stat st {};
  ASSERT_THAT(SYS(fstat(fd.get(), &st)), SyscallSucceeds());
  EXPECT_EQ(Octal(st.st_mode & 07777), Octal(c.mode & ~c.mask))
      << "mode " << Octal(c.mode) << " with umask " << Octal(c.mask);
}

INSTANTIATE_TEST_SUITE_P(Modes, PosixShmMode,
                         ::testing::Values(ModeCase{0600, 0}, ModeCase{0640, 0}, ModeCase{0604, 0},
                                           ModeCase{0400, 0}, ModeCase{0666, 022},
                                           ModeCase{0660, 027}, ModeCase{0644, 077},
                                           ModeCase{0777, 0}),
                         [](const auto& info) {
                           return "Mode" + Octal(info.param.mode) + "Umask" +
                                  Octal(info.param.mask);
                         });

struct AccessCase {
  const char* name;
  mode_t mode;
  int flags;
  bool granted;
};

class PosixShmAccess : public ::testing::TestWithParam<AccessCase> {};

IPC_TEST_P(PosixShmAccess, TheModeDecidesWhoOpens, "POSIX_SHM.MODE.DENIED_EACCES") {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root: a non-root test cannot make an object another uid is denied "
                    "and then become that uid";
  }
  Outcome can_drop = RunInChild([]() { return BecomeNobody() ? 0 : errno; });
  if (!can_drop.Exited(0)) {
    GTEST_SKIP() << "cannot become uid 65534 here (" << ErrnoName(can_drop.code)
                 << "): a user namespace mapping only root, as Bazel's linux-sandbox makes; "
                    "run with --spawn_strategy=standalone to check this assertion";
  }
  const AccessCase c = GetParam();
  ShmName name("access");
  ipc::UniqueFd fd;
  {
    ScopedUmask mask(0);  // the mode exactly as given
    fd.reset(shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, c.mode));
  }
  IPCCONF_BLOCKED_BY_IF(!fd, kCreatNewEmpty,
                        "shm_open(O_CREAT|O_EXCL) of a fresh name failed with " + ErrnoName(errno));
  // Owned by root: the "other" bits decide for nobody.
  Outcome out = RunInChild([&]() {
    if (!BecomeNobody()) return 2;
    int got = shm_open(name.c_str(), c.flags, 0);
    if (got >= 0) return 0;
    return errno == EACCES ? 3 : 4;
  });
  if (c.granted) {
    EXPECT_TRUE(ExitedWith(out, 0)) << "mode " << Octal(c.mode) << " grants this to others; "
                                    << "exit 3: EACCES, 4: another errno";
  } else {
    EXPECT_TRUE(ExitedWith(out, 3)) << "mode " << Octal(c.mode) << " denies this to others; "
                                    << "exit 0: it was opened, 4: another errno than EACCES";
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, PosixShmAccess,
                         ::testing::Values(AccessCase{"OwnerOnlyReadDenied", 0600, O_RDONLY, false},
                                           AccessCase{"GroupOnlyReadDenied", 0640, O_RDONLY, false},
                                           AccessCase{"OthersReadWriteDenied", 0644, O_RDWR, false},
                                           AccessCase{"OthersReadGranted", 0604, O_RDONLY, true},
                                           AccessCase{"OthersReadWriteGranted", 0606, O_RDWR,
                                                      true}),
                         [](const auto& info) { return std::string(info.param.name); });

class PosixShmReadOnly : public ::testing::TestWithParam<int> {};

IPC_TEST_P(PosixShmReadOnly, AReadOnlyFdMapsForReadingOnly, "POSIX_SHM.MODE.RDONLY_NO_PROT_WRITE") {
  ShmName name("rdonly");
  ipc::UniqueFd fd = CreateSized(name, 4096);
  if (!fd || !MappingsShare(fd.get(), 4096)) return;
  Mapping writer = MapShared(fd.get(), 4096);
  if (!writer) return;
  strcpy(writer.bytes(), "written by the creator");
  ipc::UniqueFd reader(shm_open(name.c_str(), O_RDONLY, 0));
  ASSERT_TRUE(reader) << "shm_open(O_RDONLY) by the owner: " << ErrnoName(errno);
  void* r = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, reader.get(), 0);
  ASSERT_NE(r, MAP_FAILED) << "mmap(PROT_READ, MAP_SHARED) of an O_RDONLY fd: " << ErrnoName(errno);
  Mapping read_only(r, 4096);
  EXPECT_STREQ(read_only.bytes(), "written by the creator");
  void* w = mmap(nullptr, 4096, GetParam(), MAP_SHARED, reader.get(), 0);
  const int error = errno;
  Mapping wrong(w == MAP_FAILED ? nullptr : w, 4096);
  EXPECT_EQ(w, MAP_FAILED) << "an O_RDONLY fd must not map PROT_WRITE, MAP_SHARED";
  if (w == MAP_FAILED) {
    EXPECT_EQ(ErrnoName(error), ErrnoName(EACCES));
  }
}

INSTANTIATE_TEST_SUITE_P(Protections, PosixShmReadOnly,
                         ::testing::Values(PROT_WRITE, PROT_READ | PROT_WRITE),
                         [](const auto& info) {
                           return std::string(info.param & PROT_READ ? "ReadWrite" : "WriteOnly");
                         });

}  // namespace
}  // namespace ipcconf::posix_shm
