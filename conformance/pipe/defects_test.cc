// Every pipe assertion has been seen to FAIL: pipe_test runs against libbroken_pipe.so once per
// defect of subjects/pipe/defects.txt, and each assertion the defect must break has to
// show up as FAIL in the results. Plus the checks that keep this proof honest: every catalog id
// is covered, the shim is transparent without a defect, and it refuses names it does not know.
#include <set>
#include <string>
#include <vector>

#include "harness/child.h"
#include "harness/defect_runner.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

const char kTable[] = "subjects/pipe/defects.txt";

std::string PipeTest() { return Runfile("conformance/pipe/pipe_test"); }
std::string ShimEnv() { return "LD_PRELOAD=" + Runfile("subjects/pipe/libbroken_pipe.so"); }

// A sub-run whose output stops growing this long is hung: under a broken subject one test may
// run into a few of its kEventBound waits, not into this many.
constexpr Millis kStallWindow = 6 * kEventBound;

// Under a broken subject a test may run into its bounded waits (kEventBound) instead of
// passing quickly; a sub-run slower than two of them per test instance is hung.
Millis BoundFor(const std::string& filter) {
  return Millis(30000) + 2 * kEventBound * CountInstances(PipeTest(), filter);
}

// pipe_test under the shim, limited to `filter` ("" for all), with IPCCONF_BREAK=`defect`
// ("" for none).
SubRunResult RunUnderShim(const std::string& defect, const std::string& filter) {
  std::vector<std::string> args = {PipeTest()}, env = {ShimEnv()};
  if (!filter.empty()) args.push_back("--gtest_filter=" + filter);
  if (!defect.empty()) env.push_back("IPCCONF_BREAK=" + defect);
  return RunTestBinary(args, env, BoundFor(filter.empty() ? "*" : filter), kStallWindow);
}

const TestTags& PipeTags() {
  static const auto* tags = new TestTags(ListTags(PipeTest()));
  return *tags;
}

class PipeDefect : public ::testing::TestWithParam<DefectRow> {};

TEST_P(PipeDefect, MakesItsAssertionsFail) {
  const DefectRow& d = GetParam();
  if (d.legal) {  // a variant POSIX allows: the whole binary, and the posix profile passes
    std::vector<std::string> errors;
    auto profiles = CatalogProfiles("conformance/pipe/assertions.catalog", &errors);
    ASSERT_TRUE(errors.empty()) << errors.front();
    IPCCONF_EXPECT_NO_PROBLEMS(LegalVariantProblems(
        d, RunUnderShim(d.name, ""), profiles, "pipe_test under IPCCONF_BREAK=" + d.name));
    return;
  }
  IPCCONF_EXPECT_NO_PROBLEMS(CheckDefect(
      d, PipeTags(),
      [&](const std::set<std::string>& tests) { return RunUnderShim(d.name, FilterFor(tests)); },
      "pipe_test under IPCCONF_BREAK=" + d.name));
}

INSTANTIATE_TEST_SUITE_P(Shim, PipeDefect, ::testing::ValuesIn(ReadDefectTable(kTable)),
                         DefectParamName);

TEST(PipeDefects, EveryPipeAssertionIsBrokenBySomeDefect) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds("conformance/pipe/assertions.catalog", "pipe", &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  IPCCONF_EXPECT_NO_PROBLEMS(CoverageProblems(ReadDefectTable(kTable), ids));
}

TEST(PipeDefects, ShimIsTransparentWithoutADefect) {
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(RunUnderShim("", ""), 1, /*skips_allowed=*/true,
                                                "pipe_test under the shim without IPCCONF_BREAK"));
}

TEST(PipeDefects, UnknownDefectIsRefusedByName) {
  SubRunResult run = RunTestBinary({PipeTest(), "--ipcconf_list"},
                                   {ShimEnv(), "IPCCONF_BREAK=no_such_defect"}, kEventBound);
  // The shim lists what it knows: that must be exactly the defects of the file.
  std::set<std::string> in_table;
  for (const DefectRow& d : ReadDefectTable(kTable)) in_table.insert(d.name);
  IPCCONF_EXPECT_NO_PROBLEMS(UnknownDefectProblems(run, "no_such_defect", in_table,
                                                   "libbroken_pipe.so", "defects.txt"));
}

}  // namespace
}  // namespace ipcconf
