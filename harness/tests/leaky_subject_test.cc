// A deliberately broken test binary: each test leaks one kind of thing, or breaks a tagging rule.
// It is not run on its own; harness_test runs it and checks the harness fails each test for the
// right reason.
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "harness/assertions.h"
#include "harness/leak_guard.h"
#include "harness/posix_names.h"
#include "harness/result_kind.h"
#include "gtest/gtest.h"

namespace {

IPC_TEST(Leaky, LeaksAnFd, "HARNESS.SELFTEST") {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
}

IPC_TEST(Leaky, LeaksAZombie, "HARNESS.SELFTEST") {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  ASSERT_GT(pid, 0);
  // Wait until it has exited, without reaping it: the guard must find a zombie, not a child
  // still running its _exit.
  siginfo_t info;
  waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
}

IPC_TEST(Leaky, LeaksALiveChild, "HARNESS.SELFTEST") {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(pid, 0);
}

IPC_TEST(Leaky, LeaksAnOrphanedGrandchild, "HARNESS.SELFTEST") {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      close(ready[0]);
      close(ready[1]);
      pause();
      _exit(0);
    }
    _exit(0);  // the grandchild is orphaned; the subreaper (the test process) adopts it
  }
  close(ready[1]);
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 0);  // EOF once the child and grandchild closed their copies
  close(ready[0]);
  int status;
  waitpid(pid, &status, 0);
}

IPC_TEST(Leaky, LeaksASharedMemorySegment, "HARNESS.SELFTEST") {
  ASSERT_GE(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600), 0);
}

IPC_TEST(Leaky, LeaksASemaphoreSet, "HARNESS.SELFTEST") {
  ASSERT_GE(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600), 0);
}

IPC_TEST(Leaky, LeaksAMessageQueue, "HARNESS.SELFTEST") {
  ASSERT_GE(msgget(IPC_PRIVATE, IPC_CREAT | 0600), 0);
}

IPC_TEST(Leaky, LeaksAFileInItsTmpDir, "HARNESS.SELFTEST") {
  std::ofstream(ipcconf::TestTmpDir() + "/left_behind") << "x";
}

IPC_TEST(Leaky, LeaksAFifoInTestTmpdir, "HARNESS.SELFTEST") {
  ASSERT_EQ(mkfifo((std::string(getenv("TEST_TMPDIR")) + "/stray_fifo").c_str(), 0600), 0);
}

IPC_TEST(Leaky, LeaksAPosixMessageQueue, "HARNESS.SELFTEST") {
  mq_attr attr{};
  attr.mq_maxmsg = 1;
  attr.mq_msgsize = 8;
  mqd_t q = mq_open(ipcconf::PosixIpcName("q").c_str(), O_CREAT | O_RDWR, 0600, &attr);
  ASSERT_NE(q, static_cast<mqd_t>(-1)) << strerror(errno);
  mq_close(q);
}

IPC_TEST(Leaky, LeaksAPosixSharedMemoryObject, "HARNESS.SELFTEST") {
  int fd = shm_open(ipcconf::PosixIpcName("shm").c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
}

IPC_TEST(Leaky, LeaksAPosixNamedSemaphore, "HARNESS.SELFTEST") {
  sem_t* s = sem_open(ipcconf::PosixIpcName("sem").c_str(), O_CREAT, 0600, 1);
  ASSERT_NE(s, SEM_FAILED) << strerror(errno);
  sem_close(s);
}

IPC_TEST(Leaky, CleanTestPasses, "HARNESS.SELFTEST") {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  close(fds[1]);
}

// BLOCKED: a facility the test relies on misbehaved; what fails after that is its consequence.
IPC_TEST(Blocked, ByAFacilityItReliesOn, "HARNESS.SELFTEST") {
  ::ipcconf::RecordBlocked("HARNESS.FACILITY", "the facility answered EAGAIN");
  ADD_FAILURE() << "a consequence of the block";
}
IPC_TEST(Blocked, AfterItsOwnFailureStaysFailed, "HARNESS.SELFTEST") {
  ADD_FAILURE() << "its own failure, before any block";
  ::ipcconf::RecordBlocked("HARNESS.FACILITY", "the facility answered EAGAIN");
}
IPC_TEST(Blocked, ByWhatItChecksItselfIsItsFailure, "HARNESS.FACILITY") {
  ::ipcconf::RecordBlocked("HARNESS.FACILITY", "the facility answered EAGAIN");
}
IPC_TEST(Blocked, TheMacroStopsTheTest, "HARNESS.SELFTEST") {
  IPCCONF_BLOCKED_BY_IF(true, "HARNESS.FACILITY", "seen by the macro");
  ADD_FAILURE() << "not reached";
}

TEST(Untagged, NamesNoAssertion) {}

IPC_TEST(Tagged, NamesAnUnknownAssertion, "HARNESS.NO_SUCH_ID") {}

}  // namespace
