// The course's FIFO lab as a black box: the server creates the FIFO and prints
// what a client sends; the client sends its input line by line. The subjects
// are the reference programs
// //ipc/examples:fifo_server and :fifo_client, or others named by
// IPCCONF_FIFO_SERVER and IPCCONF_FIFO_CLIENT (the suite's own broken ones, or
// a student's).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "conformance/fifo/fifo_node.h"
#include "fixtures/assertions.h"
#include "fixtures/blocked.h"
#include "fixtures/child.h"
#include "fixtures/syscall.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcconf {
namespace {

std::string Subject(const char *env, const std::string &runfile) {
  const char *override_path = getenv(env);
  if (override_path && *override_path) return override_path;
  const char *srcdir = getenv("TEST_SRCDIR");
  return std::string(srcdir ? srcdir : ".") + "/ipcconf/" + runfile;
}

// A file in the test's directory, removed when the test is done with it.
class ScratchFile {
 public:
  ScratchFile(const std::string &name, const std::string &content) : path_(FreshPath(name)) {
    std::ofstream(path_) << content;
  }
  ~ScratchFile() { unlink(path_.c_str()); }
  int OpenForReading() const { return open(path_.c_str(), O_RDONLY | O_CLOEXEC); }
  int OpenForWriting() const { return open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC); }
  std::string Content() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  std::string path_;
};

class FifoSession : public ::testing::Test {
 protected:
  FifoSession()
      : path_(FreshPath("lab_fifo")),
        server_out_("server_stdout", ""),
        server_bin_(Subject("IPCCONF_FIFO_SERVER", "ipc/examples/fifo_server")),
        client_bin_(Subject("IPCCONF_FIFO_CLIENT", "ipc/examples/fifo_client")) {}
  ~FifoSession() override { unlink(path_.c_str()); }  // a server that did not remove it
  void SetUp() override {
    // The portable binary carries no runfiles: the lab programs are named by the environment.
    for (const std::string *program : {&server_bin_, &client_bin_}) {
      if (access(program->c_str(), X_OK) != 0) {
        GTEST_SKIP() << "no FIFO lab program at " << *program
                     << ": set IPCCONF_FIFO_SERVER and IPCCONF_FIFO_CLIENT to run these tests";
      }
    }
  }

  // Starts the server for `clients` clients; succeeds once it waits in open for
  // the first.
  ::testing::AssertionResult StartServer(int clients = 1) {
    ipc::UniqueFd out(server_out_.OpenForWriting());
    server_.emplace(Child::Exec({server_bin_, path_, std::to_string(clients)}, {},
                                Child::Stdio{-1, out.get(), -1}));
    return WaitUntilBlocked(server_->pid(), {SYS_openat, std::nullopt});
  }
  // Runs one client on `input` to its end.
  Outcome RunClient(const std::string &input) {
    ScratchFile in("client_stdin", input);
    ipc::UniqueFd fd(in.OpenForReading());
    Child client = Child::Exec({client_bin_, path_}, {}, Child::Stdio{fd.get(), -1, -1});
    return client.Wait();
  }
  bool FifoExists() const {
    struct stat st;
    return lstat(path_.c_str(), &st) == 0;
  }

  std::string path_;
  ScratchFile server_out_;
  std::string server_bin_, client_bin_;
  std::optional<Child> server_;
};

IPC_TEST_F(FifoSession, ServerPrintsEachMessageInOrder, "FIFO.SESSION.SERVER_PRINTS_MESSAGES") {
  ASSERT_TRUE(StartServer());
  EXPECT_TRUE(ExitedWith(RunClient("hello\nsecond message\nthird\n"), 0));
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0));
  EXPECT_EQ(server_out_.Content(), "hello\nsecond message\nthird\n")
      << "the server prints each line the client sent, in order, and nothing "
         "else";
}

IPC_TEST_F(FifoSession, ClientStopsAtQuit, "FIFO.SESSION.CLIENT_STOPS_ON_QUIT") {
  ASSERT_TRUE(StartServer());
  EXPECT_TRUE(ExitedWith(RunClient("before\nquit\nafter quit\n"), 0));
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0));
  EXPECT_EQ(server_out_.Content(), "before\n") << "nothing from \"quit\" on may be sent";
}

IPC_TEST_F(FifoSession, ClientStopsAtEndOfInput, "FIFO.SESSION.CLIENT_STOPS_ON_QUIT") {
  ASSERT_TRUE(StartServer());
  EXPECT_TRUE(ExitedWith(RunClient("only line\n"), 0)) << "end of input ends the client";
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0));
  EXPECT_EQ(server_out_.Content(), "only line\n");
}

IPC_TEST_F(FifoSession, ServerExitsZeroWhenTheClientCloses, "FIFO.SESSION.SERVER_EXITS_ON_EOF") {
  ASSERT_TRUE(StartServer());
  // A client that is ours: opens, writes, and closes only when told, so the
  // server is seen waiting in read() before the close, and leaving after it.
  Handshake close_now;
  Child client = Child::Fork([&]() {
    int fd = open(path_.c_str(), O_WRONLY);
    if (fd < 0 || write(fd, "msg\n", 4) != 4) return 1;
    return close_now.Receive() ? 0 : 2;
  });
  ASSERT_TRUE(WaitUntilBlocked(server_->pid(), {SYS_read, std::nullopt}));
  close_now.Send();
  EXPECT_TRUE(ExitedWith(client.Wait(), 0));
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0)) << "read() returned 0: the server must exit 0";
}

IPC_TEST_F(FifoSession, ServerRemovesTheFifoWhenItExits, "FIFO.SESSION.SERVER_REMOVES_FIFO") {
  ASSERT_TRUE(StartServer());
  EXPECT_TRUE(FifoExists()) << "the server waits for a client: its FIFO must exist";
  EXPECT_TRUE(ExitedWith(RunClient("bye\nquit\n"), 0));
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0));
  EXPECT_FALSE(FifoExists()) << path_ << " is still there after the server exited";
}

IPC_TEST_F(FifoSession, SecondClientIsServedAfterTheServerReopens,
           "FIFO.SESSION.NEXT_CLIENT_AFTER_REOPEN") {
  ASSERT_TRUE(StartServer(2));
  EXPECT_TRUE(ExitedWith(RunClient("first client\n"), 0));
  // After the first client's end-of-file the server opens again and waits for
  // the next.
  ASSERT_TRUE(WaitUntilBlocked(server_->pid(), {SYS_openat, std::nullopt}));
  EXPECT_TRUE(ExitedWith(RunClient("second client\nquit\n"), 0));
  EXPECT_TRUE(ExitedWith(server_->Wait(), 0));
  EXPECT_EQ(server_out_.Content(), "first client\nsecond client\n");
  EXPECT_FALSE(FifoExists());
}

}  // namespace
}  // namespace ipcconf
