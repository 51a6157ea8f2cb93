// Who holds which end of the pool's pipes, read from /proc/PID/fd and /proc/PID/fdinfo once
// every worker has run a task and sleeps again.
#include <fcntl.h>
#include <sys/syscall.h>

#include <string>
#include <vector>

#include "conformance/pool/pool_fixture.h"
#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/proc.h"

namespace ipcconf {
namespace {

class PoolFds : public PoolTest {};

IPC_TEST_P(PoolFds, WorkerStdinIsItsOwnReadEnd, "POOL.WORKER.STDIN_IS_OWN_READ_END") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  std::vector<std::string> wrong;  // bounded in the message: 64 workers may all be wrong
  for (const ChannelView& c : pool.channels()) {
    FdTable fds = ReadFdTable(c.pid);
    std::optional<int> flags = ReadFdFlags(c.pid, 0);
    std::string fd0 = fds.count(0) ? fds[0] : "nothing";
    if (fd0 != c.pipe) {
      wrong.push_back(WorkerName(c) + ": fd 0 is " + fd0 + ", not the read end of " + c.name +
                      " (" + c.pipe + ", dup2'ed onto standard input)");
    } else if (!flags || (*flags & O_ACCMODE) != O_RDONLY) {
      wrong.push_back(WorkerName(c) + ": fd 0 must be open O_RDONLY (the read end), flags are " +
                      (flags ? std::to_string(*flags) : "unreadable"));
    }
    for (const auto& [fd, target] : fds) {
      if (fd != 0 && target == c.pipe) {
        wrong.push_back(WorkerName(c) + " still holds its own channel's pipe on fd " +
                        std::to_string(fd) +
                        " besides fd 0: the original fd must be closed "
                        "after dup2");
      }
    }
  }
  if (!wrong.empty())
    ADD_FAILURE() << "workers whose standard input is not their own read end alone: "
                  << BoundedList(wrong, pool.channels().size());
}

IPC_TEST_P(PoolFds, NoWorkerHoldsAnotherChannelsEnd, "POOL.WORKER.NO_FOREIGN_END") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  std::vector<std::string> foreign = ForeignPoolEnds(pool.channels());
  if (!foreign.empty()) ADD_FAILURE() << Lines(foreign);
}

IPC_TEST_P(PoolFds, MasterHoldsExactlyTheWriteEnds, "POOL.MASTER.WRITE_ENDS_ONLY") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  ASSERT_TRUE(SettleWorkers(pool));
  FdTable fds = ReadFdTable(pool.pid());
  std::vector<std::string> wrong;  // bounded in the message: 64 channels may all be wrong
  for (const ChannelView& c : pool.channels()) {
    std::vector<int> held;
    for (const auto& [fd, target] : fds) {
      if (target == c.pipe) held.push_back(fd);
    }
    std::optional<int> flags = ReadFdFlags(pool.pid(), c.write_fd);
    if (held != std::vector<int>{c.write_fd}) {
      std::string fds_held;
      for (int fd : held) fds_held += (fds_held.empty() ? "" : ", ") + std::to_string(fd);
      wrong.push_back(c.name + "'s pipe is held on fd(s) [" + fds_held + "], not on exactly its " +
                      "write_fd " + std::to_string(c.write_fd) +
                      " (a second fd would hide end-of-file or EPIPE)");
    } else if (!flags || (*flags & O_ACCMODE) != O_WRONLY) {
      wrong.push_back("fd " + std::to_string(c.write_fd) + " for " + c.name +
                      " must be the write end (O_WRONLY); flags " +
                      (flags ? std::to_string(*flags) : "unreadable"));
    }
  }
  if (!wrong.empty())
    ADD_FAILURE() << "the master " << pool.pid()
                  << " must hold each channel's write end and nothing else of it: "
                  << BoundedList(wrong, pool.channels().size());
}

IPC_TEST_P(PoolFds, IdleWorkersWaitInReadOnStdin, "POOL.WORKER.WAITS_IN_READ") {
  PoolMaster pool(workers());
  ASSERT_EQ(pool.failure(), "");
  // ASSERT: a worker sleeping elsewhere costs the whole bound, once is enough to tell.
  for (const ChannelView& c : pool.channels()) {
    ASSERT_TRUE(AsleepInReadOnStdin(c.pid)) << WorkerName(c);
  }
  ASSERT_TRUE(SettleWorkers(pool));
  for (const ChannelView& c : pool.channels()) {
    ASSERT_TRUE(AsleepInReadOnStdin(c.pid)) << WorkerName(c) << " after a task";
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, PoolFds, ::testing::ValuesIn(kPoolSizes), PoolSizeName);

}  // namespace
}  // namespace ipcconf
