#include "ipc/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace {

using ::ipcconf::SyscallFailsWithErrno;
using ::ipcconf::SyscallSucceeds;

int OpenDevNull() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(UniqueFd, DefaultIsInvalid) {
  ipc::UniqueFd fd;
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFd, ClosesOnDestruction) {
  int raw;
  {
    ipc::UniqueFd fd(OpenDevNull());
    raw = fd.get();
    ASSERT_GE(raw, 0);
    EXPECT_THAT(SYS(fcntl(raw, F_GETFD)), SyscallSucceeds());
  }
  EXPECT_THAT(SYS(fcntl(raw, F_GETFD)), SyscallFailsWithErrno(EBADF));
}

TEST(UniqueFd, MoveTransfersOwnership) {
  ipc::UniqueFd a(OpenDevNull());
  int raw = a.get();
  ipc::UniqueFd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.get(), raw);
  ipc::UniqueFd c;
  c = std::move(b);
  EXPECT_EQ(c.get(), raw);
  EXPECT_THAT(SYS(fcntl(raw, F_GETFD)), SyscallSucceeds());
}

TEST(UniqueFd, ReleaseKeepsTheFdOpen) {
  ipc::UniqueFd fd(OpenDevNull());
  int raw = fd.release();
  EXPECT_FALSE(fd.valid());
  EXPECT_THAT(SYS(fcntl(raw, F_GETFD)), SyscallSucceeds());
  close(raw);
}

TEST(UniqueFd, ResetClosesTheOldFd) {
  ipc::UniqueFd fd(OpenDevNull());
  int old = fd.get();
  int fresh = OpenDevNull();
  EXPECT_EQ(fd.reset(fresh), 0);
  EXPECT_EQ(fd.get(), fresh);
  EXPECT_THAT(SYS(fcntl(old, F_GETFD)), SyscallFailsWithErrno(EBADF));
}

}  // namespace
