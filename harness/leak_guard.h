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
#include "gtest/gtest.h"

namespace ipcconf {

// A System V object as /proc/sysvipc lists it.
struct SysvObject {
  char kind;  // 'm' shared memory, 's' semaphore set, 'q' message queue
  int id;
  long key;
  std::string Describe() const;
  bool operator<(const SysvObject& o) const { return kind != o.kind ? kind < o.kind : id < o.id; }
};
std::set<SysvObject> ReadSysvObjects();
// True if this process (or a child it forked) made or used the object: used when the test
// shares the host's IPC namespace and other processes may create objects meanwhile.
bool SysvObjectIsOurs(const SysvObject& o);
// IPC_RMID on it by the raw system call: the libc wrappers may be the broken subject of a run.
void RemoveSysvObject(const SysvObject& o);
// True if IPC_RMID through the libc wrapper reports success but leaves `o` in place with its
// key: the removal call is broken (then a leftover is not the test's leak).
bool RemovalLies(const SysvObject& o);

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
