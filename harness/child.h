// Running code in a child process with a bound. A hung child is a failed test with a diagnosis
// naming each process left and what it was blocked in, never a hung suite.
#ifndef IPCCONF_HARNESS_CHILD_H_
#define IPCCONF_HARNESS_CHILD_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipcconf {

using Millis = std::chrono::milliseconds;

// How long something that SHOULD happen may take before the test calls it hung. Generous: it is
// reached only when the subject is wrong, so it costs nothing on a correct subject.
inline constexpr Millis kEventBound{10000};
// How long we watch to show that something did NOT happen (a blocked call stays blocked).
inline constexpr Millis kQuietWindow{50};

struct Outcome {
  enum class Kind { kExited, kKilled, kTimedOut };
  Kind kind = Kind::kTimedOut;
  pid_t pid = 0;
  int code = 0;          // exit code when kExited
  int signal = 0;        // terminating signal when kKilled
  int raw_status = 0;    // the wait status as waitpid returned it
  std::string diagnosis; // for kTimedOut: every process of the group and what it was doing

  bool Exited(int c) const { return kind == Kind::kExited && code == c; }
  bool KilledBy(int s) const { return kind == Kind::kKilled && signal == s; }
  // "exited with status 0", "was killed by SIGPIPE (13)", "timed out: pid 12 ... in read(3, ...)".
  std::string Describe() const;
};

void PrintTo(const Outcome& o, std::ostream* os);
// "exited with status 1", "was killed by SIGPIPE (13)": a wait status in words.
std::string DescribeWaitStatus(int status);
// "SIGPIPE (13)".
std::string SignalName(int sig);

// A child process in its own process group. The destructor kills the group and reaps the child,
// so no test can leave one behind. The child dies too if the test process dies.
class Child {
 public:
  // Forks; the child runs `body` and _exits with its return value (120 on an exception).
  static Child Fork(std::function<int()> body);
  // Forks and execs `argv` (argv[0] is the path); `env` entries "K=V" are set, and a bare
  // "K" removes K from the environment.
  static Child Exec(const std::vector<std::string>& argv,
                    const std::vector<std::string>& env = {});
  // Where an exec'd program's standard streams go: fds of this process dup2'ed onto 0, 1, 2
  // in the child (-1 leaves the stream as the test's own). Used to feed a program's input
  // from a file and capture its output in one.
  struct Stdio {
    int in = -1;
    int out = -1;
    int err = -1;
  };
  static Child Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const Stdio& stdio);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  bool reaped() const { return reaped_; }

  // Waits at most `bound` for the child to end. On timeout the diagnosis is taken, the whole
  // process group is killed and the child reaped: the outcome is kTimedOut.
  Outcome Wait(Millis bound = kEventBound);
  // True if the child ended within `window` (used to show that it did NOT end).
  bool EndsWithin(Millis window);
  // Kills the whole process group with SIGKILL and reaps the child.
  Outcome Kill();

 private:
  explicit Child(pid_t pid);
  Outcome Reap(int status);
  pid_t pid_ = -1;
  int pidfd_ = -1;
  bool reaped_ = true;
  Outcome outcome_;
};

// Runs `body` in a child with a bound and returns how it ended.
Outcome RunInChild(std::function<int()> body, Millis bound = kEventBound);

// Matchers for outcomes.
::testing::AssertionResult ExitedWith(const Outcome& o, int code);
::testing::AssertionResult KilledBySignal(const Outcome& o, int sig);

// Describes every process in group `pgrp`, one per line.
std::string DescribeProcessGroup(pid_t pgrp);

// Every pid this process forked through Child (used to attribute leaked SysV objects).
const std::vector<pid_t>& ForkedPids();

// A one-shot signal between processes over a socketpair (never a pipe: the subject under test
// may be a broken pipe implementation, the harness must not depend on it).
class Handshake {
 public:
  Handshake();
  ~Handshake();
  Handshake(const Handshake&) = delete;
  Handshake& operator=(const Handshake&) = delete;
  // Sends one byte `value` from either side.
  void Send(char value = 'x');
  // Receives one byte within `bound`; false on timeout or if the other side closed.
  bool Receive(char* value = nullptr, Millis bound = kEventBound);
  // True if nothing arrives within `window` (to show something did NOT happen).
  bool QuietFor(Millis window);
  // After fork: each side keeps its own socket.
  void BecomeParent();
  void BecomeChild();

 private:
  int fds_[2] = {-1, -1};
  int mine_ = -1;
};

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_CHILD_H_
