// Lifetime, attributes and sharing (XSH mq_unlink(), mq_getattr(), mq_setattr(), fork(),
// man 7 mq_overview): the name goes at unlink while open descriptors keep working, the
// attributes reported and changed, the queue shared across fork and by name with an exec'd
// program, and a descriptor that poll() watches.
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>

#include <string>

#include "conformance/posix_mq/mq_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/helper_program.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {
namespace {

class PosixMqUnlink : public PosixMqTest {};

IPC_TEST_F(PosixMqUnlink, NameOpensNothingAndCanBeCreatedAgain, "POSIX_MQ.UNLINK.NAME_GOES") {
  ASSERT_TRUE(Send("old"));
  ASSERT_TRUE(queue_.Unlink().ok());
  EXPECT_THAT(SYS(mq_open(name_.c_str(), O_RDWR)), SyscallFailsWithErrno(ENOENT))
      << "the unlinked name still opens a queue";
  auto made = ipc::PosixMessageQueue::Create(name_, kMaxMessages, kMessageSize);
  ASSERT_TRUE(made.ok()) << "O_CREAT|O_EXCL of the unlinked name: " << made.error().Describe();
  mq_attr attr{};
  ASSERT_THAT(SYS(mq_getattr(made->descriptor(), &attr)), SyscallSucceeds());
  EXPECT_EQ(attr.mq_curmsgs, 0) << "the queue made again is a new, empty one";
}

IPC_TEST_F(PosixMqUnlink, OpenDescriptorsKeepTheQueue,
           "POSIX_MQ.UNLINK.OPEN_DESCRIPTORS_KEEP_WORKING") {
  ASSERT_TRUE(Send("before"));
  ASSERT_TRUE(queue_.Unlink().ok());
  mqd_t gone = mq_open(name_.c_str(), O_RDWR);
  if (gone != static_cast<mqd_t>(-1)) mq_close(gone);
  IPCCONF_BLOCKED_BY_IF(gone != static_cast<mqd_t>(-1), "POSIX_MQ.UNLINK.NAME_GOES",
                        "the name still opened a queue after mq_unlink()");
  EXPECT_EQ(Next(), "before") << "the message queued before the unlink is still there";
  EXPECT_THAT(SYS(mq_send(mqd(), "after", 5, 1)), SyscallSucceeds());
  EXPECT_EQ(Next(), "after");
}

class PosixMqAttr : public PosixMqTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override { MakeQueue(GetParam() ? O_NONBLOCK : 0); }
};

IPC_TEST_P(PosixMqAttr, GetattrReportsFlagsAndCount, "POSIX_MQ.ATTR.GETATTR") {
  auto count = [&]() {
    mq_attr attr{};
    EXPECT_THAT(SYS(mq_getattr(mqd(), &attr)), SyscallSucceeds());
    EXPECT_EQ(attr.mq_flags & O_NONBLOCK, GetParam() ? O_NONBLOCK : 0) << "mq_flags";
    EXPECT_EQ(attr.mq_maxmsg, kMaxMessages);
    EXPECT_EQ(attr.mq_msgsize, kMessageSize);
    return attr.mq_curmsgs;
  };
  EXPECT_EQ(count(), 0);
  ASSERT_TRUE(Send("a"));
  ASSERT_TRUE(Send("b", 3));
  EXPECT_EQ(count(), 2) << "mq_curmsgs after two sends";
  Next();
  EXPECT_EQ(count(), 1) << "mq_curmsgs after a receive";
}

INSTANTIATE_TEST_SUITE_P(Flags, PosixMqAttr, ::testing::Bool(), [](const auto& info) {
  return std::string(info.param ? "NonBlocking" : "Blocking");
});

class PosixMqSetattr : public PosixMqTest {};

IPC_TEST_F(PosixMqSetattr, ChangesOnlyNonBlockAndReturnsThePrevious,
           "POSIX_MQ.ATTR.SETATTR_ONLY_NONBLOCK") {
  // Read back through the previous attributes mq_setattr itself returns, not mq_getattr.
  mq_attr want{}, old{};
  want.mq_flags = O_NONBLOCK;
  want.mq_maxmsg = kMaxMessages + 3;
  want.mq_msgsize = kMessageSize + 7;
  ASSERT_THAT(SYS(mq_setattr(mqd(), &want, &old)), SyscallSucceeds());
  EXPECT_EQ(old.mq_flags & O_NONBLOCK, 0) << "the previous flags, before the change";
  want.mq_flags = 0;
  ASSERT_THAT(SYS(mq_setattr(mqd(), &want, &old)), SyscallSucceeds());
  EXPECT_EQ(old.mq_flags & O_NONBLOCK, O_NONBLOCK) << "the first mq_setattr set O_NONBLOCK";
  EXPECT_EQ(old.mq_maxmsg, kMaxMessages) << "mq_maxmsg is not changed by mq_setattr";
  EXPECT_EQ(old.mq_msgsize, kMessageSize) << "mq_msgsize is not changed by mq_setattr";
  ASSERT_THAT(SYS(mq_setattr(mqd(), &want, &old)), SyscallSucceeds());
  EXPECT_EQ(old.mq_flags & O_NONBLOCK, 0) << "the second mq_setattr cleared O_NONBLOCK";
}

class PosixMqShare : public PosixMqTest {};

IPC_TEST_F(PosixMqShare, ForkedChildAndParentExchangeMessages, "POSIX_MQ.SHARE.FORK") {
  ASSERT_TRUE(Send("down"));
  Outcome o = RunAtOnce([&]() {
    char buf[kMessageSize];
    long n = mq_receive(mqd(), buf, sizeof buf, nullptr);
    if (n != 4 || std::string(buf, 4) != "down") return 3;
    return mq_send(mqd(), "up", 2, 0) == 0 ? 0 : 4;
  });
  EXPECT_FALSE(o.Exited(3)) << "the child did not receive the parent's \"down\"";
  EXPECT_FALSE(o.Exited(4)) << "the child could not send";
  ASSERT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(Next(), "up") << "the parent receives what the child sent";
}

// The unrelated program: opens the queue by name, receives one message, sends it back with
// "re:" before it at priority 2. argv: the name.
IPCCONF_HELPER(posix_mq_echo) {
  if (argc < 2) return 2;
  mqd_t mqd = mq_open(argv[1], O_RDWR);
  if (mqd == static_cast<mqd_t>(-1)) return 3;
  char buf[kMessageSize];
  long n = mq_receive(mqd, buf, sizeof buf, nullptr);
  if (n < 0) return 4;
  std::string reply = "re:" + std::string(buf, static_cast<size_t>(n));
  if (mq_send(mqd, reply.data(), reply.size(), 2) != 0) return 5;
  mq_close(mqd);
  return 0;
}

IPC_TEST_F(PosixMqShare, ExecutedProgramOpensItByName, "POSIX_MQ.SHARE.BY_NAME") {
  ASSERT_TRUE(Send("ping"));
  Child helper = Child::Exec(HelperCommand("posix_mq_echo", {name_}));
  Outcome o = helper.Wait();
  EXPECT_FALSE(o.Exited(3)) << "the program could not open " << name_ << " by its name";
  EXPECT_FALSE(o.Exited(4)) << "the program found no message in the queue it opened";
  ASSERT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(Next(), "re:ping") << "the reply of the program comes back through the queue";
}

class PosixMqPoll : public PosixMqTest {};

IPC_TEST_F(PosixMqPoll, ReadableWhileAMessageIsQueued, "POSIX_MQ.POLL.READABLE") {
  auto readable = [&]() {
    pollfd p{static_cast<int>(mqd()), POLLIN, 0};
    int n = poll(&p, 1, 0);
    EXPECT_GE(n, 0) << "poll: " << ErrnoName(errno);
    return n == 1 && (p.revents & POLLIN);
  };
  EXPECT_FALSE(readable()) << "POLLIN on an empty queue";
  ASSERT_TRUE(Send("x"));
  EXPECT_TRUE(readable()) << "no POLLIN with a message queued";
  EXPECT_EQ(Next(), "x");
  EXPECT_FALSE(readable()) << "POLLIN again once the queue is drained";
}

}  // namespace
}  // namespace ipcconf::posix_mq
