// The defects meta-tests' machinery (harness/defect_runner.h) catches what it is there for:
// a table row that is wrong, an id no defect breaks, an id that passed under a defect, a
// sub-run that hangs (diagnosed, naming the process and the call it sleeps in), and a
// sub-run that would inherit this test's result files or filter.
#include "harness/defect_runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness/child.h"
#include "harness/helper_program.h"
#include "harness/leak_guard.h"

// Prints one line, then sleeps in read() on a pipe nobody writes to: a hung sub-run.
IPCCONF_HELPER(hangs_in_read) {
  int fds[2];
  if (pipe(fds) != 0) return 3;
  printf("started\n");
  fflush(stdout);
  char c;
  return static_cast<int>(read(fds[0], &c, 1));
}

// Says what it inherited, and reports two tests the way the test main does.
IPCCONF_HELPER(reports_results) {
  for (const char* name : {"XML_OUTPUT_FILE", "GTEST_FILTER", "IPCCONF_BREAK", "TEST_TMPDIR"}) {
    const char* v = getenv(name);
    printf("%s=%s\n", name, v ? v : "(unset)");
  }
  FILE* f = fopen(getenv("IPCCONF_RESULTS"), "a");
  if (!f) return 3;
  fprintf(
      f, "%s\n%s\n%s\n",
      R"({"name": "Suite.Passes", "status": "passed", "assertions": ["X.ONE"], "time_ms": 1})",
      R"({"name": "P/Suite.Fails/2", "status": "failed", "assertions": ["X.TWO", "X.ONE"],)"
      R"( "message": "boom", "time_ms": 2})",
      R"({"name": "S.Blocked", "status": "blocked", "assertions": [], "probe": "seen \u4e2d\u6587",)"
      R"( "blocked_by": "X.ONE", "message": ""})");
  fclose(f);
  return 1;
}

namespace ipcconf {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const char kTable[] =
    "# a comment line, then a blank one\n"
    "\n"
    "breaks_one  X.ONE X.TWO  # what is wrong\n"
    "no_ids   # forgot the ids\n"
    "breaks_unknown X.NINE\n"
    "breaks_one X.ONE\n";

TEST(DefectTable, ParsesRowsSkippingCommentsAndFlagsARowWithoutIds) {
  std::vector<DefectRow> rows = ParseDefectTable(kTable, "t.txt");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].name, "breaks_one");
  EXPECT_THAT(rows[0].ids, ElementsAre("X.ONE", "X.TWO"));
  EXPECT_EQ(rows[0].what, "what is wrong");
  EXPECT_EQ(rows[0].origin, "t.txt:3");
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[1].error,
            "t.txt:4: defect no_ids names no assertion id (LEGAL for a variant POSIX allows)");
}

TEST(DefectTable, CoverageNamesUnknownIdsUncoveredIdsAndTwiceListedDefects) {
  std::vector<std::string> problems =
      CoverageProblems(ParseDefectTable(kTable, "t.txt"), {"X.ONE", "X.TWO", "X.THREE"});
  EXPECT_THAT(problems, ElementsAre("t.txt:4: defect no_ids names no assertion id (LEGAL for a "
                                    "variant POSIX allows)",
                                    "t.txt:5: defect breaks_unknown names X.NINE, which the "
                                    "catalog lacks",
                                    "t.txt:6: defect breaks_one is listed twice",
                                    "X.THREE is broken by no defect in t.txt: nothing shows it "
                                    "can fail"));
}

TEST(DefectTable, UnreadableTableIsOneRowSayingSo) {
  std::vector<DefectRow> rows = ReadDefectTable("harness/no/such_table.txt");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].error, HasSubstr("no defect read from"));
}

TEST(DefectTable, CatalogIdsAreThoseOfTheArea) {
  std::vector<std::string> errors;
  EXPECT_THAT(CatalogIds("harness", &errors), Contains("HARNESS.SELFTEST"));
  EXPECT_THAT(errors, IsEmpty());
  CatalogIds("no_such_area", &errors);
  EXPECT_THAT(errors, ElementsAre(HasSubstr("no no_such_area assertion is linked")));
}

SubRunResult ExitedWithOutput(int code, const std::string& output) {
  SubRunResult run;
  run.outcome.kind = Outcome::Kind::kExited;
  run.outcome.code = code;
  run.output = output;
  return run;
}

TEST(DefectTable, UnknownDefectIsRefusedListingExactlyTheTable) {
  SubRunResult refused =
      ExitedWithOutput(2, "shim: IPCCONF_BREAK names unknown defect 'typo'; known defects: a b\n");
  EXPECT_THAT(UnknownDefectProblems(refused, "typo", {"a", "b"}, "shim", "t.txt"), IsEmpty());
  EXPECT_THAT(UnknownDefectProblems(refused, "typo", {"a", "c"}, "shim", "t.txt"),
              ElementsAre("shim knows defect b but t.txt does not list it",
                          "t.txt lists c, which shim does not know",
                          HasSubstr("shim: its output ends with:\nshim: IPCCONF_BREAK")));
  // A typo taken for "no defect": the run passes.
  EXPECT_THAT(
      UnknownDefectProblems(ExitedWithOutput(0, "[  PASSED  ] 3 tests.\n"), "typo", {"a"}, "shim",
                            "t.txt"),
      ElementsAre("shim given unknown defect 'typo' exited with status 0, expected it to exit "
                  "with status 2: it must refuse the name, not run without a defect",
                  "shim did not name the unknown defect 'typo'", HasSubstr("[  PASSED  ]")));
  EXPECT_THAT(UnknownDefectProblems(ExitedWithOutput(2, "x\nunknown 'typo'\nknown defects: a\n"),
                                    "typo", {"a"}, "shim", "t.txt"),
              ElementsAre("shim did not list its known defects after \"known defects:\" on the "
                          "line naming 'typo': unknown 'typo'",
                          HasSubstr("its output ends with")));
}

TEST(SubRun, FilterSelectsEveryInstanceOfTheTests) {
  EXPECT_EQ(FilterFor(std::set<std::string>{"S.T"}), "S.T:S.T/*:*/S.T:*/S.T/*");
  TestTags tags;
  tags.ids_by_test = {{"A.B", {"X.ONE"}}, {"A.C", {"X.TWO"}}};
  EXPECT_EQ(FilterFor({"X.TWO", "X.NONE"}, tags), "A.C:A.C/*:*/A.C:*/A.C/*");
}

TEST(SubRun, ListsTheTagsOfABinary) {
  TestTags tags = ListTags(Runfile("harness/tests/leaky_subject_test"));
  EXPECT_EQ(tags.error, "");
  EXPECT_THAT(tags.ids_by_test["Leaky.CleanTestPasses"], ElementsAre("HARNESS.SELFTEST"));
  EXPECT_THAT(ListTags("/no/such/binary").error,
              HasSubstr("--ipcconf_list exited with status 127"));
}

TEST(SubRun, HangIsDiagnosedNamingTheProcessAndItsCall) {
  SubRunResult run = RunTestBinary(HelperCommand("hangs_in_read"), {}, Millis(300));
  EXPECT_TRUE(run.Hung());
  EXPECT_FALSE(run.Finished());
  EXPECT_THAT(run.Describe(),
              AllOf(HasSubstr("hung (still running after 300 ms): pid "), HasSubstr("in read(")));
  EXPECT_EQ(run.Tail(), "started\n");
}

TEST(SubRun, OutputThatStopsGrowingIsAHang) {
  // The bound is far away: only the stall can end this run.
  SubRunResult run = RunTestBinary(HelperCommand("hangs_in_read"), {}, kEventBound, Millis(300));
  EXPECT_THAT(run.Describe(),
              AllOf(HasSubstr("hung (no output for 300 ms): pid "), HasSubstr("in read(")));
}

// Sets an environment variable for one test and restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() { had_ ? setenv(name_, old_.c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

TEST(SubRun, GetsACleanEnvironmentAndReportsItsResults) {
  ScopedEnv xml("XML_OUTPUT_FILE", "/this/tests/own.xml"), filter("GTEST_FILTER", "Mine.*");
  SubRunResult run =
      RunTestBinary(HelperCommand("reports_results"), {"IPCCONF_BREAK=chosen"}, kEventBound);
  EXPECT_TRUE(run.outcome.Exited(1)) << run.Describe();
  EXPECT_TRUE(run.Finished());
  EXPECT_THAT(run.output,
              AllOf(HasSubstr("XML_OUTPUT_FILE=(unset)\n"), HasSubstr("GTEST_FILTER=(unset)\n"),
                    HasSubstr("IPCCONF_BREAK=chosen\n"),
                    HasSubstr("TEST_TMPDIR=" + TestTmpDir() + "/subrun.")));
  ASSERT_EQ(run.results.size(), 3u);  // the one result format, read back (UTF-8 kept)
  EXPECT_EQ(run.results[1].status, "FAIL");
  EXPECT_EQ(run.results[1].test, "P/Suite.Fails/2");
  EXPECT_THAT(run.results[1].ids, ElementsAre("X.TWO", "X.ONE"));
  EXPECT_EQ(run.results[1].message, "boom");
  EXPECT_EQ(run.results[2].status, "BLOCKED");
  EXPECT_EQ(run.results[2].Blocker(), "X.ONE");
  EXPECT_EQ(run.results[2].message, "blocked by X.ONE: seen 中文");
  run.results.pop_back();

  // A defect that must break X.ONE, X.TWO, X.THREE and X.FOUR: only X.TWO is shown to fail...
  // X.ONE did too (one of its two tests failed); X.THREE got no result; no test checks X.FOUR.
  DefectRow row = ParseDefectTable("d X.ONE X.TWO X.THREE X.FOUR X.FIVE # why\n", "t")[0];
  TestTags tags;
  tags.ids_by_test = {{"Suite.Passes", {"X.ONE", "X.FIVE"}},
                      {"Suite.Fails", {"X.TWO", "X.ONE"}},
                      {"Suite.Other", {"X.THREE"}}};
  SubRunResult passing_five = run;
  passing_five.results.push_back({"SKIP", "Suite.Passes/1", {"X.FIVE"}, "", ""});
  EXPECT_THAT(DefectVerdict(row, tags, passing_five, "sub"),
              ElementsAre("defect d (why): no result for X.THREE: the sub-run stopped before "
                          "the tests carrying it reported",
                          "defect d (why): no test carries X.FOUR yet, so nothing shows that "
                          "it can fail",
                          "defect d (why): assertion X.FIVE passed although the subject is "
                          "broken: its tests cannot tell; 1 ran, none failed (Suite.Passes/1 "
                          "SKIP)",
                          HasSubstr("sub: its output ends with:\nXML_OUTPUT_FILE=(unset)")));
  EXPECT_THAT(ControlRunProblems(run, 3, true, "ctl"),
              ElementsAre("ctl exited with status 1, expected it to exit with status 0",
                          "ctl reported 2 test cases, expected at least 3",
                          "P/Suite.Fails/2 FAIL in ctl: boom", HasSubstr("ctl: its output")));
}

TEST(DefectVerdict, PrecisionFailsOnlyThroughListedIdsAndBlocksOnlyByThem) {
  DefectRow row = ParseDefectTable("d X.ONE # why\n", "t")[0];
  TestTags tags;
  tags.ids_by_test = {{"S.One", {"X.ONE"}}, {"S.Two", {"X.TWO"}}, {"S.Three", {"X.THREE"}}};
  SubRunResult run;
  run.outcome.kind = Outcome::Kind::kExited;
  run.outcome.code = 1;
  run.results = {
      {"FAIL", "S.One", {"X.ONE"}, "caught", ""},
      {"BLOCKED", "S.Two", {"X.TWO"}, "blocked by X.ONE: EAGAIN at end of file", "X.ONE"}};
  EXPECT_THAT(DefectVerdict(row, tags, run, "s"), IsEmpty());
  run.results.push_back({"FAIL", "S.Three", {"X.THREE"}, "collateral", ""});
  run.results.push_back({"BLOCKED", "S.Two", {"X.TWO"}, "blocked by X.NINE: seen", "X.NINE"});
  EXPECT_EQ(run.results.back().Blocker(), "X.NINE");
  EXPECT_THAT(DefectVerdict(row, tags, run, "s"),
              ElementsAre(HasSubstr("S.Three failed (collateral) but checks none of the ids the "
                                    "defect lists"),
                          HasSubstr("S.Two was blocked by X.NINE: seen, which the defect does "
                                    "not list"),
                          HasSubstr("s: its output ends with")));
}

TEST(DefectVerdict, ALegalVariantMustBreakNoPosixAssertion) {
  DefectRow row = ParseDefectTable("one_page LEGAL # allowed\n", "t")[0];
  EXPECT_TRUE(row.legal);
  EXPECT_TRUE(row.ids.empty());
  EXPECT_EQ(row.error, "");
  std::map<std::string, std::string> profiles = {{"X.P", "posix"}, {"X.L", "linux"}};
  SubRunResult run;
  run.outcome.kind = Outcome::Kind::kExited;
  run.outcome.code = 1;
  run.results = {{"PASS", "S.P", {"X.P"}, "", ""}, {"FAIL", "S.L", {"X.L"}, "linux only", ""}};
  EXPECT_THAT(LegalVariantProblems(row, run, profiles, "s"), IsEmpty());
  run.results.push_back({"FAIL", "S.P2", {"X.P"}, "false alarm", ""});
  EXPECT_THAT(LegalVariantProblems(row, run, profiles, "s"),
              ElementsAre(HasSubstr("legal variant one_page (allowed): S.P2 FAIL (X.P, posix "
                                    "profile): POSIX allows this system"),
                          HasSubstr("s: its output ends with")));
}

TEST(SubRun, HungRunFailsTheVerdictWithItsDiagnosis) {
  SubRunResult run = RunTestBinary(HelperCommand("hangs_in_read"), {}, Millis(200));
  DefectRow row = ParseDefectTable("d X.ONE # why\n", "t")[0];
  TestTags tags;
  tags.ids_by_test = {{"Suite.Passes", {"X.ONE"}}};
  std::vector<std::string> verdict = DefectVerdict(row, tags, run, "the run");
  ASSERT_EQ(verdict.size(), 3u);
  EXPECT_THAT(verdict[0], AllOf(HasSubstr("defect d (why): the run hung (still running after "
                                          "200 ms): pid "),
                                HasSubstr("in read("), HasSubstr("a hung or crashed sub-run")));
  EXPECT_THAT(verdict[1], HasSubstr("no result for X.ONE"));
}

TEST(SubRun, CheckDefectRunsOnlyTheTestsOfItsIds) {
  TestTags tags;
  tags.ids_by_test = {{"A.B", {"X.ONE"}}, {"A.C", {"X.TWO"}}};
  std::vector<std::set<std::string>> asked;
  auto run = [&](const std::set<std::string>& tests) {
    asked.push_back(tests);
    SubRunResult r;
    r.outcome.kind = Outcome::Kind::kExited;
    r.outcome.code = 1;
    r.results = {{"FAIL", "A.B", {"X.ONE"}, "caught", ""}};
    return r;
  };
  EXPECT_THAT(CheckDefect(ParseDefectTable("d X.ONE\n", "t")[0], tags, run, "s"), IsEmpty());
  EXPECT_THAT(CheckDefect(ParseDefectTable("d X.NONE\n", "t")[0], tags, run, "s"),
              ElementsAre(HasSubstr("no test carries X.NONE")));
  EXPECT_THAT(
      CheckDefect(ParseDefectTable("d # no ids\n", "t")[0], tags, run, "s"),
      ElementsAre("t:1: defect d names no assertion id (LEGAL for a variant POSIX allows)"));
  EXPECT_THAT(asked, ElementsAre(std::set<std::string>{"A.B"}));
}

}  // namespace
}  // namespace ipcconf
