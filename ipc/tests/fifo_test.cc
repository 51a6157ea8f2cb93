#include "ipc/fifo.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/leak_guard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/tests/ipc_testing.h"

namespace {

using ::ipc_test::FailedWith;
using ::ipc_test::Succeeded;
using ::ipcconf::Child;
using ::ipcconf::ExitedWith;
using ::ipcconf::TestTmpDir;
using ::testing::HasSubstr;

std::string PathIn(const std::string& name) { return TestTmpDir() + "/" + name; }

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// Sets the umask for one test and restores it.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

TEST(Fifo, CreateMakesAFifoWhoseModeHasTheUmaskApplied) {
  ScopedUmask mask(027);
  const std::string path = PathIn("f");
  ipc::Result<ipc::Fifo> fifo = ipc::Fifo::Create(path, 0666);
  ASSERT_TRUE(Succeeded(fifo));
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "mode 0666 & ~umask 027";
  EXPECT_EQ(fifo->path(), path);
  EXPECT_TRUE(fifo->owns_node());
}

TEST(Fifo, CreateOnAnExistingPathFailsWithEexistAndAHint) {
  const std::string path = PathIn("f");
  ipc::Result<ipc::Fifo> first = ipc::Fifo::Create(path);
  ASSERT_TRUE(Succeeded(first));
  ipc::Result<ipc::Fifo> second = ipc::Fifo::Create(path, 0600);
  EXPECT_TRUE(FailedWith(second, EEXIST, "mkfifo(" + path + ", 0600)"));
  EXPECT_THAT(ipc::DescribeFifoError(second.error()), HasSubstr("already exists"));
  EXPECT_TRUE(Exists(path)) << "the failed Create must not remove the first one's node";
}

TEST(Fifo, CreateInAMissingDirectoryFailsWithEnoent) {
  EXPECT_TRUE(FailedWith(ipc::Fifo::Create(PathIn("no/such/dir")), ENOENT, "mkfifo("));
}

TEST(Fifo, DestructionRemovesAnOwnedNodeOnly) {
  const std::string path = PathIn("f");
  { ASSERT_TRUE(Succeeded(ipc::Fifo::Create(path))); }
  EXPECT_FALSE(Exists(path)) << "the owner's destructor unlinks the node";

  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  {
    ipc::Fifo existing = ipc::Fifo::Existing(path);
    EXPECT_FALSE(existing.owns_node());
    EXPECT_FALSE(*existing.Remove()) << "Remove() of a FIFO it does not own does nothing";
  }
  EXPECT_TRUE(Exists(path)) << "a FIFO someone else created stays";
  unlink(path.c_str());
}

TEST(Fifo, MoveTransfersOwnershipAndAssignmentRemovesTheOldNode) {
  const std::string a = PathIn("a"), b = PathIn("b");
  ipc::Fifo first = std::move(ipc::Fifo::Create(a).value());
  ipc::Fifo moved(std::move(first));
  EXPECT_FALSE(first.owns_node());  // NOLINT(bugprone-use-after-move): the moved-from state
  EXPECT_TRUE(moved.owns_node());
  EXPECT_EQ(moved.path(), a);
  EXPECT_TRUE(Exists(a));
  ipc::Fifo other = std::move(ipc::Fifo::Create(b).value());
  moved = std::move(other);
  EXPECT_FALSE(Exists(a)) << "assigning over an owner removes its node";
  EXPECT_TRUE(Exists(b));
  EXPECT_EQ(moved.path(), b);
}

TEST(Fifo, ReleaseAndRemove) {
  const std::string path = PathIn("f");
  {
    ipc::Fifo fifo = std::move(ipc::Fifo::Create(path).value());
    fifo.Release();
  }
  EXPECT_TRUE(Exists(path)) << "a released node outlives the object";
  unlink(path.c_str());

  ipc::Fifo fifo = std::move(ipc::Fifo::Create(path).value());
  EXPECT_TRUE(*fifo.Remove());
  EXPECT_FALSE(Exists(path));
  EXPECT_FALSE(*fifo.Remove()) << "a second Remove() has nothing to remove";
}

TEST(Fifo, RemoveOfANodeAlreadyGoneNamesUnlink) {
  const std::string path = PathIn("f");
  ipc::Fifo fifo = std::move(ipc::Fifo::Create(path).value());
  unlink(path.c_str());
  EXPECT_TRUE(FailedWith(fifo.Remove(), ENOENT, "unlink(" + path + ")"));
}

TEST(Fifo, OpenForWritingWithoutWaitingAndNoReaderFailsWithEnxio) {
  const std::string path = PathIn("f");
  ipc::Fifo fifo = std::move(ipc::Fifo::Create(path).value());
  ipc::Result<ipc::UniqueFd> w = fifo.OpenForWriting(ipc::Fifo::Wait::kNoWait);
  EXPECT_TRUE(FailedWith(w, ENXIO, "open(" + path + ", O_WRONLY|O_NONBLOCK)"));
  EXPECT_THAT(ipc::DescribeFifoError(w.error()), HasSubstr("start the reader first"));
}

TEST(Fifo, OpenOfAMissingFifoFailsWithEnoent) {
  ipc::Fifo missing = ipc::Fifo::Existing(PathIn("missing"));
  ipc::Result<ipc::UniqueFd> r = missing.OpenForReading(ipc::Fifo::Wait::kNoWait);
  EXPECT_TRUE(FailedWith(r, ENOENT, "open("));
  EXPECT_THAT(ipc::DescribeFifoError(r.error()), HasSubstr("start the server first"));
}

TEST(Fifo, NoWaitOpensGiveBlockingCloseOnExecEndsOfOnePipe) {
  ipc::Fifo fifo = std::move(ipc::Fifo::Create(PathIn("f")).value());
  ipc::Result<ipc::UniqueFd> r = fifo.OpenForReading(ipc::Fifo::Wait::kNoWait);
  ASSERT_TRUE(Succeeded(r)) << "a reader opens at once without a writer";
  ipc::Result<ipc::UniqueFd> w = fifo.OpenForWriting(ipc::Fifo::Wait::kNoWait);
  ASSERT_TRUE(Succeeded(w)) << "a reader is there";
  for (int fd : {r->get(), w->get()}) {
    EXPECT_FALSE(fcntl(fd, F_GETFL) & O_NONBLOCK) << "O_NONBLOCK was only for the open";
    EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  }
  EXPECT_EQ(fcntl(r->get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(fcntl(w->get(), F_GETFL) & O_ACCMODE, O_WRONLY);
  ASSERT_EQ(write(w->get(), "x", 1), 1);
  char c = 0;
  EXPECT_EQ(read(r->get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(Fifo, AWaitingOpenForWritingReturnsOnceAReaderOpens) {
  ipc::Fifo fifo = std::move(ipc::Fifo::Create(PathIn("f")).value());
  Child writer = Child::Fork([&] { return fifo.OpenForWriting().ok() ? 0 : 1; });
  ASSERT_TRUE(ipcconf::WaitUntilBlocked(writer.pid(), {SYS_openat, std::nullopt}));
  ipc::Result<ipc::UniqueFd> r = fifo.OpenForReading();
  ASSERT_TRUE(Succeeded(r));
  EXPECT_TRUE(ExitedWith(writer.Wait(), 0));
}

}  // namespace
