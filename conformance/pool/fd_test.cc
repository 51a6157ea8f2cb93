// Who holds which end of the pool's pipes, read from /proc/PID/fd and /proc/PID/fdinfo once
// every worker has run a task and sleeps again.
#include <fcntl.h>
#include <sys/syscall.h>

#include <string>
#include <vector>

#include "conformance/pool/pool_fixture.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/proc.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class PoolFds : public PoolTest {};

IPC_TEST_P(PoolFds, WorkerStdinIsItsOwnReadEnd, "POOL.WORKER.STDIN_IS_OWN_READ_END") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  for (const ChannelView& c : pool.channels()) {
    FdTable fds = ReadFdTable(c.pid);
    std::optional<int> flags = ReadFdFlags(c.pid, 0);
    EXPECT_EQ(fds.count(0) ? fds[0] : "nothing", c.pipe)
        << WorkerName(c) << ": fd 0 must be the read end of " << c.name << " (dup2'ed onto "
        << "standard input)";
    EXPECT_TRUE(flags && (*flags & O_ACCMODE) == O_RDONLY)
        << WorkerName(c) << ": fd 0 must be open O_RDONLY (the read end), flags are "
        << (flags ? std::to_string(*flags) : "unreadable");
    for (const auto& [fd, target] : fds) {
      EXPECT_TRUE(fd == 0 || target != c.pipe)
          << WorkerName(c) << " still holds its own channel's pipe on fd " << fd
          << " besides fd 0: the original fd must be closed after dup2";
    }
  }
}

IPC_TEST_P(PoolFds, NoWorkerHoldsAnotherChannelsEnd, "POOL.WORKER.NO_FOREIGN_END") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  std::vector<std::string> foreign = ForeignPoolEnds(pool.channels());
  EXPECT_TRUE(foreign.empty()) << Lines(foreign);
}

IPC_TEST_P(PoolFds, MasterHoldsExactlyTheWriteEnds, "POOL.MASTER.WRITE_ENDS_ONLY") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  FdTable fds = ReadFdTable(pool.pid());
  for (const ChannelView& c : pool.channels()) {
    std::vector<int> held;
    for (const auto& [fd, target] : fds) {
      if (target == c.pipe) held.push_back(fd);
    }
    EXPECT_EQ(held, std::vector<int>{c.write_fd})
        << "the master " << pool.pid() << " must hold " << c.name << "'s pipe on exactly its "
        << "write_fd " << c.write_fd << " (a second fd would hide end-of-file or EPIPE)";
    std::optional<int> flags = ReadFdFlags(pool.pid(), c.write_fd);
    EXPECT_TRUE(flags && (*flags & O_ACCMODE) == O_WRONLY)
        << "the master's fd " << c.write_fd << " for " << c.name
        << " must be the write end (O_WRONLY); flags "
        << (flags ? std::to_string(*flags) : "unreadable");
  }
}

IPC_TEST_P(PoolFds, IdleWorkersWaitInReadOnStdin, "POOL.WORKER.WAITS_IN_READ") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  // ASSERT: a worker sleeping elsewhere costs the whole bound, once is enough to tell.
  for (const ChannelView& c : pool.channels()) {
    ASSERT_TRUE(WaitUntilBlocked(c.pid, {SYS_read, 0})) << WorkerName(c);
  }
  ASSERT_TRUE(SettleWorkers(pool));
  for (const ChannelView& c : pool.channels()) {
    ASSERT_TRUE(WaitUntilBlocked(c.pid, {SYS_read, 0})) << WorkerName(c) << " after a task";
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolFds, ::testing::ValuesIn(kPoolSizes), PoolSizeName);

}  // namespace
}  // namespace ipcconf
