// The pool under test runs in a master process forked from the test (so SIGPIPE has its default
// action there, and a shutdown that hangs cannot hang the test). The test drives it over a
// socket, watches its workers through /proc, and learns which worker ran which task from the
// tasks themselves: each reports (getpid(), its code) over a socket the test owns.
#ifndef IPCCONF_CONFORMANCE_POOL_POOL_MASTER_H_
#define IPCCONF_CONFORMANCE_POOL_POOL_MASTER_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "harness/child.h"
#include "ipc/pool/process_pool.h"
#include "ipc/unique_fd.h"

namespace ipcconf {

// How long a whole pool shutdown may take before the test calls it hung: far beyond what 64
// workers need, short enough that a deadlocked subject fails quickly.
inline constexpr Millis kShutdownBound{5000};

// Task codes the tests register: four distinct bytes each, so a torn or misaligned code is an
// unknown code, never another task.
inline constexpr int kTaskCount = 64;
constexpr ipc::TaskCode TaskCode(int i) { return 0xA0B0C000u | static_cast<ipc::TaskCode>(i); }
// A code no task has.
inline constexpr ipc::TaskCode kUnknownCode = 0x0BADC0DEu;

// What a task reports when it runs.
struct TaskRecord {
  pid_t pid = 0;
  ipc::TaskCode code = 0;
};

// A channel as the master reported it, plus the pipe inode of its write end.
struct ChannelView {
  std::string name;
  pid_t pid = -1;
  int write_fd = -1;
  std::string pipe;  // "pipe:[1234]" (both ends of a pipe have the same)
};

struct ShutdownResult {
  bool finished = false;  // the master's Shutdown() returned within kShutdownBound
  std::vector<ipc::WorkerExit> exits;
  std::vector<std::string> fd_changes;  // master fds that differ from before the pool
  std::string diagnosis;                // when it hung: the culprits and every process's state
};

class PoolMaster {
 public:
  // Forks the master, which creates a pool of `workers`; with `capture_stderr` the master's
  // (and so the workers') standard error is readable through ReadStderr().
  explicit PoolMaster(int workers, bool capture_stderr = false);
  // Kills and reaps what is still running (workers first, by the master).
  ~PoolMaster();
  PoolMaster(const PoolMaster&) = delete;
  PoolMaster& operator=(const PoolMaster&) = delete;

  // Empty when the pool is up; otherwise why not.
  const std::string& failure() const { return failure_; }
  pid_t pid() const { return master_ ? master_->pid() : -1; }
  const std::vector<ChannelView>& channels() const { return channels_; }

  // pool->Send(index, code) in the master: 0 or the errno; nullopt if the master did not answer
  // (failure() then says how it ended).
  std::optional<int> Send(size_t index, ipc::TaskCode code);
  // pool->Dispatch(code) for each code, in order.
  std::optional<std::vector<ipc::Delivery>> Dispatch(const std::vector<ipc::TaskCode>& codes);
  // pool->Shutdown(), bounded; a hang (a certain deadlock is recognised at once, anything else
  // at kShutdownBound) is diagnosed, then the workers are killed to free the master.
  ShutdownResult Shutdown();
  // Lets the master return after Shutdown(); its outcome.
  Outcome Exit();

  // The next `count` task records, waiting at most kEventBound for each.
  std::vector<TaskRecord> ReadRecords(size_t count);
  // Records already sent and not read (after Shutdown, every task that ran has reported).
  std::vector<TaskRecord> DrainRecords();
  // Everything written so far to the captured standard error. A worker's line about a code is
  // there once a record of a later task from that worker has been read.
  std::string ReadStderr();

 private:
  std::optional<std::string> Call(const std::string& command, Millis bound);
  std::optional<Child> master_;  // set once forked
  ipc::UniqueFd control_;        // SOCK_SEQPACKET to the master
  ipc::UniqueFd reports_;        // SOCK_SEQPACKET, tasks' records
  ipc::UniqueFd stderr_;         // read side of the captured standard error
  std::string stderr_text_;
  std::vector<ChannelView> channels_;
  std::string failure_;
  bool exited_ = false;
};

// An fd of a worker on one of the pool's pipes.
struct HeldEnd {
  const ChannelView* worker;
  const ChannelView* channel;  // whose pipe it is
  int fd;
  std::optional<int> flags;  // from /proc/PID/fdinfo
  bool foreign() const { return worker != channel; }
  // "worker 4127 (Channel-2) holds the write end of Channel-0 (fd 4): shutting down Channel-0
  // cannot deliver end-of-file".
  std::string Describe() const;
};

// Every fd each worker holds on a pipe of the pool (read from /proc).
std::vector<HeldEnd> PoolEndsHeldByWorkers(const std::vector<ChannelView>& channels);
// Those on another worker's channel, described.
std::vector<std::string> ForeignPoolEnds(const std::vector<ChannelView>& channels);

// A forward shutdown that can never finish: the master sleeps in wait4() for a worker asleep in
// read(), and the write end of that worker's channel is still held by the master itself, or by
// another worker asleep in read() on a channel the master has not closed yet. "" if not so.
std::string CertainDeadlock(pid_t master, const std::vector<ChannelView>& channels);

// Joins lines for a failure message, the first `at_most` of them.
std::string Lines(const std::vector<std::string>& lines, size_t at_most = 12);

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_POOL_POOL_MASTER_H_
