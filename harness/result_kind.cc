#include "harness/result_kind.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <algorithm>

#include "harness/assertions.h"
#include "harness/syscall.h"

namespace ipcconf {
namespace {

struct Recorded {
  ResultKind kind = ResultKind::kVerdict;
  std::string probe;
  std::string blocker;   // the assertion a BLOCKED test is blocked by
  int parts_before = 0;  // test part results recorded before it was blocked
};

const ::testing::TestInfo* Running() {
  return ::testing::UnitTest::GetInstance()->current_test_info();
}

Recorded& Current() {
  static auto* recorded = new Recorded();
  return *recorded;
}

}  // namespace

void RecordUnsupported(const std::string& probe) {
  if (Current().kind == ResultKind::kBroken) return;
  Current() = {ResultKind::kUnsupported, probe, "", 0};
  ::testing::Test::RecordProperty("result_kind", "unsupported");
  ::testing::Test::RecordProperty("probe", probe);
}

void RecordBroken(const std::string& what) {
  Current() = {ResultKind::kBroken, what, "", 0};
  ::testing::Test::RecordProperty("result_kind", "broken");
  ::testing::Test::RecordProperty("probe", what);
  ADD_FAILURE() << "BROKEN: the harness itself failed, no verdict on the subject: " << what;
}

void RecordBlocked(const std::string& id, const std::string& seen) {
  const ::testing::TestInfo* info = Running();
  const std::vector<std::string>* own = info ? IdsOf(*info) : nullptr;
  if (own && std::find(own->begin(), own->end(), id) != own->end()) {
    ADD_FAILURE() << seen;  // the test checks this facility itself: its own verdict
    return;
  }
  if (Current().kind == ResultKind::kBroken || Current().kind == ResultKind::kBlocked) return;
  if (info && info->result()->Failed()) return;  // it failed on its own before: that stands
  Current() = {ResultKind::kBlocked, seen, id, info ? info->result()->total_part_count() : 0};
  ::testing::Test::RecordProperty("result_kind", "blocked");
  ::testing::Test::RecordProperty("blocked_by", id);
  ::testing::Test::RecordProperty("probe", seen);
}

const std::string& CurrentBlocker() { return Current().blocker; }

std::string StatusWord(const ::testing::TestResult& r) {
  switch (Current().kind) {
    case ResultKind::kBroken:
      return "broken";
    case ResultKind::kUnsupported:
      return "unsupported";
    case ResultKind::kBlocked:
      for (int i = 0; i < Current().parts_before && i < r.total_part_count(); ++i) {
        if (r.GetTestPartResult(i).failed()) return "failed";  // its own, before the block
      }
      return "blocked";
    case ResultKind::kVerdict:
      break;
  }
  return r.Failed() ? "failed" : r.Skipped() ? "skipped" : "passed";
}

ResultKind CurrentResultKind() { return Current().kind; }
const std::string& CurrentProbe() { return Current().probe; }
void ResetResultKind() { Current() = {}; }

bool HaveProcStat() {
  struct stat st;
  return stat("/proc/self/stat", &st) == 0;
}

bool AdoptsOrphans(std::string* probe) {
  int on = 0;
  if (prctl(PR_GET_CHILD_SUBREAPER, &on) != 0) {
    *probe = std::string("probe: prctl(PR_GET_CHILD_SUBREAPER) -> ") + ErrnoName(errno) +
             ": orphans cannot be adopted by the test process";
    return false;
  }
  if (on != 1) {
    *probe = "probe: prctl(PR_GET_CHILD_SUBREAPER) -> 0: the test process is no child subreaper";
    return false;
  }
  return true;
}

}  // namespace ipcconf
