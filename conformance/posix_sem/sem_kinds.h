// What the POSIX semaphore tests share: the two kinds of semaphore a test body runs over (named,
// unnamed in shared memory), waiters in children observed asleep in futex, and the probes that
// tell a test it is blocked by a facility it only uses (sharing with children, sem_getvalue).
#ifndef IPCCONF_CONFORMANCE_POSIX_SEM_SEM_KINDS_H_
#define IPCCONF_CONFORMANCE_POSIX_SEM_SEM_KINDS_H_

#include <semaphore.h>
#include <sys/syscall.h>

#include <string>

#include "gtest/gtest.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "ipc/posix_sem.h"

namespace ipcconf {

enum class SemKind { kNamed, kUnnamed };
std::string SemKindName(const ::testing::TestParamInfo<SemKind>& info);

// Where a process waiting on a semaphore sleeps: glibc's sem_wait is a futex wait.
inline const BlockedIn kInSemWait{SYS_futex, std::nullopt};

// A semaphore of either kind, owned: a named one (its name from PosixIpcName, unlinked when
// this goes) or an unnamed one (pshared 1 in a MAP_SHARED page).
class KindSemaphore {
 public:
  // Makes one holding `value`; on failure, get() is null and `error` says what failed.
  KindSemaphore(SemKind kind, unsigned value);
  sem_t* get() const { return named_.get() ? named_.get() : unnamed_.get(); }
  SemKind kind() const { return kind_; }
  const std::string& name() const { return named_.name(); }
  const std::string& error() const { return error_; }

 private:
  SemKind kind_;
  ipc::NamedSemaphore named_;
  ipc::UnnamedSemaphore unnamed_;
  std::string error_;
};

// The id of the assertion that a child shares a semaphore of `kind` with its parent.
const char* SharingId(SemKind kind);

// Probes that a child's sem_post reaches `sem` (of `kind`, value 0) in this process; when it
// does not, records the test blocked by SharingId(kind) and returns false. Leaves the value 0.
bool SharedWithChildren(SemKind kind, sem_t* sem);

// Probes sem_getvalue on a semaphore of its own (made 0, posted 3 times): false, and the test
// recorded blocked by POSIX_SEM.GETVALUE.REPORTS_VALUE, when it does not say 3.
bool GetvalueHonest();

// sem_getvalue of `sem`, -1 when it fails.
int ValueOf(sem_t* sem);

// A child doing sem_wait(sem): exits 0 when it returned 0, 10 + errno when it failed.
Child StartWaiter(sem_t* sem);

// True once `waiter` sleeps in sem_wait. When it ended instead, its sem_wait did not wait: the
// test is recorded blocked by POSIX_SEM.WAIT.ZERO_BLOCKS (a failure in the test of that id).
bool Waiting(Child& waiter);

// After a sem_post meant for `waiter`: true when it returned 0. A waiter still asleep in futex a
// quiet window after the post missed it: recorded as blocked by POSIX_SEM.WAIT.ZERO_BLOCKS (a
// failure in the test of that id); any other end is a failure.
bool ReleasedByPost(Child& waiter);

// An absolute CLOCK_REALTIME time `from_now` ahead (negative: in the past).
timespec RealtimeIn(Millis from_now);

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_POSIX_SEM_SEM_KINDS_H_
