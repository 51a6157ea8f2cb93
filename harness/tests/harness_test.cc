// Tests of the harness itself: the leak guard fails each leaking test and names the leak; tagging
// rules are enforced; hung children are diagnosed; blocking is observed; catalogs are validated.
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/blocked.h"
#include "harness/catalog.h"
#include "harness/child.h"
#include "harness/defect_runner.h"
#include "harness/leak_guard.h"
#include "harness/posix_names.h"

namespace ipcconf {
namespace {

using ::testing::HasSubstr;

struct SubjectResult {
  std::string status;
  std::string message;
};

// Runs the leaky subject once (with a bound) and reads its per-test results.
std::map<std::string, SubjectResult> RunLeakySubject() {
  static auto* results = new std::map<std::string, SubjectResult>();
  if (!results->empty()) return *results;
  std::string file = std::string(getenv("TEST_TMPDIR")) + "/leaky_results.jsonl";
  // The sub-run must not write into this test's own XML or shard files.
  std::vector<std::string> env = {
      "IPCCONF_RESULTS=" + file,  "XML_OUTPUT_FILE",  "GTEST_OUTPUT",     "TEST_SHARD_STATUS_FILE",
      "TEST_PREMATURE_EXIT_FILE", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS"};
  Child c = Child::Exec({Runfile("harness/tests/leaky_subject_test")}, env);
  Outcome o = c.Wait(Millis(60000));
  EXPECT_TRUE(o.kind == Outcome::Kind::kExited) << o.Describe();
  for (const ResultLine& r : ReadResults(file)) (*results)[r.test] = {r.status, r.message};
  unlink(file.c_str());
  return *results;
}

void ExpectFailsWith(const std::string& test, const std::string& text) {
  auto results = RunLeakySubject();
  ASSERT_TRUE(results.count(test)) << test << " did not run";
  EXPECT_EQ(results[test].status, "FAIL") << test << " should fail: the harness missed it";
  EXPECT_THAT(results[test].message, HasSubstr(text)) << test;
}

TEST(LeakGuard, FailsTheTestThatLeaksAPosixObject) {
  ExpectFailsWith("Leaky.LeaksAPosixMessageQueue", "POSIX message queue /ipcconf.");
  ExpectFailsWith("Leaky.LeaksAPosixSharedMemoryObject", "POSIX shared memory object /ipcconf.");
  ExpectFailsWith("Leaky.LeaksAPosixNamedSemaphore", "POSIX named semaphore /ipcconf.");
}

// A pid means something only in its own pid namespace: a run in another one (Bazel's
// linux-sandbox) must leave alone names it cannot judge, or it removes objects of live runs.
TEST(PosixNames, TheSweepJudgesOnlyNamesOfItsOwnPidNamespace) {
  const std::string mine = PosixIpcName("sweep");  // "/ipcconf.PID-NS.N.sweep"
  const size_t dash = mine.find('-');
  const std::string ns = mine.substr(dash + 1, mine.find('.', dash) - dash - 1);
  Outcome gone = RunInChild([]() { return 0; });  // a pid no run has any more
  ASSERT_TRUE(ExitedWith(gone, 0));
  const std::string dead = "/dev/shm/ipcconf." + std::to_string(gone.pid);
  const std::string ours = dead + "-" + ns + ".1.sweep", foreign = dead + "-1.1.sweep";
  for (const std::string& path : {ours, foreign}) {
    int fd = open(path.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_GE(fd, 0) << path;
    close(fd);
  }
  std::vector<std::string> removed = SweepDeadRunsPosixObjects();
  EXPECT_THAT(removed, ::testing::Contains(ours)) << "a dead run of this namespace";
  EXPECT_THAT(removed, ::testing::Not(::testing::Contains(foreign)))
      << "a name of another pid namespace, whose pids this run cannot see";
  EXPECT_EQ(access(foreign.c_str(), F_OK), 0);
  unlink(ours.c_str());
  unlink(foreign.c_str());
}

TEST(LeakGuard, FailsTheTestThatLeaksAnFd) { ExpectFailsWith("Leaky.LeaksAnFd", "fd "); }
TEST(LeakGuard, FailsTheTestThatLeaksAZombie) { ExpectFailsWith("Leaky.LeaksAZombie", "zombie"); }
TEST(LeakGuard, FailsTheTestThatLeaksALiveChild) {
  ExpectFailsWith("Leaky.LeaksALiveChild", "child pid");
}
TEST(LeakGuard, FailsTheTestThatLeaksAnOrphan) {
  ExpectFailsWith("Leaky.LeaksAnOrphanedGrandchild", "child pid");
}
TEST(LeakGuard, FailsTheTestThatLeaksSharedMemory) {
  ExpectFailsWith("Leaky.LeaksASharedMemorySegment", "shared memory segment");
}
TEST(LeakGuard, FailsTheTestThatLeaksASemaphoreSet) {
  ExpectFailsWith("Leaky.LeaksASemaphoreSet", "semaphore set");
}
TEST(LeakGuard, FailsTheTestThatLeaksAMessageQueue) {
  ExpectFailsWith("Leaky.LeaksAMessageQueue", "message queue");
}
TEST(LeakGuard, FailsTheTestThatLeaksAFile) {
  ExpectFailsWith("Leaky.LeaksAFileInItsTmpDir", "file left_behind");
}
TEST(LeakGuard, FailsTheTestThatLeaksAFifo) {
  ExpectFailsWith("Leaky.LeaksAFifoInTestTmpdir", "stray_fifo");
}
TEST(LeakGuard, PassesACleanTest) {
  auto results = RunLeakySubject();
  EXPECT_EQ(results["Leaky.CleanTestPasses"].status, "PASS")
      << results["Leaky.CleanTestPasses"].message;
}
TEST(BlockedBy, ATestBlockedByAFacilityIsBlockedNotFailed) {
  auto results = RunLeakySubject();
  EXPECT_EQ(results["Blocked.ByAFacilityItReliesOn"].status, "BLOCKED");
  EXPECT_EQ(results["Blocked.ByAFacilityItReliesOn"].message,
            "blocked by HARNESS.FACILITY: the facility answered EAGAIN");
  EXPECT_EQ(results["Blocked.TheMacroStopsTheTest"].status, "BLOCKED");
  EXPECT_EQ(results["Blocked.TheMacroStopsTheTest"].message,
            "blocked by HARNESS.FACILITY: seen by the macro");
}
TEST(BlockedBy, AnOwnFailureBeforeTheBlockStands) {
  ExpectFailsWith("Blocked.AfterItsOwnFailureStaysFailed", "its own failure");
}
TEST(BlockedBy, BlockedByTheAssertionItChecksIsItsFailure) {
  ExpectFailsWith("Blocked.ByWhatItChecksItselfIsItsFailure", "the facility answered EAGAIN");
}

TEST(AssertionTagging, FailsATestThatNamesNoAssertion) {
  ExpectFailsWith("Untagged.NamesNoAssertion", "names no catalog assertion");
}
TEST(AssertionTagging, FailsATestThatNamesAnUnknownAssertion) {
  ExpectFailsWith("Tagged.NamesAnUnknownAssertion", "HARNESS.NO_SUCH_ID");
}

TEST(Child, HungChildIsKilledAndDiagnosedWithTheCallItBlocksIn) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Outcome o = RunInChild(
      [&]() {
        char c;
        return static_cast<int>(read(fds[0], &c, 1));  // nobody ever writes
      },
      Millis(300));
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(o.kind, Outcome::Kind::kTimedOut);
  EXPECT_THAT(o.diagnosis, HasSubstr("pid " + std::to_string(o.pid)));
  EXPECT_THAT(o.diagnosis, HasSubstr("in read("));
}

TEST(Child, TimeoutKillsTheWholeProcessGroup) {
  Handshake grandchild_started;
  Outcome o = RunInChild(
      [&]() {
        if (fork() == 0) {
          grandchild_started.Send();
          pause();
          _exit(0);
        }
        pause();
        return 0;
      },
      Millis(300));
  ASSERT_TRUE(grandchild_started.Receive());
  EXPECT_EQ(o.kind, Outcome::Kind::kTimedOut);
  // The grandchild was killed with the group; as our adopted orphan it is reaped here, and its
  // status must say SIGKILL. (Right after the kill it may still show state R: wait for its end.)
  std::vector<pid_t> orphans = ChildrenOf(getpid());
  ASSERT_EQ(orphans.size(), 1u) << "the grandchild should have been adopted by the test process";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, orphans[0], 0));
  ASSERT_GE(pidfd, 0);
  pollfd p{pidfd, POLLIN, 0};
  bool ended = poll(&p, 1, static_cast<int>(kEventBound.count())) == 1;
  close(pidfd);
  if (!ended) kill(orphans[0], SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(orphans[0], &status, 0), orphans[0]);
  EXPECT_TRUE(ended) << "the grandchild outlived the group kill";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

TEST(Child, ReportsExitCodeAndSignal) {
  EXPECT_TRUE(ExitedWith(RunInChild([] { return 7; }), 7));
  EXPECT_TRUE(KilledBySignal(RunInChild([] {
                               raise(SIGTERM);
                               return 0;
                             }),
                             SIGTERM));
  EXPECT_FALSE(ExitedWith(RunInChild([] { return 1; }), 0));
}

TEST(WaitUntilBlocked, SeesAChildBlockedInRead) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  Child c = Child::Fork([&]() {
    char ch;
    return read(fds[0], &ch, 1) == 1 ? 0 : 1;
  });
  EXPECT_TRUE(WaitUntilBlocked(c.pid(), {SYS_read, fds[0]}));
  EXPECT_FALSE(WaitUntilBlocked(c.pid(), {SYS_write, std::nullopt}, Millis(100)))
      << "blocked in read must not count as blocked in write";
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  EXPECT_TRUE(ExitedWith(c.Wait(), 0));
  close(fds[0]);
  close(fds[1]);
}

TEST(WaitUntilBlocked, FailsWhenTheChildExitsInstead) {
  Child c = Child::Fork([] { return 0; });
  auto r = WaitUntilBlocked(c.pid(), {SYS_read, std::nullopt}, Millis(2000));
  EXPECT_FALSE(r);
  EXPECT_THAT(r.message(), HasSubstr("ended first"));
  c.Wait();
}

TEST(WaitUntilBlocked, FailsWhenTheChildKeepsRunning) {
  Child c = Child::Fork([] {
    for (;;) {
    }
    return 0;
  });
  auto r = WaitUntilBlocked(c.pid(), {}, Millis(100));
  EXPECT_FALSE(r);
  EXPECT_THAT(r.message(), HasSubstr("state R"));
}

}  // namespace
}  // namespace ipcconf
