// Every System V assertion is seen to FAIL against a broken subject: sysv_test runs once per
// defect of fixtures/broken/sysv_defects.txt with the broken libc preloaded, filtered to the
// tests of the ids that defect must break, and each of those ids must get a FAIL line. A
// control run (shim loaded, no defect) must pass everything. Sub-runs are bounded: a defect
// that makes a call block forever still ends as failed tests, never as a hung suite.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/catalog.h"
#include "fixtures/child.h"
#include "fixtures/leak_guard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

constexpr Millis kRunBound{60000};

std::string Runfile(const std::string& path) {
  return std::string(getenv("TEST_SRCDIR")) + "/ipcconf/" + path;
}

struct Defect {
  std::string name;
  std::vector<std::string> ids;
  std::string what;
};

std::vector<Defect> ReadDefects() {
  std::vector<Defect> out;
  std::ifstream in(Runfile("fixtures/broken/sysv_defects.txt"));
  std::string line;
  while (std::getline(in, line)) {
    size_t hash = line.find('#');
    std::string what = hash == std::string::npos ? "" : line.substr(hash + 1);
    std::istringstream f(line.substr(0, hash));
    Defect d;
    if (!(f >> d.name)) continue;
    for (std::string id; f >> id;) d.ids.push_back(id);
    d.what = what;
    out.push_back(d);
  }
  return out;
}

// Lines of a sub-run's results file: test -> {status, ids, message}.
struct Line {
  std::string status, ids, message;
};
using Results = std::map<std::string, Line>;

Results ReadResults(const std::string& file) {
  Results r;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string status, name;
    Line l;
    std::getline(f, l.status, '\t');
    std::getline(f, name, '\t');
    std::getline(f, l.ids, '\t');
    std::getline(f, l.message);
    r[name] = l;
  }
  return r;
}

// The sub-run must not write into this test's XML, shard or exit files.
std::vector<std::string> SubRunEnv(const std::string& results, const std::string& defect) {
  std::vector<std::string> env = {
      "LD_PRELOAD=" + Runfile("fixtures/broken/libbroken_sysv.so"), "IPCCONF_RESULTS=" + results,
      "XML_OUTPUT_FILE", "GTEST_OUTPUT", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS",
      "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "TEST_SHARD_STATUS_FILE",
      "TEST_PREMATURE_EXIT_FILE"};
  env.push_back(defect.empty() ? "IPCCONF_BREAK" : "IPCCONF_BREAK=" + defect);
  return env;
}

// "Suite.Name" -> ids, from sysv_test --ipcconf_list.
std::map<std::string, std::vector<std::string>> TaggedTests() {
  std::string out = TestTmpDir() + "/tags.txt";
  Child c = Child::Exec({"/bin/sh", "-c", "exec \"$0\" --ipcconf_list > \"$1\"",
                         Runfile("conformance/sysv/sysv_test"), out});
  EXPECT_TRUE(ExitedWith(c.Wait(), 0)) << "sysv_test --ipcconf_list";
  std::map<std::string, std::vector<std::string>> tags;
  std::ifstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string test, id;
    std::getline(f, test, '\t');
    while (std::getline(f, id, '\t')) tags[test].push_back(id);
  }
  unlink(out.c_str());
  return tags;
}

// The gtest filter selecting every instance of the tests tagged with one of `ids`.
std::string FilterFor(const std::vector<std::string>& ids,
                      const std::map<std::string, std::vector<std::string>>& tags) {
  std::string filter;
  for (const auto& [test, test_ids] : tags) {
    bool wanted = false;
    for (const std::string& id : ids) {
      for (const std::string& t : test_ids) wanted = wanted || t == id;
    }
    if (wanted) filter += (filter.empty() ? "" : ":") + test + ":*/" + test + "/*";
  }
  return filter;
}

struct SubRun {
  Outcome outcome;
  Results results;
};

// All sub-runs at once (most wait on bounds, not on the CPU), each bounded; computed once.
const std::map<std::string, SubRun>& AllRuns() {
  static auto* runs = new std::map<std::string, SubRun>();
  if (!runs->empty()) return *runs;
  auto tags = TaggedTests();
  std::vector<std::pair<std::string, std::string>> plan = {{"", ""}};  // the control run
  for (const Defect& d : ReadDefects()) plan.push_back({d.name, FilterFor(d.ids, tags)});
  std::string dir = TestTmpDir();
  std::vector<Child> children;
  for (const auto& [defect, filter] : plan) {
    // Each sub-run gets its own $TEST_TMPDIR: its leak guard must not see the others' files.
    std::string tmp = dir + "/run." + defect;
    mkdir(tmp.c_str(), 0700);
    std::vector<std::string> env = SubRunEnv(dir + "/results." + defect, defect);
    env.push_back("TEST_TMPDIR=" + tmp);
    // Its output goes to a log beside it (the results file carries what is checked).
    std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" >\"$LOG\" 2>&1",
                                     Runfile("conformance/sysv/sysv_test")};
    if (!filter.empty()) argv.push_back("--gtest_filter=" + filter);
    env.push_back("LOG=" + dir + "/log." + defect);
    children.push_back(Child::Exec(argv, env));
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    SubRun& r = (*runs)[plan[i].first];
    r.outcome = children[i].Wait(kRunBound);
    r.results = ReadResults(dir + "/results." + plan[i].first);
  }
  RemoveTree(dir);
  return *runs;
}

class SysvDefect : public ::testing::TestWithParam<Defect> {};

TEST_P(SysvDefect, BreaksEachOfItsAssertions) {
  const Defect& d = GetParam();
  const SubRun& run = AllRuns().at(d.name);
  EXPECT_TRUE(run.outcome.kind != Outcome::Kind::kTimedOut)
      << "the run under " << d.name << " hung: " << run.outcome.Describe();
  for (const std::string& id : d.ids) {
    int fails = 0, ran = 0;
    for (const auto& [test, line] : run.results) {
      if (("," + line.ids + ",").find("," + id + ",") == std::string::npos) continue;
      ++ran;
      fails += line.status == "FAIL";
    }
    EXPECT_GT(fails, 0) << id << " did not fail under defect " << d.name << " (" << d.what
                        << "): " << ran << " of its tests ran and passed or skipped";
  }
}

INSTANTIATE_TEST_SUITE_P(Defects, SysvDefect, ::testing::ValuesIn(ReadDefects()),
                         [](const ::testing::TestParamInfo<Defect>& info) {
                           return info.param.name;
                         });

TEST(SysvDefects, ControlRunWithTheShimLoadedPassesEverything) {
  const SubRun& run = AllRuns().at("");
  EXPECT_TRUE(ExitedWith(run.outcome, 0));
  EXPECT_GE(run.results.size(), 120u) << "test cases run in the control run";
  for (const auto& [test, line] : run.results) {
    EXPECT_NE(line.status, "FAIL") << test << ": " << line.message;
  }
}

TEST(SysvDefects, EveryCatalogIdIsBrokenByADefect) {
  std::set<std::string> covered;
  for (const Defect& d : ReadDefects()) covered.insert(d.ids.begin(), d.ids.end());
  size_t n = 0;
  for (const auto& [id, a] : Catalog()) {
    if (a.area != "sysv") continue;
    ++n;
    EXPECT_TRUE(covered.count(id)) << id << " is broken by no defect of sysv_defects.txt";
  }
  EXPECT_GT(n, 0u);
  for (const std::string& id : covered) {
    EXPECT_TRUE(Catalog().count(id)) << "sysv_defects.txt names unknown id " << id;
  }
}

}  // namespace
}  // namespace ipcconf
