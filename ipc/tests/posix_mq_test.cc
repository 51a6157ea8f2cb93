// PosixMessageQueue: creation and its errors, priority order, sizes, non-blocking, and the name
// unlinked by lifetime (Create) or left alone (Open).
#include "ipc/posix_mq.h"

#include <sys/syscall.h>

#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/posix_names.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc::PosixMessageQueue;
using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipcconf::Child;
using ::ipcconf::ExitedWith;
using ::ipcconf::PosixIpcName;

PosixMessageQueue NewQueue(const std::string& name, int flags = O_RDWR) {
  return std::move(PosixMessageQueue::Create(name, 4, 64, flags).value());
}

// The body Receive() takes, or "ERROR: ..." naming the failure.
std::string Take(const PosixMessageQueue& q) {
  ipc::Result<ipc::PosixMessage> m = q.Receive();
  return m ? m->body : "ERROR: " + m.error().Describe();
}

TEST(PosixMessageQueue, CreateThenOpenByNameSharesTheQueue) {
  std::string name = PosixIpcName("q");
  auto made = PosixMessageQueue::Create(name, 4, 64);
  ASSERT_TRUE(Succeeded(made));
  EXPECT_TRUE(made->owns_name());
  auto other = PosixMessageQueue::Open(name);
  ASSERT_TRUE(Succeeded(other));
  EXPECT_FALSE(other->owns_name());
  ASSERT_TRUE(Succeeded(other->Send("hello", 1)));
  EXPECT_EQ(Take(*made), "hello");
}

TEST(PosixMessageQueue, CreateOfAnExistingNameFailsWithEexist) {
  std::string name = PosixIpcName("q");
  PosixMessageQueue q = NewQueue(name);
  EXPECT_TRUE(FailedWith(PosixMessageQueue::Create(name, 4, 64), EEXIST, "mq_open(" + name));
}

TEST(PosixMessageQueue, DestructorUnlinksTheNameOfACreatedQueue) {
  std::string name = PosixIpcName("q");
  { PosixMessageQueue q = NewQueue(name); }
  EXPECT_TRUE(FailedWith(PosixMessageQueue::Open(name), ENOENT, "mq_open(" + name));
}

TEST(PosixMessageQueue, OpenedQueueLeavesTheNameWhenItGoes) {
  std::string name = PosixIpcName("q");
  PosixMessageQueue q = NewQueue(name);
  { ASSERT_TRUE(Succeeded(PosixMessageQueue::Open(name))); }
  EXPECT_TRUE(Succeeded(PosixMessageQueue::Open(name)));
}

TEST(PosixMessageQueue, MovedQueueOwnsOnce) {
  std::string name = PosixIpcName("q");
  PosixMessageQueue a = NewQueue(name);
  PosixMessageQueue b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(b.owns_name());
  ASSERT_TRUE(Succeeded(b.Send("x")));
  EXPECT_EQ(Take(b), "x");
}

TEST(PosixMessageQueue, HighestPriorityFirstThenOldest) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  ASSERT_TRUE(Succeeded(q.Send("low", 1)));
  ASSERT_TRUE(Succeeded(q.Send("high-a", 9)));
  ASSERT_TRUE(Succeeded(q.Send("high-b", 9)));
  auto m = q.Receive();
  ASSERT_TRUE(Succeeded(m));
  EXPECT_EQ(m->body, "high-a");
  EXPECT_EQ(m->priority, 9u);
  EXPECT_EQ(Take(q), "high-b");
  EXPECT_EQ(Take(q), "low");
}

TEST(PosixMessageQueue, TooLongBodyFailsWithEmsgsize) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  EXPECT_TRUE(FailedWith(q.Send(std::string(65, 'x')), EMSGSIZE, "mq_send("));
}

TEST(PosixMessageQueue, AttributesAreTheCreatedOnes) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  ASSERT_TRUE(Succeeded(q.Send("abc")));
  auto attr = q.Attributes();
  ASSERT_TRUE(Succeeded(attr));
  EXPECT_EQ(attr->mq_maxmsg, 4);
  EXPECT_EQ(attr->mq_msgsize, 64);
  EXPECT_EQ(attr->mq_curmsgs, 1);
  EXPECT_EQ(attr->mq_flags & O_NONBLOCK, 0);
}

TEST(PosixMessageQueue, NonBlockingReceiveOnEmptyFailsWithEagain) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  ASSERT_TRUE(Succeeded(q.SetNonBlocking(true)));
  EXPECT_NE(q.Attributes()->mq_flags & O_NONBLOCK, 0);
  EXPECT_TRUE(FailedWith(q.Receive(), EAGAIN, "mq_receive("));
}

TEST(PosixMessageQueue, UnlinkedQueueKeepsWorking) {
  std::string name = PosixIpcName("q");
  PosixMessageQueue q = NewQueue(name);
  ASSERT_TRUE(Succeeded(q.Unlink()));
  EXPECT_FALSE(q.owns_name());
  EXPECT_TRUE(FailedWith(PosixMessageQueue::Open(name), ENOENT, "mq_open(" + name));
  ASSERT_TRUE(Succeeded(q.Send("still")));
  EXPECT_EQ(Take(q), "still");
}

TEST(PosixMessageQueue, ReceiveBlocksUntilASendFromAChild) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  Child receiver = Child::Fork([&]() { return Take(q) == "late" ? 0 : 3; });
  ASSERT_TRUE(::ipcconf::WaitUntilBlocked(receiver.pid(), {SYS_mq_timedreceive}));
  ASSERT_TRUE(Succeeded(q.Send("late")));
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0));
}

TEST(PosixMessageQueue, ClosedQueueRefusesASecondClose) {
  PosixMessageQueue q = NewQueue(PosixIpcName("q"));
  ASSERT_TRUE(Succeeded(q.Close()));
  EXPECT_TRUE(FailedWith(q.Close(), EBADF, "mq_close("));
}

}  // namespace
