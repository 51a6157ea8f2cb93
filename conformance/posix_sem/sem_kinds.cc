#include "conformance/posix_sem/sem_kinds.h"

#include <time.h>

#include <utility>

#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf {

namespace {
constexpr char kZeroBlocks[] = "POSIX_SEM.WAIT.ZERO_BLOCKS";
}  // namespace

std::string SemKindName(const ::testing::TestParamInfo<SemKind>& info) {
  return info.param == SemKind::kNamed ? "Named" : "Unnamed";
}

KindSemaphore::KindSemaphore(SemKind kind, unsigned value) : kind_(kind) {
  if (kind == SemKind::kNamed) {
    auto made = ipc::NamedSemaphore::Create(PosixIpcName("sem"), value);
    if (made) {
      named_ = std::move(made.value());
    } else {
      error_ = made.error().Describe();
    }
  } else {
    auto made = ipc::UnnamedSemaphore::Create(value);
    if (made) {
      unnamed_ = std::move(made.value());
    } else {
      error_ = made.error().Describe();
    }
  }
}

const char* SharingId(SemKind kind) {
  return kind == SemKind::kNamed ? "POSIX_SEM.NAMED.INHERITED_BY_FORK"
                                 : "POSIX_SEM.UNNAMED.PSHARED_ACROSS_PROCESSES";
}

bool SharedWithChildren(SemKind kind, sem_t* sem) {
  Outcome posted = RunInChild([&]() { return sem_post(sem) == 0 ? 0 : 10 + errno; });
  // sem_trywait on a positive value: whatever else is wrong, that much returns at once.
  bool took = sem_trywait(sem) == 0;
  if (posted.Exited(0) && took) return true;
  RecordBlocked(SharingId(kind), "a forked child's sem_post " + posted.Describe() +
                                     (took ? "" : ", yet this process's sem_trywait found 0"));
  return false;
}

bool GetvalueHonest() {
  sem_t sem;
  if (sem_init(&sem, 0, 0) != 0) {
    RecordBroken("sem_init(pshared 0, 0) for the sem_getvalue probe: " + ErrnoName(errno));
    return false;
  }
  for (int i = 0; i < 3; ++i) sem_post(&sem);
  int value = -1;
  int rc = sem_getvalue(&sem, &value);
  sem_destroy(&sem);
  if (rc == 0 && value == 3) return true;
  RecordBlocked("POSIX_SEM.GETVALUE.REPORTS_VALUE",
                "after 3 posts on a new semaphore of value 0, sem_getvalue " +
                    (rc == 0 ? "reports " + std::to_string(value) : "fails: " + ErrnoName(errno)));
  return false;
}

int ValueOf(sem_t* sem) {
  int value = -1;
  return sem_getvalue(sem, &value) == 0 ? value : -1;
}

Child StartWaiter(sem_t* sem) {
  return Child::Fork([sem]() { return sem_wait(sem) == 0 ? 0 : 10 + errno; });
}

bool Waiting(Child& waiter) {
  ::testing::AssertionResult blocked = WaitUntilBlocked(waiter.pid(), kInSemWait);
  if (blocked) return true;
  if (waiter.EndsWithin(Millis(0))) {
    RecordBlocked(kZeroBlocks,
                  "sem_wait on a semaphore of value 0 did not wait: the process "
                  "doing it " +
                      waiter.Wait(Millis(0)).Describe());
    return false;
  }
  ADD_FAILURE() << "the process doing sem_wait on 0 never slept in futex: " << blocked.message();
  return false;
}

bool ReleasedByPost(Child& waiter) {
  if (!waiter.EndsWithin(kQuietWindow) && StaysBlocked(waiter.pid(), kInSemWait, Millis(0))) {
    RecordBlocked(kZeroBlocks, "a process waiting in sem_wait was still asleep in futex " +
                                   std::to_string(kQuietWindow.count()) +
                                   " ms after a sem_post made the value 1");
    waiter.Kill();
    return false;
  }
  Outcome o = waiter.Wait();
  if (o.Exited(0)) return true;
  ADD_FAILURE() << "the process waiting in sem_wait, released by a sem_post, " << o.Describe()
                << " (exit 10 + errno: sem_wait failed)";
  return false;
}

timespec RealtimeIn(Millis from_now) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  long long ns = now.tv_sec * 1000000000LL + now.tv_nsec + from_now.count() * 1000000LL;
  return timespec{static_cast<time_t>(ns / 1000000000LL), static_cast<long>(ns % 1000000000LL)};
}

}  // namespace ipcconf
