// Leak guards around EVERY test, installed by the test main (no test has to remember them):
// fds of the test process, live and zombie children (orphans too: the test process is a child
// subreaper), System V objects, files left in the test's temporary directory. A leak fails the
// test that leaked, names what leaked, and is cleaned up so the next test starts clean.
#ifndef IPCCONF_HARNESS_LEAK_GUARD_H_
#define IPCCONF_HARNESS_LEAK_GUARD_H_

#include <sys/types.h>

#include <set>
#include <string>
#include <vector>

#include "harness/proc.h"
#include "harness/sysv_objects.h"
#include "gtest/gtest.h"

namespace ipcconf {

// The current test's own directory under $TEST_TMPDIR (created on first use, checked empty and
// removed when the test ends).
std::string TestTmpDir();

class LeakGuard : public ::testing::EmptyTestEventListener {
 public:
  // `private_ipc`: this process has its own IPC namespace, so every new object is the test's.
  explicit LeakGuard(bool private_ipc) : private_ipc_(private_ipc) {}
  // Shared namespace: removes what dead runs journaled, then journals this run's objects.
  void OnTestProgramStart(const ::testing::UnitTest& unit) override;
  void OnTestProgramEnd(const ::testing::UnitTest& unit) override;
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;

 private:
  bool private_ipc_;
  FdTable fds_;
  std::set<SysvObject> sysv_;
  std::set<std::string> tmp_entries_;
};

// Removes a directory tree; returns the paths it removed (relative to `root`).
std::vector<std::string> RemoveTree(const std::string& root);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_LEAK_GUARD_H_
