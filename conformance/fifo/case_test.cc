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
  // `body(fd)`; exit 100 + errno if the open fails.
  Child EndProcess(int access, Handshake *opened, std::function<int(int)> body) {
    return Child::Fork([=]() {
      int fd = OpenEnd(fifo_.path(), access, GetParam());
      if (fd < 0) return 100 + errno;
      opened->Send();
      // A reader with no writer yet would read end-of-file: start only once
      // both are open.
      if (access == O_RDONLY && !both_open_.Receive()) return 99;
      return body(fd);
    });
  }
  // The reader first (the non-blocking way needs it), then the writer; both
  // opened.
  void StartPair(std::function<int(int)> reader_body, std::function<int(int)> writer_body) {
    reader_.emplace(EndProcess(O_RDONLY, &reader_opened_, std::move(reader_body)));
    if (GetParam() == OpenWay::kNonBlockThenClear) {
      ASSERT_TRUE(reader_opened_.Receive());
    }
    writer_.emplace(EndProcess(O_WRONLY, &writer_opened_, std::move(writer_body)));
    if (GetParam() == OpenWay::kBlocking) {
      ASSERT_TRUE(reader_opened_.Receive());
    }
    ASSERT_TRUE(writer_opened_.Receive()) << "the writer could not open the FIFO";
    both_open_.Send();
  }

  FifoNode fifo_;
  Handshake reader_opened_, writer_opened_, both_open_;
  Handshake go_reader_, go_writer_;  // the test's "next step" to each process
  std::optional<Child> reader_, writer_;
};

IPC_TEST_P(FifoCase, EmptyFifoBlocksReaderUntilDataArrives, "FIFO.CASE.EMPTY_BLOCKS_READER") {
  StartPair(
      [](int fd) {
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf);
        return n == 3 && std::string(buf, 3) == "abc" ? 0 : 10;
      },
      [this](int fd) {
        if (!go_writer_.Receive()) return 11;
        return write(fd, "abc", 3) == 3 ? 0 : 12;
      });
  ASSERT_TRUE(WaitUntilBlocked(reader_->pid(), {SYS_read, std::nullopt}));
  ASSERT_TRUE(StaysBlocked(reader_->pid(), {SYS_read, std::nullopt}));
  go_writer_.Send();
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0)) << "the blocked reader must return the 3 bytes";
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
}

IPC_TEST_P(FifoCase, BlockedReaderGetsEndOfFileWhenTheWriterCloses, "FIFO.CASE.EOF_NO_WRITERS") {
  StartPair(
      [](int fd) {
        char c;
        return read(fd, &c, 1) == 0 ? 0 : 10;
      },
      [this](int) { return go_writer_.Receive() ? 0 : 11; });  // exits: its end closes
  ASSERT_TRUE(WaitUntilBlocked(reader_->pid(), {SYS_read, std::nullopt}));
  go_writer_.Send();
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0)) << "read() must return 0 once no writer is left";
}

IPC_TEST_P(FifoCase, ReaderDrainsThenGetsEndOfFile, "FIFO.CASE.EOF_NO_WRITERS") {
  StartPair(
      [this](int fd) {
        if (!go_reader_.Receive()) return 11;
        std::string got;
        if (!ReadToEndOfFile(fd, &got)) return 12;
        char c;
        return got == "hello" && read(fd, &c, 1) == 0 ? 0 : 10;
      },
      [](int fd) { return write(fd, "hello", 5) == 5 ? 0 : 12; });
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0));
  go_reader_.Send();  // the writer is gone: its bytes, then end-of-file
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0))
      << "the reader must get \"hello\", then 0 (10: wrong bytes, 12: no "
         "end-of-file)";
}

IPC_TEST_P(FifoCase, FullFifoBlocksWriterUntilReaderDrains, "FIFO.CASE.FULL_BLOCKS_WRITER") {
  const size_t kExtra = 100;
  StartPair(
      [this](int fd) {
        if (!go_reader_.Receive()) return 11;
        std::string got;
        if (!ReadToEndOfFile(fd, &got)) return 12;
        // The filler first, then the blocked write's bytes, whole.
        return got.size() > kExtra && got.substr(got.size() - kExtra) == std::string(kExtra, 'x')
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
      });
  ASSERT_TRUE(WaitUntilBlocked(writer_->pid(), {SYS_write, std::nullopt}));
  ASSERT_TRUE(StaysBlocked(writer_->pid(), {SYS_write, std::nullopt}));
  go_reader_.Send();
  EXPECT_TRUE(ExitedWith(writer_->Wait(), 0)) << "the blocked write must return its full count";
  EXPECT_TRUE(ExitedWith(reader_->Wait(), 0)) << "the reader must get the filler, then the "
                                                 "100 bytes of the blocked write";
}

IPC_TEST_P(FifoCase, WriteAfterReaderLeftKillsWithSigpipe, "FIFO.CASE.SIGPIPE_NO_READERS") {
  StartPair([](int) { return 0; },  // opens, then exits: no reader is left
            [this](int fd) {
              if (!go_writer_.Receive()) return 11;
              write(fd, "x",
                    1);  // default SIGPIPE disposition: this must not return
              return 0;
            });
  ASSERT_TRUE(ExitedWith(reader_->Wait(), 0));
  go_writer_.Send();
  EXPECT_TRUE(KilledBySignal(writer_->Wait(), SIGPIPE));
}

IPC_TEST_P(FifoCase, WriteAfterReaderLeftFailsWithEpipeWhenIgnored,
           "FIFO.CASE.EPIPE_WHEN_IGNORED") {
  StartPair([](int) { return 0; },
            [this](int fd) {
              signal(SIGPIPE, SIG_IGN);
              if (!go_writer_.Receive()) return 11;
              return write(fd, "x", 1) == -1 && errno == EPIPE ? 0 : 10;
            });
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
