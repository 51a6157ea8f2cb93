// The pool tests grade a student's library: built against subjects/pool/pool_correct
// they all pass; built against pool_leaking (workers keep earlier channels' write ends) the
// write-end and shutdown tests fail for every N >= 2, and the failure names the worker, the
// channel and the fd that make the forward shutdown loop wait forever. (Built against
// pool_broken, each defect of its defects.txt breaks exactly its assertions: :defects_test.)
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/child.h"
#include "harness/defect_runner.h"

namespace ipcconf {
namespace {

// A deadlocked shutdown is recognised in a fraction of a second; if that recognition failed,
// four hung shutdowns would take kShutdownBound (5 s) each.
const Millis kRunBound{120000};

std::string PoolBinary(const std::string& binary) { return Runfile("conformance/pool/" + binary); }

// Runs one variant of the pool tests, limited to `filter`.
SubRunResult RunPoolTests(const std::string& binary, const std::string& filter,
                          const std::vector<std::string>& more_env = {}) {
  return RunTestBinary({PoolBinary(binary), "--gtest_filter=" + filter}, more_env, kRunBound);
}

int PoolSize(const std::string& test) { return std::stoi(test.substr(test.rfind("/N") + 2)); }

TEST(StudentLibraries, CorrectLibraryPassesEveryPoolTest) {
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(RunPoolTests("pool_test_student_correct", "*"), 40,
                                                /*skips_allowed=*/false,
                                                "pool_test_student_correct"));
}

// Every run says which library it tested, first: a forgotten --//ipc/pool:impl can never pass
// the reference off as a student's library.
TEST(StudentLibraries, EveryRunNamesTheLibraryItTests) {
  for (const auto& [binary, label] :
       {std::pair<std::string, std::string>{"pool_test_student_correct",
                                            "//subjects/pool/pool_correct:ipc"},
        {"pool_test_student_leaking", "//subjects/pool/pool_leaking:ipc"}}) {
    SubRunResult run = RunPoolTests(binary, "Workers/PoolFds.*/N1");
    EXPECT_THAT(run.output, ::testing::HasSubstr("pool implementation under test: " + label + "\n"))
        << binary << ": " << run.Tail();
  }
}

// The tests that tell a leaking pool, plus those that must not blame it for the wrong thing.
const char kLeakFilter[] = "Workers/PoolFds.*:Workers/PoolShutdown.ForwardLoopEndsWithinBound/*";

TEST(StudentLibraries, LeakingLibraryFailsNamingWorkerChannelAndFd) {
  SubRunResult run = RunPoolTests("pool_test_student_leaking", kLeakFilter);
  ASSERT_TRUE(run.Finished()) << run.Describe() << "\n" << run.Tail();
  ASSERT_EQ(run.results.size(), 25u) << "4 fd tests and 1 shutdown test for 5 pool sizes\n"
                                     << run.Tail();
  // Worker 1 is the first to inherit a write end: Channel-0's, on the fd the master had for it.
  const std::regex culprit(
      "worker [0-9]+ \\(Channel-1\\) holds the write end of Channel-0 \\(fd [0-9]+\\): "
      "shutting down Channel-0 cannot deliver end-of-file");
  for (const ResultLine& result : run.results) {
    const std::string& test = result.test;
    bool leak_visible = PoolSize(test) >= 2;
    if (test.find("NoWorkerHoldsAnotherChannelsEnd") != std::string::npos && leak_visible) {
      EXPECT_EQ(result.status, "FAIL") << test;
      EXPECT_TRUE(std::regex_search(result.message, culprit)) << test << ": " << result.message;
    } else if (test.find("ForwardLoopEndsWithinBound") != std::string::npos && leak_visible) {
      EXPECT_EQ(result.status, "FAIL") << test;
      EXPECT_TRUE(std::regex_search(result.message, culprit)) << test << ": " << result.message;
      // The hang itself: the master waits for worker 0, which waits in read() for an EOF.
      EXPECT_THAT(result.message,
                  ::testing::ContainsRegex("shutdown did not finish, and never will: deadlock: the "
                                           "master waits in wait4\\(\\) for worker [0-9]+ "
                                           "\\(Channel-0\\)"));
      EXPECT_THAT(result.message, ::testing::ContainsRegex("the master: pid [0-9]+ .* in wait4"));
    } else {
      EXPECT_EQ(result.status, "PASS")
          << test
          << " must not fail for a pool whose only defect is leaked write ends: " << result.message;
    }
  }
}

}  // namespace
}  // namespace ipcconf
