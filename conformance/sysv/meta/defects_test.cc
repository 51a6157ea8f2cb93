// Every System V assertion is seen to FAIL against a broken subject: sysv_test runs once per
// defect of subjects/sysv/defects.txt with the broken libc preloaded, filtered to the
// tests of the ids that defect must break, and each of those ids must get a FAIL line. A
// control run (shim loaded, no defect) must pass everything. Sub-runs are bounded: a defect
// that makes a call block forever still ends as failed tests, never as a hung suite.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "harness/child.h"
#include "harness/defect_runner.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr Millis kRunBound{60000};
const char kTable[] = "subjects/sysv/defects.txt";

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
        std::vector<std::string>{"LD_PRELOAD=" + Runfile("subjects/sysv/libbroken_sysv.so"),
                                 defect.empty() ? "IPCCONF_BREAK" : "IPCCONF_BREAK=" + defect}));
  }
  for (size_t i = 0; i < plan.size(); ++i) (*runs)[plan[i].first] = started[i]->Finish(kRunBound);
  return *runs;
}

class SysvDefect : public ::testing::TestWithParam<DefectRow> {};

TEST_P(SysvDefect, BreaksEachOfItsAssertions) {
  const DefectRow& d = GetParam();
  IPCCONF_EXPECT_NO_PROBLEMS(CheckDefect(
      d, SysvTags(), [&](const std::set<std::string>&) { return AllRuns().at(d.name); },
      "sysv_test under IPCCONF_BREAK=" + d.name));
}

INSTANTIATE_TEST_SUITE_P(Defects, SysvDefect, ::testing::ValuesIn(ReadDefectTable(kTable)),
                         DefectParamName);

TEST(SysvDefects, ControlRunWithTheShimLoadedPassesEverything) {
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(AllRuns().at(""), 120, /*skips_allowed=*/true,
                                                "sysv_test under the shim, no defect"));
}

TEST(SysvDefects, EveryCatalogIdIsBrokenByADefect) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds("conformance/sysv/assertions.catalog", "sysv", &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  IPCCONF_EXPECT_NO_PROBLEMS(CoverageProblems(ReadDefectTable(kTable), ids));
}

TEST(SysvDefects, UnknownDefectIsRefusedByName) {
  // A list with one unknown name is refused too, not run with the known ones.
  SubRunResult run = RunTestBinary(
      {SysvTest(), "--ipcconf_list"},
      {"LD_PRELOAD=" + Runfile("subjects/sysv/libbroken_sysv.so"),
       "IPCCONF_BREAK=nowait_ignored,no_such_defect"},
      kEventBound);
  std::set<std::string> in_table;
  for (const DefectRow& d : ReadDefectTable(kTable)) in_table.insert(d.name);
  IPCCONF_EXPECT_NO_PROBLEMS(UnknownDefectProblems(run, "no_such_defect", in_table,
                                                   "libbroken_sysv.so", "defects.txt"));
}

}  // namespace
}  // namespace ipcconf
