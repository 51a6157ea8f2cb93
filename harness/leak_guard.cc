#include "harness/leak_guard.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "harness/child.h"
#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "harness/sysv_journal.h"

namespace ipcconf {
namespace {

std::string g_test_dir;  // the current test's directory, "" until TestTmpDir() is called

std::string TmpRoot() {
  const char* t = getenv("TEST_TMPDIR");
  return t && *t ? t : "/tmp";
}

std::set<std::string> ListDir(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") out.insert(n);
  }
  closedir(d);
  return out;
}

}  // namespace

std::vector<std::string> RemoveTree(const std::string& root) {
  std::vector<std::string> removed;
  for (const std::string& name : ListDir(root)) {
    std::string path = root + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      for (const std::string& sub : RemoveTree(path)) removed.push_back(name + "/" + sub);
      rmdir(path.c_str());
    } else {
      unlink(path.c_str());
    }
    removed.push_back(name);
  }
  return removed;
}

std::string TestTmpDir() {
  if (!g_test_dir.empty()) return g_test_dir;
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  std::replace(name.begin(), name.end(), '/', '_');
  std::string dir = TmpRoot() + "/ipcconf." + std::to_string(getpid()) + "." + name;
  mkdir(dir.c_str(), 0700);
  g_test_dir = dir;
  return dir;
}

void LeakGuard::OnTestProgramStart(const ::testing::UnitTest&) {
  // /dev/shm is the machine's, whatever the IPC namespace: what killed runs left there goes.
  for (const std::string& path : SweepDeadRunsPosixObjects()) {
    fprintf(stderr, "ipcconf: removed %s left by a killed run\n", path.c_str());
  }
  if (private_ipc_) return;
  for (const SysvObject& o : SweepDeadRunJournals()) {
    fprintf(stderr, "ipcconf: removed %s left by a killed run\n", o.Describe().c_str());
  }
  EnableSysvJournal();
}

void LeakGuard::OnTestProgramEnd(const ::testing::UnitTest&) {
  if (!private_ipc_) CloseSysvJournal();
}

void LeakGuard::OnTestStart(const ::testing::TestInfo&) {
  g_test_dir.clear();
  fds_ = ReadFdTable(getpid());
  sysv_ = ReadSysvObjects();
  tmp_entries_ = ListDir(TmpRoot());
}

void LeakGuard::OnTestEnd(const ::testing::TestInfo&) {
  std::vector<std::string> leaks;

  // Children: every child must have been reaped. Orphaned grandchildren land here too.
  for (pid_t pid : ChildrenOf(getpid())) {
    leaks.push_back("child " + ReadProcessState(pid).Describe());
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }

  // Descriptors opened during the test and still open. A close() that reports success and
  // leaves its descriptor open made them stay, not the test: blocked by that, once. Either way
  // they are closed by the raw system call, so the next test starts with its descriptors.
  FdTable now = ReadFdTable(getpid());
  for (const auto& [fd, target] : now) {
    auto before = fds_.find(fd);
    if (before == fds_.end() || before->second != target) {
      if (close(fd) == 0 && fcntl(fd, F_GETFD) >= 0) {
        RecordBlocked("PIPE.PROP.LAST_CLOSE_FREES",
                      "fd " + std::to_string(fd) + " -> " + target +
                          " is still open after close() reported success");
      } else {
        leaks.push_back("fd " + std::to_string(fd) + " -> " + target);
      }
      syscall(SYS_close, fd);
    }
  }

  // System V objects made during the test (in a shared namespace: journaled or used by us).
  std::vector<SysvObject> journaled = JournaledSysvObjects();
  for (const SysvObject& o : ReadSysvObjects()) {
    if (sysv_.count(o)) continue;
    bool in_journal = std::find_if(journaled.begin(), journaled.end(), [&](const SysvObject& j) {
                        return j.kind == o.kind && j.id == o.id && j.key == o.key;
                      }) != journaled.end();
    if (!private_ipc_ && !in_journal && !SysvObjectIsOurs(o)) continue;
    if (RemovalLies(o)) {
      // The test's own removal went through the same broken call: not its leak, once.
      RecordBlocked("SYSV.LIFE.RMID_REMOVES_AT_ONCE",
                    o.Describe() + " is still there after IPC_RMID reported success");
    } else {
      leaks.push_back(o.Describe());
    }
    RemoveSysvObject(o);
  }
  if (!private_ipc_) ResetSysvJournal();  // nothing of this test may remain

  // POSIX message queues, named semaphores and shared memory objects of the names it made.
  for (const std::string& left : RemoveLeftoverPosixObjects()) leaks.push_back(left);

  // Files in the test's directory, and new entries directly in $TEST_TMPDIR.
  if (!g_test_dir.empty()) {
    for (const std::string& f : RemoveTree(g_test_dir)) leaks.push_back("file " + f);
    rmdir(g_test_dir.c_str());
  }
  for (const std::string& name : ListDir(TmpRoot())) {
    if (tmp_entries_.count(name)) continue;
    leaks.push_back("file $TEST_TMPDIR/" + name);
    std::string path = TmpRoot() + "/" + name;
    RemoveTree(path);
    if (rmdir(path.c_str()) != 0) unlink(path.c_str());
  }
  g_test_dir.clear();

  if (!leaks.empty()) {
    std::string msg = "the test left " + std::to_string(leaks.size()) + " thing(s) behind:";
    for (const std::string& l : leaks) msg += "\n  - " + l;
    ADD_FAILURE() << msg;
  }
}

}  // namespace ipcconf
