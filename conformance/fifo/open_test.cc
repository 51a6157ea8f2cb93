// open() of a FIFO: {O_RDONLY, O_WRONLY, O_RDWR} x {blocking, O_NONBLOCK} x
// {other end open or not} (XSH open() O_NONBLOCK and [ENXIO], man 7 fifo), and
// a blocked open under a signal.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "conformance/fifo/fifo_node.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// One cell of the open matrix.
struct OpenCell {
  int access;     // O_RDONLY, O_WRONLY or O_RDWR
  bool nonblock;  // O_NONBLOCK given
  bool peer;      // the other end is already open in the test process
};

std::string CellName(const ::testing::TestParamInfo<OpenCell> &info) {
  const OpenCell &c = info.param;
  std::string s = c.access == O_RDONLY ? "rdonly" : c.access == O_WRONLY ? "wronly" : "rdwr";
  s += c.nonblock ? "_nonblock" : "_blocking";
  s += c.peer ? "_peer_open" : "_no_peer";
  return s;
}

class FifoOpen : public ::testing::TestWithParam<OpenCell> {
 protected:
  void SetUp() override { ASSERT_TRUE(fifo_.ok()); }

  // The other end of the cell's access mode, held by the test process: a writer
  // for a reader, a reader for a writer (and for O_RDWR).
  HeldEnds HoldPeer() const {
    return GetParam().access == O_RDONLY ? HoldWriterOnly(fifo_.path())
                                         : HoldReaderOnly(fifo_.path());
  }
  int Flags() const { return GetParam().access | (GetParam().nonblock ? O_NONBLOCK : 0); }

  // The cell's open, in a child: exit 0 if it returned a descriptor.
  Child OpenInChild() {
    return Child::Fork([this]() { return open(fifo_.c_str(), Flags()) >= 0 ? 0 : 1; });
  }

  void ExpectOpensAtOnce() {
    HeldEnds peer;
    if (GetParam().peer) {
      peer = HoldPeer();
      if (!peer.read && !peer.write) return;  // blocked (or failed) by what HoldPeer records
    }
    Child opener = OpenInChild();
    EXPECT_TRUE(EndsWithoutWaiting(
        opener, "open(" + CellName(::testing::TestParamInfo<OpenCell>(GetParam(), 0)) + ")"));
  }

  FifoNode fifo_;
};

class FifoOpenPeerPresent : public FifoOpen {};
class FifoOpenReadNonBlocking : public FifoOpen {};
class FifoOpenReadWrite : public FifoOpen {};
class FifoOpenWaits : public FifoOpen {};

IPC_TEST_P(FifoOpenPeerPresent, ReturnsAtOnce, "FIFO.OPEN.PEER_PRESENT_NO_WAIT") {
  ExpectOpensAtOnce();
}

IPC_TEST_P(FifoOpenReadNonBlocking, ReturnsAtOnce, "FIFO.OPEN.RDONLY_NONBLOCK_AT_ONCE") {
  ExpectOpensAtOnce();
}

IPC_TEST_P(FifoOpenReadWrite, ReturnsAtOnce, "FIFO.OPEN.RDWR_NO_WAIT") { ExpectOpensAtOnce(); }

IPC_TEST_P(FifoOpenWaits, SleepsInOpenUntilThePeerOpens, "FIFO.OPEN.RDONLY_WAITS_FOR_WRITER",
           "FIFO.OPEN.WRONLY_WAITS_FOR_READER") {
  Child opener = OpenInChild();
  ASSERT_TRUE(WaitUntilBlocked(opener.pid(), {SYS_openat, std::nullopt}));
  // Nobody opened the other end: the open must still be waiting after the quiet
  // window.
  ASSERT_TRUE(StaysBlocked(opener.pid(), {SYS_openat, std::nullopt}));
  int peer_access = GetParam().access == O_RDONLY ? O_WRONLY : O_RDONLY;
  Child peer = Child::Fork([&]() { return open(fifo_.c_str(), peer_access) >= 0 ? 0 : 1; });
  EXPECT_TRUE(ExitedWith(peer.Wait(), 0)) << "the peer's blocking open must find the waiter";
  EXPECT_TRUE(ExitedWith(opener.Wait(), 0)) << "the waiting open must return once the peer "
                                               "opens";
}

INSTANTIATE_TEST_SUITE_P(Matrix, FifoOpenPeerPresent,
                         ::testing::Values(OpenCell{O_RDONLY, false, true},
                                           OpenCell{O_WRONLY, false, true}),
                         CellName);
INSTANTIATE_TEST_SUITE_P(Matrix, FifoOpenReadNonBlocking,
                         ::testing::Values(OpenCell{O_RDONLY, true, false},
                                           OpenCell{O_RDONLY, true, true}),
                         CellName);
INSTANTIATE_TEST_SUITE_P(Matrix, FifoOpenReadWrite,
                         ::testing::Values(OpenCell{O_RDWR, false, false},
                                           OpenCell{O_RDWR, false, true},
                                           OpenCell{O_RDWR, true, false},
                                           OpenCell{O_RDWR, true, true}),
                         CellName);
INSTANTIATE_TEST_SUITE_P(Matrix, FifoOpenWaits,
                         ::testing::Values(OpenCell{O_RDONLY, false, false},
                                           OpenCell{O_WRONLY, false, false}),
                         CellName);

IPC_TEST(FifoOpenMatrix, WriteOnlyNonBlockingWithoutReaderFailsWithEnxio,
         "FIFO.OPEN.WRONLY_NONBLOCK_ENXIO") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  EXPECT_THAT(SYS(open(fifo.c_str(), O_WRONLY | O_NONBLOCK)), SyscallFailsWithErrno(ENXIO));
  // Also when a writer is open but the last reader has gone.
  HeldEnds writer_only = HoldWriterOnly(fifo.path());
  EXPECT_THAT(SYS(open(fifo.c_str(), O_WRONLY | O_NONBLOCK)), SyscallFailsWithErrno(ENXIO));
}

IPC_TEST(FifoOpenMatrix, WriteOnlyNonBlockingWithReaderSucceeds,
         "FIFO.OPEN.WRONLY_NONBLOCK_WITH_READER") {
  FifoNode fifo;
  ASSERT_TRUE(fifo.ok());
  HeldEnds reader = HoldReaderOnly(fifo.path());
  ASSERT_TRUE(reader.read);
  Child opener =
      Child::Fork([&]() { return open(fifo.c_str(), O_WRONLY | O_NONBLOCK) >= 0 ? 0 : 1; });
  EXPECT_TRUE(EndsWithoutWaiting(opener, "open(O_WRONLY|O_NONBLOCK) with a reader"));
}

class FifoOpenMissing : public ::testing::TestWithParam<int> {};

IPC_TEST_P(FifoOpenMissing, FailsWithEnoent, "FIFO.OPEN.ENOENT") {
  std::string path = FreshPath("fifo_not_created");
  EXPECT_THAT(SYS(open(path.c_str(), GetParam())), SyscallFailsWithErrno(ENOENT));
}

std::string OpenFlagsName(const ::testing::TestParamInfo<int> &info) {
  const char *names[] = {"rdonly", "wronly", "rdonly_nonblock", "wronly_nonblock"};
  return std::string(names[info.index]);
}

INSTANTIATE_TEST_SUITE_P(Flags, FifoOpenMissing,
                         ::testing::Values(O_RDONLY, O_WRONLY, O_RDONLY | O_NONBLOCK,
                                           O_WRONLY | O_NONBLOCK),
                         OpenFlagsName);

// A blocked open and a caught signal. The handler tells the test it ran,
// through a socket.
Handshake *g_handler_ran = nullptr;
void NoteSignal(int) { g_handler_ran->Send(); }

struct SignalCase {
  int access;
  bool restart;  // SA_RESTART in the handler's flags
};

class FifoOpenSignal : public ::testing::TestWithParam<SignalCase> {
 protected:
  // A child that installs the handler, then opens; exit 0 when the open ended
  // as expected (EINTR without SA_RESTART, a descriptor with it).
  Child BlockedOpener(Handshake *handler_ran) {
    return Child::Fork([this, handler_ran]() {
      g_handler_ran = handler_ran;
      struct sigaction sa = {};
      sa.sa_handler = NoteSignal;
      sa.sa_flags = GetParam().restart ? SA_RESTART : 0;
      sigaction(SIGUSR1, &sa, nullptr);
      int fd = open(fifo_.c_str(), GetParam().access);
      if (GetParam().restart) return fd >= 0 ? 0 : 10 + errno;
      return fd < 0 && errno == EINTR ? 0 : fd >= 0 ? 1 : 10 + errno;
    });
  }
  // The signal needs an open asleep waiting for its peer (nobody has the FIFO
  // open): if it does not wait, the test is blocked by the assertion that it
  // must (FIFO.OPEN.RDONLY_WAITS_FOR_WRITER or WRONLY_WAITS_FOR_READER).
  bool OpenerWaits(Child &opener) {
    auto asleep = SleepsInOpen(opener.pid());
    if (!asleep) {
      RecordBlocked(WaitsForPeerAssertion(GetParam().access),
                    std::string("the blocking open of the FIFO nobody has open did not wait: ") +
                        asleep.message());
    }
    return asleep;
  }
  FifoNode fifo_;
};

class FifoOpenInterrupted : public FifoOpenSignal {};
class FifoOpenRestarted : public FifoOpenSignal {};

IPC_TEST_P(FifoOpenInterrupted, FailsWithEintr, "FIFO.OPEN.EINTR") {
  ASSERT_TRUE(fifo_.ok());
  Handshake handler_ran;
  Child opener = BlockedOpener(&handler_ran);
  if (!OpenerWaits(opener)) return;
  ASSERT_EQ(kill(opener.pid(), SIGUSR1), 0);
  ASSERT_TRUE(handler_ran.Receive()) << "the child's SIGUSR1 handler did not run";
  // Both ends now exist: an open wrongly restarted after the handler returns a
  // descriptor (exit 1) instead of waiting forever.
  HeldEnds both = HoldBothEnds(fifo_.path());
  if (!both.write) return;  // blocked by what HoldBothEnds records
  EXPECT_TRUE(ExitedWith(opener.Wait(), 0))
      << "exit 0: EINTR; 1: open() restarted and succeeded; 10+errno: another "
         "error";
}

IPC_TEST_P(FifoOpenRestarted, KeepsWaitingAndSucceeds, "FIFO.OPEN.SA_RESTART_KEEPS_WAITING") {
  ASSERT_TRUE(fifo_.ok());
  Handshake handler_ran;
  Child opener = BlockedOpener(&handler_ran);
  if (!OpenerWaits(opener)) return;
  ASSERT_EQ(kill(opener.pid(), SIGUSR1), 0);
  ASSERT_TRUE(handler_ran.Receive()) << "the child's SIGUSR1 handler did not run";
  EXPECT_TRUE(WaitUntilBlocked(opener.pid(), {SYS_openat, std::nullopt}))
      << "after the handler, the open must be waiting again";
  HeldEnds both = HoldBothEnds(fifo_.path());
  if (!both.write) return;  // blocked by what HoldBothEnds records
  EXPECT_TRUE(ExitedWith(opener.Wait(), 0)) << "the restarted open must return a descriptor "
                                               "once the peer opens (exit 10+errno otherwise)";
}

std::string SignalCaseName(const ::testing::TestParamInfo<SignalCase> &info) {
  return info.param.access == O_RDONLY ? "rdonly" : "wronly";
}

INSTANTIATE_TEST_SUITE_P(Ends, FifoOpenInterrupted,
                         ::testing::Values(SignalCase{O_RDONLY, false},
                                           SignalCase{O_WRONLY, false}),
                         SignalCaseName);
INSTANTIATE_TEST_SUITE_P(Ends, FifoOpenRestarted,
                         ::testing::Values(SignalCase{O_RDONLY, true}, SignalCase{O_WRONLY, true}),
                         SignalCaseName);

}  // namespace
}  // namespace ipcconf
