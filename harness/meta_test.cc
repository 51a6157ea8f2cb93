// The defects meta-test of every area (see meta_test.h); the area's configuration is generated
// by harness/meta_test.bzl. All sub-runs start at the first test that needs one, a few at a
// time (most of a broken run is waiting on bounds, not on the CPU), each bounded.
//
// For measurements (benchmarks/precision.py), two variables:
//   IPCCONF_META_WHOLE=1      every row runs every test instance of the area;
//   IPCCONF_META_REPORT=FILE  each row appends one line to FILE: area, row, how the run ended,
//                             seconds, cases, cases blocked, and the ids listed, listed and
//                             failed, listed and not failed, failed or blocking but not listed.
#include "harness/meta_test.h"

#include <stdio.h>
#include <stdlib.h>

#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/child.h"
#include "harness/defect_runner.h"

namespace ipcconf {
namespace {

// Sub-runs in flight at once.
constexpr size_t kInFlight = 4;
// A sub-run whose output stops growing this long is hung: under a broken subject one test may
// run into a few of its kEventBound waits, not into this many.
constexpr Millis kStallWindow = 6 * kEventBound;

const MetaTestConfig& Config() {
  static const auto* config = new MetaTestConfig(MetaTest());
  return *config;
}

std::string Binary() { return Runfile(Config().binary); }

const std::vector<DefectRow>& Table() {
  static const auto* table = new std::vector<DefectRow>(ReadDefectTable(Config().table));
  return *table;
}

const TestTags& Tags() {
  static const auto* tags = new TestTags(ListTags(Binary()));
  return *tags;
}

// "Prefix/Suite.Name/param" -> "Suite.Name", the key of TestTags.
std::string TestOf(const std::string& instance) {
  size_t dot = instance.find('.');
  size_t slash_before = instance.rfind('/', dot);
  size_t slash_after = instance.find('/', dot);
  size_t from = slash_before == std::string::npos ? 0 : slash_before + 1;
  return instance.substr(from,
                         slash_after == std::string::npos ? std::string::npos : slash_after - from);
}

// Every test instance of the binary within the universe, in the binary's order ("" when the
// listing failed: the runs then select by pattern and the verdicts say what is missing).
const std::vector<std::string>& Instances() {
  static const auto* instances = [] {
    auto* out = new std::vector<std::string>();
    std::vector<std::string> argv = {Binary(), "--gtest_list_tests"};
    if (!Config().universe.empty()) argv.push_back("--gtest_filter=" + Config().universe);
    SubRunResult list = RunTestBinary(argv, {}, kEventBound);
    std::istringstream in(list.output);
    std::string suite;
    for (std::string line; std::getline(in, line);) {
      std::string word = line.substr(0, line.find("  #", 2));
      while (!word.empty() && word.back() == ' ') word.pop_back();
      if (line.rfind("  ", 0) == 0) {
        if (!suite.empty()) out->push_back(suite + word.substr(2));
      } else if (!word.empty() && word.back() == '.') {
        suite = word;
      }
    }
    return out;
  }();
  return *instances;
}

// What a row's run selects: every instance of the tests of its ids, and the first instance of
// every other test (precision is judged over the whole area). "" selects the whole universe.
bool WholeRuns() {
  const char* whole = getenv("IPCCONF_META_WHOLE");
  return whole && std::string(whole) == "1";
}

std::string RowFilter(const DefectRow& row) {
  if (row.legal || WholeRuns()) return Config().universe;
  std::set<std::string> own = Tags().TestsChecking(row.ids);
  if (Instances().empty()) return FilterFor(own);
  std::set<std::string> seen;
  std::string filter;
  for (const std::string& instance : Instances()) {
    std::string test = TestOf(instance);
    bool first = seen.insert(test).second;
    if (own.count(test) || first) {
      filter += (filter.empty() ? "" : ":") + instance;
    }
  }
  return filter;
}

std::vector<std::string> Env(const std::string& defect) {
  std::vector<std::string> env;
  if (!Config().preload.empty()) env.push_back("LD_PRELOAD=" + Runfile(Config().preload));
  env.push_back(defect.empty() ? "IPCCONF_BREAK" : "IPCCONF_BREAK=" + defect);
  return env;
}

std::string Subject(const std::string& defect) {
  std::string binary = Config().binary.substr(Config().binary.rfind('/') + 1);
  return defect.empty() ? binary + " under " + Config().subject + " without IPCCONF_BREAK"
                        : binary + " under IPCCONF_BREAK=" + defect;
}

// Every run of this meta-test, by defect ("" for the run without one), computed once.
const std::map<std::string, SubRunResult>& Runs() {
  static auto* runs = new std::map<std::string, SubRunResult>();
  static bool done = false;
  if (done) return *runs;
  done = true;
  std::vector<std::pair<std::string, std::string>> plan = {{"", Config().universe}};
  for (const DefectRow& row : Table()) {
    if (row.error.empty() && Tags().error.empty()) plan.push_back({row.name, RowFilter(row)});
  }
  const Millis bound = Millis(30000) + 2 * kEventBound * Instances().size();
  std::vector<std::pair<std::string, std::unique_ptr<SubRun>>> in_flight;
  size_t next = 0;
  while (next < plan.size() || !in_flight.empty()) {
    while (in_flight.size() < kInFlight && next < plan.size()) {
      const auto& [defect, filter] = plan[next++];
      std::vector<std::string> argv = {Binary()};
      if (!filter.empty()) argv.push_back("--gtest_filter=" + filter);
      in_flight.emplace_back(defect, std::make_unique<SubRun>(argv, Env(defect)));
    }
    // Whichever run ends first makes room for the next (and keeps its own time right); a run
    // past its bound is finished too, as hung. Else wait a moment for the oldest to end.
    bool finished = false;
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      if (it->second->EndsWithin(Millis(0)) || it->second->Age() >= bound) {
        (*runs)[it->first] = it->second->Finish(bound, kStallWindow);
        it = in_flight.erase(it);
        finished = true;
      } else {
        ++it;
      }
    }
    if (!finished && !in_flight.empty()) in_flight.front().second->EndsWithin(Millis(20));
  }
  return *runs;
}

std::string Joined(const std::set<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// One line of IPCCONF_META_REPORT about a row's run (see the top of this file). For a legal row
// "listed" is LEGAL and every posix-profile id that failed is "not listed".
void ReportRow(const DefectRow& row, const SubRunResult& run) {
  const char* path = getenv("IPCCONF_META_REPORT");
  if (!path || !*path) return;
  std::set<std::string> listed(row.ids.begin(), row.ids.end()), failed, extra;
  int blocked = 0;
  std::map<std::string, std::string> profiles = CatalogProfiles();
  for (const ResultLine& r : run.results) {
    if (r.status == "FAIL" || r.status == "BROKEN") failed.insert(r.ids.begin(), r.ids.end());
    if (r.status != "BLOCKED") continue;
    ++blocked;
    if (!listed.count(r.Blocker())) extra.insert("(blocked by " + r.Blocker() + ")");
  }
  std::set<std::string> hit, missing;
  for (const std::string& id : failed) {
    if (listed.count(id)) {
      hit.insert(id);
    } else if (!row.legal || profiles[id] != "linux") {
      extra.insert(id);
    }
  }
  for (const std::string& id : listed) {
    if (!failed.count(id)) missing.insert(id);
  }
  std::ostringstream line;
  line << Config().area << '\t' << row.name << '\t'
       << (run.Finished() ? "finished" : run.Describe()) << '\t' << run.elapsed.count() / 1000.0
       << '\t' << run.results.size() << '\t' << blocked << '\t'
       << (row.legal ? "LEGAL" : Joined(listed)) << '\t' << Joined(hit) << '\t' << Joined(missing)
       << '\t' << Joined(extra) << '\n';
  if (FILE* f = fopen(path, "a")) {
    fputs(line.str().c_str(), f);
    fclose(f);
  }
}

class Defect : public ::testing::TestWithParam<DefectRow> {};

// Its ids fail; every other test passes or is blocked by one of its ids. A legal variant breaks
// no posix-profile id.
TEST_P(Defect, BreaksItsAssertionsAndNoOther) {
  const DefectRow& row = GetParam();
  if (row.error.empty() && Runs().count(row.name)) ReportRow(row, Runs().at(row.name));
  if (row.legal) {
    IPCCONF_EXPECT_NO_PROBLEMS(
        LegalVariantProblems(row, Runs().at(row.name), CatalogProfiles(), Subject(row.name)));
    return;
  }
  IPCCONF_EXPECT_NO_PROBLEMS(CheckDefect(
      row, Tags(), [&](const std::set<std::string>&) { return Runs().at(row.name); },
      Subject(row.name), /*whole=*/true));
}

INSTANTIATE_TEST_SUITE_P(Table, Defect, ::testing::ValuesIn(Table()), DefectParamName);

TEST(Defects, EveryAssertionIsBrokenBySomeDefect) {
  std::vector<std::string> errors;
  std::set<std::string> ids = CatalogIds(Config().area, &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  IPCCONF_EXPECT_NO_PROBLEMS(CoverageProblems(Table(), ids));
}

TEST(Defects, SubjectWithoutADefectChangesNothing) {
  IPCCONF_EXPECT_NO_PROBLEMS(ControlRunProblems(Runs().at(""), Config().min_control_cases,
                                                Config().control_skips_allowed, Subject("")));
}

TEST(Defects, UnknownDefectIsRefusedByName) {
  SubRunResult run =
      RunTestBinary({Binary(), "--ipcconf_list"}, Env("no_such_defect"), kEventBound);
  // The subject lists what it knows: exactly the defects of the table.
  std::set<std::string> in_table;
  for (const DefectRow& row : Table()) in_table.insert(row.name);
  IPCCONF_EXPECT_NO_PROBLEMS(
      UnknownDefectProblems(run, "no_such_defect", in_table, Config().subject, "defects.txt"));
}

}  // namespace
}  // namespace ipcconf
