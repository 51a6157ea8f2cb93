// Dispatching tasks: round robin, each task once in its worker and in order, codes whole, and
// unknown codes reported. Which worker ran a task is told by the task itself (getpid()).
#include <string>
#include <vector>

#include "conformance/pool/pool_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/result_kind.h"

namespace ipcconf {
namespace {

class PoolDispatch : public PoolTest {};

IPC_TEST_P(PoolDispatch, DispatchGoesRoundRobin, "POOL.DISPATCH.ROUND_ROBIN") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  std::vector<ipc::TaskCode> codes;
  for (int k = 0; k < 3 * workers(); ++k) codes.push_back(TaskCode(k % kTaskCount));
  std::optional<std::vector<ipc::Delivery>> deliveries = pool.Dispatch(codes);
  ASSERT_TRUE(deliveries) << pool.failure();
  ASSERT_EQ(deliveries->size(), codes.size());
  std::vector<std::vector<ipc::TaskCode>> expected(workers());
  std::vector<std::string> misrouted;
  for (size_t k = 0; k < codes.size(); ++k) {
    const ipc::Delivery& d = (*deliveries)[k];
    if (d.channel != k % workers() || d.error != 0) {
      misrouted.push_back("code number " + std::to_string(k) + " went to channel " +
                          std::to_string(d.channel) + (d.error ? " with an error" : "") + ", not " +
                          std::to_string(k % workers()));
    }
    expected[k % workers()].push_back(codes[k]);
  }
  if (!misrouted.empty())
    ADD_FAILURE() << "Dispatch() must send its k-th code (from 0) to channel k mod " << workers()
                  << ", without error; it did not for " << BoundedList(misrouted, codes.size());
  std::vector<std::string> strangers;
  auto ran = CodesByChannel(pool, pool.ReadRecords(codes.size()), &strangers);
  EXPECT_THAT(strangers, ::testing::IsEmpty());
  if (RanSomeTwice(pool, ran, expected)) return;
  std::vector<std::string> wrong_share;
  for (int i = 0; i < workers(); ++i) {
    if (ran[i].size() != expected[i].size()) {
      wrong_share.push_back(WorkerName(pool.channels()[i]) + " ran " +
                            std::to_string(ran[i].size()) + " tasks, not " +
                            std::to_string(expected[i].size()));
    }
  }
  if (!wrong_share.empty())
    ADD_FAILURE() << "with round robin each worker runs " << EveryNthTask(workers())
                  << " (worker i from task i on); workers that did not: "
                  << BoundedList(wrong_share, workers());
}

IPC_TEST_P(PoolDispatch, EachTaskRunsOnceInItsWorkerInOrder, "POOL.DISPATCH.RUNS_ONCE_IN_ORDER") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  const int per_worker = 8;
  std::vector<std::vector<ipc::TaskCode>> sent(workers());
  for (int m = 0; m < per_worker; ++m) {
    for (int i = 0; i < workers(); ++i) {
      ipc::TaskCode code = TaskCode((i + m * 7) % kTaskCount);
      ASSERT_EQ(pool.Send(i, code), std::optional<int>(0)) << pool.failure();
      sent[i].push_back(code);
    }
  }
  std::vector<std::string> strangers;
  auto ran = CodesByChannel(pool, pool.ReadRecords(static_cast<size_t>(per_worker) * workers()),
                            &strangers);
  EXPECT_THAT(strangers, ::testing::IsEmpty());
  std::vector<std::string> out_of_order = RanOtherwise(pool, ran, sent);
  if (!out_of_order.empty())
    ADD_FAILURE()
        << "each worker must run the codes sent to it, each once, in order; workers that did not: "
        << BoundedList(out_of_order, workers());
  ShutdownResult shutdown = pool.Shutdown();
  if (ShutdownDidNotFinish(shutdown)) return;
  std::vector<std::string> late_strangers;
  auto extra = CodesByChannel(pool, pool.DrainRecords(), &late_strangers);
  std::vector<std::string> ran_more;
  for (int i = 0; i < workers(); ++i) {
    if (!extra[i].empty()) {
      ran_more.push_back(WorkerName(pool.channels()[i]) + " also ran " + CodesText(extra[i]));
    }
  }
  if (!ran_more.empty())
    ADD_FAILURE() << "workers ran tasks nobody sent them, or ran some twice: "
                  << BoundedList(ran_more, workers());
  EXPECT_THAT(late_strangers, ::testing::IsEmpty());
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolDispatch, BurstOfCodesArrivesWhole, "POOL.DISPATCH.CODES_WHOLE") {
  PoolMaster pool(workers(), /*capture_stderr=*/true);
  ASSERT_EQ(pool.failure(), "");
  // Enough that workers read while the master writes, so reads meet writes at every offset.
  const int rounds = 32;
  std::vector<ipc::TaskCode> codes;
  for (int k = 0; k < rounds * workers(); ++k) codes.push_back(TaskCode((k * 13) % kTaskCount));
  std::optional<std::vector<ipc::Delivery>> deliveries = pool.Dispatch(codes);
  ASSERT_TRUE(deliveries) << pool.failure();
  // Each code is expected where the library says it sent it (its Delivery), whatever the order
  // of channels: that order is ROUND_ROBIN's business, whole codes are this test's.
  IPCCONF_BLOCKED_BY_IF(deliveries->size() != codes.size(), "POOL.DISPATCH.ROUND_ROBIN",
                        "Dispatch of " + std::to_string(codes.size()) + " codes returned " +
                            std::to_string(deliveries->size()) + " deliveries");
  std::vector<std::vector<ipc::TaskCode>> expected(workers());
  for (size_t k = 0; k < codes.size(); ++k) {
    const ipc::Delivery& d = (*deliveries)[k];
    if (d.error == 0 && d.channel < expected.size()) expected[d.channel].push_back(codes[k]);
  }
  std::vector<std::string> strangers;
  auto ran = CodesByChannel(pool, pool.ReadRecords(codes.size()), &strangers);
  EXPECT_THAT(strangers, ::testing::IsEmpty());
  if (RanSomeTwice(pool, ran, expected)) return;
  std::vector<std::string> torn = RanOtherwise(pool, ran, expected);
  if (!torn.empty())
    ADD_FAILURE() << "a code missing from what a worker ran was torn (it became an "
                     "unknown code); workers whose codes did not arrive whole: "
                  << BoundedList(torn, workers());
  // Once the workers are gone, everything they read has been handled: a torn, split or padded
  // code shows up as an unknown one. (Shutting down is another assertion's.)
  ShutdownResult shutdown = pool.Shutdown();
  if (ShutdownDidNotFinish(shutdown)) return;
  EXPECT_THAT(pool.ReadStderr(), ::testing::Not(::testing::HasSubstr("unknown task code")))
      << "the workers read codes that were never sent";
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolDispatch, UnknownCodeIsReportedAndWorkerGoesOn, "POOL.TASK.UNKNOWN_REPORTED") {
  PoolMaster pool(workers(), /*capture_stderr=*/true);
  ASSERT_EQ(pool.failure(), "");
  std::vector<std::string> reports;
  for (int i = 0; i < workers(); ++i) {
    ASSERT_EQ(pool.Send(i, kUnknownCode), std::optional<int>(0)) << pool.failure();
    const ChannelView& c = pool.channels()[i];
    reports.push_back(c.name + " (worker " + std::to_string(c.pid) + "): unknown task code " +
                      std::to_string(kUnknownCode));
  }
  // The write of the code woke each worker (it runs until it sleeps again), so a worker asleep
  // in read() once more is done with the code, and its report, if it wrote one, is already
  // readable: no wait for a line that may never come. A worker that never sleeps again is
  // waited for (bounded), and one that ended is seen at once.
  std::vector<std::string> not_waiting;
  for (const ChannelView& c : pool.channels()) {
    ::testing::AssertionResult asleep = WaitUntilBlocked(c.pid);
    if (!asleep) not_waiting.push_back(WorkerName(c) + ": " + asleep.message());
  }
  std::string err = pool.ReadStderr();
  std::vector<std::string> silent;
  for (int i = 0; i < workers(); ++i) {
    if (err.find(reports[i]) == std::string::npos) silent.push_back(WorkerName(pool.channels()[i]));
  }
  if (!silent.empty())
    FAIL() << "each worker must report the unknown code on standard error, as \"" << reports[0]
           << "\"; silent: " << BoundedList(silent, workers()) << "\nstandard error began with:\n"
           << err.substr(0, 2000);
  if (!not_waiting.empty())
    FAIL() << "each worker must go on after an unknown code, waiting for the next one; workers "
              "that did not: "
           << BoundedList(not_waiting, workers());
  for (int i = 0; i < workers(); ++i) {
    ASSERT_EQ(pool.Send(i, TaskCode(i % kTaskCount)), std::optional<int>(0)) << pool.failure();
  }
  std::vector<std::string> strangers;
  auto ran = CodesByChannel(pool, pool.ReadRecords(workers()), &strangers);
  EXPECT_THAT(strangers, ::testing::IsEmpty());
  std::vector<std::vector<ipc::TaskCode>> sent;
  for (int i = 0; i < workers(); ++i) sent.push_back({TaskCode(i % kTaskCount)});
  if (RanSomeTwice(pool, ran, sent)) return;
  std::vector<std::string> stopped = RanOtherwise(pool, ran, sent);
  if (!stopped.empty())
    ADD_FAILURE() << "each worker must go on after an unknown code; workers that "
                     "did not: "
                  << BoundedList(stopped, workers());
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolDispatch, ::testing::ValuesIn(kPoolSizes), PoolSizeName);

}  // namespace
}  // namespace ipcconf
