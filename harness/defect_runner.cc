// The defects meta-tests' runs: a test binary as a bounded sub-run against a broken subject, and the
// verdicts on a defect row, a legal variant, a control run and an unknown defect name
// (defect_runner.h; the tables, tags and filters are in defect_table.cc).
#include "harness/defect_runner.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>

#include "harness/leak_guard.h"

namespace ipcconf {

const std::vector<std::string>& InheritedTestEnv() {
  // clang-format off
  static const auto* env = new std::vector<std::string>{
      "XML_OUTPUT_FILE", "GTEST_OUTPUT", "TEST_PREMATURE_EXIT_FILE",
      "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", "TEST_SHARD_STATUS_FILE",
      "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS", "GTEST_SHARD_STATUS_FILE",
      "TESTBRIDGE_TEST_ONLY", "GTEST_FILTER", "TESTBRIDGE_TEST_RUNNER_FAIL_FAST", "GTEST_FAIL_FAST",
      "IPCCONF_RESULTS", "IPCCONF_BREAK",
  };
  // clang-format on
  return *env;
}

std::string SubRunResult::Describe() const {
  if (hang.empty()) return outcome.Describe();
  size_t sep = outcome.diagnosis.find("; ");  // after "no end within N ms"
  return "hung (" + hang +
         "): " + (sep == std::string::npos ? outcome.diagnosis : outcome.diagnosis.substr(sep + 2));
}

std::string SubRunResult::Tail() const {
  constexpr size_t kLines = 30, kChars = 3000;
  size_t pos = output.size();
  for (size_t i = 0; i <= kLines && pos != std::string::npos && pos > 0; ++i) {
    pos = output.rfind('\n', pos - 1);
  }
  size_t by_lines = pos == std::string::npos ? 0 : pos + 1;
  size_t by_chars = output.size() > kChars ? output.size() - kChars : 0;
  size_t from = std::min(by_lines, by_chars);
  return (from > 0 ? "..." : "") + output.substr(from);
}

SubRun::SubRun(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  static std::atomic<int> runs{0};
  dir_ = TestTmpDir() + "/subrun." + std::to_string(runs++);
  output_file_ = dir_ + "/output.txt";
  results_file_ = dir_ + "/results.tsv";
  std::string tmp = dir_ + "/tmp";  // its leak guard must see only its own files
  if (mkdir(dir_.c_str(), 0700) != 0 || mkdir(tmp.c_str(), 0700) != 0) {
    start_error_ = "cannot make " + tmp + ": " + std::strerror(errno);
    return;
  }
  std::vector<std::string> full_env = InheritedTestEnv();
  full_env.push_back("TEST_TMPDIR=" + tmp);
  full_env.push_back("IPCCONF_RESULTS=" + results_file_);
  full_env.insert(full_env.end(), env.begin(), env.end());
  // The sub-run's deliberate FAILs go to a file, not into this test's log.
  int out = open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    start_error_ = "cannot open " + output_file_ + ": " + std::strerror(errno);
    return;
  }
  child_ = std::make_unique<Child>(Child::Exec(argv, full_env, Child::Stdio{-1, out, out}));
  close(out);
}

SubRun::~SubRun() {
  child_.reset();  // kills and reaps a run that was never finished
  RemoveTree(dir_);
  rmdir(dir_.c_str());
}

namespace {

off_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

}  // namespace

SubRunResult SubRun::Finish(Millis bound, Millis stall) {
  SubRunResult run;
  if (!child_) {
    run.hang = start_error_;
    return run;
  }
  std::string still_running = "still running after " + std::to_string(bound.count()) + " ms";
  if (stall == Millis::zero()) {
    run.outcome = child_->Wait(std::max(Millis(0), bound - Age()));
    if (run.outcome.kind == Outcome::Kind::kTimedOut) run.hang = still_running;
  } else {
    auto start = started_;
    auto last_growth = std::chrono::steady_clock::now();
    off_t last_size = -1;
    while (!child_->EndsWithin(std::min(Millis(500), stall))) {
      auto now = std::chrono::steady_clock::now();
      off_t size = FileSize(output_file_);
      if (size != last_size) last_size = size, last_growth = now;
      if (now - last_growth >= stall) {
        run.hang = "no output for " + std::to_string(stall.count()) + " ms";
      } else if (now - start >= bound) {
        run.hang = still_running;
      }
      if (!run.hang.empty()) break;
    }
    run.outcome = child_->Wait(Millis(0));  // the outcome, or the diagnosis and the kill
  }
  run.elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started_);
  run.output = ReadTextFile(output_file_);
  run.results = ReadResults(results_file_);
  return run;
}

bool SubRun::EndsWithin(Millis window) { return !child_ || child_->EndsWithin(window); }

Millis SubRun::Age() const {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started_);
}

SubRunResult RunTestBinary(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, Millis bound, Millis stall) {
  return SubRun(argv, env).Finish(bound, stall);
}

std::vector<std::string> DefectVerdict(const DefectRow& row, const TestTags& tags,
                                       const SubRunResult& run, const std::string& subject) {
  if (!row.error.empty()) return {row.error};
  if (!tags.error.empty()) return {tags.error};
  std::vector<std::string> problems;
  std::string defect = "defect " + row.name + " (" + row.what + ")";
  bool ran_any = !tags.TestsChecking(row.ids).empty();  // else nothing needed to run
  if (ran_any && !run.Finished()) {
    problems.push_back(defect + ": " + subject + " " + run.Describe() +
                       " (a hung or crashed sub-run is a failure)");
  }
  for (const std::string& id : row.ids) {
    if (!tags.Checked(id)) {
      problems.push_back(defect + ": no test carries " + id +
                         " yet, so nothing shows that it can fail");
      continue;
    }
    if (!ran_any) continue;
    std::string seen;
    int ran = 0, failed = 0;
    for (const ResultLine& r : run.results) {
      if (!r.Carries(id)) continue;
      ++ran;
      failed += r.status == "FAIL";
      seen += (seen.empty() ? "" : ", ") + r.test + " " + r.status;
    }
    if (ran == 0) {
      problems.push_back(defect + ": no result for " + id +
                         ": the sub-run stopped before the tests carrying it reported");
    } else if (failed == 0) {
      problems.push_back(defect + ": assertion " + id +
                         " passed although the subject is broken: its tests cannot tell; " +
                         std::to_string(ran) + " ran, none failed (" + seen + ")");
    }
  }
  // Precision: under this defect a test fails only through an id the row lists, and is blocked
  // only by such an id; anything else is a fault the row does not name, shown as twenty.
  std::set<std::string> listed(row.ids.begin(), row.ids.end());
  for (const ResultLine& r : run.results) {
    bool through_listed = std::any_of(r.ids.begin(), r.ids.end(),
                                      [&](const std::string& id) { return listed.count(id); });
    if ((r.status == "FAIL" || r.status == "BROKEN") && !through_listed) {
      problems.push_back(defect + ": " + r.test + " failed (" + r.message.substr(0, 300) +
                         ") but checks none of the ids the defect lists: it must fail only for "
                         "its own assertion (a facility it merely uses is 'blocked by'), or the "
                         "row must list what it checks");
    } else if (r.status == "BLOCKED" && !listed.count(r.Blocker())) {
      problems.push_back(defect + ": " + r.test + " was " + r.message.substr(0, 300) +
                         ", which the defect does not list");
    }
  }
  if (ran_any && !problems.empty()) {
    problems.push_back(subject + ": its output ends with:\n" + run.Tail());
  }
  return problems;
}

std::vector<std::string> CheckDefect(
    const DefectRow& row, const TestTags& tags,
    const std::function<SubRunResult(const std::set<std::string>& tests)>& run,
    const std::string& subject, bool whole) {
  if (!row.error.empty()) return {row.error};
  if (!tags.error.empty()) return {tags.error};
  std::set<std::string> tests = tags.TestsChecking(row.ids);
  if (tests.empty()) return DefectVerdict(row, tags, SubRunResult(), subject);
  return DefectVerdict(row, tags, run(whole ? std::set<std::string>() : tests), subject);
}

std::vector<std::string> LegalVariantProblems(const DefectRow& row, const SubRunResult& run,
                                              const std::map<std::string, std::string>& profile_of,
                                              const std::string& subject) {
  std::vector<std::string> problems;
  std::string variant = "legal variant " + row.name + " (" + row.what + ")";
  if (!run.Finished()) problems.push_back(variant + ": " + subject + " " + run.Describe());
  if (run.results.empty()) problems.push_back(variant + ": " + subject + " reported nothing");
  for (const ResultLine& r : run.results) {
    if (r.status != "FAIL" && r.status != "BROKEN" && r.status != "BLOCKED") continue;
    for (const std::string& id : r.ids) {
      auto p = profile_of.find(id);
      if (p != profile_of.end() && p->second == "linux") continue;
      problems.push_back(variant + ": " + r.test + " " + r.status + " (" + id +
                         ", posix profile): POSIX allows this system, so the posix profile must "
                         "pass: " +
                         r.message.substr(0, 300));
      break;
    }
  }
  if (!problems.empty()) problems.push_back(subject + ": its output ends with:\n" + run.Tail());
  return problems;
}

std::vector<std::string> ControlRunProblems(const SubRunResult& run, size_t min_cases,
                                            bool skips_allowed, const std::string& subject) {
  std::vector<std::string> problems;
  if (run.Hung() || !run.outcome.Exited(0)) {
    problems.push_back(subject + " " + run.Describe() + ", expected it to exit with status 0");
  }
  if (run.results.size() < min_cases) {
    problems.push_back(subject + " reported " + std::to_string(run.results.size()) +
                       " test cases, expected at least " + std::to_string(min_cases));
  }
  for (const ResultLine& r : run.results) {
    if (r.status == "PASS" || (skips_allowed && r.status == "SKIP")) continue;
    problems.push_back(r.test + " " + r.status + " in " + subject + ": " + r.message);
  }
  if (!problems.empty()) problems.push_back(subject + ": its output ends with:\n" + run.Tail());
  return problems;
}

std::vector<std::string> UnknownDefectProblems(const SubRunResult& run, const std::string& unknown,
                                               const std::set<std::string>& known,
                                               const std::string& subject,
                                               const std::string& table) {
  std::vector<std::string> problems;
  if (run.Hung() || !run.outcome.Exited(2)) {
    problems.push_back(
        subject + " given unknown defect '" + unknown + "' " + run.Describe() +
        ", expected it to exit with status 2: it must refuse the name, not run without a "
        "defect");
  }
  const size_t named = run.output.find("'" + unknown + "'");
  const std::string list_mark = "known defects:";
  // The line that names it (rfind gives npos on the first line, and npos + 1 is 0).
  size_t line_start = named == std::string::npos ? 0 : run.output.rfind('\n', named) + 1;
  std::string line = run.output.substr(line_start, run.output.find('\n', line_start) - line_start);
  if (named == std::string::npos) {
    problems.push_back(subject + " did not name the unknown defect '" + unknown + "'");
  } else if (line.find(list_mark) == std::string::npos) {
    problems.push_back(subject + " did not list its known defects after \"" + list_mark +
                       "\" on the line naming '" + unknown + "': " + line);
  } else {
    std::istringstream listed(line.substr(line.find(list_mark) + list_mark.size()));
    std::set<std::string> in_subject;
    for (std::string name; listed >> name;) in_subject.insert(name);
    for (const std::string& name : in_subject) {
      if (!known.count(name)) {
        problems.push_back(subject + " knows defect " + name + " but " + table +
                           " does not list it");
      }
    }
    for (const std::string& name : known) {
      if (!in_subject.count(name)) {
        problems.push_back(table + " lists " + name + ", which " + subject + " does not know");
      }
    }
  }
  if (!problems.empty()) problems.push_back(subject + ": its output ends with:\n" + run.Tail());
  return problems;
}

}  // namespace ipcconf
