// The ways to get a pipe, as a test parameter: one test body runs against each of them.
//   INSTANTIATE_TEST_SUITE_P(All, PipeCase, ::testing::ValuesIn(BlockingPipeKinds()),
//                            PipeKindName);
#ifndef IPCCONF_HARNESS_PIPE_KINDS_H_
#define IPCCONF_HARNESS_PIPE_KINDS_H_

#include <functional>
#include <string>
#include <vector>

#include "harness/child.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {

struct PipeKind {
  enum class How { kPipe, kPipe2, kFifo };
  std::string name;  // readable instance name: pipe, pipe2_0, pipe2_cloexec, fifo, ...
  How how = How::kPipe;
  int flags = 0;  // pipe2 flags; for kFifo, O_NONBLOCK makes both ends non-blocking
  bool nonblocking() const;
  bool cloexec() const;
};

// Both ends of one pipe; they close themselves.
struct PipeEnds {
  ipc::UniqueFd read;
  ipc::UniqueFd write;
  bool ok() const { return read.valid() && write.valid(); }
};

// How MakePipe checks the pipe it made before handing it out.
enum class PipeCheck {
  // Probes, cheaply and without blocking, that the pipe carries bytes the plain way: fildes[0]
  // is open for reading and fildes[1] for writing; a forked child holds both ends (probed once
  // per process); 2 bytes written through a second write descriptor are queued as 2, stay
  // queued when that descriptor is closed (and the close really frees it), and one read() in
  // this process gets them back whole; bytes left in a pipe whose last writer closed come
  // before end of file (probed once per process, on a pipe of its own); the empty pipe takes
  // PIPE_BUF bytes at once (an O_NONBLOCK write, read back). When a step misbehaves the
  // running test is recorded blocked by that facility's assertion and invalid ends are returned:
  // a test that merely uses a pipe says at once what broke instead of failing (or waiting out its
  // bounds) on the consequences.
  kCarriesBytes,
  // For the tests of which end is which: the ends are not judged and come back as the system
  // gave them; the rest of the probe runs with the ends taken by their access modes.
  kEndsAsGiven,
};

// Makes a pipe of `kind`. A FIFO is made in the test's temporary directory, opened at both ends
// and unlinked at once (so nothing stays on disk). On failure it records a test failure naming
// the call and returns invalid ends; a probe that blocks the test returns invalid ends too.
PipeEnds MakePipe(const PipeKind& kind, PipeCheck check = PipeCheck::kCarriesBytes);

// MakePipe's probe of a pipe made otherwise (see PipeCheck): true when it passed; else the
// running test is recorded blocked by the facility that misbehaved. The pipe is left empty.
bool ProbeNewPipe(int read_fd, int write_fd, PipeCheck check = PipeCheck::kCarriesBytes);

// The running test belongs to the FIFO area ("FIFO." ids), which also runs over these pipes and
// names its own assertions when it is blocked; else to the pipe area.
bool InFifoArea();

// pipe(), pipe2(0), pipe2(O_CLOEXEC), a FIFO: the kinds whose ends block.
std::vector<PipeKind> BlockingPipeKinds();
// The blocking kinds plus pipe2(O_NONBLOCK), pipe2(O_NONBLOCK|O_CLOEXEC) and a FIFO with
// O_NONBLOCK ends.
std::vector<PipeKind> AllPipeKinds();
// Only the kinds with O_NONBLOCK ends.
std::vector<PipeKind> NonBlockingPipeKinds();
// Anonymous pipes only (where a FIFO's semantics differ or need a path).
std::vector<PipeKind> AnonymousPipeKinds();

std::string PipeKindName(const ::testing::TestParamInfo<PipeKind>& info);
void PrintTo(const PipeKind& kind, std::ostream* os);

// Sets or clears O_NONBLOCK on `fd`.
void SetNonBlocking(int fd, bool on);

// Beyond this many bytes a pipe is taken never to get full (filling stops there).
inline constexpr long kNeverFull = 64L << 20;

// Fills the pipe through its write end with O_NONBLOCK writes of shrinking size, down to single
// bytes, until EAGAIN; the fd's own O_NONBLOCK state is restored. Returns the bytes written. A
// write error other than EAGAIN, or a pipe that never gets full, is recorded as a test failure.
long FillPipe(int write_fd);
// Reads with O_NONBLOCK until EAGAIN (or end of file); restores the fd's O_NONBLOCK state.
// Returns the bytes drained; a read error other than EAGAIN is recorded as a test failure.
long DrainPipe(int read_fd);

// Bounded I/O for the test process itself: against a subject that would block for ever, the call
// fails with ETIMEDOUT after `bound` instead of hanging the test binary. For pipes POLLIN (POLLOUT)
// means a read (a write of at most PIPE_BUF bytes) will not block.
// kAlreadyInPipe bounds I/O whose bytes (or end of file, or room) are already there by the
// time of the call: a correct subject answers at once, and waiting longer cannot help.
inline constexpr Millis kAlreadyInPipe = kQuietWindow;
bool ReadableWithin(int fd, Millis bound = kEventBound);
ssize_t ReadWithin(int fd, void* buf, size_t n, Millis bound = kEventBound);
ssize_t WriteWithin(int fd, const void* buf, size_t n, Millis bound = kEventBound);

// PIPE_BUF of `fd` as tests size records and writes from it: fpathconf(_PC_PIPE_BUF). When that
// fails or answers below POSIX's minimum of 512, the running test is recorded blocked by its
// area's PIPE_BUF_MIN assertion (sizes cannot be trusted) and -1 is returned: return then.
long PipeBufForSizing(int fd);

// Reads `fd` until read() returns 0, handing each chunk to `take` (or appending it to *out).
// Bounded: it fails, naming how many bytes came, when neither a byte nor end of file arrives for
// `quiet_bound` (a process still holds a write end), or on a read error.
::testing::AssertionResult ReadToEndOfFile(int fd,
                                           const std::function<void(const char*, size_t)>& take,
                                           Millis quiet_bound = kEventBound);
::testing::AssertionResult ReadToEndOfFile(int fd, std::string* out,
                                           Millis quiet_bound = kEventBound);

// A test over one fresh pipe of the parameter's kind.
class PipeTest : public ::testing::TestWithParam<PipeKind> {
 protected:
  void SetUp() override {
    ends_ = MakePipe(GetParam(), check_);
    ASSERT_TRUE(ends_.ok());
  }
  int r() const { return ends_.read.get(); }
  int w() const { return ends_.write.get(); }

  PipeEnds ends_;
  PipeCheck check_ = PipeCheck::kCarriesBytes;  // a fixture may change it in its constructor
};

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_PIPE_KINDS_H_
