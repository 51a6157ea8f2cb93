// What the defects meta-tests of every area stand on: run a conformance test binary as a
// sub-run against a broken subject (a shim preloaded with IPCCONF_BREAK=<defect>, or another
// build), bounded, with an environment and a $TEST_TMPDIR of its own; read back its results
// file and the area's defect table (`defect ID ID ... # what is wrong`); and give the verdict
// "every id the defect must break has a FAIL", naming what passed when it does not hold.
#ifndef IPCCONF_HARNESS_DEFECT_RUNNER_H_
#define IPCCONF_HARNESS_DEFECT_RUNNER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/child.h"

namespace ipcconf {

// The absolute path of a file of this workspace among the test's runfiles:
// $TEST_SRCDIR/ipcconf/PATH, or beside /proc/self/exe in BINARY.runfiles outside `bazel test`.
std::string Runfile(const std::string& path);
// A file's whole text ("" when it cannot be read).
std::string ReadTextFile(const std::string& path);

// One test's result, read from a line of an IPCCONF_RESULTS file (the JSON record of
// results_json.h, ResultRecord).
struct ResultLine {
  std::string status;  // PASS, FAIL, SKIP (skipped or unsupported), BLOCKED, BROKEN
  std::string test;    // "Prefix/Suite.Name/param"
  std::vector<std::string> ids;
  std::string message;     // the failure text; for BLOCKED "blocked by ID: seen"
  std::string blocked_by;  // the assertion a BLOCKED result names ("" for the others)
  bool Carries(const std::string& id) const;
  // The assertion a BLOCKED line names ("" for other lines).
  std::string Blocker() const;
};
std::vector<ResultLine> ReadResults(const std::string& file);

// One row of a defect table: `name ID ID ... # what is wrong`.
struct DefectRow {
  std::string name;  // IPCCONF_BREAK value, or what the area makes of it (server=TARGET)
  std::vector<std::string> ids;
  std::string what;
  std::string origin;  // "defects.txt:12", for messages
  std::string error;   // what is wrong with the row itself; the row's test reports it
  bool legal = false;  // `name LEGAL`: a variant POSIX allows, which must break no posix id
};
void PrintTo(const DefectRow& row, std::ostream* os);
// Parses a table's text; `origin` names it in messages. Blank and comment lines are skipped.
std::vector<DefectRow> ParseDefectTable(const std::string& text, const std::string& origin);
// The table at runfile `path`. Never empty: an unreadable or empty table is one row whose
// error says so, so the parametrized test reports it instead of instantiating nothing.
std::vector<DefectRow> ReadDefectTable(const std::string& path);
// A test parameter name for a row: its defect name with every non-alphanumeric made '_'.
std::string DefectParamName(const ::testing::TestParamInfo<DefectRow>& info);

// The ids of `area` among the catalogs linked into this binary (harness/catalog.h); none, or
// an id defined twice, adds to `errors`.
std::set<std::string> CatalogIds(const std::string& area, std::vector<std::string>* errors);
// What keeps a table honest, one message a problem: a row with an error, a defect listed twice,
// an id the catalog lacks, a catalog id that no defect breaks.
std::vector<std::string> CoverageProblems(const std::vector<DefectRow>& table,
                                          const std::set<std::string>& catalog_ids);

// Which assertion ids each test of a binary checks, from `BINARY --ipcconf_list`.
struct TestTags {
  std::map<std::string, std::set<std::string>> ids_by_test;  // "Suite.Name" -> ids
  std::string error;  // the listing failed: how, and the end of its output
  std::set<std::string> TestsChecking(const std::vector<std::string>& ids) const;
  bool Checked(const std::string& id) const;
};
TestTags ListTags(const std::string& binary);
// A --gtest_filter selecting every instance of `tests` ("Suite.Name"): plain, parametrized
// with or without a prefix.
std::string FilterFor(const std::set<std::string>& tests);
// The filter selecting every instance of the tests that check one of `ids`.
std::string FilterFor(const std::vector<std::string>& ids, const TestTags& tags);
// How many test instances `binary --gtest_list_tests --gtest_filter=FILTER` names.
int CountInstances(const std::string& binary, const std::string& filter);

// Environment entries a sub-run must not inherit from the test that runs it (bare names, which
// Child::Exec removes): its XML, shard, premature-exit, filter and fail-fast settings, and any
// choice of subject (defect, lab programs).
const std::vector<std::string>& InheritedTestEnv();

// How a sub-run ended, what it printed and what it reported.
struct SubRunResult {
  Outcome outcome;
  std::string hang;    // why it was called hung ("no output for 60000 ms"), when it was
  std::string output;  // standard output and error, together
  std::vector<ResultLine> results;
  Millis elapsed{0};  // from its start to its end (or to the kill)

  bool Hung() const { return !hang.empty() || outcome.kind == Outcome::Kind::kTimedOut; }
  // Ran to its end as a test binary does: exit status 0 (all passed) or 1 (some failed).
  bool Finished() const { return !Hung() && (outcome.Exited(0) || outcome.Exited(1)); }
  // "exited with status 1", or "hung (no output for N ms): pid 12 (pipe_test) S in read(3, ...)".
  std::string Describe() const;
  // The end of the output: its last 30 lines or 3000 characters, whichever is more.
  std::string Tail() const;
};

// One run of a test binary, started at once in its own directory under TestTmpDir() (its
// TEST_TMPDIR, its IPCCONF_RESULTS file and its output file), which goes with this object.
class SubRun {
 public:
  // `argv[0]` is the binary; the environment is InheritedTestEnv() removed, then the run's own
  // TEST_TMPDIR and IPCCONF_RESULTS, then `env` ("K=V" sets, "K" removes).
  SubRun(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~SubRun();
  SubRun(const SubRun&) = delete;
  SubRun& operator=(const SubRun&) = delete;

  // Waits for the end. It is hung, killed and diagnosed when it has run longer than `bound`
  // since it started, or, with a non-zero `stall`, when its output stops growing for that long.
  SubRunResult Finish(Millis bound, Millis stall = Millis::zero());
  // True if the run ended within `window` (then Finish returns at once).
  bool EndsWithin(Millis window);
  // How long it has been running.
  Millis Age() const;

 private:
  std::string dir_, output_file_, results_file_;
  std::unique_ptr<Child> child_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::string start_error_;
};

// Starts and finishes a sub-run.
SubRunResult RunTestBinary(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, Millis bound,
                           Millis stall = Millis::zero());

// The verdict on one defect, one message a problem: the run hung or crashed (with its
// diagnosis), an id no test checks, an id without any result, an id whose tests all passed
// (naming each with its status); and precision: a test that failed although it checks none of
// the defect's ids, or one blocked by an assertion the defect does not list. When there is a
// problem, the tail of the run's output last.
// When no test checks any of the ids, nothing needs to have run and `run` is not looked at.
// `subject` says what ran ("pipe_test under IPCCONF_BREAK=eof_once").
std::vector<std::string> DefectVerdict(const DefectRow& row, const TestTags& tags,
                                       const SubRunResult& run, const std::string& subject);

// Runs the defect's sub-run with `run(tests)`, the tests that check one of its ids (or, with
// `whole`, every test: `run({})`, so that precision is judged both ways over the whole area),
// and gives DefectVerdict; runs nothing when the row or the listing is wrong or no test checks
// an id.
std::vector<std::string> CheckDefect(
    const DefectRow& row, const TestTags& tags,
    const std::function<SubRunResult(const std::set<std::string>& tests)>& run,
    const std::string& subject, bool whole = false);

// The verdict on a legal variant's run (the whole binary): it finished, and no test carrying a
// posix-profile id (`profile_of`: id -> posix|linux) failed, broke or was blocked.
std::vector<std::string> LegalVariantProblems(const DefectRow& row, const SubRunResult& run,
                                              const std::map<std::string, std::string>& profile_of,
                                              const std::string& subject);
// id -> profile of every assertion linked into this binary.
std::map<std::string, std::string> CatalogProfiles();

// The verdict on a control run (no defect): it exited 0 with at least `min_cases` results, none
// FAIL, and none SKIP unless `skips_allowed`.
std::vector<std::string> ControlRunProblems(const SubRunResult& run, size_t min_cases,
                                            bool skips_allowed, const std::string& subject);

// The verdict on a subject given a defect name it does not know, `unknown` (a typo must never
// pass for "no defect"): the run exited 2 with one line that names it in quotes and lists, after
// "known defects:", exactly `known`, the names of the subject's defect table (`table` in
// messages). A name on one side only is one problem.
std::vector<std::string> UnknownDefectProblems(const SubRunResult& run, const std::string& unknown,
                                               const std::set<std::string>& known,
                                               const std::string& subject,
                                               const std::string& table);

// Fails the test once per problem of a verdict, at the caller's line.
#define IPCCONF_EXPECT_NO_PROBLEMS(problems) \
  for (const std::string& ipcconf_problem : (problems)) ADD_FAILURE() << ipcconf_problem

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_DEFECT_RUNNER_H_
