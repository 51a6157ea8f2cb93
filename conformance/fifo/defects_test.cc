// Every FIFO assertion is seen to FAIL against a broken subject: fifo_test runs under each
// defect of fixtures/broken/fifo_subjects/fifo_defects.txt (the LD_PRELOAD shim with
// IPCCONF_BREAK, or a broken lab program), limited to the tests of the ids that defect must
// break, and each of those ids must get at least one FAIL. A control run with the shim loaded
// and no defect must pass entirely.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
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

const Millis kRunBound{60000};
const char kSubjects[] = "fixtures/broken/fifo_subjects/";

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

struct DefectRow {
  std::string defect;  // IPCCONF_BREAK value, or server=NAME / client=NAME
  std::vector<std::string> ids;
  std::string what;
};

std::vector<DefectRow> ReadDefects() {
  std::vector<DefectRow> rows;
  std::istringstream in(ReadFile(Runfile(std::string(kSubjects) + "fifo_defects.txt")));
  std::string line;
  while (std::getline(in, line)) {
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

struct RunResult {
  Outcome outcome;
  std::vector<std::vector<std::string>> lines;  // STATUS, test, ids, message
  std::string log;                              // the run's own output, for diagnosis
};

// Runs fifo_test with the shim preloaded and `env`, `args`; its results and output are read
// from files in this test's directory, which are removed again.
RunResult RunFifoTest(const std::vector<std::string>& env, const std::vector<std::string>& args) {
  // The sub-run gets its own $TEST_TMPDIR: a broken unlink may leave files in it.
  std::string tmp = TestTmpDir() + "/run_tmp";
  mkdir(tmp.c_str(), 0700);
  std::string results = TestTmpDir() + "/results.tsv";
  std::string log = TestTmpDir() + "/run.log";
  std::vector<std::string> full_env = {
      "LD_PRELOAD=" + Runfile(std::string(kSubjects) + "libbroken_fifo.so"),
      "IPCCONF_RESULTS=" + results, "TEST_TMPDIR=" + tmp,
      // The sub-run must not write into this test's own XML, shard or exit files.
      "XML_OUTPUT_FILE", "GTEST_OUTPUT", "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS",
      "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "TEST_SHARD_STATUS_FILE",
      "TEST_PREMATURE_EXIT_FILE", "IPCCONF_BREAK", "IPCCONF_FIFO_SERVER", "IPCCONF_FIFO_CLIENT"};
  full_env.insert(full_env.end(), env.begin(), env.end());
  std::vector<std::string> argv = {Runfile("conformance/fifo/fifo_test")};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r;
  {
    ipc::UniqueFd out(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    Child run = Child::Exec(argv, full_env, Child::Stdio{-1, out.get(), out.get()});
    r.outcome = run.Wait(kRunBound);
  }
  std::istringstream in(ReadFile(results));
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::istringstream f(line);
    for (std::string field; std::getline(f, field, '\t');) fields.push_back(field);
    fields.resize(4);
    r.lines.push_back(fields);
  }
  r.log = ReadFile(log);
  if (r.log.size() > 3000) r.log = "..." + r.log.substr(r.log.size() - 3000);
  unlink(results.c_str());
  unlink(log.c_str());
  RemoveTree(tmp);
  rmdir(tmp.c_str());
  return r;
}

// Test key "Suite.Name" -> its ids, from fifo_test --ipcconf_list.
std::map<std::string, std::set<std::string>> TaggedTests() {
  static auto* tags = new std::map<std::string, std::set<std::string>>();
  if (!tags->empty()) return *tags;
  std::string list = TestTmpDir() + "/list.txt";
  {
    ipc::UniqueFd out(open(list.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    Child run = Child::Exec({Runfile("conformance/fifo/fifo_test"), "--ipcconf_list"}, {},
                            Child::Stdio{-1, out.get(), -1});
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

// A --gtest_filter selecting every instance of the tests that check one of `ids`.
std::string FilterFor(const std::vector<std::string>& ids) {
  std::string filter;
  for (const auto& [test, test_ids] : TaggedTests()) {
    bool wanted = false;
    for (const std::string& id : ids) wanted = wanted || test_ids.count(id);
    if (!wanted) continue;
    for (const std::string& pattern : {test, test + "/*", "*/" + test, "*/" + test + "/*"}) {
      filter += (filter.empty() ? "" : ":") + pattern;
    }
  }
  return filter;
}

std::string RowName(const ::testing::TestParamInfo<DefectRow>& info) {
  std::string name = info.param.defect;
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class FifoDefect : public ::testing::TestWithParam<DefectRow> {};

TEST_P(FifoDefect, EachAssertionItMustBreakFails) {
  const DefectRow& row = GetParam();
  std::vector<std::string> env;
  size_t eq = row.defect.find('=');
  if (eq == std::string::npos) {
    env.push_back("IPCCONF_BREAK=" + row.defect);
  } else {
    std::string role = row.defect.substr(0, eq);
    ASSERT_TRUE(role == "server" || role == "client") << "unknown subject role " << role;
    env.push_back((role == "server" ? "IPCCONF_FIFO_SERVER=" : "IPCCONF_FIFO_CLIENT=") +
                  Runfile(kSubjects + row.defect.substr(eq + 1)));
  }
  std::string filter = FilterFor(row.ids);
  ASSERT_FALSE(filter.empty()) << "no test checks any of the ids of " << row.defect;
  RunResult r = RunFifoTest(env, {"--gtest_filter=" + filter});
  ASSERT_NE(r.outcome.kind, Outcome::Kind::kTimedOut)
      << "fifo_test under " << row.defect << " " << r.outcome.Describe() << "\n"
      << r.log;
  for (const std::string& id : row.ids) {
    int fails = 0;
    for (const auto& l : r.lines) {
      std::string ids = "," + l[2] + ",";
      if (l[0] == "FAIL" && ids.find("," + id + ",") != std::string::npos) ++fails;
    }
    EXPECT_GE(fails, 1) << id << " was never seen to fail under defect " << row.defect << " ("
                        << row.what << "): its tests cannot tell a broken subject\n"
                        << r.log;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, FifoDefect, ::testing::ValuesIn(ReadDefects()), RowName);

TEST(FifoDefects, EveryCatalogAssertionHasADefectThatBreaksIt) {
  std::set<std::string> broken;
  for (const DefectRow& row : ReadDefects()) broken.insert(row.ids.begin(), row.ids.end());
  std::istringstream catalog(ReadFile(Runfile("conformance/fifo/assertions.catalog")));
  std::set<std::string> ids;
  for (std::string line; std::getline(catalog, line);) {
    if (line.rfind("id: ", 0) == 0) ids.insert(line.substr(4));
  }
  ASSERT_GE(ids.size(), 30u) << "the FIFO catalog was not read";
  for (const std::string& id : ids) {
    EXPECT_TRUE(broken.count(id)) << id << " has no broken subject in fifo_defects.txt";
  }
  for (const std::string& id : broken) {
    EXPECT_TRUE(ids.count(id)) << "fifo_defects.txt names " << id << ", not in the catalog";
  }
}

TEST(FifoDefects, ControlRunWithTheShimAndNoDefectPasses) {
  RunResult r = RunFifoTest({}, {});
  EXPECT_TRUE(ExitedWith(r.outcome, 0)) << r.log;
  int passed = 0;
  for (const auto& l : r.lines) {
    EXPECT_EQ(l[0], "PASS") << l[1] << ": " << l[3];
    passed += l[0] == "PASS";
  }
  EXPECT_GE(passed, 60) << "the FIFO area should hold at least 60 test cases";
}

}  // namespace
}  // namespace ipcconf
