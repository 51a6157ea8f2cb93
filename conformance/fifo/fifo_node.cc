#include "conformance/fifo/fifo_node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/blocked.h"
#include "harness/leak_guard.h"
#include "harness/pipe_kinds.h"
#include "harness/syscall.h"

namespace ipcconf {

std::string FreshPath(const std::string &name) { return TestTmpDir() + "/" + name; }

FifoNode::FifoNode(const std::string &name, mode_t mode) : path_(FreshPath(name)) {
  ok_ = mkfifo(path_.c_str(), mode) == 0;
  if (!ok_) ADD_FAILURE() << "mkfifo(" << path_ << ") failed: " << ErrnoName(errno);
}

FifoNode::~FifoNode() { unlink(path_.c_str()); }  // ENOENT when the test removed it: fine

std::string OpenWayName(const ::testing::TestParamInfo<OpenWay> &info) {
  return info.param == OpenWay::kBlocking ? "blocking_open" : "nonblock_open";
}

int OpenEnd(const std::string &path, int access, OpenWay way) {
  if (way == OpenWay::kBlocking) return open(path.c_str(), access);
  int fd = open(path.c_str(), access | O_NONBLOCK);
  if (fd >= 0) SetNonBlocking(fd, false);
  return fd;
}

HeldEnds HoldReaderOnly(const std::string &path) {
  HeldEnds ends;
  ends.read.reset(open(path.c_str(), O_RDONLY | O_NONBLOCK));
  if (!ends.read) ADD_FAILURE() << "open(O_RDONLY|O_NONBLOCK) failed: " << ErrnoName(errno);
  return ends;
}

HeldEnds HoldBothEnds(const std::string &path) {
  HeldEnds ends = HoldReaderOnly(path);
  ends.write.reset(open(path.c_str(), O_WRONLY | O_NONBLOCK));
  if (!ends.write) ADD_FAILURE() << "open(O_WRONLY|O_NONBLOCK) failed: " << ErrnoName(errno);
  return ends;
}

HeldEnds HoldWriterOnly(const std::string &path) {
  HeldEnds ends = HoldBothEnds(path);
  ends.read.reset();
  return ends;
}

::testing::AssertionResult EndsWithoutWaiting(Child &child, const std::string &what) {
  if (WaitUntilBlocked(child.pid(), {})) {
    std::string where = DescribeProcessGroup(child.pid());
    child.Kill();
    return ::testing::AssertionFailure()
           << what << " should return at once, but the process waits: " << where;
  }
  return ExitedWith(child.Wait(), 0) << " (" << what << ")";
}

}  // namespace ipcconf
