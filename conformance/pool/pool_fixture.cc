#include "conformance/pool/pool_fixture.h"

#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "harness/blocked.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "ipc/unique_fd.h"

namespace ipcconf {

std::string PoolSizeName(const ::testing::TestParamInfo<int>& info) {
  return "N" + std::to_string(info.param);
}

std::string WorkerName(const ChannelView& c) {
  return "worker " + std::to_string(c.pid) + " (" + c.name + ")";
}

::testing::AssertionResult SettleWorkers(PoolMaster& pool) {
  for (size_t i = 0; i < pool.channels().size(); ++i) {
    std::optional<int> sent = pool.Send(i, TaskCode(0));
    if (!sent || *sent != 0) {
      return ::testing::AssertionFailure()
             << "sending a first task to " << WorkerName(pool.channels()[i])
             << " failed: " << (sent ? strerror(*sent) : pool.failure());
    }
  }
  size_t got = pool.ReadRecords(pool.channels().size()).size();
  if (got != pool.channels().size()) {
    return ::testing::AssertionFailure()
           << "only " << got << " of " << pool.channels().size() << " workers ran their first task";
  }
  for (const ChannelView& c : pool.channels()) {
    ::testing::AssertionResult asleep = WaitUntilBlocked(c.pid);
    if (!asleep) return asleep << " (" << WorkerName(c) << " after its first task)";
  }
  // Every worker waits for its next task again, so whatever its first one made has arrived: a
  // record more is a task run twice (RUNS_ONCE's fault), which would pollute what the test reads.
  size_t late = pool.DrainRecords().size();
  if (late > 0) {
    RecordBlocked("POOL.DISPATCH.RUNS_ONCE_IN_ORDER",
                  std::to_string(pool.channels().size()) + " first tasks made " +
                      std::to_string(pool.channels().size() + late) + " records");
    return ::testing::AssertionFailure() << "the workers ran their first tasks more than once";
  }
  return ::testing::AssertionSuccess();
}

bool WaitUntilDead(pid_t pid) {
  ipc::UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return false;
  pollfd p{pidfd.get(), POLLIN, 0};
  return poll(&p, 1, static_cast<int>(kEventBound.count())) == 1;
}

std::vector<std::vector<ipc::TaskCode>> CodesByChannel(const PoolMaster& pool,
                                                       const std::vector<TaskRecord>& records,
                                                       std::vector<std::string>* strangers) {
  std::vector<std::vector<ipc::TaskCode>> by_channel(pool.channels().size());
  for (const TaskRecord& r : records) {
    bool known = false;
    for (size_t i = 0; i < pool.channels().size() && !known; ++i) {
      if (pool.channels()[i].pid != r.pid) continue;
      by_channel[i].push_back(r.code);
      known = true;
    }
    if (!known) {
      strangers->push_back("task " + std::to_string(r.code) + " ran in process " +
                           std::to_string(r.pid) + ", which is no worker of the pool" +
                           (r.pid == pool.pid() ? " (it is the master)" : ""));
    }
  }
  return by_channel;
}

bool ShutdownDidNotFinish(const ShutdownResult& shutdown) {
  if (shutdown.finished) return false;
  RecordBlocked("POOL.SHUTDOWN.FORWARD_LOOP_ENDS",
                "Shutdown() did not finish: " + shutdown.diagnosis);
  return true;
}

bool RanSomeTwice(const PoolMaster& pool, const std::vector<std::vector<ipc::TaskCode>>& ran,
                  const std::vector<std::vector<ipc::TaskCode>>& sent) {
  for (size_t i = 0; i < ran.size() && i < sent.size(); ++i) {
    // Twice in a row, and not merely the first tasks in order (codes may repeat).
    bool prefix = ran[i].size() <= sent[i].size() &&
                  std::equal(ran[i].begin(), ran[i].end(), sent[i].begin());
    bool doubled = ran[i].size() >= 2 && !prefix;
    for (size_t j = 0; doubled && j < ran[i].size(); ++j) {
      doubled = j / 2 < sent[i].size() && ran[i][j] == sent[i][j / 2];
    }
    if (ran[i].size() <= sent[i].size() && !doubled) continue;
    RecordBlocked("POOL.DISPATCH.RUNS_ONCE_IN_ORDER",
                  WorkerName(pool.channels()[i]) + " ran " + std::to_string(ran[i].size()) +
                      " tasks where " + std::to_string(sent[i].size()) + " were sent to it" +
                      (doubled ? ", each twice" : ""));
    return true;
  }
  return false;
}

::testing::AssertionResult AsleepInReadOnStdin(pid_t pid) {
  const BlockedIn in_read_on_stdin{SYS_read, 0};
  ::testing::AssertionResult asleep = WaitUntilBlocked(pid);
  if (!asleep) return asleep;
  ProcessState state = ReadProcessState(pid);
  bool elsewhere = state.sleeping() && state.syscall_nr && !state.syscall_args.empty() &&
                   (*state.syscall_nr != SYS_read || state.syscall_args[0] != 0);
  if (elsewhere && StaysBlocked(pid, {*state.syscall_nr, static_cast<int>(state.syscall_args[0])},
                                kQuietWindow)) {
    return ::testing::AssertionFailure() << "it sleeps elsewhere for good: " << state.Describe();
  }
  return WaitUntilBlocked(pid, in_read_on_stdin);
}

std::string EveryNthTask(int n) {
  if (n == 1) return "every task";
  int tens = n % 100, ones = n % 10;
  const char* suffix = (tens >= 11 && tens <= 13) ? "th"
                       : ones == 1                ? "st"
                       : ones == 2                ? "nd"
                       : ones == 3                ? "rd"
                                                  : "th";
  return "every " + std::to_string(n) + suffix + " task";
}

std::string CodesText(const std::vector<ipc::TaskCode>& codes) {
  constexpr size_t kShown = 8;
  std::string out = "[";
  for (size_t k = 0; k < codes.size() && k < kShown; ++k) {
    out += (k ? ", " : "") + std::to_string(codes[k]);
  }
  if (codes.size() > kShown) out += ", ... " + std::to_string(codes.size()) + " in all";
  return out + "]";
}

std::vector<std::string> RanOtherwise(const PoolMaster& pool,
                                      const std::vector<std::vector<ipc::TaskCode>>& ran,
                                      const std::vector<std::vector<ipc::TaskCode>>& expected) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ran.size() && i < expected.size(); ++i) {
    if (ran[i] != expected[i]) {
      out.push_back(WorkerName(pool.channels()[i]) + " ran " + CodesText(ran[i]) + " for " +
                    CodesText(expected[i]));
    }
  }
  return out;
}

std::string BoundedList(const std::vector<std::string>& items, size_t of) {
  if (items.empty()) return "";
  return std::to_string(items.size()) + " of " + std::to_string(of) + ":\n" + Lines(items, 3);
}

}  // namespace ipcconf
