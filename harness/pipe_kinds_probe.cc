// MakePipe's probe of a new pipe (PipeCheck::kCarriesBytes, harness/pipe_kinds.h): each step
// exercises one facility the tests merely use, and names that facility's assertion when it
// misbehaves, so that a test blocked by it says so at once.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "harness/assertions.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf {
namespace {

// F_GETFL access mode of `fd`, -1 on error.
int AccessMode(int fd) {
  int fl = fcntl(fd, F_GETFL);
  return fl < 0 ? -1 : fl & O_ACCMODE;
}

bool IsNonBlocking(int fd) { return fcntl(fd, F_GETFL) & O_NONBLOCK; }

// What a child forked now finds of the ends `r` and `w` ("" when it holds both). Probed once per
// process: what fork() does with pipe ends does not change from one pipe to the next.
const std::string& ForkedChildLosesEnds(int r, int w) {
  static const std::string* seen = nullptr;
  if (seen) return *seen;
  pid_t pid = fork();
  if (pid == 0) _exit(fcntl(r, F_GETFD) == -1 || fcntl(w, F_GETFD) == -1 ? 1 : 0);
  int status = 0;
  for (int tries = 0; pid > 0 && tries < 100 && waitpid(pid, &status, 0) < 0 && errno == EINTR;
       ++tries) {
  }
  seen = new std::string(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1
                             ? "a child forked after pipe() finds its inherited ends closed"
                             : "");
  return *seen;
}

// What a reader finds when the last writer has closed with bytes still in a pipe ("" when it
// gets them before end of file). Probed once per process on a pipe of its own: whether end of
// file waits for the bytes does not change from one pipe to the next, and a test's pipe cannot
// lose its writer to a probe. Only the defect is named: a read() that returns 0 (end of file)
// while the bytes are still queued. What a read() at end of file returns otherwise is left to
// the tests of end of file.
const std::string& EndOfFileComesBeforeTheBytes() {
  static std::string* seen = nullptr;
  if (seen) return *seen;
  seen = new std::string();
  int fds[2];
  if (pipe(fds) != 0) return *seen;
  int r = fds[0], w = fds[1];
  if (AccessMode(r) == O_WRONLY && AccessMode(w) == O_RDONLY) std::swap(r, w);  // swapped ends
  ssize_t put = write(w, "ab", 2);
  close(w);
  int before = -1, after = -1;
  if (ioctl(r, FIONREAD, &before) != 0) before = -1;
  SetNonBlocking(r, true);  // the bytes are there or not: nothing to wait for
  char got[2];
  ssize_t n = read(r, got, sizeof got);
  if (ioctl(r, FIONREAD, &after) != 0) after = -1;
  close(r);
  if (put == 2 && before == 2 && n == 0 && after > 0) {
    *seen = "after 2 bytes were written and the only write end closed, read() returned 0 (end "
            "of file) with " + std::to_string(after) + " bytes still in the pipe (FIONREAD)";
  }
  return *seen;
}

// The empty pipe takes PIPE_BUF bytes (as fpathconf reports it) in one O_NONBLOCK write; they
// are read back, leaving it empty. False (and `blocked` called) when it does not.
template <typename Blocked>
bool TakesPipeBuf(int r, int w, Blocked blocked) {
  long pipe_buf = fpathconf(w, _PC_PIPE_BUF);
  if (pipe_buf < 512 || pipe_buf > (1 << 20)) return true;  // PipeBufForSizing's business
  std::vector<char> bytes(static_cast<size_t>(pipe_buf), 'c');
  const bool write_was_nonblocking = IsNonBlocking(w), read_was_nonblocking = IsNonBlocking(r);
  SetNonBlocking(w, true);
  errno = 0;
  ssize_t put = write(w, bytes.data(), bytes.size());
  int error = errno;
  SetNonBlocking(w, write_was_nonblocking);
  SetNonBlocking(r, true);
  for (ssize_t left = std::max<ssize_t>(put, 0), n = 1, reads = 0; left > 0 && n > 0 && reads < 64;
       left -= n, ++reads) {
    n = read(r, bytes.data(), static_cast<size_t>(left));
  }
  SetNonBlocking(r, read_was_nonblocking);
  if (put == pipe_buf) return true;
  return blocked("PIPE.CAPACITY.AT_LEAST_PIPE_BUF",
                 "an O_NONBLOCK write() of PIPE_BUF (" + std::to_string(pipe_buf) +
                     ") bytes into the empty pipe returned " + std::to_string(put) +
                     (put < 0 ? " (" + ErrnoName(error) + ")" : ""));
}

}  // namespace

bool ProbeNewPipe(int r, int w, PipeCheck check) {
  if (InFifoArea()) return true;  // only the pipe area's assertions can be named here
  auto blocked = [](const char* id, const std::string& seen) {
    RecordBlocked(id, "probing the new pipe: " + seen);
    return false;
  };
  int read_mode = AccessMode(r), write_mode = AccessMode(w);
  if (check == PipeCheck::kEndsAsGiven && read_mode == O_WRONLY && write_mode == O_RDONLY) {
    std::swap(r, w);  // the test judges the swap itself; probe the pipe the right way round
  } else if (read_mode == O_WRONLY || write_mode == O_RDONLY) {
    return blocked("PIPE.DIR.ACCESS_MODES",
                   "fildes[0] has access mode " + std::to_string(read_mode) + " and fildes[1] " +
                       std::to_string(write_mode) + " (O_RDONLY 0, O_WRONLY 1): the read end " +
                       "cannot read or the write end cannot write");
  }
  if (const std::string& lost = ForkedChildLosesEnds(r, w); !lost.empty()) {
    return blocked("PIPE.PROP.FORK_SHARES_PIPE", lost);
  }
  int second = fcntl(w, F_DUPFD_CLOEXEC, 0);
  if (second < 0) return true;  // no probe possible: the test will see for itself
  const bool was_nonblocking = IsNonBlocking(w);
  SetNonBlocking(w, true);  // the description `second` shares: an empty pipe must not block
  errno = 0;
  ssize_t put = write(second, "ab", 2);
  int write_error = errno;
  SetNonBlocking(w, was_nonblocking);
  int queued = -1;
  if (ioctl(r, FIONREAD, &queued) != 0) queued = -1;
  // close() that reports success must free the descriptor.
  int closed = close(second);
  bool still_open = closed == 0 && fcntl(second, F_GETFD) != -1;
  if (still_open) syscall(SYS_close, second);  // the lying close() is the subject's, not ours
  if (put != 2) {
    return blocked("PIPE.DIR.WRITE_END_TO_READ_END",
                   "write() of 2 bytes into the empty pipe returned " + std::to_string(put) +
                       (put < 0 ? " (" + ErrnoName(write_error) + ")" : ""));
  }
  if (queued != 2) {
    return blocked("PIPE.PROP.FIFO_ORDER", "write() of 2 bytes returned 2 but put " +
                                               std::to_string(queued) +
                                               " bytes into the empty pipe (FIONREAD)");
  }
  if (still_open) {
    return blocked("PIPE.PROP.LAST_CLOSE_FREES",
                   "close(" + std::to_string(second) + ") of a second write descriptor " +
                       "returned 0 but left the descriptor open");
  }
  int kept = -1;
  if (ioctl(r, FIONREAD, &kept) != 0) kept = -1;
  if (kept != 2) {
    return blocked("PIPE.PROP.LIVES_WHILE_OPEN",
                   "closing a second write descriptor (the first still open) left " +
                       std::to_string(kept) + " of the 2 unread bytes in the pipe (FIONREAD)");
  }
  const bool read_was_nonblocking = IsNonBlocking(r);
  SetNonBlocking(r, true);
  char got[2] = {};
  errno = 0;
  ssize_t n = read(r, got, sizeof got);
  int read_error = errno;
  if (n > 0 && n < 2) {  // take the rest, so that the pipe is left empty
    char rest;
    for (int i = 0; i < 4 && read(r, &rest, 1) != 1; ++i) {
    }
  }
  SetNonBlocking(r, read_was_nonblocking);
  if (n == 0) {
    return blocked("PIPE.DIR.TWO_WAY_NEEDS_TWO_PIPES",
                   "read() by the process that wrote the 2 unread bytes returned 0 (end of file)");
  }
  if (n == 1) {
    return blocked("PIPE.PROP.BYTE_STREAM_MERGES",
                   "read() of 2 bytes returned 1 although 2 were in the pipe");
  }
  if (n < 0) {
    return blocked("PIPE.DIR.WRITE_END_TO_READ_END",
                   "read() of the 2 bytes in the pipe failed with " + ErrnoName(read_error));
  }
  if (got[0] != 'a' || got[1] != 'b') {
    return blocked("PIPE.PROP.FIFO_ORDER", "the 2 bytes written as \"ab\" were read back changed");
  }
  if (const std::string& early = EndOfFileComesBeforeTheBytes(); !early.empty()) {
    return blocked("PIPE.CASE.EOF_AFTER_DRAIN", early);
  }
  return TakesPipeBuf(r, w, blocked);
}

}  // namespace ipcconf
