// The reference process pool (see process_pool.h).
#include "ipc/pool/process_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace ipc {
namespace {

void CloseIfOpen(int fd) {
  if (fd >= 0) close(fd);  // close() is not retried: on Linux the fd is gone even on EINTR
}

// Reads exactly one code; false on end of file (or an error, which ends the worker too).
bool ReadCode(TaskCode* code) {
  auto* bytes = reinterpret_cast<char*>(code);
  size_t got = 0;
  while (got < sizeof *code) {
    ssize_t n = read(STDIN_FILENO, bytes + got, sizeof *code - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void RunWorker(const std::string& name, const TaskRegistry& registry) {
  TaskCode code;
  while (ReadCode(&code)) {
    if (Task task = registry.Find(code)) {
      task();
    } else {
      dprintf(STDERR_FILENO, "%s (worker %d): unknown task code %u\n", name.c_str(),
              static_cast<int>(getpid()), code);
    }
  }
  _exit(0);  // not exit(): the master's atexit handlers and stdio buffers are not ours
}

// Writes one code with SIGPIPE blocked and takes back the SIGPIPE a failed write raised, so a
// gone worker is an EPIPE for the caller and never kills the master (man 7 pipe), and the
// master's signal disposition stays its own. Two system calls besides the write.
int WriteCode(int fd, TaskCode code) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  ssize_t n;
  do {
    n = write(fd, &code, sizeof code);
  } while (n < 0 && errno == EINTR);
  int error = n == sizeof code ? 0 : n < 0 ? errno : EIO;
  // Unblocked before, so no SIGPIPE was pending then: one pending now is this write's.
  if (error == EPIPE && !sigismember(&old, SIGPIPE)) {
    const timespec now{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return error;
}

class ReferencePool : public ProcessPool {
 public:
  ~ReferencePool() override {
    if (!shut_down_) Shutdown();
  }

  // Forks one worker per channel; false (with *error) when a pipe or fork fails.
  bool Start(int workers, const TaskRegistry& registry, std::string* error) {
    for (int i = 0; i < workers; ++i) {
      int ends[2];
      if (pipe2(ends, O_CLOEXEC) < 0) return Fail("pipe2", error);
      Channel channel{"Channel-" + std::to_string(i), -1, ends[1]};
      pid_t pid = fork();
      if (pid < 0) {
        CloseIfOpen(ends[0]);
        CloseIfOpen(ends[1]);
        return Fail("fork", error);
      }
      if (pid == 0) {
        // Every write end this worker inherited (earlier channels' and its own) must go, or the
        // forward shutdown loop waits forever for a worker whose EOF never comes.
        for (const Channel& earlier : channels_) CloseIfOpen(earlier.write_fd);
        CloseIfOpen(ends[1]);
        if (dup2(ends[0], STDIN_FILENO) < 0) _exit(126);  // dup2 clears FD_CLOEXEC on fd 0
        CloseIfOpen(ends[0]);
        RunWorker(channel.name, registry);
      }
      CloseIfOpen(ends[0]);
      channel.pid = pid;
      channels_.push_back(channel);
    }
    return true;
  }

  const std::vector<Channel>& channels() const override { return channels_; }

  int Send(size_t index, TaskCode code) override {
    if (index >= channels_.size() || channels_[index].write_fd < 0) return EBADF;
    return WriteCode(channels_[index].write_fd, code);
  }

  Delivery Dispatch(TaskCode code) override {
    Delivery d;
    d.channel = next_;
    next_ = (next_ + 1) % channels_.size();
    d.error = Send(d.channel, code);
    return d;
  }

  std::vector<WorkerExit> Shutdown() override {
    std::vector<WorkerExit> exits;
    if (shut_down_) return exits;
    shut_down_ = true;
    for (Channel& channel : channels_) {
      CloseIfOpen(channel.write_fd);
      channel.write_fd = -1;
      int status = 0;
      pid_t r;
      do {
        r = waitpid(channel.pid, &status, 0);
      } while (r < 0 && errno == EINTR);
      exits.push_back({channel.name, channel.pid, r == channel.pid ? status : -1});
    }
    return exits;
  }

 private:
  bool Fail(const char* call, std::string* error) {
    int e = errno;
    if (error) *error = std::string(call) + ": " + strerror(e);
    Shutdown();
    return false;
  }

  std::vector<Channel> channels_;
  size_t next_ = 0;
  bool shut_down_ = false;
};

}  // namespace

std::unique_ptr<ProcessPool> CreateProcessPool(int workers, const TaskRegistry& registry,
                                               std::string* error) {
  if (workers < 1) {
    if (error) *error = "a pool needs at least one worker, got " + std::to_string(workers);
    return nullptr;
  }
  auto pool = std::make_unique<ReferencePool>();
  if (!pool->Start(workers, registry, error)) return nullptr;
  return pool;
}

}  // namespace ipc
