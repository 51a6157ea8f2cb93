// Every pipe assertion has been seen to FAIL: pipe_test runs against libbroken_pipe.so once per
// defect of fixtures/broken/pipe_defects.txt, and each assertion the defect must break has to
// show up as FAIL in the results. Plus the checks that keep this proof honest: every catalog id
// is covered, the shim is transparent without a defect, and it refuses names it does not know.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/catalog.h"
#include "fixtures/child.h"
#include "fixtures/leak_guard.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

// One line of pipe_defects.txt: `name  ID ID ...  # what is wrong`.
struct Defect {
  std::string name;
  std::vector<std::string> ids;
  std::string what;
  int line = 0;
  std::string error;  // set when the file could not be read: the test reports it
};

void PrintTo(const Defect& d, std::ostream* os) { *os << d.name; }

// The sub-run must not write into this test's result files, nor shard itself, nor inherit a
// filter given to this test.
const char* const kInheritedTestEnv[] = {
    "XML_OUTPUT_FILE",
    "GTEST_OUTPUT",
    "TEST_SHARD_INDEX",
    "TEST_TOTAL_SHARDS",
    "GTEST_SHARD_INDEX",
    "GTEST_TOTAL_SHARDS",
    "TEST_SHARD_STATUS_FILE",
    "GTEST_SHARD_STATUS_FILE",
    "TEST_PREMATURE_EXIT_FILE",
    "TESTBRIDGE_TEST_ONLY",
    "GTEST_FILTER",
    "TESTBRIDGE_TEST_RUNNER_FAIL_FAST",
    "GTEST_FAIL_FAST",
    "IPCCONF_RESULTS",
    "IPCCONF_BREAK",
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The absolute path of a file of this workspace among the test's runfiles.
std::string Runfile(const std::string& path) {
  std::string root;
  if (const char* d = getenv("TEST_SRCDIR")) {
    root = d;
  } else {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    root = std::string(self, n > 0 ? static_cast<size_t>(n) : 0) + ".runfiles";
  }
  std::string full = root + "/ipcconf/" + path;
  char* real = realpath(full.c_str(), nullptr);
  if (!real) return full;
  std::string out = real;
  free(real);
  return out;
}

std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::vector<Defect> ParseDefects(const std::string& text) {
  std::vector<Defect> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    size_t hash = line.find('#');
    std::vector<std::string> words = Words(line.substr(0, hash));
    if (words.empty()) continue;
    Defect d;
    d.name = words[0];
    d.ids.assign(words.begin() + 1, words.end());
    d.what = hash == std::string::npos ? "" : line.substr(hash + 1);
    d.line = n;
    if (d.ids.empty()) d.error = "line " + std::to_string(n) + " names no assertion id";
    out.push_back(d);
  }
  return out;
}

std::vector<Defect> LoadDefects() {
  std::string text = ReadFile(Runfile("fixtures/broken/pipe_defects.txt"));
  std::vector<Defect> defects = ParseDefects(text);
  if (defects.empty()) {
    Defect d;
    d.name = "unreadable_defects_file";
    d.error = "no defect read from " + Runfile("fixtures/broken/pipe_defects.txt");
    defects.push_back(d);
  }
  return defects;
}

// A sub-run whose output stops growing this long is hung: under a broken subject one test may
// run into a few of its kEventBound waits, not into this many.
constexpr Millis kStallWindow = 6 * kEventBound;

// How one run of pipe_test ended, and what it printed.
struct SubRun {
  Outcome outcome;
  std::string hang;  // why it was called hung, when it was
  std::string output;

  std::string Describe() const {
    if (hang.empty()) return outcome.Describe();
    size_t sep = outcome.diagnosis.find("; ");  // after "no end within N ms"
    return "hung (" + hang + "): " +
           (sep == std::string::npos ? outcome.diagnosis : outcome.diagnosis.substr(sep + 2));
  }
  std::string Tail(size_t lines = 30) const {
    size_t pos = output.size();
    for (size_t i = 0; i <= lines && pos != std::string::npos && pos > 0; ++i) {
      pos = output.rfind('\n', pos - 1);
    }
    return pos == std::string::npos ? output : output.substr(pos + 1);
  }
};

off_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Runs pipe_test with `args`, the cleaned environment plus `env`. It is hung when it takes
// longer than `bound`, or when its output stops growing for kStallWindow.
SubRun RunPipeTest(const std::vector<std::string>& args, const std::vector<std::string>& env,
                   Millis bound) {
  std::vector<std::string> argv = {Runfile("conformance/pipe/pipe_test")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env(std::begin(kInheritedTestEnv), std::end(kInheritedTestEnv));
  full_env.insert(full_env.end(), env.begin(), env.end());
  std::string output_file = TestTmpDir() + "/pipe_test.out";
  SubRun run;
  // The sub-run's deliberate FAILs go to a file, not into this test's log.
  int out = open(output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    run.hang = "cannot open " + output_file + ": " + std::strerror(errno);
    return run;
  }
  Child child = Child::Exec(argv, full_env, Child::Stdio{-1, out, out});
  close(out);
  auto start = std::chrono::steady_clock::now();
  auto last_growth = start;
  off_t last_size = -1;
  while (!child.EndsWithin(Millis(500))) {
    auto now = std::chrono::steady_clock::now();
    off_t size = FileSize(output_file);
    if (size != last_size) last_size = size, last_growth = now;
    if (now - last_growth >= kStallWindow) {
      run.hang = "no output for " + std::to_string(kStallWindow.count()) + " ms";
    } else if (now - start >= bound) {
      run.hang = "still running after " + std::to_string(bound.count()) + " ms";
    }
    if (!run.hang.empty()) break;
  }
  run.outcome = child.Wait(Millis(0));  // the outcome, or the diagnosis and the kill
  run.output = ReadFile(output_file);
  unlink(output_file.c_str());
  return run;
}

std::string ShimEnv() { return "LD_PRELOAD=" + Runfile("fixtures/broken/libbroken_pipe.so"); }

// Assertion id -> the tests ("Suite.Name") that carry it, from `pipe_test --ipcconf_list`.
const std::map<std::string, std::vector<std::string>>& TestsById(std::string* error) {
  static auto* by_id = new std::map<std::string, std::vector<std::string>>();
  static std::string* list_error = nullptr;
  if (!list_error) {
    SubRun run = RunPipeTest({"--ipcconf_list"}, {}, kEventBound);
    list_error = new std::string(run.outcome.Exited(0) ? ""
                                                       : "pipe_test --ipcconf_list " +
                                                             run.Describe() + ": " + run.Tail());
    std::istringstream in(run.output);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> fields = Words(line);
      for (size_t i = 1; i < fields.size(); ++i) (*by_id)[fields[i]].push_back(fields[0]);
    }
  }
  *error = *list_error;
  return *by_id;
}

// A gtest filter selecting exactly `tests` ("Suite.Name"), plain or parametrized.
std::string FilterFor(const std::set<std::string>& tests) {
  std::string filter;
  for (const std::string& t : tests) {
    for (const std::string& p : {t, t + "/*", "*/" + t, "*/" + t + "/*"}) {
      filter += (filter.empty() ? "" : ":") + p;
    }
  }
  return filter;
}

// Under a broken subject a test may run into its bounded waits (kEventBound) instead of
// passing quickly; a sub-run slower than two of them per test instance is hung.
Millis BoundFor(const std::string& filter) {
  SubRun list = RunPipeTest({"--gtest_list_tests", "--gtest_filter=" + filter}, {}, kEventBound);
  long instances = 0;
  std::istringstream in(list.output);
  std::string line;
  while (std::getline(in, line)) instances += line.rfind("  ", 0) == 0;
  return Millis(30000) + 2 * kEventBound * instances;
}

struct ResultLine {
  std::string status, test, message;
  std::vector<std::string> ids;
};

std::vector<ResultLine> ReadResults(const std::string& path) {
  std::vector<ResultLine> out;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    std::string field;
    while (std::getline(fields, field, '\t')) f.push_back(field);
    if (f.size() < 3) continue;
    ResultLine r{f[0], f[1], f.size() > 3 ? f[3] : "", {}};
    std::istringstream ids(f[2]);
    std::string id;
    while (std::getline(ids, id, ',')) r.ids.push_back(id);
    out.push_back(r);
  }
  return out;
}

bool Carries(const ResultLine& r, const std::string& id) {
  for (const std::string& i : r.ids) {
    if (i == id) return true;
  }
  return false;
}

// pipe_test run under the shim, with its own temporary directory and results file; both are
// removed when this goes.
class ShimRun {
 public:
  ShimRun() : tmp_(TestTmpDir() + "/sub_tmp"), results_file_(TestTmpDir() + "/results.tsv") {
    mkdir(tmp_.c_str(), 0700);
  }
  ~ShimRun() {
    RemoveTree(tmp_);
    rmdir(tmp_.c_str());
    unlink(results_file_.c_str());
  }
  // Runs the tests `filter` selects ("" for all) with IPCCONF_BREAK=`defect` ("" for none).
  SubRun Go(const std::string& defect, const std::string& filter) {
    std::vector<std::string> args,
        env = {ShimEnv(), "IPCCONF_RESULTS=" + results_file_, "TEST_TMPDIR=" + tmp_};
    if (!filter.empty()) args.push_back("--gtest_filter=" + filter);
    if (!defect.empty()) env.push_back("IPCCONF_BREAK=" + defect);
    SubRun run = RunPipeTest(args, env, BoundFor(filter.empty() ? "*" : filter));
    results_ = ReadResults(results_file_);
    return run;
  }
  const std::vector<ResultLine>& results() const { return results_; }

 private:
  std::string tmp_;
  std::string results_file_;
  std::vector<ResultLine> results_;
};

class PipeDefect : public ::testing::TestWithParam<Defect> {};

TEST_P(PipeDefect, MakesItsAssertionsFail) {
  const Defect& d = GetParam();
  ASSERT_EQ(d.error, "") << "pipe_defects.txt: " << d.name;
  std::string list_error;
  const auto& tests_by_id = TestsById(&list_error);
  ASSERT_EQ(list_error, "");

  std::set<std::string> tests;
  for (const std::string& id : d.ids) {
    auto it = tests_by_id.find(id);
    if (it == tests_by_id.end()) {
      ADD_FAILURE() << "defect " << d.name << ": no test carries " << id
                    << " yet, so nothing shows that it can fail";
      continue;
    }
    tests.insert(it->second.begin(), it->second.end());
  }
  if (tests.empty()) return;

  ShimRun sub;
  SubRun run = sub.Go(d.name, FilterFor(tests));
  EXPECT_TRUE(run.outcome.Exited(0) || run.outcome.Exited(1))
      << "defect " << d.name << ": pipe_test " << run.Describe()
      << " (a hung or crashed sub-run is a failure); its output ends with:\n"
      << run.Tail();
  for (const std::string& id : d.ids) {
    if (!tests_by_id.count(id)) continue;
    std::string seen;
    bool failed = false;
    for (const ResultLine& r : sub.results()) {
      if (!Carries(r, id)) continue;
      failed = failed || r.status == "FAIL";
      seen += (seen.empty() ? "" : ", ") + r.test + " " + r.status;
    }
    if (seen.empty()) {
      ADD_FAILURE() << "defect " << d.name << ": no result for " << id
                    << ": the sub-run stopped before the tests carrying it reported";
      continue;
    }
    EXPECT_TRUE(failed) << "defect " << d.name << ": assertion " << id
                        << " passed although the subject is broken (tests: " << seen << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Shim, PipeDefect, ::testing::ValuesIn(LoadDefects()),
                         [](const ::testing::TestParamInfo<Defect>& info) {
                           return info.param.name;
                         });

TEST(PipeDefects, EveryPipeAssertionIsBrokenBySomeDefect) {
  std::string path = Runfile("conformance/pipe/assertions.catalog");
  std::vector<std::string> errors;
  std::vector<Assertion> catalog = ParseCatalog(ReadFile(path), path, &errors);
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_FALSE(catalog.empty()) << "no assertion read from " << path;
  std::set<std::string> known, covered, names;
  for (const Assertion& a : catalog) known.insert(a.id);
  for (const Defect& d : LoadDefects()) {
    EXPECT_EQ(d.error, "") << d.name;
    EXPECT_TRUE(names.insert(d.name).second)
        << "pipe_defects.txt:" << d.line << ": defect " << d.name << " is listed twice";
    for (const std::string& id : d.ids) {
      covered.insert(id);
      EXPECT_TRUE(known.count(id)) << "pipe_defects.txt:" << d.line << ": defect " << d.name
                                   << " names " << id << ", which the pipe catalog lacks";
    }
  }
  for (const Assertion& a : catalog) {
    if (a.area != "pipe") continue;
    EXPECT_TRUE(covered.count(a.id))
        << a.id << " is broken by no defect in pipe_defects.txt: nothing shows it can fail";
  }
}

TEST(PipeDefects, ShimIsTransparentWithoutADefect) {
  ShimRun sub;
  SubRun run = sub.Go("", "");
  EXPECT_TRUE(run.outcome.Exited(0)) << "pipe_test under the shim without IPCCONF_BREAK "
                                     << run.Describe() << "; output ends with:\n"
                                     << run.Tail();
  ASSERT_FALSE(sub.results().empty()) << "no result line written";
  for (const ResultLine& r : sub.results()) {
    EXPECT_NE(r.status, "FAIL") << r.test
                                << " fails under the shim without a defect: " << r.message;
  }
}

TEST(PipeDefects, UnknownDefectIsRefusedByName) {
  SubRun run =
      RunPipeTest({"--ipcconf_list"}, {ShimEnv(), "IPCCONF_BREAK=no_such_defect"}, kEventBound);
  EXPECT_TRUE(run.outcome.Exited(2)) << run.Describe() << "; output:\n" << run.output;
  EXPECT_NE(run.output.find("'no_such_defect'"), std::string::npos) << run.output;
  // The shim lists what it knows: that must be exactly the defects of the file.
  size_t known = run.output.find("known defects:");
  ASSERT_NE(known, std::string::npos) << run.output;
  std::vector<std::string> listed = Words(run.output.substr(known + strlen("known defects:")));
  std::set<std::string> in_shim(listed.begin(), listed.end()), in_file;
  for (const Defect& d : LoadDefects()) in_file.insert(d.name);
  for (const std::string& n : in_shim) {
    EXPECT_TRUE(in_file.count(n)) << "the shim knows defect " << n
                                  << " but pipe_defects.txt does not list it";
  }
  for (const std::string& n : in_file) {
    EXPECT_TRUE(in_shim.count(n)) << "pipe_defects.txt lists " << n
                                  << ", which the shim does not know";
  }
}

}  // namespace
}  // namespace ipcconf
