// What the FIFO tests share: a FIFO node in the test's directory, opening it by
// path in a child process, and checking that a child's open returns without
// waiting.
#ifndef IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_
#define IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {

// A FIFO made with mkfifo() under TestTmpDir(); unlinked at the end if the test
// did not.
class FifoNode {
 public:
  explicit FifoNode(const std::string &name = "fifo", mode_t mode = 0600);
  ~FifoNode();
  FifoNode(const FifoNode &) = delete;
  FifoNode &operator=(const FifoNode &) = delete;
  const std::string &path() const { return path_; }
  const char *c_str() const { return path_.c_str(); }
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool ok_ = false;
};

// A path under TestTmpDir() that does not exist yet.
std::string FreshPath(const std::string &name);

// How a process opens its end of the FIFO by path.
enum class OpenWay {
  kBlocking,           // open(O_RDONLY) / open(O_WRONLY): waits for the other end
  kNonBlockThenClear,  // with O_NONBLOCK (the reader first), then O_NONBLOCK
                       // cleared
};
std::string OpenWayName(const ::testing::TestParamInfo<OpenWay> &info);

// open(path, access) the given way; O_NONBLOCK is clear on the result. -1 and
// errno on failure.
int OpenEnd(const std::string &path, int access, OpenWay way);

// The test process's own pair of ends, opened without waiting (reader
// O_RDONLY|O_NONBLOCK, then writer O_WRONLY|O_NONBLOCK): posix-profile ways to
// hold "the other end" of a FIFO.
struct HeldEnds {
  ipc::UniqueFd read;
  ipc::UniqueFd write;
};
HeldEnds HoldReaderOnly(const std::string &path);
HeldEnds HoldBothEnds(const std::string &path);
// A writer with no reader left: both ends opened, then the reader closed.
HeldEnds HoldWriterOnly(const std::string &path);

// Succeeds if `child` ends with exit status 0 without ever being seen asleep:
// the call it makes returned at once. If it sleeps, the failure names where,
// and the child is killed.
::testing::AssertionResult EndsWithoutWaiting(Child &child, const std::string &what);

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_
