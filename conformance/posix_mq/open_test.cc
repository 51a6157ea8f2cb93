// Opening (XSH mq_open(), man 3 mq_open): creation with the attributes asked, O_EXCL, a missing
// name, permissions, malformed names, and attributes out of range.
#include <fcntl.h>
#include <mqueue.h>

#include <climits>
#include <string>
#include <tuple>

#include "conformance/posix_mq/mq_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {
namespace {

// mq_open(name, O_RDWR|O_CREAT|O_EXCL, 0600, {maxmsg, msgsize}).
mqd_t Create(const std::string& name, long maxmsg, long msgsize, int mode = 0600) {
  mq_attr attr{};
  attr.mq_maxmsg = maxmsg;
  attr.mq_msgsize = msgsize;
  return mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, mode, &attr);
}

// Closes and unlinks a queue a call was not expected to make.
void Discard(mqd_t mqd, const std::string& name) {
  if (mqd == static_cast<mqd_t>(-1)) return;
  mq_close(mqd);
  RemoveQueueName(name);
}

class PosixMqCreate : public ::testing::TestWithParam<std::tuple<long, long>> {};

IPC_TEST_P(PosixMqCreate, MakesAnEmptyQueueOfTheAskedSize, "POSIX_MQ.OPEN.CREATE_NEW") {
  auto [maxmsg, msgsize] = GetParam();
  std::string name = PosixIpcName("q");
  mqd_t mqd = Create(name, maxmsg, msgsize);
  ASSERT_NE(mqd, static_cast<mqd_t>(-1))
      << "mq_open(O_CREAT|O_EXCL) of a free name: " << ErrnoName(errno);
  mq_attr attr{};
  if (mq_getattr(mqd, &attr) != 0 && errno == ENOSYS) {  // the size cannot be seen here
    Discard(mqd, name);
    IPCCONF_UNSUPPORTED_IF(true, "probe: mq_getattr() -> ENOSYS: a queue's size cannot be read");
  }
  EXPECT_THAT(SYS(mq_getattr(mqd, &attr)), SyscallSucceeds());
  EXPECT_EQ(attr.mq_maxmsg, maxmsg);
  EXPECT_EQ(attr.mq_msgsize, msgsize);
  EXPECT_EQ(attr.mq_curmsgs, 0) << "a new queue is empty";
  Discard(mqd, name);
}

INSTANTIATE_TEST_SUITE_P(Sizes, PosixMqCreate,
                         ::testing::Values(std::make_tuple(1L, 1L), std::make_tuple(4L, 64L),
                                           std::make_tuple(10L, 8192L)));

class PosixMqOpen : public PosixMqTest {};

IPC_TEST_F(PosixMqOpen, ExclusiveCreateOfAnExistingNameFailsWithEexist,
           "POSIX_MQ.OPEN.EXCL_EXISTING_EEXIST") {
  mqd_t again = Create(name_, kMaxMessages, kMessageSize);
  int error = errno;
  // The name is the fixture's: a second queue made there would replace it, so only close.
  if (again != static_cast<mqd_t>(-1)) mq_close(again);
  EXPECT_EQ(again, static_cast<mqd_t>(-1)) << "O_CREAT|O_EXCL on " << name_ << " succeeded";
  EXPECT_EQ(error, EEXIST) << ErrnoName(error);
}

IPC_TEST(PosixMqMissing, WithoutCreateFailsWithEnoent, "POSIX_MQ.OPEN.MISSING_ENOENT") {
  std::string name = PosixIpcName("missing");
  mqd_t mqd = mq_open(name.c_str(), O_RDWR);
  int error = errno;
  Discard(mqd, name);
  EXPECT_EQ(mqd, static_cast<mqd_t>(-1)) << "mq_open without O_CREAT of a free name succeeded";
  EXPECT_EQ(error, ENOENT) << ErrnoName(error);
}

class PosixMqDenied : public PosixMqTest, public ::testing::WithParamInterface<int> {};

IPC_TEST_P(PosixMqDenied, UnprivilegedOpenOfA0600QueueFailsWithEacces,
           "POSIX_MQ.OPEN.DENIED_EACCES") {
  int flags = GetParam();
  // The refusal is checked on a name the owner can open: a name that opens nothing says nothing.
  int error = 0;
  long root = CallAtOnce(
      "mq_open(" + name_ + ") as root",
      [&]() -> long {
        mqd_t m = mq_open(name_.c_str(), flags);
        return m == static_cast<mqd_t>(-1) ? -1 : 0;
      },
      &error);
  IPCCONF_BLOCKED_BY_IF(root != 0 && error == ENOENT, "POSIX_MQ.SHARE.BY_NAME",
                        "mq_open(" + name_ + ") by its owner: ENOENT");
  Outcome o = RunAtOnce([&]() {
    if (!BecomeNobody()) return 2;
    mqd_t m = mq_open(name_.c_str(), flags);
    if (m != static_cast<mqd_t>(-1)) return 4;
    return errno == EACCES ? 0 : 3;
  });
  IPCCONF_UNSUPPORTED_IF(o.Exited(2), "setuid(65534) refused: the test needs root");
  EXPECT_FALSE(o.Exited(4)) << "nobody opened a 0600 queue of root's";
  EXPECT_TRUE(ExitedWith(o, 0)) << "mq_open by nobody of a 0600 queue: EACCES";
}

std::string AccessName(const ::testing::TestParamInfo<int>& info) {
  return info.param == O_RDONLY ? "ReadOnly" : info.param == O_WRONLY ? "WriteOnly" : "ReadWrite";
}

INSTANTIATE_TEST_SUITE_P(Access, PosixMqDenied, ::testing::Values(O_RDONLY, O_WRONLY, O_RDWR),
                         AccessName);

// A malformed name and the error man 3 mq_open gives for it.
struct BadName {
  const char* label;
  int error;
};

class PosixMqBadName : public ::testing::TestWithParam<BadName> {};

IPC_TEST_P(PosixMqBadName, IsRefusedWithItsError, "POSIX_MQ.OPEN.BAD_NAME") {
  std::string ours = PosixIpcName("bad");
  std::string label = GetParam().label, name;
  if (label == "NoLeadingSlash") name = ours.substr(1);
  if (label == "SlashAlone") name = "/";
  if (label == "SecondSlash") name = ours + "/inner";
  if (label == "LongerThanNameMax") name = ours + std::string(NAME_MAX, 'x');
  mq_attr attr{};
  attr.mq_maxmsg = kMaxMessages;
  attr.mq_msgsize = kMessageSize;
  mqd_t mqd = mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &attr);
  int error = errno;
  Discard(mqd, name);
  EXPECT_EQ(mqd, static_cast<mqd_t>(-1)) << "mq_open(O_CREAT) of \"" << name << "\" succeeded";
  EXPECT_EQ(error, GetParam().error)
      << "got " << ErrnoName(error) << ", expected " << ErrnoName(GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(Names, PosixMqBadName,
                         ::testing::Values(BadName{"NoLeadingSlash", EINVAL},
                                           BadName{"SlashAlone", ENOENT},
                                           BadName{"SecondSlash", EACCES},
                                           BadName{"LongerThanNameMax", ENAMETOOLONG}),
                         [](const auto& info) { return std::string(info.param.label); });

class PosixMqBadAttr : public ::testing::TestWithParam<std::tuple<long, long>> {};

IPC_TEST_P(PosixMqBadAttr, NonPositiveSizeFailsWithEinval, "POSIX_MQ.OPEN.BAD_ATTR_EINVAL") {
  auto [maxmsg, msgsize] = GetParam();
  std::string name = PosixIpcName("q");
  mqd_t mqd = Create(name, maxmsg, msgsize);
  int error = errno;
  Discard(mqd, name);
  EXPECT_EQ(mqd, static_cast<mqd_t>(-1))
      << "mq_open(O_CREAT) of " << maxmsg << " x " << msgsize << " bytes succeeded";
  EXPECT_EQ(error, EINVAL) << ErrnoName(error);
}

INSTANTIATE_TEST_SUITE_P(Sizes, PosixMqBadAttr,
                         ::testing::Values(std::make_tuple(0L, 64L), std::make_tuple(-1L, 64L),
                                           std::make_tuple(4L, 0L), std::make_tuple(4L, -1L)));

class PosixMqLimit : public ::testing::TestWithParam<const char*> {};

IPC_TEST_P(PosixMqLimit, UnprivilegedAboveTheCeilingFailsWithEinval,
           "POSIX_MQ.OPEN.ABOVE_LIMIT_EINVAL") {
  std::string limit = GetParam();
  long ceiling = MqueueLimit(limit);
  IPCCONF_UNSUPPORTED_IF(ceiling <= 0, "/proc/sys/fs/mqueue/" + limit + " cannot be read");
  long maxmsg = limit == "msg_max" ? ceiling + 1 : 1;
  long msgsize = limit == "msgsize_max" ? ceiling + 1 : 1;
  std::string name = PosixIpcName("q"), probe = PosixIpcName("probe");
  // Privileged processes (CAP_SYS_RESOURCE) may go above the ceilings: nobody asks.
  Outcome o = RunAtOnce([&]() {
    if (!BecomeNobody()) return 2;
    // A refusal means something only where mq_open makes the sizes it is asked for.
    mqd_t small = Create(probe, 2, 16);
    mq_attr attr{};
    bool as_asked = small != static_cast<mqd_t>(-1) && mq_getattr(small, &attr) == 0 &&
                    attr.mq_maxmsg == 2 && attr.mq_msgsize == 16;
    if (small != static_cast<mqd_t>(-1)) mq_close(small);
    mq_unlink(probe.c_str());
    if (!as_asked) return 6;
    mqd_t mqd = Create(name, maxmsg, msgsize);
    if (mqd != static_cast<mqd_t>(-1)) {
      mq_close(mqd);
      mq_unlink(name.c_str());
      return 4;
    }
    return errno == EINVAL ? 0 : 3;
  });
  RemoveQueueName(probe);
  RemoveQueueName(name);
  IPCCONF_UNSUPPORTED_IF(o.Exited(2), "setuid(65534) refused: the test needs root");
  // Sizes above the ceiling can show only where mq_open makes the sizes it is asked for.
  IPCCONF_BLOCKED_BY_IF(o.Exited(6), "POSIX_MQ.OPEN.CREATE_NEW",
                        "an unprivileged mq_open(O_CREAT) of 2 x 16 bytes failed or made a queue "
                        "of other sizes");
  EXPECT_FALSE(o.Exited(4)) << "nobody made a queue of " << maxmsg << " x " << msgsize
                            << " bytes, above " << limit << " " << ceiling;
  EXPECT_TRUE(ExitedWith(o, 0)) << "mq_open above " << limit << ": EINVAL";
}

INSTANTIATE_TEST_SUITE_P(Ceilings, PosixMqLimit, ::testing::Values("msg_max", "msgsize_max"));

}  // namespace
}  // namespace ipcconf::posix_mq
