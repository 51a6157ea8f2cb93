// How much a pipe holds: at least PIPE_BUF (POSIX), and on Linux what F_GETPIPE_SZ and
// F_SETPIPE_SZ report and set (man 2 fcntl "Changing the capacity of a pipe", man 7 pipe).
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness/assertions.h"
#include "harness/child.h"
#include "harness/pipe_kinds.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

const long kPage = sysconf(_SC_PAGESIZE);
bool IsPowerOfTwo(long n) { return n > 0 && (n & (n - 1)) == 0; }

class PipeCapacity : public PipeTest {
 protected:
  // The bytes this (empty) pipe takes before a one-byte O_NONBLOCK write fails with EAGAIN.
  long MeasureCapacity() { return FillPipe(w()); }
};

IPC_TEST_P(PipeCapacity, EmptyPipeTakesPipeBufWithoutBlocking, "PIPE.CAPACITY.AT_LEAST_PIPE_BUF") {
  long pipe_buf = PipeBufForSizing(r());
  if (pipe_buf < 0) return;
  // In a child with a bound: on a blocking end, a subject that blocks must fail, not hang.
  Outcome o = RunInChild([&]() {
    std::vector<char> data(static_cast<size_t>(pipe_buf), 'p');
    return write(w(), data.data(), data.size()) == pipe_buf ? 0 : 10;
  });
  EXPECT_TRUE(ExitedWith(o, 0)) << "a write of PIPE_BUF (" << pipe_buf << ") bytes into an "
                                << "empty pipe must complete at once with the full count";
  // Read them back without blocking: the write's count must be bytes really held.
  SetNonBlocking(r(), true);
  std::vector<char> buf(static_cast<size_t>(pipe_buf) + 1);
  EXPECT_THAT(SYS(read(r(), buf.data(), buf.size())), SyscallSucceedsWithValue(pipe_buf))
      << "the pipe must hold the PIPE_BUF bytes written";
}

IPC_TEST_P(PipeCapacity, GetpipeSzReportsTheMeasuredCapacity, "PIPE.CAPACITY.GETPIPE_SZ") {
  long reported = fcntl(r(), F_GETPIPE_SZ);
  ASSERT_GT(reported, 0) << "fcntl(F_GETPIPE_SZ) on the read end: " << ErrnoName(errno);
  EXPECT_THAT(SYS(fcntl(w(), F_GETPIPE_SZ)), SyscallSucceedsWithValue(reported))
      << "both ends of one pipe report one capacity";
  EXPECT_EQ(MeasureCapacity(), reported)
      << "filling the pipe must measure what F_GETPIPE_SZ reports";
  EXPECT_EQ(reported, 16 * kPage)
      << "man 7 pipe: the default capacity is 16 pages (" << 16 * kPage << " bytes). Linux "
      << "gives a new pipe less when 16 pages exceed /proc/sys/fs/pipe-max-size (now "
      << ReadSmallFile("/proc/sys/fs/pipe-max-size").substr(0, 20) << ") or, for a user "
      << "without CAP_SYS_RESOURCE, when the user's pipes already hold more pages than "
      << "/proc/sys/fs/pipe-user-pages-soft (now "
      << ReadSmallFile("/proc/sys/fs/pipe-user-pages-soft").substr(0, 20) << "): check these "
      << "before calling the kernel wrong (this process runs as uid " << getuid() << ")";
}

IPC_TEST_P(PipeCapacity, SetpipeSzSetsWhatThePipeThenHolds, "PIPE.CAPACITY.SETPIPE_SZ") {
  const long asked = 3 * kPage;
  SyscallResult set = SYS(fcntl(w(), F_SETPIPE_SZ, asked));
  ASSERT_THAT(set, SyscallSucceeds());
  EXPECT_GE(set.value, asked) << "F_SETPIPE_SZ(" << asked << ") must give at least that";
  EXPECT_TRUE(set.value % kPage == 0 && IsPowerOfTwo(set.value / kPage))
      << "F_SETPIPE_SZ(" << asked << ") returned " << set.value
      << ", not a power-of-two number of pages";
  SyscallResult got = SYS(fcntl(r(), F_GETPIPE_SZ));
  const long measured = MeasureCapacity();
  // F_GETPIPE_SZ reading back a size the pipe does not hold is F_GETPIPE_SZ's own fault.
  IPCCONF_BLOCKED_BY_IF(got.value != measured && measured > 0, "PIPE.CAPACITY.GETPIPE_SZ",
                        "F_GETPIPE_SZ on the other end returns " + std::to_string(got.value) +
                            (got.value < 0 ? " (" + ErrnoName(got.error) + ")" : "") +
                            " but the pipe holds " + std::to_string(measured) + " bytes");
  EXPECT_EQ(measured, set.value) << "the pipe must then hold exactly what was set";
  EXPECT_THAT(got, SyscallSucceedsWithValue(set.value))
      << "the other end reports the capacity just set";
}

IPC_TEST_P(PipeCapacity, SetpipeSzBelowContentFailsWithEbusy, "PIPE.CAPACITY.SETPIPE_SZ_EBUSY") {
  long before = fcntl(w(), F_GETPIPE_SZ);
  ASSERT_GT(before, 3 * kPage) << "F_GETPIPE_SZ (" << ErrnoName(errno) << "): this test needs "
                               << "a default capacity above 3 pages";
  std::string data(static_cast<size_t>(3 * kPage), '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  SyscallResult put = SYS(write(w(), data.data(), data.size()));
  IPCCONF_BLOCKED_BY_IF(!GetParam().nonblocking() && put.value > 0 &&
                            put.value < static_cast<long>(data.size()),
                        "PIPE.ATOMIC.LARGE_WRITE_COMPLETES",
                        "a blocking write() of 3 pages into the empty pipe returned " +
                            std::to_string(put.value));
  ASSERT_THAT(put, SyscallSucceedsWithValue(data.size()));
  for (long pages : {1L, 2L}) {
    EXPECT_THAT(SYS(fcntl(w(), F_SETPIPE_SZ, pages * kPage)), SyscallFailsWithErrno(EBUSY))
        << "asking for " << pages << " page(s) while the pipe holds 3 pages of data";
  }
  EXPECT_THAT(SYS(fcntl(r(), F_GETPIPE_SZ)), SyscallSucceedsWithValue(before))
      << "a refused F_SETPIPE_SZ must leave the capacity as it was";
  std::string got(data.size(), '\0');
  size_t have = 0;
  while (have < got.size()) {
    ssize_t n = ReadWithin(r(), &got[have], got.size() - have, kAlreadyInPipe);
    ASSERT_GT(n, 0) << "reading back the data: " << ErrnoName(errno);
    have += static_cast<size_t>(n);
  }
  EXPECT_TRUE(got == data) << "the data must survive the refused F_SETPIPE_SZ unchanged";
}

INSTANTIATE_TEST_SUITE_P(Kinds, PipeCapacity, ::testing::ValuesIn(AllPipeKinds()), PipeKindName);

// F_SETPIPE_SZ over a range of sizes, on a plain pipe: rounding is the kernel's, not the kind's.
class PipeCapacitySizes : public ::testing::TestWithParam<long> {};

IPC_TEST_P(PipeCapacitySizes, SetpipeSzRoundsUpToPowerOfTwoPages, "PIPE.CAPACITY.SETPIPE_SZ") {
  PipeEnds ends = MakePipe(BlockingPipeKinds()[0]);
  ASSERT_TRUE(ends.ok());
  const long asked = GetParam();
  SyscallResult set = SYS(fcntl(ends.write.get(), F_SETPIPE_SZ, asked));
  ASSERT_THAT(set, SyscallSucceeds());
  EXPECT_GE(set.value, asked);
  EXPECT_TRUE(set.value % kPage == 0 && IsPowerOfTwo(set.value / kPage))
      << "F_SETPIPE_SZ(" << asked << ") returned " << set.value
      << ", not a power-of-two number of pages";
  // Fill it: the pipe holds exactly the capacity returned.
  SetNonBlocking(ends.write.get(), true);
  std::vector<char> data(static_cast<size_t>(set.value) + 1, 's');
  SyscallResult put = SYS(write(ends.write.get(), data.data(), data.size()));
  // Writing more than fits is the O_NONBLOCK write's business: it must transfer what fits.
  IPCCONF_BLOCKED_BY_IF(put.value < 0 && put.error == EAGAIN, "PIPE.NONBLOCK.LARGE_WRITE_PARTIAL",
                        "an O_NONBLOCK write() of " + std::to_string(data.size()) +
                            " bytes into the empty pipe failed with EAGAIN instead of "
                            "transferring what fits");
  EXPECT_THAT(put, SyscallSucceedsWithValue(set.value))
      << "a non-blocking write of one byte more than the capacity into the empty pipe";
}

INSTANTIATE_TEST_SUITE_P(Bytes, PipeCapacitySizes,
                         ::testing::Values(1, kPage, kPage + 1, 3 * kPage, 5 * kPage, 16 * kPage,
                                           17 * kPage),
                         [](const ::testing::TestParamInfo<long>& info) {
                           return std::to_string(info.param);
                         });

}  // namespace
}  // namespace ipcconf
