// A pipe carries data one way: from fildes[1] to fildes[0] (XSH pipe(); course property 5).
// Whether an end also works the other way POSIX leaves open; Linux refuses it (linux profile).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

class PipeDirection : public PipeTest {
 protected:
  // Reads what is in the pipe now (the writer has finished): one read() of up to 256 bytes,
  // bounded, so a subject that lost the bytes fails the test instead of blocking it.
  std::string ReadWhatIsThere(int fd) {
    char buf[256];
    ssize_t n = ReadWithin(fd, buf, sizeof buf, kAlreadyInPipe);
    if (n < 0) {
      ADD_FAILURE() << "read(" << fd
                    << ") of bytes already in the pipe failed: " << ErrnoName(errno);
      return "";
    }
    return std::string(buf, static_cast<size_t>(n));
  }

  // True if the pipe is empty: FIONREAD on the read end counts no byte (asked of the kernel
  // directly, so that a read() that misreports an empty pipe is not taken for bytes in it).
  bool PipeIsEmpty() {
    int queued = -1;
    EXPECT_EQ(ioctl(ends_.read.get(), FIONREAD, &queued), 0) << "FIONREAD: " << ErrnoName(errno);
    return queued == 0;
  }
};

// The tests of which end is which take the ends as pipe() gave them, unjudged by MakePipe's
// probe (the other tests here are blocked by PIPE.DIR.ACCESS_MODES when the ends are swapped).
class PipeEndsAsGiven : public PipeDirection {
 protected:
  PipeEndsAsGiven() { check_ = PipeCheck::kEndsAsGiven; }
};

IPC_TEST_P(PipeEndsAsGiven, BytesWrittenToWriteEndComeOutOfReadEnd,
           "PIPE.DIR.WRITE_END_TO_READ_END") {
  const std::string kData = "from fildes[1] to fildes[0]";
  ASSERT_THAT(SYS(write(ends_.write.get(), kData.data(), kData.size())),
              SyscallSucceedsWithValue(kData.size()));
  EXPECT_EQ(ReadWhatIsThere(ends_.read.get()), kData);
}

IPC_TEST_P(PipeEndsAsGiven, ReadEndReadsAndWriteEndWrites, "PIPE.DIR.ACCESS_MODES") {
  SyscallResult read_fl = SYS(fcntl(ends_.read.get(), F_GETFL));
  SyscallResult write_fl = SYS(fcntl(ends_.write.get(), F_GETFL));
  ASSERT_THAT(read_fl, SyscallSucceeds());
  ASSERT_THAT(write_fl, SyscallSucceeds());
  int read_mode = static_cast<int>(read_fl.value) & O_ACCMODE;
  int write_mode = static_cast<int>(write_fl.value) & O_ACCMODE;
  // POSIX leaves open whether an end is also open the other way: O_RDWR is accepted.
  EXPECT_TRUE(read_mode == O_RDONLY || read_mode == O_RDWR)
      << "fildes[0] must be open for reading; its access mode is " << read_mode << " (O_RDONLY "
      << O_RDONLY << ", O_WRONLY " << O_WRONLY << ", O_RDWR " << O_RDWR << ")";
  EXPECT_TRUE(write_mode == O_WRONLY || write_mode == O_RDWR)
      << "fildes[1] must be open for writing; its access mode is " << write_mode << " (O_RDONLY "
      << O_RDONLY << ", O_WRONLY " << O_WRONLY << ", O_RDWR " << O_RDWR << ")";
}

IPC_TEST_P(PipeEndsAsGiven, WriteToReadEndFailsWithEbadf, "PIPE.DIR.READ_END_REJECTS_WRITE") {
  EXPECT_THAT(SYS(write(ends_.read.get(), "x", 1)), SyscallFailsWithErrno(EBADF));
  EXPECT_TRUE(PipeIsEmpty()) << "a write to the read end must put nothing into the pipe";
}

IPC_TEST_P(PipeDirection, ReadFromWriteEndFailsWithEbadf, "PIPE.DIR.WRITE_END_REJECTS_READ") {
  // A byte in the pipe, so that a read the subject wrongly allows returns instead of blocking.
  ASSERT_THAT(SYS(write(ends_.write.get(), "x", 1)), SyscallSucceedsWithValue(1));
  char c;
  EXPECT_THAT(SYS(read(ends_.write.get(), &c, 1)), SyscallFailsWithErrno(EBADF));
  EXPECT_EQ(ReadWhatIsThere(ends_.read.get()), "x")
      << "the refused read must not take the byte out of the pipe";
}

IPC_TEST_P(PipeDirection, OnePipeGivesWriterItsOwnBytesBack, "PIPE.DIR.TWO_WAY_NEEDS_TWO_PIPES") {
  // A would-be answerer holds both ends too, but has not read yet: the writer's own read
  // takes the request back. One pipe cannot carry a conversation.
  Handshake done;
  Child peer = Child::Fork([&]() -> int {
    done.BecomeChild();
    return done.Receive() ? 0 : 1;
  });
  done.BecomeParent();
  const std::string kRequest = "request";
  ASSERT_THAT(SYS(write(ends_.write.get(), kRequest.data(), kRequest.size())),
              SyscallSucceedsWithValue(kRequest.size()));
  EXPECT_EQ(ReadWhatIsThere(ends_.read.get()), kRequest)
      << "over one pipe, a process that writes and then reads gets its own unread bytes";
  done.Send();
  EXPECT_TRUE(ExitedWith(peer.Wait(), 0));
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeDirection, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);
INSTANTIATE_TEST_SUITE_P(Kinds, PipeEndsAsGiven, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// Two pipes, one for each direction: a request goes down one, the reply comes up the other.
class PipeTwoWay : public ::testing::TestWithParam<PipeKind> {};

IPC_TEST_P(PipeTwoWay, SecondPipeCarriesTheReply, "PIPE.DIR.TWO_WAY_NEEDS_TWO_PIPES") {
  PipeEnds down = MakePipe(GetParam());
  PipeEnds up = MakePipe(GetParam());
  ASSERT_TRUE(down.ok() && up.ok());
  const std::string kRequest = "ping?";
  const std::string kReply = "pong!";
  Child answerer = Child::Fork([&]() -> int {
    down.write.reset();
    up.read.reset();
    char buf[16];
    std::string request;
    while (request.size() < kRequest.size()) {
      ssize_t n = read(down.read.get(), buf, kRequest.size() - request.size());
      if (n < 0 && errno == EAGAIN) return 4;  // the blocking read did not wait for the request
      if (n <= 0) return 1;
      request.append(buf, static_cast<size_t>(n));
    }
    if (request != kRequest) return 2;
    return write(up.write.get(), kReply.data(), kReply.size()) ==
                   static_cast<ssize_t>(kReply.size())
               ? 0
               : 3;
  });
  down.read.reset();
  up.write.reset();
  SyscallResult sent = SYS(write(down.write.get(), kRequest.data(), kRequest.size()));
  if (sent.value < 0) down.write.reset();  // an answerer still waiting gets end of file
  // The answerer has written its reply once it exits: reading it then cannot block. One that
  // gave up on the empty pipe at once has closed its read end, and the request finds no reader.
  Outcome answered = answerer.Wait();
  IPCCONF_BLOCKED_BY_IF(answered.Exited(4), "PIPE.CASE.EMPTY_BLOCKS_READER",
                        "the answerer's blocking read() of the empty request pipe, whose write "
                        "end this process holds, failed at once with EAGAIN");
  ASSERT_THAT(sent, SyscallSucceedsWithValue(kRequest.size()));
  EXPECT_TRUE(ExitedWith(answered, 0))
      << "exit 1: the request never arrived; 2: it arrived changed; 3: writing the reply failed";
  char buf[16];
  SyscallResult got = SYS(ReadWithin(up.read.get(), buf, sizeof buf, kAlreadyInPipe));
  ASSERT_THAT(got, SyscallSucceeds());
  EXPECT_EQ(std::string(buf, static_cast<size_t>(got.value)), kReply);
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeTwoWay, ::testing::ValuesIn(BlockingPipeKinds()), PipeKindName);

}  // namespace
}  // namespace ipcconf
