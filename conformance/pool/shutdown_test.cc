// Shutting down in one forward loop (close channel i, wait for worker i): it ends for any N only
// if no worker holds another channel's write end. A hang is a failed test that names who holds
// what, the deadlock when /proc proves one, and every process's state, before the workers are
// killed.
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

class PoolShutdown : public PoolTest {
 protected:
  // A pool whose workers have each run a task, shut down.
  ShutdownResult RunAndShutDown(PoolMaster& pool) {
    EXPECT_EQ(pool.failure(), "");
    EXPECT_TRUE(SettleWorkers(pool));
    return pool.Shutdown();
  }
};

IPC_TEST_P(PoolShutdown, ForwardLoopEndsWithinBound, "POOL.SHUTDOWN.FORWARD_LOOP_ENDS") {
  PoolMaster pool(workers());
  ShutdownResult shutdown = RunAndShutDown(pool);
  EXPECT_TRUE(shutdown.finished) << shutdown.diagnosis;
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolShutdown, EveryWorkerExitsWithStatusZero, "POOL.SHUTDOWN.WORKERS_EXIT_ZERO") {
  PoolMaster pool(workers());
  ShutdownResult shutdown = RunAndShutDown(pool);
  if (ShutdownDidNotFinish(shutdown)) return;
  ASSERT_EQ(shutdown.exits.size(), pool.channels().size()) << "Shutdown() must report every worker";
  for (size_t i = 0; i < shutdown.exits.size(); ++i) {
    const ipc::WorkerExit& e = shutdown.exits[i];
    const ChannelView& c = pool.channels()[i];
    EXPECT_EQ(e.name, c.name) << "exits are reported in channel order";
    EXPECT_EQ(e.pid, c.pid) << c.name;
    EXPECT_TRUE(WIFEXITED(e.status) && WEXITSTATUS(e.status) == 0)
        << WorkerName(c) << " must exit with status 0 once read() returns 0; it "
        << DescribeWaitStatus(e.status);
  }
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolShutdown, NoZombieRemains, "POOL.SHUTDOWN.NO_ZOMBIE") {
  PoolMaster pool(workers());
  ShutdownResult shutdown = RunAndShutDown(pool);
  if (ShutdownDidNotFinish(shutdown)) return;
  std::vector<std::string> left;
  for (pid_t p : ChildrenOf(pool.pid())) left.push_back(ReadProcessState(p).Describe());
  EXPECT_THAT(left, ::testing::IsEmpty()) << "children of the master after Shutdown()";
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

IPC_TEST_P(PoolShutdown, MasterFdTableIsRestored, "POOL.SHUTDOWN.MASTER_FDS_RESTORED") {
  PoolMaster pool(workers());
  ShutdownResult shutdown = RunAndShutDown(pool);
  if (ShutdownDidNotFinish(shutdown)) return;
  EXPECT_THAT(shutdown.fd_changes, ::testing::IsEmpty())
      << "the master's fd table after Shutdown() must be the one before the pool";
  EXPECT_TRUE(ExitedWith(pool.Exit(), 0));
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolShutdown, ::testing::ValuesIn(kPoolSizes), PoolSizeName);

}  // namespace
}  // namespace ipcconf
