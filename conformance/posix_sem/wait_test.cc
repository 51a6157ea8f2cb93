// Operations on a semaphore of either kind (XSH sem_wait(), sem_trywait(), sem_timedwait(),
// sem_post(), sem_getvalue()): blocking observed in futex, one waiter per post, the errors.
#include <limits.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#include <chrono>
#include <string>
#include <tuple>

#include "conformance/posix_sem/sem_kinds.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf {
namespace {

// A semaphore of the parameter's kind (the parameter, or the first of a tuple) holding 0, shown
// to be shared with forked children (the waiters and posters of the tests are children).
template <typename Param>
class KindFixture : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    ASSERT_NE(sem(), nullptr) << sem_.error();
    if (!SharedWithChildren(kind(), sem())) GTEST_SKIP() << "blocked by " << CurrentBlocker();
  }
  static SemKind KindOf(SemKind k) { return k; }
  template <typename T>
  static SemKind KindOf(const std::tuple<SemKind, T>& p) {
    return std::get<0>(p);
  }
  SemKind kind() const { return KindOf(this->GetParam()); }
  sem_t* sem() const { return sem_.get(); }
  KindSemaphore sem_{kind(), 0};
};

class PosixSem : public KindFixture<SemKind> {};

// Runs `body` in a child that must end at once: an end is its outcome; falling asleep in futex
// instead (a call that should not wait, waiting) is kTimedOut with that diagnosis.
Outcome AtOnce(std::function<int()> body) {
  Child child = Child::Fork(std::move(body));
  ::testing::AssertionResult asleep = WaitUntilBlocked(child.pid(), kInSemWait);
  if (!asleep) return child.Wait();
  Outcome o = child.Kill();
  o.kind = Outcome::Kind::kTimedOut;
  o.diagnosis = "it slept in futex (a semaphore wait) instead of returning";
  return o;
}

IPC_TEST_P(PosixSem, WaitOnZeroBlocksUntilAPost, "POSIX_SEM.WAIT.ZERO_BLOCKS") {
  Child waiter = StartWaiter(sem());
  if (!Waiting(waiter)) return;
  EXPECT_TRUE(StaysBlocked(waiter.pid(), kInSemWait)) << "sem_wait returned while the value was 0";
  ASSERT_EQ(sem_post(sem()), 0) << ErrnoName(errno);
  EXPECT_TRUE(ReleasedByPost(waiter));
}

IPC_TEST_P(PosixSem, PostWakesExactlyOneOfTwoWaiters, "POSIX_SEM.POST.WAKES_ONE") {
  Child first = StartWaiter(sem());
  Child second = StartWaiter(sem());
  if (!Waiting(first) || !Waiting(second)) return;
  ASSERT_EQ(sem_post(sem()), 0) << ErrnoName(errno);
  auto one_ended = [&]() { return first.EndsWithin(Millis(0)) || second.EndsWithin(Millis(0)); };
  // A woken waiter leaves futex at once; both still asleep there a window later: none was woken.
  if (!PollUntil(one_ended, kQuietWindow) && StaysBlocked(first.pid(), kInSemWait, Millis(0)) &&
      StaysBlocked(second.pid(), kInSemWait, Millis(0))) {
    FAIL() << "one sem_post with two processes waiting woke neither of them";
  }
  ASSERT_TRUE(PollUntil(one_ended)) << "neither waiter returned after a sem_post";
  bool first_done = first.EndsWithin(Millis(0));
  Child& done = first_done ? first : second;
  Child& still = first_done ? second : first;
  EXPECT_TRUE(ExitedWith(done.Wait(), 0));
  EXPECT_TRUE(StaysBlocked(still.pid(), kInSemWait)) << "both waiters returned after one sem_post";
  ASSERT_EQ(sem_post(sem()), 0) << ErrnoName(errno);
  EXPECT_TRUE(ReleasedByPost(still));
}

IPC_TEST_P(PosixSem, PositiveValueIsTakenAtOnceOneUnitPerCall,
           "POSIX_SEM.WAIT.POSITIVE_TAKES_ONE") {
  if (!GetvalueHonest()) return;
  ASSERT_EQ(sem_post(sem()), 0);
  ASSERT_EQ(sem_post(sem()), 0);
  Outcome waited = AtOnce([&]() { return sem_wait(sem()) == 0 ? 0 : 10 + errno; });
  EXPECT_TRUE(ExitedWith(waited, 0)) << "sem_wait on 2 must return 0 at once";
  EXPECT_EQ(ValueOf(sem()), 1) << "sem_wait on 2 must leave 1";
  Outcome tried = AtOnce([&]() { return sem_trywait(sem()) == 0 ? 0 : 10 + errno; });
  EXPECT_TRUE(ExitedWith(tried, 0)) << "sem_trywait on 1 must return 0 at once";
  EXPECT_EQ(ValueOf(sem()), 0) << "sem_trywait on 1 must leave 0";
}

IPC_TEST_P(PosixSem, TrywaitOnZeroFailsWithEagain, "POSIX_SEM.TRYWAIT.ZERO_EAGAIN") {
  Outcome o = AtOnce([&]() { return sem_trywait(sem()) == -1 && errno == EAGAIN ? 0 : 3; });
  EXPECT_TRUE(ExitedWith(o, 0)) << "sem_trywait on 0 must fail at once with EAGAIN (exit 3: it "
                                   "returned 0 or another errno)";
  if (!GetvalueHonest()) return;
  EXPECT_EQ(ValueOf(sem()), 0);
}

// The kinds, and the deadline in milliseconds from now (negative: already past).
class PosixSemDeadline : public KindFixture<std::tuple<SemKind, int>> {
 protected:
  // sem_timedwait on 0 with a deadline `from_now` ahead, in a child (exit 0: ETIMEDOUT, 3: it
  // returned 0, 4: it timed out before the deadline, 10 + errno). A child still asleep in futex
  // well after the deadline ignored it.
  Outcome TimedWait(Millis from_now) {
    timespec deadline = RealtimeIn(from_now);
    auto start = std::chrono::steady_clock::now();
    Child child = Child::Fork([&]() {
      if (sem_timedwait(sem(), &deadline) == 0) return 3;
      if (errno != ETIMEDOUT) return 10 + errno;
      timespec now = RealtimeIn(Millis(0));
      bool passed = now.tv_sec > deadline.tv_sec ||
                    (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
      return passed ? 0 : 4;
    });
    auto late = start + std::max(from_now, Millis(0)) + Millis(200);
    bool ended = PollUntil([&]() {
      return child.EndsWithin(Millis(0)) || (std::chrono::steady_clock::now() > late &&
                                             StaysBlocked(child.pid(), kInSemWait, Millis(0)));
    });
    if (ended && child.EndsWithin(Millis(0))) return child.Wait(Millis(0));
    Outcome o = child.Kill();
    o.kind = Outcome::Kind::kTimedOut;
    o.diagnosis = "still asleep in futex 200 ms after its timeout";
    return o;
  }
};

std::string DeadlineCaseName(const ::testing::TestParamInfo<std::tuple<SemKind, int>>& info) {
  int ms = std::get<1>(info.param);
  return SemKindName({std::get<0>(info.param), info.index}) +
         (ms < 0 ? "DeadlinePast" : "DeadlineIn" + std::to_string(ms) + "ms");
}

IPC_TEST_P(PosixSemDeadline, TimedwaitFailsWithEtimedoutAtItsDeadline,
           "POSIX_SEM.TIMEDWAIT.TIMES_OUT") {
  Millis from_now(std::get<1>(GetParam()));
  EXPECT_TRUE(ExitedWith(TimedWait(from_now), 0))
      << "sem_timedwait on 0, its deadline " << from_now.count()
      << " ms from now: ETIMEDOUT once it passed (exit 4: before it; 3: it returned 0)";
}

// The kinds, and a tv_nsec out of range.
class PosixSemBadNsec : public KindFixture<std::tuple<SemKind, long>> {};

std::string BadNsecCaseName(const ::testing::TestParamInfo<std::tuple<SemKind, long>>& info) {
  long nsec = std::get<1>(info.param);
  return SemKindName({std::get<0>(info.param), info.index}) +
         (nsec < 0 ? "NsecMinus1" : "Nsec1000000000");
}

IPC_TEST_P(PosixSemBadNsec, TimedwaitWithBadNanosecondsFailsWithEinval,
           "POSIX_SEM.TIMEDWAIT.BAD_NSEC_EINVAL") {
  timespec bad{RealtimeIn(Millis(1000)).tv_sec, std::get<1>(GetParam())};
  Outcome o = AtOnce([&]() {
    if (sem_timedwait(sem(), &bad) == 0) return 3;
    return errno == EINVAL ? 0 : 10 + errno;
  });
  EXPECT_TRUE(ExitedWith(o, 0)) << "tv_nsec " << bad.tv_nsec << " on a value of 0: EINVAL at once";
}

// The kinds, and whether the handler is installed with SA_RESTART.
class PosixSemSignal : public KindFixture<std::tuple<SemKind, bool>> {};

std::string SignalCaseName(const ::testing::TestParamInfo<std::tuple<SemKind, bool>>& info) {
  return SemKindName({std::get<0>(info.param), info.index}) +
         (std::get<1>(info.param) ? "WithSaRestart" : "WithoutSaRestart");
}

volatile sig_atomic_t* g_handled = nullptr;  // in a shared page: the test sees the handler ran

void NoteSignal(int) { *g_handled = 1; }

IPC_TEST_P(PosixSemSignal, HandlerInterruptsWaitWithEintr, "POSIX_SEM.WAIT.EINTR") {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(page, MAP_FAILED) << ErrnoName(errno);
  g_handled = static_cast<volatile sig_atomic_t*>(page);
  *g_handled = 0;
  sem_t* sem = this->sem();
  bool restart = std::get<1>(GetParam());
  Child waiter = Child::Fork([=]() {
    struct sigaction sa {};
    sa.sa_handler = NoteSignal;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, nullptr);
    // Without SA_RESTART: EINTR is exit 0, a return of 0 exit 3. With it: a return of 0, after
    // the post that releases it, is exit 0.
    if (sem_wait(sem) == 0) return restart ? 0 : 3;
    return errno == EINTR && !restart ? 0 : 10 + errno;
  });
  if (!Waiting(waiter)) return;
  ASSERT_EQ(kill(waiter.pid(), SIGUSR1), 0);
  ASSERT_TRUE(PollUntil([&]() { return *g_handled != 0 || waiter.EndsWithin(Millis(0)); }))
      << "the waiter's SIGUSR1 handler never ran";
  if (restart) {
    // With SA_RESTART Linux restarts the futex wait (man 7 signal): asleep again, released by
    // a post like any waiter.
    EXPECT_TRUE(WaitUntilBlocked(waiter.pid(), kInSemWait))
        << "with SA_RESTART, sem_wait must go on waiting after the handler";
    ASSERT_EQ(sem_post(sem), 0) << ErrnoName(errno);
    EXPECT_TRUE(ReleasedByPost(waiter));
  } else {
    // Back asleep in futex after its handler ran: the wait was restarted.
    if (WaitUntilBlocked(waiter.pid(), kInSemWait)) {
      ADD_FAILURE() << "without SA_RESTART, sem_wait went back to sleep after the handler "
                       "instead of failing with EINTR";
      waiter.Kill();
      return;
    }
    EXPECT_TRUE(ExitedWith(waiter.Wait(), 0))
        << "exit 3: sem_wait returned 0 with the value 0; 10 + errno: another error";
  }
  munmap(page, 4096);
}

IPC_TEST_P(PosixSem, GetvalueReportsTheValueAndChangesNothing, "POSIX_SEM.GETVALUE.REPORTS_VALUE") {
  EXPECT_EQ(ValueOf(sem()), 0) << "a new semaphore of value 0";
  ASSERT_EQ(sem_post(sem()), 0);
  EXPECT_EQ(ValueOf(sem()), 1) << "after a post";
  ASSERT_EQ(sem_post(sem()), 0);
  EXPECT_EQ(ValueOf(sem()), 2) << "after two posts";
  EXPECT_EQ(ValueOf(sem()), 2) << "read twice";
  // sem_trywait on a positive value: the tests of that assertion say whether it takes one.
  ASSERT_EQ(sem_trywait(sem()), 0);
  EXPECT_EQ(ValueOf(sem()), 1) << "after a post, a post and a wait";
}

IPC_TEST_P(PosixSem, PostOnValueMaxFailsWithEoverflow, "POSIX_SEM.POST.OVERFLOW_EOVERFLOW") {
  if (!GetvalueHonest()) return;
  KindSemaphore full(GetParam(), SEM_VALUE_MAX);
  ASSERT_NE(full.get(), nullptr) << full.error();
  int made = ValueOf(full.get());
  IPCCONF_BLOCKED_BY_IF(made != SEM_VALUE_MAX, "POSIX_SEM.OPEN.INITIAL_VALUE",
                        "a semaphore made with SEM_VALUE_MAX holds " + std::to_string(made));
  EXPECT_THAT(SYS(sem_post(full.get())), SyscallFailsWithErrno(EOVERFLOW));
  EXPECT_EQ(ValueOf(full.get()), SEM_VALUE_MAX);
}

INSTANTIATE_TEST_SUITE_P(Kinds, PosixSem, ::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                         SemKindName);
INSTANTIATE_TEST_SUITE_P(KindsAndDeadlines, PosixSemDeadline,
                         ::testing::Combine(::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                                            ::testing::Values(-10, 20)),
                         DeadlineCaseName);
INSTANTIATE_TEST_SUITE_P(KindsAndNsecs, PosixSemBadNsec,
                         ::testing::Combine(::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                                            ::testing::Values(-1L, 1000000000L)),
                         BadNsecCaseName);
INSTANTIATE_TEST_SUITE_P(Kinds, PosixSemSignal,
                         ::testing::Combine(::testing::Values(SemKind::kNamed, SemKind::kUnnamed),
                                            ::testing::Bool()),
                         SignalCaseName);

}  // namespace
}  // namespace ipcconf
