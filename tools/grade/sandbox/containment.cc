#include "tools/grade/sandbox/containment.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "harness/proc.h"

namespace grade {
namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

// Maps our own uid and gid into a new user namespace (the only mapping an unprivileged
// process may write): the program keeps an unprivileged uid inside.
bool EnterUserNamespace() {
  uid_t uid = getuid();
  gid_t gid = getgid();
  if (unshare(CLONE_NEWUSER) != 0) return false;
  WriteFile("/proc/self/setgroups", "deny");
  return WriteFile("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(uid) + " 1") &&
         WriteFile("/proc/self/gid_map", std::to_string(gid) + " " + std::to_string(gid) + " 1");
}

long NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

// A private /proc for the new PID namespace, so that the init sees (only) its own processes.
void MountOwnProc() {
  mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    std::perror("grade sandbox: mount /proc");
  }
}

// A /tmp of the run's own (fixed paths such as /tmp/mypipe never meet another run's), with
// the folder `keep` (the run's scratch folder, which may lie under /tmp) bound back in place.
void MountPrivateTmp(const std::string& keep) {
  char real[PATH_MAX];
  const bool under_tmp = !keep.empty() && realpath(keep.c_str(), real) != nullptr &&
                         std::string(real).rfind("/tmp/", 0) == 0;
  int fd = under_tmp ? open(real, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=16m") != 0) {
    std::perror("grade sandbox: mount /tmp");
  } else if (fd >= 0) {
    for (const char* p = real + 1; *p; ++p) {
      if (*p == '/') mkdir(std::string(real, p - real).c_str(), 0755);
    }
    mkdir(real, 0755);
    std::string from = "/proc/self/fd/" + std::to_string(fd);
    if (mount(from.c_str(), real, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      std::perror("grade sandbox: bind the run folder");
    }
  }
  if (fd >= 0) close(fd);
}

}  // namespace

const char* StrengthName(Strength s) {
  switch (s) {
    case Strength::kNamespaces: return "pid+ipc+mount namespaces";
    case Strength::kUserNamespaces: return "user+pid+ipc+mount namespaces";
    case Strength::kWeak: return "weak: subreaper and kill loop (no namespaces available)";
  }
  return "?";
}

Strength RunContained(const std::function<int(Strength)>& init, long wall_ms, bool* overran,
                      const std::string& keep) {
  const int kFlags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNS;
  Strength strength = Strength::kWeak;
  // Each grading is its own process (the Python orchestrator starts one per run), so changing
  // this process's namespaces affects nobody else.
  if (unshare(kFlags) == 0) {
    strength = Strength::kNamespaces;
  } else if (EnterUserNamespace() && unshare(kFlags) == 0) {
    strength = Strength::kUserNamespaces;
  } else {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("grade sandbox: fork");
    std::exit(3);
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (strength != Strength::kWeak) {
      MountOwnProc();
      MountPrivateTmp(keep);
    }
    if (strength == Strength::kWeak) prctl(PR_SET_CHILD_SUBREAPER, 1);
    _exit(init(strength));
  }
  *overran = false;
  const long deadline = NowMs() + wall_ms;
  // Waits on a pidfd for the init's end; only a kernel without pidfd_open polls waitpid.
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    const long left = deadline - NowMs();
    if (left < 0) {
      *overran = true;
      kill(pid, SIGKILL);  // ends the PID namespace; in the weak mode the loop below cleans up
      waitpid(pid, &status, 0);
      break;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left) + 1);
    } else {
      usleep(2000);  // no pidfd: polling interval of waitpid
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (strength == Strength::kWeak) KillEverythingBelow(strength);
  return strength;
}

void ApplyLimitsAndIdentity(const Limits& limits, const Identity& identity) {
  auto set = [](int resource, rlim_t value) {
    rlimit rl{value, value};
    setrlimit(resource, &rl);
  };
  set(RLIMIT_NPROC, static_cast<rlim_t>(limits.processes));
  set(RLIMIT_AS, static_cast<rlim_t>(limits.address_space_mb) << 20);
  set(RLIMIT_FSIZE, static_cast<rlim_t>(limits.file_size_mb) << 20);
  set(RLIMIT_NOFILE, static_cast<rlim_t>(limits.open_files));
  set(RLIMIT_CPU, static_cast<rlim_t>(limits.cpu_seconds));
  set(RLIMIT_CORE, 0);
  if (identity.uid != 0) {
    if (setgroups(0, nullptr) != 0 || setgid(identity.gid) != 0 || setuid(identity.uid) != 0) {
      std::perror("grade sandbox: dropping privileges");
      _exit(126);
    }
  }
}

std::vector<pid_t> Descendants(pid_t root) {
  std::vector<pid_t> out;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : ipcconf::ChildrenOf(p)) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

void KillEverythingBelow(Strength s) {
  if (s != Strength::kWeak) {
    kill(-1, SIGKILL);  // in a PID namespace: every process but this init
  } else {
    // Orphans come back to us (subreaper), so a fork racing the loop is caught next round.
    const long deadline = NowMs() + 5000;
    for (std::vector<pid_t> left = Descendants(getpid()); !left.empty() && NowMs() < deadline;
         left = Descendants(getpid())) {
      for (pid_t p : left) kill(p, SIGKILL);
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
      usleep(1000);
    }
  }
  while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
  }
}

}  // namespace grade
