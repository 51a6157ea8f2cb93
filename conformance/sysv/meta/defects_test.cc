// Every System V assertion is seen to FAIL against a broken subject: sysv_test runs once per
// defect of fixtures/broken/sysv_defects.txt with the broken libc preloaded, filtered to the
// tests of the ids that defect must break, and each of those ids must get a FAIL line. A
// control run (shim loaded, no defect) must pass everything. Sub-runs are bounded: a defect
// that makes a call block forever still ends as failed tests, never as a hung suite.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fixtures/child.h"
#include "fixtures/defect_runner.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr Millis kRunBound{60000};
const char kTable[] = "fixtures/broken/sysv_defects.txt";

std::string SysvTest() { return Runfile("conformance/sysv/sysv_test"); }

const TestTags& SysvTags() {
  static const auto* tags = new TestTags(ListTags(SysvTest()));
  return *tags;
}

// All sub-runs at once (most wait on bounds, not on the CPU), each bounded; computed once.
// Keyed by defect, "" for the control run.
const std::map<std::string, SubRunResult>& AllRuns() {
  static auto* runs = new std::map<std::string, SubRunResult>();
  if (!runs->empty()) return *runs;
  std::vector<std::pair<std::string, std::string>> plan = {{"", ""}};  // the control run
  for (const DefectRow& d : ReadDefectTable(kTable)) {
    std::string filter = FilterFor(d.ids, SysvTags());
    if (!filter.empty()) plan.push_back({d.name, filter});
  }
  std::vector<std::unique_ptr<SubRun>> started;
  for (const auto& [defect, filter] : plan) {
    std::vector<std::string> argv = {SysvTest()};
    if (!filter.empty()) argv.push_back("--gtest_filter=" + filter);
    started.push_back(std::make_unique<SubRun>(
        argv,
        std::vector<std::string>{"LD_PRELOAD=" + Runfile("fixtures/broken/libbroken_sysv.so"),
                                 defect.empty() ? "IPCCONF_BREAK" : "IPCCONF_BREAK=" + defect}));
  }
  for (size_t i = 0; i < plan.size(); ++i) (*runs)[plan[i].first] = started[i]->Finish(kRunBound);
  return *runs;
}

class SysvDefect : public ::testing::TestWithParam<DefectRow> {};

TEST_P(SysvDefect, BreaksEachOfItsAssertions) {
  const DefectRow& d = GetParam();
  ASSERT_EQ(d.error, "");
  ASSERT_EQ(SysvTags().error, "");
  auto run = AllRuns().find(d.name);
  SubRunResult none;  // no test checks any of the ids: the verdict says so for each
  for (const std::string& problem :
       DefectVerdict(d, SysvTags(), run == AllRuns().end() ? none : run->second,
                     "sysv_test under IPCCONF_BREAK=" + d.name)) {
    ADD_FAILURE() << problem;
  }
}

INSTANTIATE_TEST_SUITE_P(Defects, SysvDefect, ::testing::ValuesIn(ReadDefectTable(kTable)),
                         DefectParamName);

TEST(SysvDefects, ControlRunWithTheShimLoadedPassesEverything) {
  for (const std::string& problem :
       ControlRunProblems(AllRuns().at(""), 120,
                          /*skips_allowed=*/true, "sysv_test under the shim, no defect")) {
    ADD_FAILURE() << problem;
  }
}

TEST(SysvDefects, EveryCatalogIdIsBrokenByADefect) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds("conformance/sysv/assertions.catalog", "sysv", &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  for (const std::string& problem : CoverageProblems(ReadDefectTable(kTable), ids)) {
    ADD_FAILURE() << problem;
  }
}

}  // namespace
}  // namespace ipcconf
