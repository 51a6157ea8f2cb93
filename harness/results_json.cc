#include "harness/results_json.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <sstream>
#include <vector>

#include "harness/assertions.h"
#include "harness/catalog.h"
#include "harness/helper_program.h"
#include "harness/json.h"
#include "harness/proc.h"
#include "harness/result_kind.h"

namespace ipcconf {
namespace {

constexpr size_t kMessageLimit = 8000;  // characters of failure text kept per test

// The journal: "start\tNAME\tID,ID", "end\tNAME\t{record}", "broken\tNAME\t{record}".
struct Journal {
  std::vector<std::string> records;  // in order
  std::set<std::string> done;        // tests with a record
  std::string running;               // started without a record: the worker died in it
  std::string running_ids;
};

std::vector<std::string> Split(const std::string& s, char separator, size_t max_parts) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() + 1 < max_parts) {
    size_t at = s.find(separator, start);
    if (at == std::string::npos) break;
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
  parts.push_back(s.substr(start));
  return parts;
}

Journal ReadJournal(const std::string& path) {
  Journal j;
  std::istringstream in(ReadSmallFile(path));
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> f = Split(line, '\t', 3);
    if (f.size() < 2) continue;
    if (f[0] == "start") {
      j.running = f[1];
      j.running_ids = f.size() > 2 ? f[2] : "";
    } else if ((f[0] == "end" || f[0] == "broken") && f.size() == 3) {
      j.records.push_back(f[2]);
      j.done.insert(f[1]);
      if (j.running == f[1]) j.running.clear();
    }
  }
  return j;
}

void AppendTo(const std::string& path, const std::string& line) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  // One write per line: a worker killed mid-test leaves whole lines behind.
  [[maybe_unused]] ssize_t n = write(fd, line.data(), line.size());
  close(fd);
}

std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) out += (out.size() > 1 ? ", " : "") + JsonString(item);
  return out + "]";
}

std::vector<std::string> ProfilesOf(const std::vector<std::string>& ids) {
  std::set<std::string> profiles;
  for (const std::string& id : ids) {
    auto it = Catalog().find(id);
    if (it != Catalog().end()) profiles.insert(it->second.profile);
  }
  return {profiles.begin(), profiles.end()};
}

std::string Record(const std::string& name, const std::string& status,
                   const std::vector<std::string>& ids, const std::string& probe,
                   std::string message, long millis, const std::string& blocked_by = "") {
  if (message.size() > kMessageLimit) message = message.substr(0, kMessageLimit) + "...";
  return "{\"name\": " + JsonString(name) + ", \"status\": " + JsonString(status) +
         ", \"assertions\": " + JsonList(ids) + ", \"profiles\": " + JsonList(ProfilesOf(ids)) +
         ", \"probe\": " + JsonString(probe) + ", \"blocked_by\": " + JsonString(blocked_by) +
         ", \"message\": " + JsonString(message) + ", \"time_ms\": " + std::to_string(millis) + "}";
}

std::string FullName(const ::testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

std::vector<std::string> Ids(const ::testing::TestInfo& info) {
  const std::vector<std::string>* ids = IdsOf(info);
  return ids ? *ids : std::vector<std::string>{};
}

std::string StatusOf(const ::testing::TestResult& r) { return StatusWord(r); }

std::string MessagesOf(const ::testing::TestResult& r) {
  std::string text;
  for (int i = 0; i < r.total_part_count(); ++i) {
    const ::testing::TestPartResult& part = r.GetTestPartResult(i);
    if (!part.failed() && !part.skipped()) continue;
    if (!text.empty()) text += "\n\n";
    if (part.file_name())
      text += std::string(part.file_name()) + ":" + std::to_string(part.line_number()) + "\n";
    text += part.message();
  }
  return text;
}

std::string Describe(int status, unsigned bound_seconds) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    if (sig == SIGALRM) {
      return "the per-test watchdog ended the test process: no result within " +
             std::to_string(bound_seconds) + " s (the test itself hung, not a child of it)";
    }
    return std::string("the test process was killed by signal ") + std::to_string(sig) + " (" +
           strsignal(sig) + ") while running this test";
  }
  return "the test process exited with status " + std::to_string(WEXITSTATUS(status)) +
         " while running this test";
}

std::string NowUtc() {
  time_t now = time(nullptr);
  tm t{};
  gmtime_r(&now, &t);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &t);
  return buf;
}

std::string CatalogJson() {
  std::string out = "[";
  for (const auto& [id, a] : Catalog()) {
    out += std::string(out.size() > 1 ? ",\n    " : "\n    ") + "{\"id\": " + JsonString(id) +
           ", \"area\": " + JsonString(a.area) + ", \"profile\": " + JsonString(a.profile) +
           ", \"source\": " + JsonString(a.source) + ", \"statement\": " + JsonString(a.statement) +
           "}";
  }
  return out + "\n  ]";
}

bool WriteResults(const std::string& path, const Journal& j, const std::string& started,
                  bool complete, const std::vector<std::string>& problems, unsigned bound) {
  utsname u{};
  uname(&u);
  std::string out = "{\n  \"format\": \"ipcconf-results\",\n  \"version\": " +
                    std::to_string(kResultsFormatVersion) + ",\n  \"machine\": " +
                    JsonString(std::string(u.sysname) + " " + u.release + " " + u.machine) +
                    ",\n  \"binary\": " + JsonString(SelfPath()) +
                    ",\n  \"started\": " + JsonString(started) +
                    ",\n  \"complete\": " + (complete ? "true" : "false") +
                    ",\n  \"test_bound_seconds\": " + std::to_string(bound) +
                    ",\n  \"problems\": " + JsonList(problems) +
                    ",\n  \"catalog\": " + CatalogJson() + ",\n  \"tests\": [";
  for (size_t i = 0; i < j.records.size(); ++i) {
    out += (i ? ",\n    " : "\n    ") + j.records[i];
  }
  out += "\n  ]\n}\n";
  // Written beside and renamed: a reader never sees half a file.
  std::string tmp = path + ".part";
  FILE* f = fopen(tmp.c_str(), "we");
  if (!f) return false;
  bool ok = fwrite(out.data(), 1, out.size(), f) == out.size();
  ok = fclose(f) == 0 && ok;
  return ok && rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

std::string JsonString(const std::string& text) { return JsonQuote(text); }

ResultsJournal::ResultsJournal(std::string journal, unsigned bound_seconds)
    : journal_(std::move(journal)), bound_seconds_(bound_seconds) {}

void ResultsJournal::Append(const std::string& line) { AppendTo(journal_, line); }

void ResultsJournal::OnTestStart(const ::testing::TestInfo& info) {
  std::string ids;
  for (const std::string& id : Ids(info)) ids += (ids.empty() ? "" : ",") + id;
  Append("start\t" + FullName(info) + "\t" + ids + "\n");
  // The watchdog: SIGALRM's default action ends a worker stuck in this test. Children do not
  // inherit the timer, and no test uses SIGALRM in the test process.
  alarm(bound_seconds_);
}

void ResultsJournal::OnTestEnd(const ::testing::TestInfo& info) {
  alarm(0);
  Append("end\t" + FullName(info) + "\t" + ResultRecord(info) + "\n");
}

std::string ResultRecord(const ::testing::TestInfo& info) {
  const ::testing::TestResult& r = *info.result();
  std::string message = MessagesOf(r);
  if (CurrentResultKind() != ResultKind::kVerdict && message.empty()) message = CurrentProbe();
  return Record(FullName(info), StatusOf(r), Ids(info), CurrentProbe(), message,
                static_cast<long>(r.elapsed_time()), CurrentBlocker());
}

void SkipJournaledTests(const std::string& journal) {
  Journal j = ReadJournal(journal);
  if (j.done.empty()) return;
  std::string filter = GTEST_FLAG_GET(filter);
  filter += filter.find('-') == std::string::npos ? "-" : ":";
  bool first = true;
  for (const std::string& name : j.done) {
    filter += (first ? "" : ":") + name;
    first = false;
  }
  GTEST_FLAG_SET(filter, filter);
}

int RunSupervised(const std::vector<std::string>& worker_args, const std::string& json_path,
                  unsigned bound_seconds) {
  const std::string journal = json_path + ".journal";
  const std::string started = NowUtc();
  std::vector<std::string> problems;
  unlink(journal.c_str());
  AppendTo(journal, "");
  for (int round = 0;; ++round) {
    std::vector<std::string> argv = SelfCommand();
    argv.insert(argv.end(), worker_args.begin(), worker_args.end());
    argv.push_back("--ipcconf_worker=" + journal);
    std::vector<char*> raw;
    for (std::string& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    fflush(nullptr);
    pid_t pid = fork();
    if (pid < 0) {
      problems.push_back(std::string("cannot start a worker: fork: ") + strerror(errno));
      break;
    }
    if (pid == 0) {
      execv(raw[0], raw.data());
      fprintf(stderr, "ipcconf: cannot run %s as a worker: %s\n", raw[0], strerror(errno));
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    Journal j = ReadJournal(journal);
    bool normal_end = WIFEXITED(status) && WEXITSTATUS(status) <= 1;
    if (j.running.empty()) {
      if (!normal_end) {
        problems.push_back("a worker ended outside any test: " + Describe(status, bound_seconds));
      }
      WriteResults(json_path, j, started, normal_end, problems, bound_seconds);
      break;
    }
    std::vector<std::string> ids;
    if (!j.running_ids.empty()) ids = Split(j.running_ids, ',', 1000);
    std::string why = Describe(status, bound_seconds);
    fprintf(stderr, "ipcconf: %s: BROKEN: %s; going on with the next test\n", j.running.c_str(),
            why.c_str());
    AppendTo(journal, "broken\t" + j.running + "\t" +
                          Record(j.running, "broken", ids, "", why, bound_seconds * 1000L) + "\n");
    WriteResults(json_path, ReadJournal(journal), started, false, problems, bound_seconds);
  }
  Journal j = ReadJournal(journal);
  unlink(journal.c_str());
  bool clean = problems.empty();
  for (const std::string& record : j.records) {
    if (record.find("\"status\": \"failed\"") != std::string::npos ||
        record.find("\"status\": \"broken\"") != std::string::npos) {
      clean = false;
    }
  }
  fprintf(stderr, "ipcconf: %zu test result(s) written to %s\n", j.records.size(),
          json_path.c_str());
  return clean ? 0 : 1;
}

}  // namespace ipcconf
