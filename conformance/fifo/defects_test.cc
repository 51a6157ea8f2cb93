// Every FIFO assertion is seen to FAIL against a broken subject: fifo_test runs under each
// defect of subjects/fifo/defects.txt (the LD_PRELOAD shim with
// IPCCONF_BREAK), limited to the tests of the ids that defect must
// break, and each of those ids must get at least one FAIL. A control run with the shim loaded
// and no defect must pass entirely, and the shim must refuse a defect name it does not know.
#include <set>
#include <string>
#include <vector>

#include "harness/child.h"
#include "harness/defect_runner.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

const Millis kRunBound{60000};
const char kSubjects[] = "subjects/fifo/";

std::string FifoTest() { return Runfile("conformance/fifo/fifo_test"); }
std::vector<DefectRow> FifoDefects() {
  return ReadDefectTable(std::string(kSubjects) + "defects.txt");
}

// fifo_test with the shim preloaded, then `env`, running `args`.
SubRunResult RunFifoTest(const std::vector<std::string>& env,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv = {FifoTest()},
                           full_env = {"LD_PRELOAD=" +
                                       Runfile(std::string(kSubjects) + "libbroken_fifo.so")};
  argv.insert(argv.end(), args.begin(), args.end());
  full_env.insert(full_env.end(), env.begin(), env.end());
  return RunTestBinary(argv, full_env, kRunBound);
}

const TestTags& FifoTags() {
  static const auto* tags = new TestTags(ListTags(FifoTest()));
  return *tags;
}

class FifoDefect : public ::testing::TestWithParam<DefectRow> {};

TEST_P(FifoDefect, EachAssertionItMustBreakFails) {
  const DefectRow& row = GetParam();
  std::vector<std::string> env = {"IPCCONF_BREAK=" + row.name};
  IPCCONF_EXPECT_NO_PROBLEMS(CheckDefect(
      row, FifoTags(),
      [&](const std::set<std::string>& tests) {
        return RunFifoTest(env, {"--gtest_filter=" + FilterFor(tests)});
      },
      "fifo_test under " + row.name));
}

INSTANTIATE_TEST_SUITE_P(Table, FifoDefect, ::testing::ValuesIn(FifoDefects()), DefectParamName);

TEST(FifoDefects, EveryCatalogAssertionHasADefectThatBreaksIt) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds("conformance/fifo/assertions.catalog", "fifo", &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_GE(ids.size(), 25u) << "the FIFO catalog was not read";
  IPCCONF_EXPECT_NO_PROBLEMS(CoverageProblems(FifoDefects(), ids));
}

TEST(FifoDefects, UnknownDefectIsRefusedByName) {
  SubRunResult run = RunFifoTest({"IPCCONF_BREAK=no_such_defect"}, {"--ipcconf_list"});
  // The shim lists what it knows: exactly the table's defects.
  std::set<std::string> shim_defects;
  for (const DefectRow& d : FifoDefects()) shim_defects.insert(d.name);
  IPCCONF_EXPECT_NO_PROBLEMS(UnknownDefectProblems(run, "no_such_defect", shim_defects,
                                                   "libbroken_fifo.so", "defects.txt"));
}

TEST(FifoDefects, ControlRunWithTheShimAndNoDefectPasses) {
  // At least 50 cases: the FIFO area holds that many; every one must pass (no skip either).
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(RunFifoTest({}, {}), 50, /*skips_allowed=*/false,
                                                "fifo_test under the shim"));
}

}  // namespace
}  // namespace ipcconf
