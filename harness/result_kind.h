// Result kinds beyond pass/fail, as porters need them (LTP's TCONF/TBROK, the Open POSIX Test
// Suite's UNSUPPORTED):
//   UNSUPPORTED  the facility the test needs is absent here (ENOSYS, EINVAL on a flag this
//                system does not know, no /proc); the probe that showed it is recorded.
//   BROKEN       the harness itself broke (fork, socketpair failed): no verdict on the subject.
//   BLOCKED      a facility the test uses but does not check (a call to set up, size, probe or
//                clean up) misbehaved: "blocked by ID", with what was seen. What fails after
//                that is its consequence, not the test's verdict. When the running test checks
//                ID itself, it is that test's failure instead.
// Both reach the results as the gtest properties `result_kind` and `probe`; the report tool and
// the JSON results file map them. A test declares UNSUPPORTED with
//   IPCCONF_UNSUPPORTED_IF(pipe2(fds, O_DIRECT) != 0 && errno == EINVAL,
//                          "pipe2(O_DIRECT) -> EINVAL");
// which records the probe and skips the rest of the test.
#ifndef IPCCONF_HARNESS_RESULT_KIND_H_
#define IPCCONF_HARNESS_RESULT_KIND_H_

#include <string>

#include "gtest/gtest.h"

namespace ipcconf {

enum class ResultKind { kVerdict, kUnsupported, kBroken, kBlocked };

// Records that the running test's facility is absent; `probe` says what showed it.
void RecordUnsupported(const std::string& probe);
// Records that the harness broke and fails the test; `what` names the harness call and errno.
void RecordBroken(const std::string& what);
// Records that the running test is blocked by assertion `id` (the facility it relies on),
// `seen` saying what that facility did. Only the first root counts. If the running test is
// tagged with `id`, this is its own failure: ADD_FAILURE with `seen`.
void RecordBlocked(const std::string& id, const std::string& seen);
// The assertion the running test is blocked by ("" when it is not).
const std::string& CurrentBlocker();
// The status word of a finished test for the results writers: "blocked" when it was blocked
// before any failure of its own, else "failed", "skipped", "unsupported", "broken" or "passed".
std::string StatusWord(const ::testing::TestResult& r);

// What the running test recorded (kVerdict: nothing; BROKEN wins over UNSUPPORTED), and the
// probe or harness failure that goes with it. Reset by ResetResultKind() at each test start.
ResultKind CurrentResultKind();
const std::string& CurrentProbe();
void ResetResultKind();

// True if this system has a /proc that shows process states (what WaitUntilBlocked observes).
bool HaveProcStat();
// True if orphans of this process's descendants are reparented to it (the test main makes it a
// child subreaper); otherwise false and *probe says what showed it (qemu-user: EINVAL).
bool AdoptsOrphans(std::string* probe);

}  // namespace ipcconf

// Stops the test as blocked by `id` when `condition` holds (see RecordBlocked).
#define IPCCONF_BLOCKED_BY_IF(condition, id, seen)                     \
  if (!(condition)) {                                                  \
  } else if (::ipcconf::RecordBlocked(id, seen), false) {              \
  } else                                                               \
    return

#define IPCCONF_UNSUPPORTED_IF(condition, probe)                       \
  if (!(condition)) {                                                  \
  } else if (::ipcconf::RecordUnsupported(probe), false) {             \
  } else                                                               \
    GTEST_SKIP() << "UNSUPPORTED: " << (probe)

#endif  // IPCCONF_HARNESS_RESULT_KIND_H_
