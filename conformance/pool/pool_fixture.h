// What every pool test shares: the number of workers as the parameter, and the steps that bring
// a pool to a known state before it is inspected.
#ifndef IPCCONF_CONFORMANCE_POOL_POOL_FIXTURE_H_
#define IPCCONF_CONFORMANCE_POOL_POOL_FIXTURE_H_

#include <string>
#include <vector>

#include "conformance/pool/pool_master.h"
#include "gtest/gtest.h"

namespace ipcconf {

class PoolTest : public ::testing::TestWithParam<int> {
 protected:
  int workers() const { return GetParam(); }
};

// Pool sizes: the lone worker, the smallest and an odd pool where one worker inherits from
// another, a typical pool, and a large one.
inline constexpr int kPoolSizes[] = {1, 2, 3, 8, 64};
std::string PoolSizeName(const ::testing::TestParamInfo<int>& info);

// Sends one task to each worker and waits for all of them to run and sleep again: every worker
// is past its set-up (its closes and dup2) once this returns true.
::testing::AssertionResult SettleWorkers(PoolMaster& pool);

// "worker 4127 (Channel-2)".
std::string WorkerName(const ChannelView& c);

// Waits (bounded) until `pid` has ended; true if it did.
bool WaitUntilDead(pid_t pid);

// The records grouped by the channel whose worker sent them; records from any other process are
// reported in `strangers`.
std::vector<std::vector<ipc::TaskCode>> CodesByChannel(const PoolMaster& pool,
                                                       const std::vector<TaskRecord>& records,
                                                       std::vector<std::string>* strangers);

// True, with the test recorded as blocked by POOL.SHUTDOWN.FORWARD_LOOP_ENDS, when Shutdown()
// did not finish: what a test checks after it cannot be observed (shutting down is that
// assertion's business).
bool ShutdownDidNotFinish(const ShutdownResult& shutdown);

// Succeeds once `pid` sleeps in read() on fd 0. A worker asleep in another call (read() on
// another fd, say) that stays there for kQuietWindow is there for good, since an idle worker
// gets no input meanwhile: that fails at once instead of after the whole bound.
::testing::AssertionResult AsleepInReadOnStdin(pid_t pid);
// "every task" for 1, else "every 2nd task", "every 3rd task", "every 64th task".
std::string EveryNthTask(int n);
// The codes as "[3, 1, 4]", at most 8 of them ("[3, 1, 4, 1, 5, 9, 2, 6, ... 40 in all]").
std::string CodesText(const std::vector<ipc::TaskCode>& codes);
// One line per worker that did not run exactly `expected[i]`: "Channel-1 (worker 12) ran
// [3, 1] for [3]".
std::vector<std::string> RanOtherwise(const PoolMaster& pool,
                                      const std::vector<std::vector<ipc::TaskCode>>& ran,
                                      const std::vector<std::vector<ipc::TaskCode>>& expected);
// What went wrong, bounded for 64 workers: "64 of 64:" and the first 3 lines, then "... and
// 61 more" (Lines); "" when nothing did.
std::string BoundedList(const std::vector<std::string>& items, size_t of);

// True, with the test recorded as blocked by POOL.DISPATCH.RUNS_ONCE_IN_ORDER, when a worker ran
// more tasks than were sent to its channel (`sent`), or ran them each twice in a row: a pool that
// runs tasks twice makes every count wrong, and that is the fault of running once, not of what
// the caller checks.
bool RanSomeTwice(const PoolMaster& pool, const std::vector<std::vector<ipc::TaskCode>>& ran,
                  const std::vector<std::vector<ipc::TaskCode>>& sent);

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_POOL_POOL_FIXTURE_H_
