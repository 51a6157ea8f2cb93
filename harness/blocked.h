// "It blocks" is observed, not slept on: the child's state in /proc/PID/stat and the system call
// it is sleeping in (/proc/PID/syscall, or wchan where that is missing).
#ifndef IPCCONF_HARNESS_BLOCKED_H_
#define IPCCONF_HARNESS_BLOCKED_H_

#include <sys/types.h>

#include <functional>
#include <optional>

#include "harness/child.h"
#include "gtest/gtest.h"

namespace ipcconf {

// What a blocked process is expected to be sleeping in. An unset field matches anything.
struct BlockedIn {
  std::optional<long> syscall_nr;  // SYS_read, SYS_write, SYS_openat, ...
  std::optional<int> fd;           // first argument of that call, when it is an fd
};

// Succeeds as soon as `pid` sleeps (state S or D) inside the expected call; fails when it exits
// or keeps running beyond `bound`, naming what it was doing instead.
::testing::AssertionResult WaitUntilBlocked(pid_t pid, BlockedIn where = {},
                                            Millis bound = kEventBound);

// Pause between two readings of a state that offers no event to wait on (/proc, GETNCNT,
// GETZCNT): the first 50 readings back to back, then one every 200 us. Every polling loop of the
// suite uses it; `round` counts the readings so far.
void PollPause(int round);

// Polls `done` (with PollPause) until it holds, or `bound` passes: false then.
bool PollUntil(const std::function<bool()>& done, Millis bound = kEventBound);

// Succeeds if `pid` is still alive and sleeping in the expected call after `window`: the
// "it did not return" half of a blocking assertion.
::testing::AssertionResult StaysBlocked(pid_t pid, BlockedIn where = {},
                                        Millis window = kQuietWindow);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_BLOCKED_H_
