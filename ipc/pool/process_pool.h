// The course's process pool: N workers, each reading 4-byte task codes from its own pipe on its
// standard input; the master dispatches round robin and shuts down by closing each channel and
// reaping its worker in one forward loop. That loop only ends if no worker holds another
// channel's write end (a worker forked later inherits every write end the master had open).
//
// This header is the contract a student's library implements (README, "Grading a student's
// process pool"): CreateProcessPool and a subclass of ProcessPool. TaskRegistry is given.
#ifndef IPCCONF_IPC_POOL_PROCESS_POOL_H_
#define IPCCONF_IPC_POOL_PROCESS_POOL_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ipc {

// Sent as its 4 bytes in one write(): 4 <= PIPE_BUF, so a code is never torn.
using TaskCode = std::uint32_t;
using Task = void (*)();

// Code -> task, filled by the master before the pool is created (workers are forked copies).
class TaskRegistry {
 public:
  void Register(TaskCode code, Task task) { tasks_[code] = task; }
  // The task of `code`, or nullptr when no task has that code.
  Task Find(TaskCode code) const {
    auto it = tasks_.find(code);
    return it == tasks_.end() ? nullptr : it->second;
  }

 private:
  std::map<TaskCode, Task> tasks_;
};

// The master's side of one worker.
struct Channel {
  std::string name;   // "Channel-0", "Channel-1", ... in creation order
  pid_t pid = -1;     // the worker that reads this channel on its standard input
  int write_fd = -1;  // the master's write end (-1 once Shutdown closed it)
};

// How a worker ended, as Shutdown() reaped it.
struct WorkerExit {
  std::string name;
  pid_t pid = -1;
  int status = 0;  // waitpid()'s status (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG)
};

// Where Dispatch() sent a code and how the write went.
struct Delivery {
  size_t channel = 0;  // index into channels()
  int error = 0;       // 0, or the write's errno (EPIPE: the worker is gone)
};

class ProcessPool {
 public:
  // Shuts the pool down if Shutdown() was not called.
  virtual ~ProcessPool() = default;

  virtual const std::vector<Channel>& channels() const = 0;

  // Sends `code` to channel `index` (one 4-byte write). Returns 0 or the errno; a worker that is
  // gone gives EPIPE, never a SIGPIPE that kills the master.
  virtual int Send(size_t index, TaskCode code) = 0;

  // Sends `code` to the next channel in round-robin order, starting at channel 0.
  virtual Delivery Dispatch(TaskCode code) = 0;

  // For each channel in order: close its write end, then waitpid() its worker. Returns every
  // worker's exit in channel order (a worker that died earlier too, with its status).
  virtual std::vector<WorkerExit> Shutdown() = 0;
};

// Forks `workers` (>= 1) workers. Each worker holds exactly one end of the pool's pipes: its own
// channel's read end, dup2'ed onto standard input. It reads one code at a time and runs
// registry.Find(code); for an unknown code it writes the line
// "<channel name> (worker <pid>): unknown task code <code>" to standard error and goes on. When
// read() returns 0 (the master closed the channel) it _exit()s with status 0.
// Returns nullptr, with the reason in *error, if a pipe or a fork failed.
std::unique_ptr<ProcessPool> CreateProcessPool(int workers, const TaskRegistry& registry,
                                               std::string* error);

}  // namespace ipc

#endif  // IPCCONF_IPC_POOL_PROCESS_POOL_H_
