#include "ipc/pipe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness/child.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace {

using ::ipcconf::SyscallFailsWithErrno;
using ::ipcconf::SyscallSucceeds;

TEST(Pipe, CreateGivesTwoFifoEnds) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok()) << p.error().Describe();
  struct stat st;
  ASSERT_EQ(fstat(p->read_end(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(fcntl(p->read_end(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(p->write_end(), F_GETFL) & O_ACCMODE, O_WRONLY);
}

TEST(Pipe, FlagsReachBothEnds) {
  auto p = ipc::Pipe::Create(O_CLOEXEC | O_NONBLOCK);
  ASSERT_TRUE(p.ok()) << p.error().Describe();
  for (int fd : {p->read_end(), p->write_end()}) {
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
  }
}

TEST(Pipe, BadFlagsAreAnErrorNamingTheCall) {
  auto p = ipc::Pipe::Create(O_APPEND);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().error, EINVAL);
  EXPECT_NE(p.error().Describe().find("pipe2("), std::string::npos) << p.error().Describe();
}

TEST(Pipe, WriteThenReadRoundTrips) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok());
  const std::string msg = "hello";
  auto w = p->WriteAll(msg.data(), msg.size());
  ASSERT_TRUE(w.ok()) << w.error().Describe();
  p->CloseWriteEnd();
  char buf[16] = {};
  auto r = p->ReadFull(buf, sizeof buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, *r), msg);
}

TEST(Pipe, CloseEndsAreIndependent) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok());
  int w = p->write_end();
  p->CloseReadEnd();
  EXPECT_EQ(p->read_end(), -1);
  EXPECT_THAT(SYS(fcntl(w, F_GETFD)), SyscallSucceeds());
  auto res = p->Write("x", 1);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().error, EPIPE);  // the test binary ignores SIGPIPE
}

TEST(Pipe, TakeEndHandsOwnershipOver) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok());
  ipc::UniqueFd r = p->TakeReadEnd();
  EXPECT_EQ(p->read_end(), -1);
  EXPECT_TRUE(r.valid());
}

TEST(Pipe, SetNonBlockingTogglesBothEnds) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(p->SetNonBlocking(true).ok());
  char c;
  EXPECT_THAT(SYS(read(p->read_end(), &c, 1)), SyscallFailsWithErrno(EAGAIN));
  ASSERT_TRUE(p->SetNonBlocking(false).ok());
  EXPECT_FALSE(fcntl(p->read_end(), F_GETFL) & O_NONBLOCK);
}

TEST(Pipe, ReadFullStopsAtEndOfFile) {
  auto p = ipc::Pipe::Create();
  ASSERT_TRUE(p.ok());
  ipcconf::Child writer = ipcconf::Child::Fork([&]() {
    p->CloseReadEnd();
    return p->WriteAll("abc", 3).ok() ? 0 : 1;
  });
  p->CloseWriteEnd();
  char buf[10];
  auto r = p->ReadFull(buf, sizeof buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 3u);
  EXPECT_TRUE(ipcconf::ExitedWith(writer.Wait(), 0));
}

}  // namespace
