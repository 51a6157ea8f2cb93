// The pool tests grade a student's library: built against fixtures/student_libs/pool_correct
// they all pass; built against pool_leaking (workers keep earlier channels' write ends) the
// write-end and shutdown tests fail for every N >= 2, and the failure names the worker, the
// channel and the fd that make the forward shutdown loop wait forever. Built against
// pool_broken, every pool assertion fails under some defect of pool_defects.txt.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/child.h"
#include "fixtures/leak_guard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/unique_fd.h"

namespace ipcconf {
namespace {

// A deadlocked shutdown is recognised in a fraction of a second; if that recognition failed,
// four hung shutdowns would take kShutdownBound (5 s) each.
const Millis kRunBound{120000};

std::string Runfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/ipcconf/" + path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CaseResult {
  std::string status;  // PASS, FAIL, SKIP
  std::string message;
};

struct PoolRun {
  Outcome outcome;
  std::map<std::string, CaseResult> cases;  // "Workers/PoolFds.Name/N3" -> result
  std::string log;
};

// Runs one variant of the pool tests, as a plain program: no XML, no sharding of its own.
PoolRun RunPoolTests(const std::string& binary, const std::string& filter,
                     const std::vector<std::string>& more_env = {}) {
  std::string tmp = TestTmpDir() + "/run_tmp";
  mkdir(tmp.c_str(), 0700);
  std::string results = TestTmpDir() + "/results.tsv";
  std::string log = TestTmpDir() + "/run.log";
  std::vector<std::string> env = {"IPCCONF_RESULTS=" + results,
                                  "TEST_TMPDIR=" + tmp,
                                  "XML_OUTPUT_FILE",
                                  "GTEST_OUTPUT",
                                  "TEST_SHARD_INDEX",
                                  "TEST_TOTAL_SHARDS",
                                  "GTEST_SHARD_INDEX",
                                  "GTEST_TOTAL_SHARDS",
                                  "TEST_SHARD_STATUS_FILE",
                                  "TEST_PREMATURE_EXIT_FILE",
                                  "IPCCONF_POOL_BREAK"};
  env.insert(env.end(), more_env.begin(), more_env.end());
  PoolRun run;
  {
    ipc::UniqueFd out(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    Child child = Child::Exec({Runfile("conformance/pool/" + binary), "--gtest_filter=" + filter},
                              env, Child::Stdio{-1, out.get(), out.get()});
    run.outcome = child.Wait(kRunBound);
  }
  std::istringstream in(ReadFile(results));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string field; std::getline(fields, field, '\t');) f.push_back(field);
    f.resize(4);
    run.cases[f[1]] = {f[0], f[3]};
  }
  run.log = ReadFile(log);
  if (run.log.size() > 3000) run.log = "..." + run.log.substr(run.log.size() - 3000);
  unlink(results.c_str());
  unlink(log.c_str());
  RemoveTree(tmp);
  rmdir(tmp.c_str());
  return run;
}

int PoolSize(const std::string& test) { return std::stoi(test.substr(test.rfind("/N") + 2)); }

TEST(StudentLibraries, CorrectLibraryPassesEveryPoolTest) {
  PoolRun run = RunPoolTests("pool_test_student_correct", "*");
  EXPECT_TRUE(ExitedWith(run.outcome, 0)) << run.log;
  EXPECT_GE(run.cases.size(), 40u) << run.log;
  for (const auto& [test, result] : run.cases) {
    EXPECT_EQ(result.status, "PASS") << test << ": " << result.message;
  }
}

// The tests that tell a leaking pool, plus those that must not blame it for the wrong thing.
const char kLeakFilter[] = "Workers/PoolFds.*:Workers/PoolShutdown.ForwardLoopEndsWithinBound/*";

TEST(StudentLibraries, LeakingLibraryFailsNamingWorkerChannelAndFd) {
  PoolRun run = RunPoolTests("pool_test_student_leaking", kLeakFilter);
  ASSERT_NE(run.outcome.kind, Outcome::Kind::kTimedOut) << run.outcome.Describe() << run.log;
  ASSERT_EQ(run.cases.size(), 25u) << "4 fd tests and 1 shutdown test for 5 pool sizes\n"
                                   << run.log;
  // Worker 1 is the first to inherit a write end: Channel-0's, on the fd the master had for it.
  const std::regex culprit(
      "worker [0-9]+ \\(Channel-1\\) holds the write end of Channel-0 \\(fd [0-9]+\\): "
      "shutting down Channel-0 cannot deliver end-of-file");
  for (const auto& [test, result] : run.cases) {
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

struct DefectRow {
  std::string defect;  // IPCCONF_POOL_BREAK value
  std::vector<std::string> ids;
  std::string what;
};

std::vector<DefectRow> ReadDefects() {
  std::vector<DefectRow> rows;
  std::istringstream in(ReadFile(Runfile("fixtures/student_libs/pool_broken/pool_defects.txt")));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    DefectRow row;
    size_t hash = line.find('#');
    if (hash != std::string::npos) row.what = line.substr(hash + 1);
    std::istringstream words(line.substr(0, hash));
    words >> row.defect;
    for (std::string id; words >> id;) row.ids.push_back(id);
    rows.push_back(row);
  }
  return rows;
}

// Pool test ("PoolFds.Name") -> the ids it checks, from the binary's --ipcconf_list (once).
const std::map<std::string, std::set<std::string>>& PoolTestTags() {
  static auto* tags = new std::map<std::string, std::set<std::string>>();
  if (!tags->empty()) return *tags;
  std::string list = TestTmpDir() + "/list.txt";
  {
    ipc::UniqueFd out(open(list.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    Child run = Child::Exec({Runfile(std::string("conformance/pool/") + kBroken), "--ipcconf_list"},
                            {}, Child::Stdio{-1, out.get(), -1});
    EXPECT_TRUE(ExitedWith(run.Wait(), 0));
  }
  std::istringstream in(ReadFile(list));
  unlink(list.c_str());
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string test;
    std::getline(f, test, '\t');
    for (std::string id; std::getline(f, id, '\t');) (*tags)[test].insert(id);
  }
  return *tags;
}

// The three-worker instances of the pool tests that check `id`.
std::set<std::string> InstancesChecking(const std::string& id) {
  std::set<std::string> instances;
  for (const auto& [test, ids] : PoolTestTags()) {
    if (ids.count(id)) instances.insert("Workers/" + test + "/N3");
  }
  return instances;
}

void PrintTo(const DefectRow& row, std::ostream* os) { *os << row.defect; }

class PoolDefect : public ::testing::TestWithParam<DefectRow> {};

// Three workers show every defect (a worker with an earlier one, and one after the middle).
TEST_P(PoolDefect, EachAssertionItMustBreakFails) {
  const DefectRow& row = GetParam();
  std::string filter;
  for (const std::string& id : row.ids) {
    for (const std::string& instance : InstancesChecking(id)) {
      filter += (filter.empty() ? "" : ":") + instance;
    }
  }
  ASSERT_FALSE(filter.empty()) << "no pool test checks any of the ids of " << row.defect;
  PoolRun run = RunPoolTests(kBroken, filter, {"IPCCONF_POOL_BREAK=" + row.defect});
  ASSERT_NE(run.outcome.kind, Outcome::Kind::kTimedOut) << run.outcome.Describe() << run.log;
  for (const std::string& id : row.ids) {
    int fails = 0;
    for (const std::string& instance : InstancesChecking(id)) {
      auto it = run.cases.find(instance);
      fails += it != run.cases.end() && it->second.status == "FAIL";
    }
    EXPECT_GE(fails, 1) << id << " was never seen to fail under defect " << row.defect << " ("
                        << row.what << "): its tests cannot tell a broken pool\n"
                        << run.log;
  }
}

std::string DefectName(const ::testing::TestParamInfo<DefectRow>& info) {
  return info.param.defect;
}

INSTANTIATE_TEST_SUITE_P(Table, PoolDefect, ::testing::ValuesIn(ReadDefects()), DefectName);

TEST(PoolDefects, EveryCatalogAssertionHasADefectThatBreaksIt) {
  std::set<std::string> broken;
  for (const DefectRow& row : ReadDefects()) broken.insert(row.ids.begin(), row.ids.end());
  std::istringstream catalog(ReadFile(Runfile("conformance/pool/assertions.catalog")));
  std::set<std::string> ids;
  for (std::string line; std::getline(catalog, line);) {
    if (line.rfind("id: ", 0) == 0) ids.insert(line.substr(4));
  }
  ASSERT_GE(ids.size(), 15u) << "the pool catalog was not read";
  EXPECT_EQ(broken, ids) << "pool_defects.txt and the catalog must name the same assertions";
}

TEST(PoolDefects, BrokenPoolWithoutADefectPasses) {
  PoolRun run = RunPoolTests(kBroken, "*");
  EXPECT_TRUE(ExitedWith(run.outcome, 0)) << run.log;
  EXPECT_GE(run.cases.size(), 40u) << run.log;
  for (const auto& [test, result] : run.cases) {
    EXPECT_EQ(result.status, "PASS") << test << ": " << result.message;
  }
}

}  // namespace
}  // namespace ipcconf
