// The results file of a run outside Bazel (the portable binary on a port): JSON with a format
// version, the catalog the binary carries, and per test its status, result kind, assertion ids,
// profiles and messages. `tools/ipcconf report` renders it on the host.
//
// A port may hang or crash the test process itself, so the run is supervised: the binary
// re-executes itself as a worker that journals each test's start and end; a per-test watchdog
// (alarm) ends a worker stuck in one test. The supervisor then records that test as BROKEN and
// starts a new worker for the tests not yet run, and writes the JSON file after every round, so
// results already obtained are never lost.
#ifndef IPCCONF_HARNESS_RESULTS_JSON_H_
#define IPCCONF_HARNESS_RESULTS_JSON_H_

#include <string>

#include "gtest/gtest.h"

namespace ipcconf {

inline constexpr int kResultsFormatVersion = 1;

// Journals each test of a worker to `journal`, with the watchdog of `bound_seconds` per test.
class ResultsJournal : public ::testing::EmptyTestEventListener {
 public:
  ResultsJournal(std::string journal, unsigned bound_seconds);
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;

 private:
  void Append(const std::string& line);
  std::string journal_;
  unsigned bound_seconds_;
};

// Worker side: excludes the tests the journal already has a result for (gtest filter).
void SkipJournaledTests(const std::string& journal);

// Supervisor side: runs workers (this binary with `worker_args` plus --ipcconf_worker=JOURNAL)
// until every test has a result, writing `json_path` after each; returns the exit status.
int RunSupervised(const std::vector<std::string>& worker_args, const std::string& json_path,
                  unsigned bound_seconds);

// Text as a JSON string literal, with its quotes.
std::string JsonString(const std::string& text);

// The one result format: a finished test as a JSON object on one line, {"name", "status"
// (passed, failed, blocked, broken, skipped, unsupported), "assertions", "profiles", "probe",
// "blocked_by", "message", "time_ms"}. A line of $IPCCONF_RESULTS (what the meta-tests read),
// and an entry of "tests" in the results file of --ipcconf_results_json.
std::string ResultRecord(const ::testing::TestInfo& info);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_RESULTS_JSON_H_
