// The shared-memory lab's reference programs (//ipc/examples:shm_server, :shm_client) run as
// separate processes, as the grader runs a student's pair: data crosses, and whatever happens,
// nothing is left. The test binary has its own IPC namespace, so /proc/sysvipc shows only what
// these programs made.
#include <fcntl.h>
#include <signal.h>
#include <sys/ipc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "fixtures/assertions.h"
#include "fixtures/child.h"
#include "fixtures/leak_guard.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ipc/examples/shm_lab.h"
#include "ipc/pipe.h"
#include "ipc/sem.h"
#include "ipc/shm.h"

namespace ipcconf {
namespace {

using ::testing::HasSubstr;

std::string Runfile(const std::string& path) {
  const char* srcdir = getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/ipcconf/" + path;
}

std::string PermissionBits(const ipc_perm& perm) {
  char octal[8];
  snprintf(octal, sizeof octal, "0%o", perm.mode & 0777u);
  return octal;
}

// A program's output, read once it has ended (a few lines: far below a pipe's capacity).
class Output {
 public:
  Output() : pipe_(std::move(ipc::Pipe::Create(O_CLOEXEC).value())) {}
  int fd() const { return pipe_.write_end(); }
  std::string Text() {
    pipe_.CloseWriteEnd();
    std::string text;
    char buf[512];
    for (;;) {
      ipc::Result<size_t> n = pipe_.Read(buf, sizeof buf);
      if (!n || *n == 0) return text;
      text.append(buf, *n);
    }
  }

 private:
  ipc::Pipe pipe_;
};

// A program with its standard input, output and error; KEY_PATH is the test's directory.
struct LabProgram {
  LabProgram(const char* program, const std::string& key_path, const std::string& input) {
    ipc::Pipe in = std::move(ipc::Pipe::Create(O_CLOEXEC).value());
    in.WriteAll(input.data(), input.size());
    in.CloseWriteEnd();
    child.emplace(Child::Exec({Runfile(std::string("ipc/examples/") + program), key_path}, {},
                              Child::Stdio{in.read_end(), out.fd(), err.fd()}));
  }
  Output out, err;
  std::optional<Child> child;
};

class ShmLab : public ::testing::Test {
 protected:
  void SetUp() override {
    key_path_ = TestTmpDir();
    ipc::Result<ipc::IpcKey> key = ipc::IpcKey::FromPath(key_path_, shm_lab::kProjectId);
    ASSERT_TRUE(key) << key.error().Describe();
    key_ = *key;
  }

  std::unique_ptr<LabProgram> Start(const char* program, const std::string& input = "") {
    return std::make_unique<LabProgram>(program, key_path_, input);
  }

  // Succeeds once the server waits for its client (GETNCNT of kDataTaken is 1): by then its
  // objects exist and the segment holds the line.
  ::testing::AssertionResult WaitsForClient(LabProgram& server) {
    const auto deadline = std::chrono::steady_clock::now() + kEventBound;
    while (std::chrono::steady_clock::now() < deadline) {
      ipc::Result<ipc::SemaphoreSet> sems = ipc::SemaphoreSet::Get(key_);
      if (sems) {
        ipc::Result<int> waiting = sems->WaitingForIncrease(shm_lab::kDataTaken);
        if (waiting && *waiting == 1) return ::testing::AssertionSuccess();
      }
      // Also the pause between two looks: 1 ms.
      if (server.child->EndsWithin(Millis(1))) {
        return ::testing::AssertionFailure()
               << "the server ended before any client came: " << server.child->Wait().Describe()
               << "; its standard error: " << server.err.Text();
      }
    }
    return ::testing::AssertionFailure()
           << "the server never waited for its client on semaphore " << shm_lab::kDataTaken
           << " of " << key_.Describe() << " within " << kEventBound.count() << " ms";
  }

  static std::string ObjectsLeft() {
    std::string left;
    for (const SysvObject& o : ReadSysvObjects()) left += o.Describe() + "; ";
    return left;
  }

  std::string key_path_;
  ipc::IpcKey key_;
};

IPC_TEST_F(ShmLab, LineCrossesAndNothingIsLeft, "EXAMPLES.SHM.LINE_CROSSES",
           "EXAMPLES.SHM.NOTHING_LEFT") {
  std::unique_ptr<LabProgram> server = Start("shm_server", "a line for the client\n");
  ASSERT_TRUE(WaitsForClient(*server));
  std::unique_ptr<LabProgram> client = Start("shm_client");
  EXPECT_TRUE(ExitedWith(client->child->Wait(), 0)) << client->err.Text();
  EXPECT_TRUE(ExitedWith(server->child->Wait(), 0)) << server->err.Text();
  EXPECT_EQ(client->out.Text(), "a line for the client\n");
  EXPECT_EQ(ObjectsLeft(), "") << "both programs ended: the server must have removed all";
}

IPC_TEST_F(ShmLab, ObjectsAreKeyedByThePathAndOpenToOthers, "EXAMPLES.SHM.OTHERS_MAY_USE") {
  std::unique_ptr<LabProgram> server = Start("shm_server", "x\n");
  ASSERT_TRUE(WaitsForClient(*server));
  ipc::Result<ipc::SharedMemory> shm = ipc::SharedMemory::Get(key_);
  ipc::Result<ipc::SemaphoreSet> sems = ipc::SemaphoreSet::Get(key_);
  ASSERT_TRUE(shm) << shm.error().Describe();
  ASSERT_TRUE(sems) << sems.error().Describe();
  EXPECT_EQ(PermissionBits(shm->Stat()->shm_perm), "0666")
      << "a client of another user attaches it";
  EXPECT_EQ(PermissionBits(sems->Stat()->sem_perm), "0666")
      << "a client of another user P's and V's";
  std::unique_ptr<LabProgram> client = Start("shm_client");
  EXPECT_TRUE(ExitedWith(client->child->Wait(), 0)) << client->err.Text();
  EXPECT_TRUE(ExitedWith(server->child->Wait(), 0)) << server->err.Text();
}

IPC_TEST_F(ShmLab, ServerRefusesAKeyInUse, "EXAMPLES.SHM.CREATES_EXCLUSIVELY",
           "EXAMPLES.SHM.NOTHING_LEFT") {
  for (bool segment : {true, false}) {
    SCOPED_TRACE(segment ? "a segment with the key exists" : "a semaphore set with the key exists");
    ipc::SharedMemory shm;
    ipc::SemaphoreSet sems;
    if (segment) {
      ipc::Result<ipc::SharedMemory> made = ipc::SharedMemory::Create(key_, 64);
      ASSERT_TRUE(made) << made.error().Describe();
      shm = std::move(*made);
    } else {
      ipc::Result<ipc::SemaphoreSet> made = ipc::SemaphoreSet::Create(key_, 1);
      ASSERT_TRUE(made) << made.error().Describe();
      sems = std::move(*made);
    }
    const std::string before = ObjectsLeft();
    std::unique_ptr<LabProgram> server = Start("shm_server", "x\n");
    EXPECT_TRUE(ExitedWith(server->child->Wait(), 1));
    EXPECT_THAT(server->err.Text(), HasSubstr("File exists"));
    EXPECT_EQ(ObjectsLeft(), before)
        << "the server must leave the existing object alone and remove what it made";
  }
}

IPC_TEST_F(ShmLab, ClientWithoutServerSaysToStartIt, "EXAMPLES.SHM.CLIENT_NEEDS_SERVER",
           "EXAMPLES.SHM.NOTHING_LEFT") {
  std::unique_ptr<LabProgram> client = Start("shm_client");
  EXPECT_TRUE(ExitedWith(client->child->Wait(), 1));
  std::string err = client->err.Text();
  EXPECT_THAT(err, HasSubstr("No such file or directory"));
  EXPECT_THAT(err, HasSubstr("start the server first"));
  EXPECT_EQ(ObjectsLeft(), "");
}

IPC_TEST_F(ShmLab, ServerWithoutInputMakesNothing, "EXAMPLES.SHM.NOTHING_LEFT") {
  std::unique_ptr<LabProgram> server = Start("shm_server", "");
  EXPECT_TRUE(ExitedWith(server->child->Wait(), 1));
  EXPECT_THAT(server->err.Text(), HasSubstr("no line on standard input"));
  EXPECT_EQ(ObjectsLeft(), "");
}

IPC_TEST_F(ShmLab, SignalToTheWaitingServerRemovesEverything, "EXAMPLES.SHM.SIGNAL_CLEANS_UP",
           "EXAMPLES.SHM.NOTHING_LEFT") {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    SCOPED_TRACE(strsignal(sig));
    std::unique_ptr<LabProgram> server = Start("shm_server", "never read\n");
    ASSERT_TRUE(WaitsForClient(*server));
    ASSERT_EQ(kill(server->child->pid(), sig), 0);
    EXPECT_TRUE(ExitedWith(server->child->Wait(), 128 + sig)) << server->err.Text();
    EXPECT_EQ(ObjectsLeft(), "");
  }
}

}  // namespace
}  // namespace ipcconf
