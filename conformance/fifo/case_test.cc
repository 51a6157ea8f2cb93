// The course's four cases through a FIFO whose ends are opened BY PATH in
// separate processes (the pipe area runs the same cases over a FIFO opened in
// one process, see conformance/pipe/case_test.cc). Each process below opens its
// own end; they share nothing else but the handshakes that order the steps.
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conformance/fifo/fifo_node.h"
#include "harness/assertions.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/stream_checks.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class FifoCase : public ::testing::TestWithParam<OpenWay> {
 protected:
  void SetUp() override { ASSERT_TRUE(fifo_.ok()); }

  // A process that opens its end of the FIFO by path, tells `opened`, and runs
  // `body(fd)`; exit kOpenFailed + errno if the open fails, kNotTheFifo if it
  // led elsewhere.
  Child EndProcess(int access, Handshake *opened, std::function<int(int)> body) {
    return Child::Fork([=]() {
      int fd = OpenEnd(fifo_.path(), access, GetParam());
      if (fd < 0) return kOpenFailed + errno;
      if (!IsFifoAt(fd, fifo_.path())) return kNotTheFifo;
      opened->Send();
      // A reader with no writer yet would read end-of-file: start only once
      // both are open.
      if (access == O_RDONLY && !both_open_.Receive()) return 99;
      return body(fd);
    });
  }
  // The reader first (the non-blocking way needs it), then the writer; both
  // opened. Opening is the set-up, not the case: an open that fails or does not
  // return blocks the test by that open's assertion. Returns false then.
  bool StartPair(std::function<int(int)> reader_body, std::function<int(int)> writer_body) {
    const bool blocking = GetParam() == OpenWay::kBlocking;
    // Blocking: the reader sleeps until the writer opens, then both return.
    const char *reader_id =
        blocking ? "FIFO.OPEN.RDONLY_WAITS_FOR_WRITER" : "FIFO.OPEN.RDONLY_NONBLOCK_AT_ONCE";
    const char *writer_id =
        blocking ? "FIFO.OPEN.RDONLY_WAITS_FOR_WRITER" : "FIFO.OPEN.WRONLY_NONBLOCK_WITH_READER";
    const std::string reader_open =
        blocking ? "the reader's open(O_RDONLY)" : "the reader's open(O_RDONLY|O_NONBLOCK)";
    const std::string writer_open = blocking ? "the writer's open(O_WRONLY), a reader waiting"
                                             : "the writer's open(O_WRONLY|O_NONBLOCK), a "
                                               "reader open";
    reader_.emplace(EndProcess(O_RDONLY, &reader_opened_, std::move(reader_body)));
    if (!blocking && !AwaitOpened(*reader_, reader_opened_, reader_id, reader_open)) return false;
    if (blocking) {
      // No writer yet: the reader must be waiting in open before the writer comes.
      if (auto asleep = SleepsInOpen(reader_->pid()); !asleep) {
        RecordBlocked(reader_id,
                      reader_open + ", no writer yet, did not wait: " + asleep.message());
        return false;
      }
    }
    writer_.emplace(EndProcess(O_WRONLY, &writer_opened_, std::move(writer_body)));
    if (!AwaitOpened(*writer_, writer_opened_, writer_id, writer_open)) return false;
    if (blocking && !AwaitOpened(*reader_, reader_opened_, reader_id, reader_open)) return false;
    both_open_.Send();
    return true;
  }

  FifoNode fifo_;
  Handshake reader_opened_, writer_opened_, both_open_;
  Handshake go_reader_, go_writer_;  // the test's "next step" to each process
  std::optional<Child> reader_, writer_;
};

// The reader child's exit status when its read to end-of-file failed on the
// end-of-file itself (ReadToEndOfFile blocked it by FIFO.CASE.EOF_NO_WRITERS).
constexpr int kEndOfFileFailed = 15;

IPC_TEST_P(FifoCase, EmptyFifoBlocksReaderUntilDataArrives, "FIFO.CASE.EMPTY_BLOCKS_READER") {
  if (!StartPair(
          [](int fd) {
            // The first read() is the one that blocks. The bytes may then come in
            // pieces (whether 3 bytes arrive whole is FIFO.ATOMIC.NO_INTERLEAVE).
            std::string got;
            char buf[16];
            for (ssize_t n; got.size() < 3 && (n = read(fd, buf, sizeof buf)) > 0;) {
              got.append(buf, static_cast<size_t>(n));
            }
            return got == "abc" ? 0 : 10;
          },
          [this](int fd) {
            if (!go_writer_.Receive()) return 11;
            return write(fd, "abc", 3) == 3 ? 0 : 12;
          })) {
    return;
  }
  ASSERT_TRUE(WaitUntilBlocked(reader_->pid(), {SYS_read, std::nullopt}));
  ASSERT_TRUE(StaysBlocked(reader_->pid(), {SYS_read, std::nullopt}));
  go_writer_.Send();
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0)) << "the blocked reader must return the 3 bytes";
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
}

IPC_TEST_P(FifoCase, BlockedReaderGetsEndOfFileWhenTheWriterCloses, "FIFO.CASE.EOF_NO_WRITERS") {
  if (!StartPair(
          [](int fd) {
            char c;
            return read(fd, &c, 1) == 0 ? 0 : 10;
          },
          [this](int) { return go_writer_.Receive() ? 0 : 11; })) {  // exits: its end closes
    return;
  }
  // The case's premise: a reader asleep on the empty FIFO while the writer is open.
  if (auto asleep = WaitUntilBlocked(reader_->pid(), {SYS_read, std::nullopt}); !asleep) {
    RecordBlocked("FIFO.CASE.EMPTY_BLOCKS_READER",
                  std::string("read() on the empty FIFO, its writer open, did not block: ") +
                      asleep.message());
    return;
  }
  go_writer_.Send();
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0)) << "read() must return 0 once no writer is left";
}

IPC_TEST_P(FifoCase, ReaderDrainsThenGetsEndOfFile, "FIFO.CASE.EOF_NO_WRITERS") {
  if (!StartPair(
          [this](int fd) {
            if (!go_reader_.Receive()) return 11;
            std::string got;
            if (!ReadToEndOfFile(fd, &got)) return 12;
            char c;
            return got == "hello" && read(fd, &c, 1) == 0 ? 0 : 10;
          },
          [](int fd) { return write(fd, "hello", 5) == 5 ? 0 : 12; })) {
    return;
  }
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
  go_reader_.Send();  // the writer is gone: its bytes, then end-of-file
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0))
      << "the reader must get \"hello\", then 0 (10: wrong bytes, 12: no "
         "end-of-file)";
}

IPC_TEST_P(FifoCase, FullFifoBlocksWriterUntilReaderDrains, "FIFO.CASE.FULL_BLOCKS_WRITER") {
  const size_t kExtra = 100;
  if (!StartPair(
          [this](int fd) {
            if (!go_reader_.Receive()) return 11;
            std::string got;
            if (!ReadToEndOfFile(fd, &got)) {
              return CurrentBlocker() == "FIFO.CASE.EOF_NO_WRITERS" ? kEndOfFileFailed : 12;
            }
            // The filler first, then the blocked write's bytes, whole.
            return got.size() > kExtra &&
                           got.substr(got.size() - kExtra) == std::string(kExtra, 'x')
                       ? 0
                       : 10;
          },
          [&](int fd) {
            SetNonBlocking(fd, true);  // fill until the FIFO is full
            std::string chunk(4096, 'f');
            while (write(fd, chunk.data(), chunk.size()) > 0) {
            }
            while (write(fd, "f", 1) == 1) {
            }
            if (errno != EAGAIN) return 13;
            SetNonBlocking(fd, false);
            std::string extra(kExtra, 'x');
            return write(fd, extra.data(), extra.size()) == static_cast<ssize_t>(kExtra) ? 0 : 14;
          })) {
    return;
  }
  ASSERT_TRUE(WaitUntilBlocked(writer_->pid(), {SYS_write, std::nullopt}));
  ASSERT_TRUE(StaysBlocked(writer_->pid(), {SYS_write, std::nullopt}));
  go_reader_.Send();
  Outcome writer = writer_->Wait(), reader = reader_->Wait();
  // The reader collects the bytes to end-of-file; that end-of-file is not this case.
  IPCCONF_BLOCKED_BY_IF(reader.Exited(kEndOfFileFailed), "FIFO.CASE.EOF_NO_WRITERS",
                        "the reader got the bytes, then read() at end-of-file (the writer "
                        "gone) failed");
  EXPECT_TRUE(ExitedWith(writer, 0)) << "the blocked write must return its full count";
  EXPECT_TRUE(ExitedWith(reader, 0)) << "the reader must get the filler, then the "
                                        "100 bytes of the blocked write";
}

IPC_TEST_P(FifoCase, WriteAfterReaderLeftKillsWithSigpipe, "FIFO.CASE.SIGPIPE_NO_READERS") {
  if (!StartPair([](int) { return 0; },  // opens, then exits: no reader is left
                 [this](int fd) {
                   if (!go_writer_.Receive()) return 11;
                   write(fd, "x", 1);  // default SIGPIPE disposition: this must not return
                   return 0;
                 })) {
    return;
  }
  ASSERT_TRUE(ExitedWith(reader_->Wait(), 0));
  go_writer_.Send();
  EXPECT_TRUE(KilledBySignal(writer_->Wait(), SIGPIPE));
}

IPC_TEST_P(FifoCase, WriteAfterReaderLeftFailsWithEpipeWhenIgnored,
           "FIFO.CASE.EPIPE_WHEN_IGNORED") {
  if (!StartPair([](int) { return 0; },
                 [this](int fd) {
                   signal(SIGPIPE, SIG_IGN);
                   if (!go_writer_.Receive()) return 11;
                   return write(fd, "x", 1) == -1 && errno == EPIPE ? 0 : 10;
                 })) {
    return;
  }
  ASSERT_TRUE(ExitedWith(reader_->Wait(), 0));
  go_writer_.Send();
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0)) << "write() must fail with EPIPE (exit 10: it "
                                                 "did not)";
}

INSTANTIATE_TEST_SUITE_P(Ways, FifoCase,
                         ::testing::Values(OpenWay::kBlocking, OpenWay::kNonBlockThenClear),
                         OpenWayName);

}  // namespace
}  // namespace ipcconf
