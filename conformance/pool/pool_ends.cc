// Who holds which end of which channel (read from /proc), and the deadlock of a forward
// shutdown that it makes (pool_master.h).
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "conformance/pool/pool_master.h"
#include "harness/proc.h"

namespace ipcconf {
namespace {

std::string AccessMode(int flags) {
  switch (flags & O_ACCMODE) {
    case O_RDONLY:
      return "read end";
    case O_WRONLY:
      return "write end";
    default:
      return "read-write end";
  }
}

}  // namespace

std::string Lines(const std::vector<std::string>& lines, size_t at_most) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < at_most; ++i) out += (i ? "\n" : "") + lines[i];
  if (lines.size() > at_most) {
    out += "\n... and " + std::to_string(lines.size() - at_most) + " more";
  }
  return out;
}

std::string HeldEnd::Describe() const {
  std::string line = "worker " + std::to_string(worker->pid) + " (" + worker->name +
                     ") holds the " + (flags ? AccessMode(*flags) : "end (flags unreadable)") +
                     " of " + channel->name + " (fd " + std::to_string(fd) + ")";
  if (flags && (*flags & O_ACCMODE) != O_RDONLY) {
    return line + ": shutting down " + channel->name + " cannot deliver end-of-file";
  }
  if (!foreign()) return line + ": its own read end belongs on fd 0 only";
  return line + ": a dead " + channel->name + " would not give the master EPIPE";
}

std::vector<HeldEnd> PoolEndsHeldByWorkers(const std::vector<ChannelView>& channels) {
  std::vector<HeldEnd> held;
  for (const ChannelView& worker : channels) {
    for (const auto& [fd, target] : ReadFdTable(worker.pid)) {
      for (const ChannelView& c : channels) {
        if (target == c.pipe) held.push_back({&worker, &c, fd, ReadFdFlags(worker.pid, fd)});
      }
    }
  }
  return held;
}

std::vector<std::string> ForeignPoolEnds(const std::vector<ChannelView>& channels) {
  std::vector<std::string> found;
  for (const HeldEnd& h : PoolEndsHeldByWorkers(channels)) {
    if (h.foreign()) found.push_back(h.Describe());
  }
  return found;
}

// A forward shutdown that can never finish: the master sleeps in wait4() for a worker asleep in
// read(), and the write end of that worker's channel is still held by the master itself, or by
// another worker asleep in read() on a channel the master has not closed yet. "" if not so.
std::string CertainDeadlock(pid_t master, const std::vector<ChannelView>& channels) {
  ProcessState m = ReadProcessState(master);
  if (!m.sleeping() || m.syscall_nr != SYS_wait4 || m.syscall_args.empty()) return "";
  pid_t awaited = static_cast<pid_t>(m.syscall_args[0]);
  FdTable master_fds = ReadFdTable(master);
  auto master_holds = [&](const ChannelView& c) {
    for (const auto& [fd, target] : master_fds) {
      if (target == c.pipe) return true;
    }
    return false;
  };
  for (const ChannelView& c : channels) {
    if (c.pid != awaited || !master_holds(c)) continue;
    ProcessState w = ReadProcessState(c.pid);
    if (!w.sleeping() || w.syscall_nr != SYS_read) continue;
    for (const auto& [fd, target] : master_fds) {
      std::optional<int> flags = ReadFdFlags(master, fd);
      if (target != c.pipe || !flags || (*flags & O_ACCMODE) == O_RDONLY) continue;
      return "deadlock: the master waits in wait4() for worker " + std::to_string(c.pid) + " (" +
             c.name + "), asleep in read(), while the master itself still holds a write end of " +
             c.name + " (fd " + std::to_string(fd) + ")";
    }
  }
  for (const HeldEnd& h : PoolEndsHeldByWorkers(channels)) {
    if (!h.foreign() || !h.flags || (*h.flags & O_ACCMODE) == O_RDONLY) continue;
    if ((awaited != -1 && h.channel->pid != awaited) || master_holds(*h.channel)) continue;
    ProcessState w = ReadProcessState(h.worker->pid);
    if (!master_holds(*h.worker) || !w.sleeping() || w.syscall_nr != SYS_read) continue;
    return "deadlock: the master waits in wait4() for worker " + std::to_string(h.channel->pid) +
           " (" + h.channel->name + "), whose channel it has closed, while worker " +
           std::to_string(h.worker->pid) + " (" + h.worker->name + "), asleep in read() on " +
           h.worker->name + " which the master has not closed yet, holds the write end of " +
           h.channel->name + " (fd " + std::to_string(h.fd) + ")";
  }
  return "";
}

}  // namespace ipcconf
