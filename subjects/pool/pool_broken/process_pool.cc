// A process pool with one defect at a time, picked by IPCCONF_BREAK (defects.txt);
// without it, a correct pool; with a name it does not know, the program exits 2 at start. Written
// apart from the reference: it is a subject, not a variant.
#include "ipc/pool/process_pool.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "harness/defect_choice.h"

// X(EnumName, defect_name): every defect this pool knows, in the order of defects.txt.
#define IPCCONF_POOL_DEFECTS(X)                  \
  X(ReadsOriginalFd, reads_original_fd)          \
  X(KeepsOriginalFd, keeps_original_fd)          \
  X(LeaksWriteEnds, leaks_write_ends)            \
  X(LeaksReadEnds, leaks_read_ends)              \
  X(MasterKeepsReadEnds, master_keeps_read_ends) \
  X(MasterDupsWriteEnds, master_dups_write_ends) \
  X(AlwaysChannelZero, always_channel_zero)      \
  X(RunsTasksTwice, runs_tasks_twice)            \
  X(SendsEightBytes, sends_eight_bytes)          \
  X(UnknownIsSilent, unknown_is_silent)          \
  X(UnknownEndsWorker, unknown_ends_worker)      \
  X(ExitsOne, exits_one)                         \
  X(NeverWaits, never_waits)                     \
  X(ClosesStderr, closes_stderr)                 \
  X(ReportsAllZero, reports_all_zero)            \
  X(SigpipeKills, sigpipe_kills)                 \
  X(StopsAtDeadWorker, stops_at_dead_worker)

namespace ipc {
namespace {

IPCCONF_DEFINE_DEFECTS(IPCCONF_POOL_DEFECTS, "IPCCONF_BREAK", "pool_broken")

bool Broken(Defect d) { return ChosenDefect() == d; }

[[noreturn]] void Work(int in, const std::string& name, const TaskRegistry& registry) {
  TaskCode code;
  ssize_t n;
  while ((n = read(in, &code, sizeof code)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n != sizeof code) _exit(2);
    if (Task task = registry.Find(code)) {
      task();
      if (Broken(Defect::kRunsTasksTwice)) task();
    } else if (!Broken(Defect::kUnknownIsSilent)) {
      dprintf(2, "%s (worker %d): unknown task code %u\n", name.c_str(), getpid(), code);
      if (Broken(Defect::kUnknownEndsWorker)) _exit(0);
    }
  }
  _exit(Broken(Defect::kExitsOne) ? 1 : 0);
}

class BrokenPool : public ProcessPool {
 public:
  std::vector<Channel> channels_;
  std::vector<int> extra_fds_;  // read ends or duplicates the master should not keep
  size_t next_ = 0;
  bool done_ = false;

  ~BrokenPool() override {
    if (!done_) Shutdown();
  }
  const std::vector<Channel>& channels() const override { return channels_; }

  int Send(size_t index, TaskCode code) override {
    if (index >= channels_.size() || channels_[index].write_fd < 0) return EBADF;
    unsigned long long wide = code;
    const void* data = &code;
    size_t size = sizeof code;
    if (Broken(Defect::kSendsEightBytes)) {
      data = &wide;
      size = sizeof wide;
    }
    ssize_t n = write(channels_[index].write_fd, data, size);
    return n == static_cast<ssize_t>(size) ? 0 : n < 0 ? errno : EIO;
  }

  Delivery Dispatch(TaskCode code) override {
    Delivery d;
    d.channel = Broken(Defect::kAlwaysChannelZero) ? 0 : next_;
    next_ = (next_ + 1) % channels_.size();
    d.error = Send(d.channel, code);
    return d;
  }

  std::vector<WorkerExit> Shutdown() override {
    std::vector<WorkerExit> exits;
    if (done_) return exits;
    done_ = true;
    if (Broken(Defect::kClosesStderr)) close(2);
    for (Channel& c : channels_) {
      close(c.write_fd);
      c.write_fd = -1;
      int status = 0;
      if (!Broken(Defect::kNeverWaits)) {
        while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
        }
      }
      exits.push_back({c.name, c.pid, Broken(Defect::kReportsAllZero) ? 0 : status});
      if (Broken(Defect::kStopsAtDeadWorker) && status != 0) break;
    }
    for (int fd : extra_fds_) close(fd);  // too late for a duplicated write end
    return exits;
  }
};

}  // namespace

std::unique_ptr<ProcessPool> CreateProcessPool(int workers, const TaskRegistry& registry,
                                               std::string* error) {
  if (!Broken(Defect::kSigpipeKills)) signal(SIGPIPE, SIG_IGN);
  auto pool = std::make_unique<BrokenPool>();
  std::vector<int> read_ends;
  for (int i = 0; i < workers; ++i) {
    int ends[2];
    if (pipe(ends) < 0) {
      *error = strerror(errno);
      return nullptr;
    }
    std::string name = "Channel-" + std::to_string(i);
    pid_t pid = fork();
    if (pid == 0) {
      if (!Broken(Defect::kLeaksWriteEnds)) {
        for (const Channel& c : pool->channels_) close(c.write_fd);
        for (int fd : pool->extra_fds_) close(fd);
      }
      close(ends[1]);
      if (Broken(Defect::kReadsOriginalFd)) Work(ends[0], name, registry);
      dup2(ends[0], 0);
      if (!Broken(Defect::kKeepsOriginalFd)) close(ends[0]);
      Work(0, name, registry);
    }
    if (Broken(Defect::kLeaksReadEnds)) {
      read_ends.push_back(ends[0]);
    } else if (Broken(Defect::kMasterKeepsReadEnds)) {
      pool->extra_fds_.push_back(ends[0]);
    } else {
      close(ends[0]);
    }
    if (Broken(Defect::kMasterDupsWriteEnds)) pool->extra_fds_.push_back(dup(ends[1]));
    pool->channels_.push_back({name, pid, ends[1]});
  }
  for (int fd : read_ends) close(fd);
  return pool;
}

}  // namespace ipc
