// A worker that dies: it is reported with its pid and status, writing to it gives the master
// EPIPE (never a SIGPIPE death: the master runs with SIGPIPE at its default action), and the
// other workers still work and shut down cleanly.
#include <signal.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "conformance/pool/pool_fixture.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/proc.h"

namespace ipcconf {
namespace {

class PoolDeath : public PoolTest {
 protected:
  // Kills the worker in the middle of the pool and waits until it has ended.
  size_t KillOneWorker(PoolMaster& pool) {
    size_t victim = pool.channels().size() / 2;
    const ChannelView& c = pool.channels()[victim];
    EXPECT_EQ(kill(c.pid, SIGKILL), 0) << WorkerName(c);
    EXPECT_TRUE(WaitUntilDead(c.pid)) << WorkerName(c) << " did not die of SIGKILL";
    return victim;
  }
};

IPC_TEST_P(PoolDeath, KilledWorkerIsReportedWithPidAndSignal, "POOL.DEATH.REPORTED") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  size_t victim = KillOneWorker(pool);
  ShutdownResult shutdown = pool.Shutdown();
  if (ShutdownDidNotFinish(shutdown)) return;
  ASSERT_EQ(shutdown.exits.size(), pool.channels().size());
  const ipc::WorkerExit& e = shutdown.exits[victim];
  EXPECT_EQ(e.pid, pool.channels()[victim].pid);
  EXPECT_TRUE(WIFSIGNALED(e.status) && WTERMSIG(e.status) == SIGKILL)
      << WorkerName(pool.channels()[victim])
      << " was killed by SIGKILL and must be reported so; it is reported as "
      << DescribeWaitStatus(e.status);
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolDeath, SendingToDeadWorkerGivesEpipeNotSigpipe, "POOL.DEATH.SEND_GIVES_EPIPE") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  size_t victim = KillOneWorker(pool);
  std::optional<int> sent = pool.Send(victim, TaskCode(1));
  ASSERT_TRUE(sent) << "sending to a dead worker: " << pool.failure();
  EXPECT_EQ(*sent, EPIPE) << "sending to dead " << WorkerName(pool.channels()[victim])
                          << " must fail with EPIPE, got " << strerror(*sent);
  // The master answers a second time: a SIGPIPE held back until later did not kill it either.
  EXPECT_EQ(pool.Send(victim, TaskCode(2)), std::optional<int>(EPIPE)) << pool.failure();
}

IPC_TEST_P(PoolDeath, OtherWorkersRunAndShutDownCleanly, "POOL.DEATH.OTHERS_SHUT_DOWN") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  size_t victim = KillOneWorker(pool);
  for (size_t i = 0; i < pool.channels().size(); ++i) {
    if (i == victim) continue;
    ASSERT_EQ(pool.Send(i, TaskCode(3)), std::optional<int>(0)) << pool.failure();
  }
  std::vector<std::string> strangers;
  auto ran = CodesByChannel(pool, pool.ReadRecords(pool.channels().size() - 1), &strangers);
  EXPECT_THAT(strangers, ::testing::IsEmpty());
  std::vector<std::vector<ipc::TaskCode>> sent(pool.channels().size(), {TaskCode(3)});
  sent[victim].clear();
  if (RanSomeTwice(pool, ran, sent)) return;
  ShutdownResult shutdown = pool.Shutdown();
  if (ShutdownDidNotFinish(shutdown)) return;
  ASSERT_EQ(shutdown.exits.size(), pool.channels().size());
  std::vector<std::string> wrong;  // bounded in the message: 63 others may all be wrong
  for (size_t i = 0; i < pool.channels().size(); ++i) {
    if (i == victim) continue;
    const ChannelView& c = pool.channels()[i];
    if (ran[i] != std::vector<ipc::TaskCode>{TaskCode(3)}) {
      wrong.push_back(WorkerName(c) + " ran " + CodesText(ran[i]) + ", not [3]");
    }
    int status = shutdown.exits[i].status;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      wrong.push_back(WorkerName(c) + " must exit with status 0; it " + DescribeWaitStatus(status));
    }
  }
  if (!wrong.empty())
    ADD_FAILURE() << "with the worker of channel " << victim << " killed, the others: "
                  << BoundedList(wrong, 2 * (pool.channels().size() - 1));
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolDeath, ::testing::ValuesIn(kPoolSizes), PoolSizeName);

}  // namespace
}  // namespace ipcconf
