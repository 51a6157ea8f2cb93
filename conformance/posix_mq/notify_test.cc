// Notification (XSH mq_notify()): a signal or a thread when a message arrives on the empty
// queue, one registered process per queue, and the registration gone after one notification.
// The registering process is a child: signals blocked there and the notification thread glibc
// starts for SIGEV_THREAD (with its socket) stay out of the test process.
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "conformance/posix_mq/mq_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {
namespace {

constexpr int kSignal = SIGUSR1;
constexpr int kValue = 42;

timespec Timespec(Millis m) {
  return timespec{static_cast<time_t>(m.count() / 1000),
                  static_cast<long>(m.count() % 1000) * 1000000};
}

// In the child: blocks kSignal (it stays pending for sigtimedwait) and registers for it.
bool RegisterSignal(mqd_t mqd) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kSignal);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  sigevent sev{};
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = kSignal;
  sev.sigev_value.sival_int = kValue;
  return mq_notify(mqd, &sev) == 0;
}

// Waits at most `bound` for kSignal: its value, or -1 when none came.
int AwaitSignal(Millis bound) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kSignal);
  siginfo_t info{};
  timespec t = Timespec(bound);
  if (sigtimedwait(&set, &info, &t) != kSignal) return -1;
  return info.si_value.sival_int;
}

bool SignalPending() {
  sigset_t pending;
  sigpending(&pending);
  return sigismember(&pending, kSignal) == 1;
}

// mq_notify(SIGEV_NONE) by a RunAtOnce child: 0 or errno.
int RegisterElsewhere(mqd_t mqd) {
  int error = 0;
  long rc = CallAtOnce(
      "mq_notify(SIGEV_NONE) in another process",
      [&]() -> long {
        sigevent sev{};
        sev.sigev_notify = SIGEV_NONE;
        return mq_notify(mqd, &sev);
      },
      &error);
  return rc == 0 ? 0 : error;
}

// Where mq_notify is absent (ENOSYS: qemu-user 7.2 does not emulate it) every notification
// test is unsupported, with that probe, instead of four failures of one missing call.
class PosixMqNotify : public PosixMqTest {
 protected:
  void SetUp() override {
    PosixMqTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sigevent none{};
    none.sigev_notify = SIGEV_NONE;
    bool absent = mq_notify(mqd(), &none) != 0 && errno == ENOSYS;
    if (!absent) mq_notify(mqd(), nullptr);  // the test registers for itself
    IPCCONF_UNSUPPORTED_IF(absent, "probe: mq_notify(SIGEV_NONE) -> ENOSYS");
  }
};

IPC_TEST_F(PosixMqNotify, SignalArrivesWhenAMessageArrives, "POSIX_MQ.NOTIFY.SIGNAL") {
  Handshake registered;
  Child child = Child::Fork([&]() {
    registered.BecomeChild();
    if (!RegisterSignal(mqd())) return 2;
    if (SignalPending()) return 5;
    registered.Send();
    int value = AwaitSignal(kNotifyBound);
    return value == kValue ? 0 : value == -1 ? 3 : 4;
  });
  registered.BecomeParent();
  ASSERT_TRUE(registered.Receive()) << "the child did not register: " << child.Wait().Describe();
  ASSERT_TRUE(Send("ping"));
  Outcome o = child.Wait();
  EXPECT_FALSE(o.Exited(5)) << "the signal came at registration, before any message";
  EXPECT_FALSE(o.Exited(3)) << "no signal within " << kNotifyBound.count()
                            << " ms of a message arriving on the empty queue";
  EXPECT_FALSE(o.Exited(4)) << "the signal came without the sigev_value given";
  EXPECT_TRUE(ExitedWith(o, 0));
}

int g_notified = -1;  // the eventfd the notification function writes to, in the child

void Notified(sigval value) {
  uint64_t v = static_cast<uint64_t>(value.sival_int) + 1;  // an eventfd counter must not be 0
  if (write(g_notified, &v, sizeof v) < 0) _exit(6);
}

IPC_TEST_F(PosixMqNotify, ThreadRunsWhenAMessageArrives, "POSIX_MQ.NOTIFY.THREAD") {
  Handshake registered;
  Child child = Child::Fork([&]() {
    registered.BecomeChild();
    g_notified = eventfd(0, 0);
    if (g_notified < 0) return 2;
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = Notified;
    sev.sigev_value.sival_int = kValue;
    if (mq_notify(mqd(), &sev) != 0) return 2;
    registered.Send();
    pollfd p{g_notified, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(kNotifyBound.count())) != 1) return 3;
    uint64_t v = 0;
    if (read(g_notified, &v, sizeof v) != sizeof v) return 3;
    return v == kValue + 1 ? 0 : 4;
  });
  registered.BecomeParent();
  ASSERT_TRUE(registered.Receive()) << "the child did not register: " << child.Wait().Describe();
  ASSERT_TRUE(Send("ping"));
  Outcome o = child.Wait();
  EXPECT_FALSE(o.Exited(3)) << "the function did not run within " << kNotifyBound.count()
                            << " ms of a message arriving on the empty queue";
  EXPECT_FALSE(o.Exited(4)) << "the function ran without the sigev_value given";
  EXPECT_TRUE(ExitedWith(o, 0));
}

IPC_TEST_F(PosixMqNotify, SecondProcessFailsWithEbusy, "POSIX_MQ.NOTIFY.ONE_REGISTRATION_EBUSY") {
  sigevent sev{};
  sev.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(SYS(mq_notify(mqd(), &sev)), SyscallSucceeds());
  int error = RegisterElsewhere(mqd());
  EXPECT_EQ(error, EBUSY) << "mq_notify of a second process while one is registered: "
                          << (error ? ErrnoName(error) : "it succeeded");
  EXPECT_THAT(SYS(mq_notify(mqd(), nullptr)), SyscallSucceeds()) << "unregistering";
}

IPC_TEST_F(PosixMqNotify, RegistrationIsGoneAfterOneNotification,
           "POSIX_MQ.NOTIFY.REMOVED_AFTER_DELIVERY") {
  Handshake registered, notified, again;
  Child child = Child::Fork([&]() {
    registered.BecomeChild();
    notified.BecomeChild();
    again.BecomeChild();
    if (!RegisterSignal(mqd())) return 2;
    registered.Send();
    if (AwaitSignal(kNotifyBound) != kValue) return 4;
    notified.Send();
    if (!again.Receive()) return 2;
    return AwaitSignal(kQuietWindow) == -1 ? 0 : 5;
  });
  registered.BecomeParent();
  notified.BecomeParent();
  again.BecomeParent();
  ASSERT_TRUE(registered.Receive()) << "the child did not register: " << child.Wait().Describe();
  ASSERT_TRUE(Send("one"));
  if (!notified.Receive(nullptr, kNotifyBound + kEventBound)) {
    Outcome o = child.Wait();
    IPCCONF_BLOCKED_BY_IF(o.Exited(4), "POSIX_MQ.NOTIFY.SIGNAL",
                          "no signal came for the first message on the empty queue");
    FAIL() << "the registered child " << o.Describe();
  }
  EXPECT_EQ(Next(), "one");
  EXPECT_EQ(RegisterElsewhere(mqd()), 0) << "after the notification another process may register";
  ASSERT_TRUE(Send("two"));
  again.Send();
  Outcome o = child.Wait();
  EXPECT_FALSE(o.Exited(5)) << "a second message on the empty queue notified the child again";
  EXPECT_TRUE(ExitedWith(o, 0));
}

}  // namespace
}  // namespace ipcconf::posix_mq
