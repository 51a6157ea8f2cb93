// What the FIFO tests share: a FIFO node in the test's directory, opening it by
// path in a child process, and checking that a child's open returns without
// waiting. The helpers that merely USE a facility (make the node, open its ends,
// remove it) probe it at once and record the test blocked by that facility's
// assertion when it misbehaves, instead of letting the test fail or wait out
// its bounds.
#ifndef IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_
#define IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_

#include <sys/types.h>

#include <functional>
#include <string>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {

// A FIFO made with mkfifo() under TestTmpDir(); removed at the end if the test
// did not. A mkfifo() that succeeds without making a FIFO blocks the test by
// FIFO.MKFIFO.CREATES_FIFO (ok() is false then).
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

// Cleanup of a FIFO's name by unlink(). One that reports success and leaves the
// name blocks the test by FIFO.UNLINK.NAME_GONE; the name is then removed by
// the raw system call, so the leak guard finds nothing left.
void RemoveFifoName(const std::string &path);

// True if `fd` is the FIFO named `path` (same device and inode): an open by
// path led to the FIFO itself, not to some other pipe.
bool IsFifoAt(int fd, const std::string &path);
// The exit status of a child whose open by path gave a descriptor that is not
// the FIFO there (see IsFifoAt).
inline constexpr int kNotTheFifo = 98;
// The exit status of a child whose open failed: kOpenFailed + errno.
inline constexpr int kOpenFailed = 100;

// The blocking-open assertion of `access`: FIFO.OPEN.RDONLY_WAITS_FOR_WRITER or
// FIFO.OPEN.WRONLY_WAITS_FOR_READER.
const char *WaitsForPeerAssertion(int access);

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
// hold "the other end" of a FIFO. An open that fails blocks the test by its
// assertion (FIFO.OPEN.RDONLY_NONBLOCK_AT_ONCE, FIFO.OPEN.WRONLY_NONBLOCK_WITH_READER);
// one that gives something else than the FIFO by FIFO.PATH.UNRELATED_PROCESSES.
// The ends that could not be had are left invalid.
struct HeldEnds {
  ipc::UniqueFd read;
  ipc::UniqueFd write;
};
HeldEnds HoldReaderOnly(const std::string &path);
HeldEnds HoldBothEnds(const std::string &path);
// A writer with no reader left: both ends opened, then the reader closed.
HeldEnds HoldWriterOnly(const std::string &path);

// Waits until `opener` (a child that opens its end of the FIFO, then sends one
// byte on `opened`) has opened, and says so. When it ends first (exit
// kOpenFailed + errno, or kNotTheFifo) or does not open within the bound, the
// test is recorded blocked by `assertion` (the open it makes) or
// FIFO.PATH.UNRELATED_PROCESSES, `what` naming the open, and false is returned.
bool AwaitOpened(Child &opener, Handshake &opened, const char *assertion, const std::string &what);

// Succeeds once `pid` sleeps in openat(): an open waiting for its peer. Fails
// as soon as the process ends or is seen asleep in another call (its open
// returned), naming what it does; otherwise after kEventBound.
::testing::AssertionResult SleepsInOpen(pid_t pid);

// Succeeds if `child` ends with exit status 0 without being seen asleep for a
// quiet window: the call it makes returned at once. If it sleeps, the failure names where,
// and the child is killed.
::testing::AssertionResult EndsWithoutWaiting(Child &child, const std::string &what);

}  // namespace ipcconf

#endif  // IPCCONF_CONFORMANCE_FIFO_FIFO_NODE_H_
