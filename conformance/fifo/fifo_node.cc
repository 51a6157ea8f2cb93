#include "conformance/fifo/fifo_node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <sstream>

#include "harness/blocked.h"
#include "harness/leak_guard.h"
#include "harness/pipe_kinds.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf {

std::string FreshPath(const std::string &name) { return TestTmpDir() + "/" + name; }

FifoNode::FifoNode(const std::string &name, mode_t mode) : path_(FreshPath(name)) {
  if (mkfifo(path_.c_str(), mode) != 0) {
    ADD_FAILURE() << "mkfifo(" << path_ << ") failed: " << ErrnoName(errno);
    return;
  }
  struct stat st = {};
  if (lstat(path_.c_str(), &st) != 0 || !S_ISFIFO(st.st_mode)) {
    std::ostringstream seen;
    seen << "mkfifo(" << path_ << ") returned 0 but made no FIFO (lstat: mode 0" << std::oct
         << st.st_mode << ")";
    RecordBlocked("FIFO.MKFIFO.CREATES_FIFO", seen.str());
    return;
  }
  ok_ = true;
}

FifoNode::~FifoNode() {
  struct stat st;
  if (lstat(path_.c_str(), &st) == 0) RemoveFifoName(path_);  // the test may have removed it
}

void RemoveFifoName(const std::string &path) {
  int r = unlink(path.c_str());
  struct stat st;
  if (r == 0 && lstat(path.c_str(), &st) == 0) {
    RecordBlocked("FIFO.UNLINK.NAME_GONE",
                  "unlink(" + path + ") reported success but the name is still there");
  }
  syscall(SYS_unlinkat, AT_FDCWD, path.c_str(), 0);  // ENOENT when unlink() worked: fine
}

bool IsFifoAt(int fd, const std::string &path) {
  struct stat by_fd, by_path;
  return fstat(fd, &by_fd) == 0 && stat(path.c_str(), &by_path) == 0 && S_ISFIFO(by_fd.st_mode) &&
         by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

const char *WaitsForPeerAssertion(int access) {
  return access == O_RDONLY ? "FIFO.OPEN.RDONLY_WAITS_FOR_WRITER"
                            : "FIFO.OPEN.WRONLY_WAITS_FOR_READER";
}

std::string OpenWayName(const ::testing::TestParamInfo<OpenWay> &info) {
  return info.param == OpenWay::kBlocking ? "blocking_open" : "nonblock_open";
}

int OpenEnd(const std::string &path, int access, OpenWay way) {
  if (way == OpenWay::kBlocking) return open(path.c_str(), access);
  int fd = open(path.c_str(), access | O_NONBLOCK);
  if (fd >= 0) SetNonBlocking(fd, false);
  return fd;
}

namespace {

// Opens `path` with `flags` for the test process; on failure or when the result
// is not the FIFO, records the test blocked (by `assertion`, or by
// FIFO.PATH.UNRELATED_PROCESSES) and returns an invalid fd.
ipc::UniqueFd HoldEnd(const std::string &path, int flags, const char *assertion,
                      const std::string &what) {
  ipc::UniqueFd fd(open(path.c_str(), flags));
  if (!fd) {
    RecordBlocked(assertion, what + " of " + path + " failed with " + ErrnoName(errno));
  } else if (!IsFifoAt(fd.get(), path)) {
    RecordBlocked("FIFO.PATH.UNRELATED_PROCESSES",
                  what + " of " + path + " gave a descriptor that is not that FIFO");
    fd.reset();
  }
  return fd;
}

}  // namespace

HeldEnds HoldReaderOnly(const std::string &path) {
  HeldEnds ends;
  ends.read = HoldEnd(path, O_RDONLY | O_NONBLOCK, "FIFO.OPEN.RDONLY_NONBLOCK_AT_ONCE",
                      "open(O_RDONLY|O_NONBLOCK)");
  return ends;
}

HeldEnds HoldBothEnds(const std::string &path) {
  HeldEnds ends = HoldReaderOnly(path);
  if (!ends.read) return ends;
  ends.write = HoldEnd(path, O_WRONLY | O_NONBLOCK, "FIFO.OPEN.WRONLY_NONBLOCK_WITH_READER",
                       "open(O_WRONLY|O_NONBLOCK) with this process holding a reader");
  return ends;
}

HeldEnds HoldWriterOnly(const std::string &path) {
  HeldEnds ends = HoldBothEnds(path);
  ends.read.reset();
  return ends;
}

bool AwaitOpened(Child &opener, Handshake &opened, const char *assertion, const std::string &what) {
  bool got = false;
  bool timed_out = !PollUntil([&]() {
    got = opened.Receive(nullptr, Millis(0));
    return got || opener.EndsWithin(Millis(0));
  });
  if (got || opened.Receive(nullptr, Millis(0))) return true;  // it opened, then ended
  if (timed_out) {
    RecordBlocked(assertion, what + " did not return within " +
                                 std::to_string(kEventBound.count()) +
                                 " ms: " + DescribeProcessGroup(opener.pid()));
    return false;
  }
  Outcome o = opener.Wait(Millis(0));
  if (o.kind == Outcome::Kind::kExited && o.code == kNotTheFifo) {
    RecordBlocked("FIFO.PATH.UNRELATED_PROCESSES",
                  what + " gave a descriptor that is not the FIFO at the path");
  } else if (o.kind == Outcome::Kind::kExited && o.code > kOpenFailed) {
    RecordBlocked(assertion, what + " failed with " + ErrnoName(o.code - kOpenFailed));
  } else {
    RecordBlocked(assertion,
                  "the process making " + what + " " + o.Describe() + " before its open returned");
  }
  return false;
}

::testing::AssertionResult SleepsInOpen(pid_t pid) {
  if (!HaveProcStat()) return WaitUntilBlocked(pid, {SYS_openat, std::nullopt});  // UNSUPPORTED
  ProcessState last;
  bool in_open = false;
  std::optional<long> other_call;  // the call other than openat it was last seen asleep in
  auto since = std::chrono::steady_clock::now();
  PollUntil([&]() {
    in_open = WaitUntilBlocked(pid, {SYS_openat, std::nullopt}, Millis(0));
    if (in_open) return true;
    last = ReadProcessState(pid);
    if (!last.exists || last.state == 'Z' || last.state == 'X') return true;
    // Asleep (interruptibly: not on disk I/O, as in exec) in one known call other than
    // openat for a whole quiet window: its open returned and it waits for something else.
    std::optional<long> call = last.state == 'S' ? last.syscall_nr : std::nullopt;
    if (call != other_call || !call) since = std::chrono::steady_clock::now();
    other_call = call;
    return call && std::chrono::steady_clock::now() - since >= kQuietWindow;
  });
  if (in_open) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected pid " << pid << " to sleep in openat (an open waiting for its peer), "
         << "but it was " << last.Describe();
}

::testing::AssertionResult EndsWithoutWaiting(Child &child, const std::string &what) {
  // Asleep for a whole quiet window, not for an instant (a page fault under load is not a wait).
  if (WaitUntilBlocked(child.pid(), {}) && StaysBlocked(child.pid(), {})) {
    std::string where = DescribeProcessGroup(child.pid());
    child.Kill();
    return ::testing::AssertionFailure()
           << what << " should return at once, but the process waits: " << where;
  }
  return ExitedWith(child.Wait(), 0) << " (" << what << ")";
}

}  // namespace ipcconf
