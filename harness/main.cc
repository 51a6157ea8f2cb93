// The main of every test binary of the project. It
//  - isolates the process: child subreaper (orphans are reaped here and seen by the leak guard),
//    its own IPC namespace where the system allows it (IPCCONF_SHARED_IPC=1 turns that off);
//  - installs the leak guard and, for conformance binaries, the assertion tagger;
//  - runs helper programs (--ipcconf_helper NAME ..., see helper_program.h);
//  - answers --ipcconf_list (test -> assertion ids) and --ipcconf_check_catalog=AREA,...
//  - with IPCCONF_RESULTS=FILE, appends one line per test: its JSON record (ResultRecord);
//  - with --ipcconf_results_json=FILE, runs supervised and writes the JSON results of a port
//    (see results_json.h), each test bounded by --ipcconf_test_bound=SECONDS (default 300).
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "harness/assertions.h"
#include "harness/catalog.h"
#include "harness/helper_program.h"
#include "harness/leak_guard.h"
#include "harness/result_kind.h"
#include "harness/results_json.h"

namespace ipcconf {
namespace {

#ifdef IPCCONF_REQUIRE_ASSERTION_IDS
constexpr bool kRequireIds = true;
#else
constexpr bool kRequireIds = false;
#endif

std::string FullName(const ::testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

// Names the catalog ids of each test in the results and fails tests whose ids are missing or
// unknown.
class AssertionTagger : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& info) override {
    const std::vector<std::string>* ids = IdsOf(info);
    std::string joined;
    if (ids) {
      for (const std::string& id : *ids) joined += (joined.empty() ? "" : " ") + id;
    }
    if (!joined.empty()) ::testing::Test::RecordProperty("assertions", joined);
  }
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const std::vector<std::string>* ids = IdsOf(info);
    if (!ids || ids->empty()) {
      ADD_FAILURE() << FullName(info)
                    << " names no catalog assertion: declare it with IPC_TEST/IPC_TEST_P and "
                       "the ids it checks";
      return;
    }
    for (const std::string& id : *ids) {
      if (!Catalog().count(id)) {
        ADD_FAILURE() << FullName(info) << " names assertion " << id
                      << ", which no linked catalog defines";
      }
    }
  }
};

// Appends a line per test to $IPCCONF_RESULTS (read by the suite's own meta-tests): its
// ResultRecord, the one result format (results_json.h).
class ResultsFile : public ::testing::EmptyTestEventListener {
 public:
  explicit ResultsFile(std::string path) : path_(std::move(path)) {}
  void OnTestEnd(const ::testing::TestInfo& info) override {
    std::string line = ResultRecord(info) + "\n";
    int fd = open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    [[maybe_unused]] ssize_t n = write(fd, line.data(), line.size());  // one write: whole lines
    close(fd);
  }

 private:
  std::string path_;
};

// Each test starts without a result kind (UNSUPPORTED/BROKEN are per test).
class ResultKindReset : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo&) override { ResetResultKind(); }
};

// "--name=VALUE": true and sets *value if `arg` is that option.
bool OptionValue(const std::string& arg, const std::string& name, std::string* value) {
  if (arg.rfind(name + "=", 0) != 0) return false;
  *value = arg.substr(name.size() + 1);
  return true;
}

int ListTags() {
  for (const auto& [test, ids] : TaggedTests()) {
    std::cout << test;
    for (const std::string& id : ids) std::cout << '\t' << id;
    std::cout << '\n';
  }
  return 0;
}

// Both directions: every tagged id is in the catalog, every catalog id of the areas has a test.
int CheckCatalog(const std::string& areas_csv) {
  std::set<std::string> areas;
  size_t start = 0;
  while (start <= areas_csv.size()) {
    size_t comma = areas_csv.find(',', start);
    if (comma == std::string::npos) comma = areas_csv.size();
    if (comma > start) areas.insert(areas_csv.substr(start, comma - start));
    start = comma + 1;
  }
  int problems = 0;
  for (const std::string& e : CatalogErrors()) {
    std::cerr << "catalog: " << e << '\n';
    ++problems;
  }
  std::set<std::string> tested;
  for (const auto& [test, ids] : TaggedTests()) {
    if (ids.empty()) {
      std::cerr << "test " << test << " names no assertion id\n";
      ++problems;
    }
    for (const std::string& id : ids) {
      tested.insert(id);
      if (!Catalog().count(id)) {
        std::cerr << "test " << test << " names unknown assertion id " << id << '\n';
        ++problems;
      }
    }
  }
  size_t in_areas = 0;
  for (const auto& [id, a] : Catalog()) {
    if (!areas.count(a.area)) continue;
    ++in_areas;
    if (!tested.count(id)) {
      std::cerr << "assertion " << id << " (" << a.area << ") has no test\n";
      ++problems;
    }
  }
  for (const std::string& area : areas) {
    bool any = false;
    for (const auto& [id, a] : Catalog()) any = any || a.area == area;
    if (!any) {
      std::cerr << "area '" << area << "' has no assertion in the linked catalogs\n";
      ++problems;
    }
  }
  std::cout << "catalog check: " << in_areas << " assertions in " << areas_csv << ", "
            << TaggedTests().size() << " tagged tests, " << problems << " problem(s)\n";
  return problems == 0 ? 0 : 1;
}

// Gives the process its own IPC namespace so no System V object can outlive the run on the
// host; the leak guard still sees every object a test leaves inside it.
bool IsolateIpc() {
  const char* shared = getenv("IPCCONF_SHARED_IPC");
  if (shared && std::string(shared) == "1") return false;
  if (unshare(CLONE_NEWIPC) != 0) return false;
  // POSIX shared memory and named semaphores live in /dev/shm, which no IPC namespace covers:
  // with a mount namespace of its own the run gets a private /dev/shm (and a /dev/mqueue that
  // shows its own IPC namespace's queues), so even a SIGKILLed run leaves nothing there. Where
  // that is not allowed the run still works on the machine's, named per process
  // (harness/posix_names.h) and swept at the next start.
  if (unshare(CLONE_NEWNS) == 0 &&
      mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0) {
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
  return true;
}

}  // namespace
}  // namespace ipcconf

int main(int argc, char** argv) {
  ipcconf::RememberArgv0(argv[0]);
  int helper_exit = 0;
  if (ipcconf::RunHelperIfAsked(argc, argv, &helper_exit)) return helper_exit;
  std::vector<std::string> worker_args;  // all arguments but the worker's own, gtest's included
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--ipcconf_worker=", 0) != 0) worker_args.push_back(argv[i]);
  }
  ::testing::InitGoogleTest(&argc, argv);
  std::string results_json, journal, bound_text = "300";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--ipcconf_list") return ipcconf::ListTags();
    if (arg.rfind("--ipcconf_check_catalog=", 0) == 0) {
      return ipcconf::CheckCatalog(arg.substr(strlen("--ipcconf_check_catalog=")));
    }
    if (ipcconf::OptionValue(arg, "--ipcconf_results_json", &results_json) ||
        ipcconf::OptionValue(arg, "--ipcconf_worker", &journal) ||
        ipcconf::OptionValue(arg, "--ipcconf_test_bound", &bound_text)) {
      continue;
    }
    std::cerr << "unknown option " << arg
              << " (ipcconf options: --ipcconf_list, --ipcconf_check_catalog=AREA[,AREA], "
                 "--ipcconf_results_json=FILE, --ipcconf_test_bound=SECONDS)\n";
    return 2;
  }
  char* end = nullptr;
  unsigned long bound = strtoul(bound_text.c_str(), &end, 10);
  if (bound_text.empty() || *end || bound == 0 || bound > 86400) {
    std::cerr << "--ipcconf_test_bound needs a number of seconds (1..86400), got '" << bound_text
              << "'\n";
    return 2;
  }
  if (!results_json.empty() && journal.empty()) {
    return ipcconf::RunSupervised(worker_args, results_json, static_cast<unsigned>(bound));
  }
  if (!journal.empty()) ipcconf::SkipJournaledTests(journal);

  // Outside Bazel there is no private temp dir: make one, so the leak guard can watch it.
  std::string own_tmp;
  const char* tmp = getenv("TEST_TMPDIR");
  if (!tmp || !*tmp) {
    char templ[] = "/tmp/ipcconf.XXXXXX";
    if (mkdtemp(templ)) {
      own_tmp = templ;
      setenv("TEST_TMPDIR", templ, 1);
    }
  }

  prctl(PR_SET_CHILD_SUBREAPER, 1);
  // A test that writes to a pipe without readers must get EPIPE, not kill the whole binary;
  // children get the default disposition back (Child::Fork), so SIGPIPE is tested there.
  signal(SIGPIPE, SIG_IGN);
  bool private_ipc = ipcconf::IsolateIpc();

  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  // Appended after the printers: end events run in reverse order, so our failures are
  // recorded before the test's result is printed and written to XML.
  // The results file comes first so that its OnTestEnd runs last and sees every failure.
  if (const char* results = getenv("IPCCONF_RESULTS")) {
    listeners.Append(new ipcconf::ResultsFile(results));
  }
  if (!journal.empty()) {
    listeners.Append(new ipcconf::ResultsJournal(journal, static_cast<unsigned>(bound)));
  }
  listeners.Append(new ipcconf::ResultKindReset());
  listeners.Append(new ipcconf::LeakGuard(private_ipc));
  if (ipcconf::kRequireIds) listeners.Append(new ipcconf::AssertionTagger());
  int rc = RUN_ALL_TESTS();
  if (!own_tmp.empty()) {
    ipcconf::RemoveTree(own_tmp);
    rmdir(own_tmp.c_str());
  }
  return rc;
}
