// Order and size (XSH mq_send(), mq_receive()): the highest priority first, the oldest first
// within a priority, and EMSGSIZE at both ends.
#include <mqueue.h>

#include <string>
#include <utility>
#include <vector>

#include "conformance/posix_mq/mq_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {
namespace {

// Messages sent in this order, each named by its priority.
using Sending = std::vector<unsigned>;

class PosixMqPriority : public PosixMqTest, public ::testing::WithParamInterface<Sending> {};

IPC_TEST_P(PosixMqPriority, HighestComesFirstWithItsPriority, "POSIX_MQ.ORDER.PRIORITY") {
  for (unsigned p : GetParam()) ASSERT_TRUE(Send("p" + std::to_string(p), p));
  std::vector<unsigned> sorted = GetParam();
  std::sort(sorted.rbegin(), sorted.rend());
  for (unsigned p : sorted) {
    Received r = ReceiveAtOnce(mqd());
    if (r.hung) return;
    EXPECT_EQ(r.body, "p" + std::to_string(p)) << "the highest priority left is " << p;
    EXPECT_EQ(r.priority, p) << "mq_receive reports the message's priority";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Orders, PosixMqPriority,
    ::testing::Values(Sending{1, 2, 3, 31}, Sending{31, 3, 2, 0}, Sending{2, 31, 0, 7}),
    [](const auto& info) {
      return std::string(info.index == 0 ? "Ascending" : info.index == 1 ? "Descending" : "Mixed");
    });

// (priority, how many messages of it).
class PosixMqFifo : public PosixMqTest,
                    public ::testing::WithParamInterface<std::pair<unsigned, int>> {};

IPC_TEST_P(PosixMqFifo, OnePriorityComesInSendingOrder, "POSIX_MQ.ORDER.FIFO_WITHIN_PRIORITY") {
  auto [priority, count] = GetParam();
  for (int i = 0; i < count; ++i) ASSERT_TRUE(Send("#" + std::to_string(i), priority));
  for (int i = 0; i < count; ++i) EXPECT_EQ(Next(), "#" + std::to_string(i));
}

INSTANTIATE_TEST_SUITE_P(Priorities, PosixMqFifo,
                         ::testing::Values(std::make_pair(0u, 2), std::make_pair(0u, 4),
                                           std::make_pair(5u, 2), std::make_pair(5u, 4)),
                         [](const auto& info) {
                           return "priority" + std::to_string(info.param.first) + "x" +
                                  std::to_string(info.param.second);
                         });

class PosixMqShortBuffer : public PosixMqTest, public ::testing::WithParamInterface<size_t> {};

IPC_TEST_P(PosixMqShortBuffer, ReceiveFailsWithEmsgsizeAndKeepsTheMessage,
           "POSIX_MQ.SIZE.RECEIVE_BUFFER_EMSGSIZE") {
  // A one-byte message: what counts is the buffer against mq_msgsize, not the message.
  ASSERT_TRUE(Send("x"));
  Received r = ReceiveAtOnce(mqd(), GetParam());
  if (r.hung) return;
  EXPECT_EQ(r.value, -1) << "mq_receive with " << GetParam() << " bytes < mq_msgsize "
                         << kMessageSize << " returned " << r.value;
  EXPECT_EQ(r.error, EMSGSIZE) << ErrnoName(r.error);
  if (r.value == -1) EXPECT_EQ(Next(), "x") << "the message stays queued";
}

INSTANTIATE_TEST_SUITE_P(Buffers, PosixMqShortBuffer, ::testing::Values(1, kMessageSize - 1));

class PosixMqLongSend : public PosixMqTest, public ::testing::WithParamInterface<size_t> {};

IPC_TEST_P(PosixMqLongSend, FailsWithEmsgsizeAndQueuesNothing,
           "POSIX_MQ.SIZE.SEND_TOO_LONG_EMSGSIZE") {
  std::string body(GetParam(), 'y');
  EXPECT_THAT(SYS(mq_send(mqd(), body.data(), body.size(), 0)), SyscallFailsWithErrno(EMSGSIZE));
  ASSERT_TRUE(Send("after"));
  EXPECT_EQ(Next(), "after") << "nothing was queued before it";
}

INSTANTIATE_TEST_SUITE_P(Lengths, PosixMqLongSend,
                         ::testing::Values(kMessageSize + 1, 2 * kMessageSize));

}  // namespace
}  // namespace ipcconf::posix_mq
