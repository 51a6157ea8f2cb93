// Waiting (XSH mq_send(), mq_receive(), mq_timedsend(), mq_timedreceive()): a full queue blocks
// the sender and an empty one the receiver until the other side acts, observed in /proc, never
// slept on; O_NONBLOCK makes both fail at once with EAGAIN; a timeout ends the wait with
// ETIMEDOUT, not before it.
#include <fcntl.h>
#include <mqueue.h>
#include <sys/syscall.h>

#include <chrono>
#include <string>

#include "conformance/posix_mq/mq_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {
namespace {

// Whether the waiting call is the plain one or the timed one with a far timeout (both block).
enum class Call { kPlain, kTimedFar };

std::string CallName(const ::testing::TestParamInfo<Call>& info) {
  return info.param == Call::kPlain ? "Plain" : "TimedFar";
}

int SendBy(Call how, mqd_t mqd, const std::string& body) {
  if (how == Call::kPlain) return mq_send(mqd, body.data(), body.size(), 0);
  timespec far = RealtimeIn(Millis(60000));
  return mq_timedsend(mqd, body.data(), body.size(), 0, &far);
}

long ReceiveBy(Call how, mqd_t mqd, std::string* body) {
  char buf[kMessageSize];
  long n;
  if (how == Call::kPlain) {
    n = mq_receive(mqd, buf, sizeof buf, nullptr);
  } else {
    timespec far = RealtimeIn(Millis(60000));
    n = mq_timedreceive(mqd, buf, sizeof buf, nullptr, &far);
  }
  if (n > 0) body->assign(buf, static_cast<size_t>(n));
  return n;
}

class PosixMqBlocking : public PosixMqTest, public ::testing::WithParamInterface<Call> {};

IPC_TEST_P(PosixMqBlocking, FullQueueBlocksTheSenderUntilAReceive,
           "POSIX_MQ.BLOCK.FULL_BLOCKS_SENDER") {
  ASSERT_TRUE(Fill());
  Child sender = Child::Fork([&]() { return SendBy(GetParam(), mqd(), "late") == 0 ? 0 : 3; });
  ASSERT_TRUE(WaitUntilBlocked(sender.pid(), {SYS_mq_timedsend}))
      << "a send to a full queue must wait for room";
  EXPECT_TRUE(StaysBlocked(sender.pid(), {SYS_mq_timedsend}));
  EXPECT_NE(Next(), "") << "a queued message";
  EXPECT_TRUE(ExitedWith(sender.Wait(), 0)) << "the sender completes once a receive makes room";
  // Its message is queued now, among the others (their order is not what this checks).
  std::string bodies;
  int late = 0;
  for (int i = 0; i < kMaxMessages; ++i) {
    std::string body = Next();
    late += body == "late";
    bodies += " \"" + body + "\"";
  }
  // What a forked child sends arriving as sent is what POSIX_MQ.SHARE.FORK checks.
  IPCCONF_BLOCKED_BY_IF(late != 1, "POSIX_MQ.SHARE.FORK",
                        "the forked sender's \"late\" is not among what the queue held:" + bodies);
}

IPC_TEST_P(PosixMqBlocking, EmptyQueueBlocksTheReceiverUntilASend,
           "POSIX_MQ.BLOCK.EMPTY_BLOCKS_RECEIVER") {
  Child receiver = Child::Fork([&]() {
    std::string body;
    return ReceiveBy(GetParam(), mqd(), &body) == 4 && body == "wake" ? 0 : 3;
  });
  ASSERT_TRUE(WaitUntilBlocked(receiver.pid(), {SYS_mq_timedreceive}))
      << "a receive from an empty queue must wait for a message";
  EXPECT_TRUE(StaysBlocked(receiver.pid(), {SYS_mq_timedreceive}));
  ASSERT_TRUE(Send("wake"));
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0)) << "the receiver returns the message once sent";
}

INSTANTIATE_TEST_SUITE_P(Calls, PosixMqBlocking, ::testing::Values(Call::kPlain, Call::kTimedFar),
                         CallName);

// How the descriptor became non-blocking, and which call is made on it.
struct NonBlocking {
  bool by_setattr;
  Call call;
};

class PosixMqNonBlocking : public PosixMqTest, public ::testing::WithParamInterface<NonBlocking> {
 protected:
  void SetUp() override {
    MakeQueue(GetParam().by_setattr ? 0 : O_NONBLOCK);
    if (IsSkipped() || HasFatalFailure()) return;
    if (GetParam().by_setattr && !SetNonBlockingChecked()) GTEST_SKIP() << "blocked";
  }
};

IPC_TEST_P(PosixMqNonBlocking, SendToAFullQueueFailsWithEagain, "POSIX_MQ.NONBLOCK.FULL_EAGAIN") {
  ASSERT_TRUE(Fill());
  int error = 0;
  long rc = CallAtOnce(
      "mq_send to a full O_NONBLOCK queue",
      [&]() -> long { return SendBy(GetParam().call, mqd(), "x"); }, &error);
  EXPECT_EQ(rc, -1) << "the send to a full queue succeeded";
  EXPECT_EQ(error, EAGAIN) << ErrnoName(error);
}

IPC_TEST_P(PosixMqNonBlocking, ReceiveFromAnEmptyQueueFailsWithEagain,
           "POSIX_MQ.NONBLOCK.EMPTY_EAGAIN") {
  int error = 0;
  long rc = CallAtOnce(
      "mq_receive from an empty O_NONBLOCK queue",
      [&]() -> long {
        std::string body;
        return ReceiveBy(GetParam().call, mqd(), &body);
      },
      &error);
  EXPECT_EQ(rc, -1) << "the receive from an empty queue returned " << rc;
  EXPECT_EQ(error, EAGAIN) << ErrnoName(error);
}

INSTANTIATE_TEST_SUITE_P(Ways, PosixMqNonBlocking,
                         ::testing::Values(NonBlocking{false, Call::kPlain},
                                           NonBlocking{false, Call::kTimedFar},
                                           NonBlocking{true, Call::kPlain},
                                           NonBlocking{true, Call::kTimedFar}),
                         [](const auto& info) {
                           return std::string(info.param.by_setattr ? "Setattr" : "Opened") +
                                  (info.param.call == Call::kPlain ? "Plain" : "TimedFar");
                         });

// How long the timed calls wait: short, since a correct subject sleeps all of it.
constexpr Millis kTimeout{100};

class PosixMqTimeout : public PosixMqTest, public ::testing::WithParamInterface<bool> {};

IPC_TEST_P(PosixMqTimeout, TimedCallFailsWithEtimedoutOnceItPasses, "POSIX_MQ.TIMED.TIMES_OUT") {
  bool send = GetParam();
  if (send) ASSERT_TRUE(Fill());
  Outcome o = RunAtOnce(
      [&]() {
        timespec deadline = RealtimeIn(kTimeout);
        char buf[kMessageSize];
        int rc =
            send ? mq_timedsend(mqd(), "x", 1, 0, &deadline)
                 : static_cast<int>(mq_timedreceive(mqd(), buf, sizeof buf, nullptr, &deadline));
        if (rc != -1) return 3;
        if (errno != ETIMEDOUT) return 4;
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        bool early = now.tv_sec < deadline.tv_sec ||
                     (now.tv_sec == deadline.tv_sec && now.tv_nsec < deadline.tv_nsec);
        return early ? 5 : 0;
      },
      kTimeout);
  EXPECT_FALSE(o.Exited(3)) << "the call succeeded on a " << (send ? "full" : "empty") << " queue";
  EXPECT_FALSE(o.Exited(4)) << "the call failed, but not with ETIMEDOUT";
  EXPECT_FALSE(o.Exited(5)) << "ETIMEDOUT came before the absolute timeout";
  EXPECT_TRUE(ExitedWith(o, 0)) << "ETIMEDOUT once " << kTimeout.count() << " ms have passed";
}

INSTANTIATE_TEST_SUITE_P(Ends, PosixMqTimeout, ::testing::Bool(), [](const auto& info) {
  return std::string(info.param ? "SendFull" : "ReceiveEmpty");
});

}  // namespace
}  // namespace ipcconf::posix_mq
