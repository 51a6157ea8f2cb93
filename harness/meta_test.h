// The defects meta-test, ONE for every area (harness/meta_test.bzl generates each area's from
// its configuration): the area's test binary runs against its broken subject once per row of the
// defect table, and each row must be exact: its ids fail, and every other test passes or is
// blocked by one of its ids. Also: every catalog id is broken by some row, the subject without a
// defect changes nothing, and it refuses a defect name it does not know. Legal rows (`NAME
// LEGAL`) run the whole binary and must break no posix-profile id.
#ifndef IPCCONF_HARNESS_META_TEST_H_
#define IPCCONF_HARNESS_META_TEST_H_

#include <string>

namespace ipcconf {

struct MetaTestConfig {
  std::string area;     // as in the catalog ids: "pipe"
  std::string binary;   // runfile of the area's test binary
  std::string preload;  // runfile of the LD_PRELOAD subject, "" when the binary links it
  std::string subject;  // its name in its own messages: "libbroken_pipe.so"
  std::string table;    // runfile of the defect table
  // Which test instances any run of this meta-test selects ("" for all): the pool runs its
  // three-worker instances, which show every defect.
  std::string universe;
  size_t min_control_cases = 1;       // the run without a defect reports at least this many
  bool control_skips_allowed = true;  // and may skip (tests that need root or runfiles)
};

// Generated per area (harness/meta_test.bzl).
MetaTestConfig MetaTest();

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_META_TEST_H_
