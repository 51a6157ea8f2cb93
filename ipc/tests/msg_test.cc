// MessageQueue: send and receive by type, non-blocking variants, sizes, removal by lifetime.
#include "ipc/msg.h"

#include <sys/syscall.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "harness/blocked.h"
#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipc_test::TestKey;
using ::ipcconf::Child;
using ::ipcconf::ExitedWith;

ipc::MessageQueue NewQueue() {
  return std::move(ipc::MessageQueue::Create(ipc::IpcKey::Private()).value());
}

// The body of the message TryReceive(type) takes, or "ERROR: ..." naming the failure.
std::string Take(const ipc::MessageQueue& q, long type, size_t max = 64) {
  ipc::Result<ipc::Message> m = q.TryReceive(type, max);
  return m ? m->body : "ERROR: " + m.error().Describe();
}

// Sends each (type, body) in order.
::testing::AssertionResult SendAll(const ipc::MessageQueue& q,
                                   std::initializer_list<std::pair<long, const char*>> messages) {
  for (auto [type, body] : messages) {
    ipc::Result<bool> sent = q.Send(type, body);
    if (!sent) return ::testing::AssertionFailure() << sent.error().Describe();
  }
  return ::testing::AssertionSuccess();
}

bool Exists(int id) {
  msqid_ds ds;
  return msgctl(id, IPC_STAT, &ds) == 0;
}

TEST(MessageQueue, CreateGetAndTheirErrorsNameTheCall) {
  ipc::Result<ipc::MessageQueue> q = ipc::MessageQueue::Create(TestKey(), 0640);
  ASSERT_TRUE(Succeeded(q));
  EXPECT_EQ(q->Stat()->msg_perm.mode & 0777, 0640u);
  EXPECT_TRUE(FailedWith(ipc::MessageQueue::Create(TestKey()), EEXIST,
                         "msgget(" + TestKey().Describe() + ", 0, IPC_CREAT|IPC_EXCL|0600)"));
  EXPECT_TRUE(FailedWith(ipc::MessageQueue::Get(TestKey(2)), ENOENT, "msgget("));
  ipc::Result<ipc::MessageQueue> got = ipc::MessageQueue::Get(TestKey());
  ASSERT_TRUE(Succeeded(got));
  EXPECT_EQ(got->id(), q->id());
  EXPECT_TRUE(Succeeded(q->SetMode(0604)));
  EXPECT_EQ(q->Stat()->msg_perm.mode & 0777, 0604u);
}

TEST(MessageQueue, DestructionRemovesAnOwnedQueueOnly) {
  int id;
  {
    ipc::MessageQueue owner = std::move(ipc::MessageQueue::Create(TestKey()).value());
    id = owner.id();
    { ipc::MessageQueue viewer = std::move(ipc::MessageQueue::Get(TestKey()).value()); }
    EXPECT_TRUE(Exists(id)) << "a Get never removes";
    ipc::MessageQueue moved = std::move(owner);
  }
  EXPECT_FALSE(Exists(id));
}

TEST(MessageQueue, TypeZeroTakesMessagesInTheOrderSent) {
  ipc::MessageQueue q = NewQueue();
  ASSERT_TRUE(SendAll(q, {{3, "a"}, {1, "b"}, {2, "c"}}));
  EXPECT_EQ(q.Stat()->msg_qnum, 3u);
  ipc::Result<ipc::Message> first = q.Receive(0, 64);
  ASSERT_TRUE(Succeeded(first));
  EXPECT_EQ(first->type, 3);
  EXPECT_EQ(first->body, "a");
  EXPECT_EQ(Take(q, 0), "b");
  EXPECT_EQ(Take(q, 0), "c");
}

TEST(MessageQueue, APositiveTypeTakesTheFirstOfThatType) {
  ipc::MessageQueue q = NewQueue();
  ASSERT_TRUE(SendAll(q, {{1, "one"}, {2, "two"}, {2, "2b"}}));
  EXPECT_EQ(Take(q, 2), "two");
  EXPECT_EQ(Take(q, 2), "2b");
  EXPECT_EQ(Take(q, 1), "one");
}

TEST(MessageQueue, ANegativeTypeTakesTheLowestTypeUpToItsMagnitude) {
  ipc::MessageQueue q = NewQueue();
  ASSERT_TRUE(SendAll(q, {{5, "five"}, {3, "three"}, {4, "four"}}));
  EXPECT_EQ(Take(q, -4), "three");
  EXPECT_EQ(Take(q, -4), "four");
  EXPECT_TRUE(FailedWith(q.TryReceive(-4, 64), ENOMSG, "msgrcv(")) << "type 5 > 4 stays";
  EXPECT_EQ(Take(q, -10), "five");
}

TEST(MessageQueue, ANonBlockingReceiveOnAnEmptyQueueFailsWithEnomsg) {
  ipc::MessageQueue q = NewQueue();
  EXPECT_TRUE(FailedWith(q.TryReceive(0, 16), ENOMSG,
                         "msgrcv(" + std::to_string(q.id()) + ", max 16, type 0)"));
}

TEST(MessageQueue, ABodyLongerThanTheBufferIsE2bigUnlessMsgNoerror) {
  ipc::MessageQueue q = NewQueue();
  ASSERT_TRUE(Succeeded(q.Send(1, "0123456789")));
  EXPECT_TRUE(FailedWith(q.TryReceive(1, 4), E2BIG, "msgrcv("));
  EXPECT_EQ(q.Stat()->msg_qnum, 1u) << "the message stays after E2BIG";
  ipc::Result<ipc::Message> cut = q.Receive(1, 4, MSG_NOERROR);
  ASSERT_TRUE(Succeeded(cut));
  EXPECT_EQ(cut->body, "0123") << "MSG_NOERROR truncates";
}

TEST(MessageQueue, ANonBlockingSendToAFullQueueFailsWithEagain) {
  ipc::MessageQueue q = NewQueue();
  ASSERT_TRUE(Succeeded(q.SetMaxBytes(16)));
  EXPECT_EQ(q.Stat()->msg_qbytes, 16u);
  ASSERT_TRUE(Succeeded(q.TrySend(1, std::string(16, 'x'))));
  EXPECT_TRUE(FailedWith(q.TrySend(1, "y"), EAGAIN,
                         "msgsnd(" + std::to_string(q.id()) + ", type 1, 1 bytes, IPC_NOWAIT)"));
}

TEST(MessageQueue, ABlockedReceiveTakesTheMessageSentLater) {
  ipc::MessageQueue q = NewQueue();
  Child receiver = Child::Fork([&] {
    ipc::Result<ipc::Message> m = q.Receive(7, 64);
    return m && m->body == "late" ? 0 : 1;
  });
  ASSERT_TRUE(ipcconf::WaitUntilBlocked(receiver.pid(), {SYS_msgrcv, std::nullopt}));
  ASSERT_TRUE(Succeeded(q.Send(6, "not this type")));
  ASSERT_TRUE(Succeeded(q.Send(7, "late")));
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0));
  EXPECT_EQ(Take(q, 0), "not this type");
}

TEST(MessageQueue, RemovalWakesABlockedReceiverWithEidrm) {
  ipc::MessageQueue q = NewQueue();
  Child receiver = Child::Fork([&] { return q.Receive(0, 64).error().error == EIDRM ? 0 : 1; });
  ASSERT_TRUE(ipcconf::WaitUntilBlocked(receiver.pid(), {SYS_msgrcv, std::nullopt}));
  EXPECT_TRUE(Succeeded(q.Remove()));
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0)) << "the waiting msgrcv must fail with EIDRM";
}

}  // namespace
