#include "harness/blocked.h"

#include <sched.h>
#include <time.h>

#include <chrono>

#include "harness/proc.h"
#include "harness/result_kind.h"

namespace ipcconf {
namespace {

// Whether this kernel tells the system call a process sleeps in (/proc/PID/syscall).
bool KernelShowsSyscall() {
  static const bool shows = !ReadSmallFile("/proc/self/syscall").empty();
  return shows;
}

bool Matches(const ProcessState& s, const BlockedIn& where) {
  if (!s.exists || !s.sleeping()) return false;
  if (where.syscall_nr) {
    // Only a kernel without /proc/PID/syscall makes us trust the sleep state alone. Where the
    // kernel has it but the reading failed (e.g. the process is between fork and exec), the
    // call is unknown: keep polling rather than match too early.
    if (!s.syscall_nr) return !KernelShowsSyscall();
    if (*s.syscall_nr != *where.syscall_nr) return false;
    if (where.fd && !s.syscall_args.empty() && static_cast<int>(s.syscall_args[0]) != *where.fd) {
      return false;
    }
  }
  return true;
}

std::string Expected(const BlockedIn& where) {
  std::string e = "sleeping";
  if (where.syscall_nr) e += " in " + SyscallName(*where.syscall_nr);
  if (where.fd) e += " on fd " + std::to_string(*where.fd);
  return e;
}

}  // namespace

void PollPause(int round) {
  if (round < 50) {
    sched_yield();
    return;
  }
  timespec ts{0, 200 * 1000};
  nanosleep(&ts, nullptr);  // polling interval of an observation, not a wait for an event
}

bool PollUntil(const std::function<bool()>& done, Millis bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (int round = 0;; ++round) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return done();
    PollPause(round);
  }
}

::testing::AssertionResult WaitUntilBlocked(pid_t pid, BlockedIn where, Millis bound) {
  if (!HaveProcStat()) {
    // A port without procfs cannot show a blocked process: the assertion cannot be judged here.
    RecordUnsupported("probe: stat(\"/proc/self/stat\") failed: no procfs to observe blocking");
    return ::testing::AssertionFailure()
           << "UNSUPPORTED: cannot observe that pid " << pid << " blocks: no /proc/PID/stat";
  }
  auto start = std::chrono::steady_clock::now();
  auto deadline = start + bound;
  ProcessState last;
  for (int round = 0;; ++round) {
    last = ReadProcessState(pid);
    if (Matches(last, where)) {
      // Confirm with a second reading: a process can pass through S briefly, e.g. on a lock.
      ProcessState again = ReadProcessState(pid);
      if (Matches(again, where)) return ::testing::AssertionSuccess();
      last = again;
    }
    if (!last.exists || last.state == 'Z' || last.state == 'X') {
      return ::testing::AssertionFailure()
             << "expected pid " << pid << " to block (" << Expected(where)
             << "), but it ended first: " << last.Describe();
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    PollPause(round);
  }
  return ::testing::AssertionFailure()
         << "expected pid " << pid << " to block (" << Expected(where) << ") within "
         << bound.count() << " ms, but it was " << last.Describe();
}

::testing::AssertionResult StaysBlocked(pid_t pid, BlockedIn where, Millis window) {
  auto deadline = std::chrono::steady_clock::now() + window;
  for (int round = 0;; ++round) {
    ProcessState s = ReadProcessState(pid);
    if (!Matches(s, where)) {
      // A blocked process can show R for an instant when a signal or spurious wakeup arrives;
      // give it the rest of the window to go back to sleep in the same call.
      auto ok = WaitUntilBlocked(
          pid, where,
          std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()));
      if (!ok) {
        return ::testing::AssertionFailure()
               << "expected pid " << pid << " to stay blocked (" << Expected(where)
               << "), but it became " << s.Describe();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return ::testing::AssertionSuccess();
    PollPause(round + 50);
  }
}

}  // namespace ipcconf
