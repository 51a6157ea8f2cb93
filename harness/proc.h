// Observing processes from outside, through /proc: what a process is doing and what it holds.
#ifndef IPCCONF_HARNESS_PROC_H_
#define IPCCONF_HARNESS_PROC_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipcconf {

// One reading of /proc/PID/{stat,wchan,syscall}. Fields a kernel does not offer stay empty.
struct ProcessState {
  pid_t pid = 0;
  bool exists = false;
  std::string comm;           // the name in parentheses in /proc/PID/stat
  char state = '?';           // R, S, D, Z, T, t, X, I
  pid_t ppid = 0;
  pid_t pgrp = 0;
  std::string wchan;          // kernel function it sleeps in, "" or "0" when unknown
  std::optional<long> syscall_nr;  // number of the call it is in; nullopt: running or unknown
  std::vector<unsigned long> syscall_args;

  bool sleeping() const { return state == 'S' || state == 'D'; }
  // "pid 4127 (pipe_test) state S (sleeping) in read(fd 3), wchan pipe_read".
  std::string Describe() const;
};

ProcessState ReadProcessState(pid_t pid);

// A readable name for a system call number on this architecture ("read", "syscall 123").
std::string SyscallName(long nr);

// Processes whose parent is `parent` (live ones and zombies).
std::vector<pid_t> ChildrenOf(pid_t parent);

// Processes in process group `pgrp`.
std::vector<pid_t> ProcessGroupMembers(pid_t pgrp);

// fd number -> what it refers to ("pipe:[1234]", "/dev/null", "socket:[99]").
using FdTable = std::map<int, std::string>;
FdTable ReadFdTable(pid_t pid);

// The "flags:" field of /proc/PID/fdinfo/FD (octal in the file), or nullopt if unreadable.
std::optional<int> ReadFdFlags(pid_t pid, int fd);

// Reads a whole small file ("" if it cannot be read).
std::string ReadSmallFile(const std::string& path);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_PROC_H_
