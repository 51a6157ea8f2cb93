// Message queues (XSH msgsnd(), msgrcv(), msgctl()): order and selection by type, blocking
// and IPC_NOWAIT at both ends, sizes, and the counters IPC_STAT reports.
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "conformance/sysv/sysv_kinds.h"
#include "conformance/sysv/sysv_probes.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "harness/sysv_journal.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr size_t kMaxText = 256;

struct Buffer {
  long type;
  char text[kMaxText];
};

std::string Text(const Buffer& b, long n) {
  return n > 0 ? std::string(b.text, static_cast<size_t>(n)) : "";
}

// "msgrcv(type 3, IPC_NOWAIT)": the call, for the message of a hung one.
std::string Call(const char* name, long type, int flags) {
  std::string f = flags & IPC_NOWAIT ? "IPC_NOWAIT" : "";
  if (flags & MSG_NOERROR) f += f.empty() ? "MSG_NOERROR" : "|MSG_NOERROR";
  return std::string(name) + "(type " + std::to_string(type) + ", " + (f.empty() ? "0" : f) + ")";
}

class SysvMsg : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = JournaledMsgget(IPC_PRIVATE, IPC_CREAT | 0600);
    ASSERT_GE(id_, 0) << ErrnoName(errno);
    owner_ = Own(ipc::SysvKind::kMessageQueue, id_);
    // Every test here sends and receives: a message that does not come back as sent (lost by
    // msgsnd, garbled by msgrcv) would show as a fault of whatever the test checks.
    if (Fault f = MsgFault()) {
      RecordBlocked(f.id, f.seen);
      GTEST_SKIP() << "blocked by " << f.id << ": " << f.seen;
    }
  }
  // The calls themselves, made by the calling process: for children, which are bounded.
  int RawSend(long type, const std::string& text, int flags = 0) {
    Buffer b{type, {}};
    text.copy(b.text, text.size());
    return msgsnd(id_, &b, text.size(), flags);
  }
  // Receives into *got ("" on failure); returns msgrcv's value.
  long RawReceive(long type, std::string* got, size_t max = kMaxText, int flags = 0) {
    Buffer b{};
    long n = msgrcv(id_, &b, max, type, flags);
    got->assign(Text(b, n));
    return n;
  }
  // The same from the test process, bounded (CallAtOnce): the message fits or is queued
  // already, or IPC_NOWAIT forbids waiting, so a correct queue answers at once.
  int Send(long type, const std::string& text, int flags = 0) {
    return static_cast<int>(CallAtOnce(Call("msgsnd", type, flags),
                                       [&]() -> long { return RawSend(type, text, flags); }));
  }
  long Receive(long type, std::string* got, size_t max = kMaxText, int flags = 0,
               long* got_type = nullptr, pid_t* by = nullptr) {
    Buffer b{};
    long n = CallAtOnce<Buffer>(
        Call("msgrcv", type, flags), &b,
        [&](Buffer* shared) { return msgrcv(id_, shared, max, type, flags); }, by);
    int error = errno;
    got->assign(Text(b, n));
    if (got_type) *got_type = b.type;
    errno = error;
    return n;
  }
  std::string Next(long type) {
    std::string got;
    EXPECT_GE(Receive(type, &got, kMaxText, IPC_NOWAIT), 0)
        << "msgrcv(type " << type << ", IPC_NOWAIT): " << ErrnoName(errno);
    return got;
  }
  msqid_ds Stat() {
    msqid_ds ds{};
    EXPECT_THAT(SYS(msgctl(id_, IPC_STAT, &ds)), SyscallSucceeds());
    return ds;
  }
  // Lowers msg_qbytes so that a few small messages fill the queue; false (the test stops) when
  // IPC_STAT does not then report the new limit: blocked by SYSV.MSG.STAT_QNUM_QBYTES, which
  // checks that limit and IPC_SET lowering it.
  bool Shrink(size_t qbytes) {
    msqid_ds ds = Stat();
    ds.msg_qbytes = qbytes;
    EXPECT_THAT(SYS(msgctl(id_, IPC_SET, &ds)), SyscallSucceeds());
    size_t now = Stat().msg_qbytes;
    if (now == qbytes) return true;
    RecordBlocked("SYSV.MSG.STAT_QNUM_QBYTES", "IPC_SET of msg_qbytes " + std::to_string(qbytes) +
                                                   " left IPC_STAT reporting " +
                                                   std::to_string(now));
    return false;
  }
  int id_ = -1;
  ipc::SysvHandle owner_;
};

IPC_TEST_F(SysvMsg, ReceivedMessageIsTheSentOne, "SYSV.MSG.BODY_INTACT") {
  ASSERT_EQ(Send(42, std::string("a\0b", 3)), 0) << ErrnoName(errno);
  std::string got;
  long type = 0;
  EXPECT_EQ(Receive(0, &got, kMaxText, 0, &type), 3);
  EXPECT_EQ(type, 42);
  EXPECT_EQ(got, std::string("a\0b", 3));
}

class SysvMsgSize : public SysvMsg, public ::testing::WithParamInterface<size_t> {};

IPC_TEST_P(SysvMsgSize, BodyOfEverySizeArrivesIntact, "SYSV.MSG.BODY_INTACT") {
  std::string body(GetParam(), '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  ASSERT_EQ(Send(7, body), 0) << ErrnoName(errno);
  std::string got;
  long type = 0;
  EXPECT_THAT(SYS(Receive(0, &got, kMaxText, 0, &type)), SyscallSucceedsWithValue(body.size()));
  EXPECT_EQ(type, 7);
  EXPECT_EQ(got, body);
}

INSTANTIATE_TEST_SUITE_P(Sizes, SysvMsgSize, ::testing::Values(0, 1, kMaxText));

IPC_TEST_F(SysvMsg, MessagesOfOneTypeComeInSendingOrder, "SYSV.MSG.FIFO_WITHIN_TYPE") {
  ASSERT_EQ(Send(1, "first"), 0);
  ASSERT_EQ(Send(2, "other"), 0);
  ASSERT_EQ(Send(1, "second"), 0);
  ASSERT_EQ(Send(1, "third"), 0);
  EXPECT_EQ(Next(1), "first");
  EXPECT_EQ(Next(1), "second");
  EXPECT_EQ(Next(1), "third");
  EXPECT_EQ(Next(2), "other");
}

// A queue holding these messages, in this order, and what msgrcv(type) takes first.
struct Selection {
  long msgtyp;
  const char* expected;
};
const std::vector<std::pair<long, const char*>> kQueue = {
    {5, "five-a"}, {3, "three"}, {7, "seven"}, {5, "five-b"}, {1, "one"}};

class SysvMsgSelect : public SysvMsg, public ::testing::WithParamInterface<Selection> {
 protected:
  void SetUp() override {
    SysvMsg::SetUp();
    for (const auto& [type, text] : kQueue) ASSERT_EQ(Send(type, text), 0);
  }
};

IPC_TEST_F(SysvMsg, TypeZeroTakesTheOldest, "SYSV.MSG.TYPE_ZERO_FIRST") {
  for (const auto& [type, text] : kQueue) ASSERT_EQ(Send(type, text), 0);
  // Repeated type-0 receives walk the queue in order, whatever the types.
  for (const auto& m : kQueue) EXPECT_EQ(Next(0), m.second);
}

class SysvMsgPositive : public SysvMsgSelect {};
class SysvMsgNegative : public SysvMsgSelect {};

IPC_TEST_P(SysvMsgPositive, TakesTheOldestOfThatType, "SYSV.MSG.TYPE_POSITIVE_FIRST_OF_TYPE") {
  EXPECT_EQ(Next(GetParam().msgtyp), GetParam().expected);
}

IPC_TEST_P(SysvMsgNegative, TakesTheLowestTypeNotAboveIt, "SYSV.MSG.TYPE_NEGATIVE_LOWEST") {
  EXPECT_EQ(Next(GetParam().msgtyp), GetParam().expected);
}

std::string SelectionName(const ::testing::TestParamInfo<Selection>& info) {
  long t = info.param.msgtyp;
  return (t < 0 ? "minus" : "type") + std::to_string(t < 0 ? -t : t);
}

INSTANTIATE_TEST_SUITE_P(Types, SysvMsgPositive,
                         ::testing::Values(Selection{5, "five-a"}, Selection{3, "three"},
                                           Selection{7, "seven"}, Selection{1, "one"}),
                         SelectionName);
// -7 and -4: type 1 is the lowest; -1 only type 1 qualifies; with type 1 gone see below.
INSTANTIATE_TEST_SUITE_P(Types, SysvMsgNegative,
                         ::testing::Values(Selection{-7, "one"}, Selection{-4, "one"},
                                           Selection{-1, "one"}),
                         SelectionName);

IPC_TEST_F(SysvMsg, NegativeTypeThenTakesTheNextLowest, "SYSV.MSG.TYPE_NEGATIVE_LOWEST") {
  for (const auto& [type, text] : kQueue) ASSERT_EQ(Send(type, text), 0);
  EXPECT_EQ(Next(-100), "one");
  EXPECT_EQ(Next(-100), "three");
  EXPECT_EQ(Next(-100), "five-a");
  EXPECT_EQ(Next(-5), "five-b");
  std::string got;
  EXPECT_THAT(SYS(Receive(-6, &got, kMaxText, IPC_NOWAIT)), SyscallFailsWithErrno(ENOMSG))
      << "only type 7 is left, above |-6|";
}

IPC_TEST_F(SysvMsg, ReceiverBlocksUntilAMessageOfItsTypeArrives,
           "SYSV.MSG.EMPTY_BLOCKS_RECEIVER") {
  Child receiver = Child::Fork([&]() {
    std::string got;
    return RawReceive(9, &got) == 4 && got == "nine" ? 0 : 3;
  });
  ASSERT_TRUE(WaitUntilBlocked(receiver.pid(), {SYS_msgrcv}));
  ASSERT_EQ(Send(8, "eight"), 0);
  EXPECT_TRUE(StaysBlocked(receiver.pid(), {SYS_msgrcv})) << "woke for a message of another type";
  ASSERT_EQ(Send(9, "nine"), 0);
  EXPECT_TRUE(ExitedWith(receiver.Wait(), 0));
  EXPECT_EQ(Next(0), "eight");
}

IPC_TEST_F(SysvMsg, NowaitOnEmptyFailsWithEnomsg, "SYSV.MSG.NOWAIT_EMPTY_ENOMSG") {
  ASSERT_EQ(Send(2, "two"), 0);
  Outcome o = RunAtOnce([&]() {
    std::string got;
    bool empty = RawReceive(0, &got, kMaxText, IPC_NOWAIT) == 3 &&
                 RawReceive(0, &got, kMaxText, IPC_NOWAIT) == -1 && errno == ENOMSG;
    RawSend(2, "two");
    long n = RawReceive(3, &got, kMaxText, IPC_NOWAIT);
    if (empty && n >= 0) return 4;  // took the type-2 message: type selection is broken
    bool no_such_type = n == -1 && errno == ENOMSG;
    return empty && no_such_type ? 0 : 3;
  });
  // "No message of the wanted type" stands on msgrcv selecting by type.
  IPCCONF_BLOCKED_BY_IF(o.Exited(4), "SYSV.MSG.TYPE_POSITIVE_FIRST_OF_TYPE",
                        "msgrcv(type 3, IPC_NOWAIT) took the queued type-2 message");
  EXPECT_TRUE(ExitedWith(o, 0)) << "msgrcv(IPC_NOWAIT) without a message of the type: ENOMSG";
}

IPC_TEST_F(SysvMsg, NowaitOnFullFailsWithEagain, "SYSV.MSG.NOWAIT_FULL_EAGAIN") {
  if (!Shrink(20)) return;
  ASSERT_EQ(Send(1, std::string(20, 'x')), 0) << ErrnoName(errno);
  Outcome o =
      RunAtOnce([&]() { return RawSend(1, "y", IPC_NOWAIT) == -1 && errno == EAGAIN ? 0 : 3; });
  EXPECT_TRUE(ExitedWith(o, 0)) << "msgsnd(IPC_NOWAIT) on a full queue: EAGAIN";
}

IPC_TEST_F(SysvMsg, BlockedSenderWakesWhenSpaceFrees, "SYSV.MSG.FULL_BLOCKS_SENDER") {
  if (!Shrink(20)) return;
  ASSERT_EQ(Send(1, std::string(20, 'x')), 0) << ErrnoName(errno);
  Child sender = Child::Fork([&]() { return RawSend(2, "late") == 0 ? 0 : 3; });
  ASSERT_TRUE(WaitUntilBlocked(sender.pid(), {SYS_msgsnd}));
  EXPECT_TRUE(StaysBlocked(sender.pid(), {SYS_msgsnd}));
  EXPECT_EQ(Next(1), std::string(20, 'x'));
  EXPECT_TRUE(ExitedWith(sender.Wait(), 0)) << "the sender must complete once there is room";
  EXPECT_EQ(Next(2), "late");
}

IPC_TEST_F(SysvMsg, TooLongMessageFailsWithE2big, "SYSV.MSG.TOO_LONG_E2BIG") {
  ASSERT_EQ(Send(1, "0123456789"), 0);
  std::string got;
  EXPECT_THAT(SYS(Receive(0, &got, 4)), SyscallFailsWithErrno(E2BIG));
  EXPECT_EQ(Next(0), "0123456789") << "the message stays queued, whole";
}

IPC_TEST_F(SysvMsg, NoerrorTruncates, "SYSV.MSG.NOERROR_TRUNCATES") {
  ASSERT_EQ(Send(1, "0123456789"), 0);
  std::string got;
  EXPECT_THAT(SYS(Receive(0, &got, 4, MSG_NOERROR)), SyscallSucceedsWithValue(4));
  EXPECT_EQ(got, "0123");
  EXPECT_THAT(SYS(Receive(0, &got, kMaxText, IPC_NOWAIT)), SyscallFailsWithErrno(ENOMSG))
      << "the truncated rest is discarded";
}

IPC_TEST_F(SysvMsg, QnumCountsAndQbytesLimits, "SYSV.MSG.STAT_QNUM_QBYTES") {
  EXPECT_EQ(Stat().msg_qnum, 0u);
  ASSERT_EQ(Send(1, "abc"), 0);
  ASSERT_EQ(Send(2, "defg"), 0);
  EXPECT_EQ(Stat().msg_qnum, 2u);
  Next(0);
  EXPECT_EQ(Stat().msg_qnum, 1u);
  if (!Shrink(10)) return;
  ASSERT_EQ(Send(3, "hijkl"), 0) << "4 + 5 bytes fit in 10";
  EXPECT_THAT(SYS(Send(4, "mn", IPC_NOWAIT)), SyscallFailsWithErrno(EAGAIN))
      << "11 bytes do not fit in msg_qbytes 10";
}

IPC_TEST_F(SysvMsg, StatNamesLastSenderAndReceiver, "SYSV.MSG.STAT_PIDS") {
  Outcome o = RunAtOnce([&]() { return RawSend(1, "x") == 0 ? 0 : 3; });
  ASSERT_TRUE(ExitedWith(o, 0));
  EXPECT_EQ(Stat().msg_lspid, o.pid);
  std::string got;
  pid_t receiver = 0;
  ASSERT_THAT(SYS(Receive(0, &got, kMaxText, IPC_NOWAIT, nullptr, &receiver)),
              SyscallSucceedsWithValue(1));
  ASSERT_NE(receiver, o.pid) << "the sender's pid was reused: the two cannot be told apart";
  EXPECT_EQ(Stat().msg_lrpid, receiver);
  EXPECT_EQ(Stat().msg_lspid, o.pid);
}

}  // namespace
}  // namespace ipcconf
