// The pool tests grade a student's library: built against subjects/pool/pool_correct
// they all pass; built against pool_leaking (workers keep earlier channels' write ends) the
// write-end and shutdown tests fail for every N >= 2, and the failure names the worker, the
// channel and the fd that make the forward shutdown loop wait forever. Built against
// pool_broken, every pool assertion fails under some defect of defects.txt, and a defect
// name it does not know is refused.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness/child.h"
#include "harness/defect_runner.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

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

// --- every assertion fails against some defect of the broken pool ------------------------------

const char kBroken[] = "pool_test_student_broken";

std::vector<DefectRow> PoolDefects() {
  return ReadDefectTable("subjects/pool/pool_broken/defects.txt");
}

const TestTags& PoolTags() {
  static const auto* tags = new TestTags(ListTags(PoolBinary(kBroken)));
  return *tags;
}

class PoolDefect : public ::testing::TestWithParam<DefectRow> {};

// Three workers show every defect (a worker with an earlier one, and one after the middle).
// Every test of the area runs (its three-worker instance): the defect's ids must fail, and
// nothing else may fail or be blocked by an id the row does not list.
TEST_P(PoolDefect, BreaksItsAssertionsAndNoOther) {
  const DefectRow& row = GetParam();
  IPCCONF_EXPECT_NO_PROBLEMS(CheckDefect(
      row, PoolTags(),
      [&](const std::set<std::string>&) {
        return RunPoolTests(kBroken, "Workers/*/N3", {"IPCCONF_BREAK=" + row.name});
      },
      std::string(kBroken) + " under " + row.name, /*whole=*/true));
}

INSTANTIATE_TEST_SUITE_P(Table, PoolDefect, ::testing::ValuesIn(PoolDefects()), DefectParamName);

TEST(PoolDefects, EveryCatalogAssertionHasADefectThatBreaksIt) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds("conformance/pool/assertions.catalog", "pool", &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_GE(ids.size(), 15u) << "the pool catalog was not read";
  // defects.txt and the catalog must name the same assertions.
  IPCCONF_EXPECT_NO_PROBLEMS(CoverageProblems(PoolDefects(), ids));
}

TEST(PoolDefects, UnknownDefectIsRefusedByName) {
  SubRunResult run = RunTestBinary({PoolBinary(kBroken), "--ipcconf_list"},
                                   {"IPCCONF_BREAK=no_such_defect"}, kEventBound);
  // The pool lists what it knows: that must be exactly the defects of the file.
  std::set<std::string> in_table;
  for (const DefectRow& d : PoolDefects()) in_table.insert(d.name);
  IPCCONF_EXPECT_NO_PROBLEMS(
      UnknownDefectProblems(run, "no_such_defect", in_table, "pool_broken", "defects.txt"));
}

TEST(PoolDefects, BrokenPoolWithoutADefectPasses) {
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(RunPoolTests(kBroken, "*"), 40,
                                                /*skips_allowed=*/false,
                                                "the broken pool, no defect"));
}

}  // namespace
}  // namespace ipcconf
