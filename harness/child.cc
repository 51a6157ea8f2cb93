#include "harness/child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <sstream>

#include "harness/proc.h"
#include "harness/result_kind.h"

namespace ipcconf {
namespace {

std::vector<pid_t>& MutableForkedPids() {
  static auto* pids = new std::vector<pid_t>();
  return *pids;
}

int OpenPidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// Readies the freshly forked child: own process group, dies with the test process, default
// signal dispositions and an empty mask (the subject must see SIGPIPE as a fresh process would).
void PrepareChild(pid_t parent) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(125);  // the parent died before prctl took effect
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

long RemainingMs(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : left.count();
}

}  // namespace

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? "SIG" + std::string(abbrev) + " (" + std::to_string(sig) + ")"
                : "signal " + std::to_string(sig);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by " + SignalName(WTERMSIG(status));
  if (WIFSTOPPED(status)) return "was stopped by " + SignalName(WSTOPSIG(status));
  return "wait status " + std::to_string(status) + " (neither an exit nor a signal)";
}

const std::vector<pid_t>& ForkedPids() { return MutableForkedPids(); }

std::string Outcome::Describe() const {
  std::ostringstream os;
  switch (kind) {
    case Kind::kExited:
      os << "exited with status " << code;
      break;
    case Kind::kKilled:
      os << "was killed by " << SignalName(signal);
      break;
    case Kind::kTimedOut:
      os << "timed out: " << diagnosis;
      break;
  }
  return os.str();
}

void PrintTo(const Outcome& o, std::ostream* os) { *os << o.Describe(); }

std::string DescribeProcessGroup(pid_t pgrp) {
  std::ostringstream os;
  std::vector<pid_t> members = ProcessGroupMembers(pgrp);
  if (members.empty()) return "no process left in group " + std::to_string(pgrp);
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) os << "; ";
    os << ReadProcessState(members[i]).Describe();
  }
  return os.str();
}

Child::Child(pid_t pid) : pid_(pid), pidfd_(OpenPidfd(pid)), reaped_(false) {
  outcome_.pid = pid;
  MutableForkedPids().push_back(pid);
}

Child::Child(Child&& other) noexcept { *this = std::move(other); }

Child& Child::operator=(Child&& other) noexcept {
  if (this != &other) {
    if (!reaped_) Kill();
    if (pidfd_ >= 0) close(pidfd_);
    pid_ = other.pid_;
    pidfd_ = other.pidfd_;
    reaped_ = other.reaped_;
    outcome_ = other.outcome_;
    other.pidfd_ = -1;
    other.reaped_ = true;
  }
  return *this;
}

Child::~Child() {
  if (!reaped_) Kill();
  if (pidfd_ >= 0) close(pidfd_);
}

Child Child::Fork(std::function<int()> body) {
  fflush(nullptr);  // do not let the child flush the parent's buffered output again
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    RecordBroken(std::string("fork() failed: ") + strerror(errno));
    Child c(-1);
    c.reaped_ = true;
    return c;
  }
  if (pid == 0) {
    PrepareChild(parent);
    int code = 120;
    try {
      code = body();
    } catch (...) {
      code = 120;
    }
    _exit(code);
  }
  setpgid(pid, pid);  // both sides set it: no race on who runs first
  return Child(pid);
}

Child Child::Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  return Exec(argv, env, Stdio{});
}

Child Child::Exec(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                  const Stdio& stdio) {
  return Fork([argv, env, stdio]() {
    const int targets[3] = {stdio.in, stdio.out, stdio.err};
    for (int target = 0; target < 3; ++target) {
      if (targets[target] >= 0 && dup2(targets[target], target) < 0) {
        fprintf(stderr, "dup2(%d, %d): %s\n", targets[target], target, strerror(errno));
        return 126;
      }
    }
    for (const std::string& kv : env) {
      if (kv.find('=') == std::string::npos) {
        unsetenv(kv.c_str());
      } else {
        putenv(strdup(kv.c_str()));
      }
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    return 127;
  });
}

Outcome Child::Reap(int status) {
  reaped_ = true;
  outcome_.raw_status = status;
  if (WIFEXITED(status)) {
    outcome_.kind = Outcome::Kind::kExited;
    outcome_.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome_.kind = Outcome::Kind::kKilled;
    outcome_.signal = WTERMSIG(status);
  }
  return outcome_;
}

bool Child::EndsWithin(Millis window) {
  if (reaped_) return true;
  auto deadline = std::chrono::steady_clock::now() + window;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      Reap(status);
      return true;
    }
    long left = RemainingMs(deadline);
    if (left <= 0) return false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left));
    } else {
      // No pidfd on this kernel: poll waitpid every millisecond until the deadline.
      timespec ts{0, 1000 * 1000};
      nanosleep(&ts, nullptr);  // polling interval of waitpid where there is no pidfd
    }
  }
}

Outcome Child::Wait(Millis bound) {
  if (reaped_) return outcome_;
  if (EndsWithin(bound)) return outcome_;
  std::string diagnosis = "no end within " + std::to_string(bound.count()) + " ms; " +
                          DescribeProcessGroup(pid_);
  Kill();
  outcome_.kind = Outcome::Kind::kTimedOut;
  outcome_.diagnosis = diagnosis;
  return outcome_;
}

Outcome Child::Kill() {
  if (reaped_) return outcome_;
  kill(-pid_, SIGKILL);
  kill(pid_, SIGKILL);
  int status = 0;
  for (int tries = 0; tries < 100 && waitpid(pid_, &status, 0) < 0 && errno == EINTR; ++tries) {
  }
  return Reap(status);
}

Outcome RunInChild(std::function<int()> body, Millis bound) {
  Child c = Child::Fork(std::move(body));
  return c.Wait(bound);
}

::testing::AssertionResult ExitedWith(const Outcome& o, int code) {
  if (o.Exited(code)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected pid " << o.pid << " to exit with status " << code << "; it " << o.Describe();
}

::testing::AssertionResult KilledBySignal(const Outcome& o, int sig) {
  if (o.KilledBy(sig)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected pid " << o.pid << " to be killed by "
                                       << SignalName(sig) << "; it " << o.Describe();
}

Handshake::Handshake() {
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds_) != 0) {
    RecordBroken(std::string("socketpair() for a handshake failed: ") + strerror(errno));
  }
}

Handshake::~Handshake() {
  for (int& fd : fds_) {
    if (fd >= 0) close(fd);
  }
}

void Handshake::BecomeParent() {
  if (fds_[1] >= 0) close(fds_[1]);
  fds_[1] = -1;
  mine_ = fds_[0];
}

void Handshake::BecomeChild() {
  if (fds_[0] >= 0) close(fds_[0]);
  fds_[0] = -1;
  mine_ = fds_[1];
}

void Handshake::Send(char value) {
  int fd = mine_ >= 0 ? mine_ : fds_[1];
  for (int tries = 0; tries < 100 && send(fd, &value, 1, MSG_NOSIGNAL) < 0 && errno == EINTR;
       ++tries) {
  }
}

bool Handshake::Receive(char* value, Millis bound) {
  int fd = mine_ >= 0 ? mine_ : fds_[0];
  auto deadline = std::chrono::steady_clock::now() + bound;
  for (int round = 0;; ++round) {
    if (round > 0 && RemainingMs(deadline) <= 0) return false;  // interrupted past the bound
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(RemainingMs(deadline)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) return false;
    if (value) *value = c;
    return true;
  }
}

bool Handshake::QuietFor(Millis window) {
  int fd = mine_ >= 0 ? mine_ : fds_[0];
  pollfd p{fd, POLLIN, 0};
  // Bounded wait to show that nothing arrives: this is the "did not happen" window.
  return poll(&p, 1, static_cast<int>(window.count())) == 0;
}

}  // namespace ipcconf
