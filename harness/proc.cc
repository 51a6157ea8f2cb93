#include "harness/proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace ipcconf {

std::string ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[4096];
  for (int interrupted = 0;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR && ++interrupted < 100) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::string SyscallName(long nr) {
  static const struct {
    long nr;
    const char* name;
  } kNames[] = {
#ifdef SYS_read
      {SYS_read, "read"},
#endif
#ifdef SYS_write
      {SYS_write, "write"},
#endif
#ifdef SYS_open
      {SYS_open, "open"},
#endif
#ifdef SYS_openat
      {SYS_openat, "openat"},
#endif
#ifdef SYS_readv
      {SYS_readv, "readv"},
#endif
#ifdef SYS_writev
      {SYS_writev, "writev"},
#endif
#ifdef SYS_poll
      {SYS_poll, "poll"},
#endif
#ifdef SYS_ppoll
      {SYS_ppoll, "ppoll"},
#endif
#ifdef SYS_select
      {SYS_select, "select"},
#endif
#ifdef SYS_pselect6
      {SYS_pselect6, "pselect6"},
#endif
#ifdef SYS_wait4
      {SYS_wait4, "wait4"},
#endif
#ifdef SYS_waitid
      {SYS_waitid, "waitid"},
#endif
#ifdef SYS_nanosleep
      {SYS_nanosleep, "nanosleep"},
#endif
#ifdef SYS_clock_nanosleep
      {SYS_clock_nanosleep, "clock_nanosleep"},
#endif
#ifdef SYS_pause
      {SYS_pause, "pause"},
#endif
#ifdef SYS_rt_sigsuspend
      {SYS_rt_sigsuspend, "rt_sigsuspend"},
#endif
#ifdef SYS_futex
      {SYS_futex, "futex"},
#endif
#ifdef SYS_semop
      {SYS_semop, "semop"},
#endif
#ifdef SYS_semtimedop
      {SYS_semtimedop, "semtimedop"},
#endif
#ifdef SYS_msgsnd
      {SYS_msgsnd, "msgsnd"},
#endif
#ifdef SYS_msgrcv
      {SYS_msgrcv, "msgrcv"},
#endif
#ifdef SYS_close
      {SYS_close, "close"},
#endif
#ifdef SYS_epoll_wait
      {SYS_epoll_wait, "epoll_wait"},
#endif
  };
  for (const auto& n : kNames) {
    if (n.nr == nr) return n.name;
  }
  return "syscall " + std::to_string(nr);
}

ProcessState ReadProcessState(pid_t pid) {
  ProcessState s;
  s.pid = pid;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::string stat = ReadSmallFile(dir + "/stat");
  // "PID (comm) S PPID PGRP ...": comm may contain spaces and parentheses; split at the last ')'.
  size_t open = stat.find('(');
  size_t close = stat.rfind(')');
  if (stat.empty() || open == std::string::npos || close == std::string::npos) return s;
  s.exists = true;
  s.comm = stat.substr(open + 1, close - open - 1);
  std::istringstream rest(stat.substr(close + 1));
  rest >> s.state >> s.ppid >> s.pgrp;
  s.wchan = ReadSmallFile(dir + "/wchan");
  // /proc/PID/syscall: "NR arg1 ... arg6 sp pc" while blocked, "running" or "-1 sp pc" otherwise.
  std::string sc = ReadSmallFile(dir + "/syscall");
  if (!sc.empty() && sc.rfind("running", 0) != 0) {
    std::istringstream in(sc);
    long nr = -1;
    if (in >> nr && nr >= 0) {
      s.syscall_nr = nr;
      std::string word;
      for (int i = 0; i < 6 && in >> word; ++i) {
        s.syscall_args.push_back(std::strtoul(word.c_str(), nullptr, 0));
      }
    }
  }
  return s;
}

std::string ProcessState::Describe() const {
  std::ostringstream os;
  os << "pid " << pid;
  if (!exists) {
    os << " (gone)";
    return os.str();
  }
  os << " (" << comm << ") state " << state;
  switch (state) {
    case 'R': os << " (running)"; break;
    case 'S': os << " (sleeping)"; break;
    case 'D': os << " (uninterruptible)"; break;
    case 'Z': os << " (zombie: exited, not reaped)"; break;
    case 'T': os << " (stopped)"; break;
    case 't': os << " (traced)"; break;
    default: break;
  }
  if (syscall_nr) {
    os << " in " << SyscallName(*syscall_nr);
    if (!syscall_args.empty()) os << "(" << static_cast<long>(syscall_args[0]) << ", ...)";
  }
  if (!wchan.empty() && wchan != "0") os << ", wchan " << wchan;
  return os.str();
}

namespace {

std::vector<pid_t> AllPids() {
  std::vector<pid_t> pids;
  DIR* d = opendir("/proc");
  if (!d) return pids;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long v = std::strtol(e->d_name, &end, 10);
    if (end && *end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
  }
  closedir(d);
  return pids;
}

}  // namespace

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> out;
  for (pid_t p : AllPids()) {
    ProcessState s = ReadProcessState(p);
    if (s.exists && s.ppid == parent) out.push_back(p);
  }
  return out;
}

std::vector<pid_t> ProcessGroupMembers(pid_t pgrp) {
  std::vector<pid_t> out;
  for (pid_t p : AllPids()) {
    ProcessState s = ReadProcessState(p);
    if (s.exists && s.pgrp == pgrp) out.push_back(p);
  }
  return out;
}

FdTable ReadFdTable(pid_t pid) {
  FdTable table;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return table;
  int own = dirfd(d);
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (pid == getpid() && fd == own) continue;  // the directory stream reading this very table
    char target[512];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    table[fd] = n >= 0 ? std::string(target, static_cast<size_t>(n)) : "?";
  }
  closedir(d);
  return table;
}

std::optional<int> ReadFdFlags(pid_t pid, int fd) {
  std::string info =
      ReadSmallFile("/proc/" + std::to_string(pid) + "/fdinfo/" + std::to_string(fd));
  size_t at = info.find("flags:");
  if (at == std::string::npos) return std::nullopt;
  return static_cast<int>(std::strtol(info.c_str() + at + 6, nullptr, 8));
}

}  // namespace ipcconf
