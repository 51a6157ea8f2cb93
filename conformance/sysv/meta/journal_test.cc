// A run killed half-way in a shared IPC namespace leaves objects; the next run's start-up
// removes exactly those: not a live run's, not an object nobody journaled, not an object whose
// identity no longer matches the journal. All inside this test's own IPC namespace (the
// sub-runs share it with IPCCONF_SHARED_IPC=1): nothing reaches the host.
#include <dirent.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/sysv/sysv_kinds.h"
#include "harness/blocked.h"
#include "harness/child.h"
#include "harness/leak_guard.h"
#include "harness/proc.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

std::string Runfile(const std::string& path) {
  return std::string(getenv("TEST_SRCDIR")) + "/ipcconf/" + path;
}

class SysvJournal : public ::testing::Test {
 protected:
  void SetUp() override {
    journal_ = TestTmpDir() + "/journal";
    mkdir(journal_.c_str(), 0700);
  }
  void TearDown() override {
    for (const SysvObject& o : ReadSysvObjects()) RemoveSysvObject(o);
    RemoveTree(TestTmpDir());
  }
  Child Start(const std::string& test) {
    std::string tmp = TestTmpDir() + "/run" + std::to_string(runs_++);
    mkdir(tmp.c_str(), 0700);
    return Child::Exec({Runfile("conformance/sysv/journal_subject"), "--gtest_filter=" + test},
                       {"IPCCONF_SHARED_IPC=1", "IPCCONF_SYSV_JOURNAL_DIR=" + journal_,
                        "TEST_TMPDIR=" + tmp, "XML_OUTPUT_FILE", "GTEST_OUTPUT",
                        "TEST_SHARD_STATUS_FILE", "TEST_PREMATURE_EXIT_FILE", "TEST_SHARD_INDEX",
                        "TEST_TOTAL_SHARDS", "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS"});
  }
  // A run that made its objects and is now blocked in pause(); returns what it made.
  Child StartMaker(std::set<SysvObject>* made) {
    std::set<SysvObject> before = ReadSysvObjects();
    Child c = Start("JournalSubject.MakeObjectsThenWait");
    auto fill = [&]() {
      made->clear();
      for (const SysvObject& o : ReadSysvObjects()) {
        if (!before.count(o)) made->insert(o);
      }
      return static_cast<long>(made->size());
    };
    // Its objects appear, then it sleeps in pause() (the sleep alone is not enough: a process
    // between fork and exec can look asleep with its system call unreadable).
    EXPECT_TRUE(PollUntilEquals(fill, 3));
    EXPECT_TRUE(WaitUntilBlocked(c.pid(), {SYS_pause, std::nullopt}));
    EXPECT_EQ(made->size(), 3u) << "one object of each kind";
    return c;
  }
  void Sweep() {
    Child sweeper = Start("JournalSubject.Nothing");
    ASSERT_TRUE(ExitedWith(sweeper.Wait(), 0));
  }
  std::vector<std::string> Journals() {
    std::vector<std::string> names;
    if (DIR* d = opendir(journal_.c_str())) {
      while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(journal_ + "/" + n);
      }
      closedir(d);
    }
    return names;
  }
  std::string journal_;
  int runs_ = 0;
};

bool Exists(const SysvObject& o) { return ReadSysvObjects().count(o) > 0; }

TEST_F(SysvJournal, NextRunRemovesWhatAKilledRunMadeAndNothingElse) {
  int unrelated = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);  // made here, journaled by none
  ASSERT_GE(unrelated, 0);
  std::set<SysvObject> killed_made, alive_made;
  Child killed = StartMaker(&killed_made);
  Child alive = StartMaker(&alive_made);
  ASSERT_EQ(Journals().size(), 2u) << "each run keeps its journal";
  EXPECT_TRUE(KilledBySignal(killed.Kill(), SIGKILL));
  for (const SysvObject& o : killed_made) {
    ASSERT_TRUE(Exists(o)) << o.Describe() << " must survive the killed run";
  }

  Sweep();
  for (const SysvObject& o : killed_made) {
    EXPECT_FALSE(Exists(o)) << o.Describe() << " of the killed run was not removed";
  }
  for (const SysvObject& o : alive_made) {
    EXPECT_TRUE(Exists(o)) << o.Describe() << " of a live run was removed";
  }
  EXPECT_TRUE(Exists(SysvObject{'m', unrelated, 0})) << "an object nobody journaled was removed";
  EXPECT_EQ(Journals().size(), 1u) << "the killed run's journal is done with";

  // The live run dies too, and its journal entry for the queue no longer describes the queue
  // there (another creator uid): the sweep must leave that object alone.
  EXPECT_TRUE(KilledBySignal(alive.Kill(), SIGKILL));
  std::vector<std::string> left = Journals();
  ASSERT_EQ(left.size(), 1u);
  std::istringstream in(ReadSmallFile(left[0]));
  std::string edited, line;
  SysvObject queue{};
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::vector<std::string> w;
    for (std::string x; f >> x;) w.push_back(x);
    if (w.size() == 7 && w[0] == "q") {
      queue = SysvObject{'q', std::stoi(w[1]), std::stol(w[2])};
      w[3] = "4321";  // cuid
      line = w[0] + " " + w[1] + " " + w[2] + " " + w[3] + " " + w[4] + " " + w[5] + " " + w[6];
    }
    edited += line + "\n";
  }
  ASSERT_EQ(queue.kind, 'q') << "the journal lists the queue";
  std::ofstream(left[0]) << edited;
  Sweep();
  for (const SysvObject& o : alive_made) {
    if (o.kind == 'q') continue;
    EXPECT_FALSE(Exists(o)) << o.Describe() << " of the second killed run was not removed";
  }
  EXPECT_TRUE(Exists(queue)) << "an object not matching its journal entry was removed";
  msgctl(queue.id, IPC_RMID, nullptr);
  EXPECT_TRUE(Exists(SysvObject{'m', unrelated, 0}));
  EXPECT_TRUE(Journals().empty());
  shmctl(unrelated, IPC_RMID, nullptr);
}

}  // namespace
}  // namespace ipcconf
