#include "conformance/posix_mq/mq_testing.h"

#include <grp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <utility>

#include "harness/posix_names.h"
#include "harness/proc.h"
#include "harness/result_kind.h"
#include "harness/syscall.h"

namespace ipcconf::posix_mq {

Outcome RunAtOnce(const std::function<int()>& body, Millis sleeps_by_design) {
  Child child = Child::Fork(body);
  auto start = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> asleep_since;
  // Between waits for its end (1 ms, later 5), /proc tells a child asleep in a call from one
  // that runs or waits for a CPU: only sleeping through the whole window is a hang.
  for (int round = 0; !child.EndsWithin(Millis(round < 10 ? 1 : 5)); ++round) {
    auto now = std::chrono::steady_clock::now();
    if (ReadProcessState(child.pid()).state != 'S') {
      asleep_since.reset();
    } else if (!asleep_since) {
      asleep_since = now;
    }
    bool asleep = asleep_since && now - *asleep_since >= sleeps_by_design + kQuietWindow;
    if (asleep || now - start >= kEventBound) {
      std::string diagnosis =
          (asleep ? "asleep in a call that must not wait that long; "
                  : "still running after " + std::to_string(kEventBound.count()) + " ms; ") +
          DescribeProcessGroup(child.pid());
      Outcome o = child.Kill();
      o.kind = Outcome::Kind::kTimedOut;
      o.diagnosis = diagnosis;
      return o;
    }
  }
  return child.Wait(Millis(0));
}

namespace {

// What a RunAtOnce child hands back, in anonymous shared memory (never the subject's).
struct Shared {
  long value;
  int error;
  unsigned priority;
  char body[kMessageSize * 2];
};

}  // namespace

Received ReceiveAtOnce(mqd_t mqd, size_t len) {
  Received r;
  void* map =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    RecordBroken(std::string("mmap for mq_receive: ") + strerror(errno));
    r.error = errno;
    return r;
  }
  auto* shared = static_cast<Shared*>(map);
  size_t asked = len < sizeof shared->body ? len : sizeof shared->body;
  Outcome o = RunAtOnce([&]() {
    errno = 0;
    shared->value = mq_receive(mqd, shared->body, asked, &shared->priority);
    shared->error = errno;
    return 0;
  });
  if (o.Exited(0)) {
    r.value = shared->value;
    r.error = shared->error;
    r.priority = shared->priority;
    if (r.value > 0) r.body.assign(shared->body, static_cast<size_t>(r.value));
  } else {
    r.hung = true;
    r.error = ETIMEDOUT;
    ADD_FAILURE() << "mq_receive(" << asked << " bytes) must return at once; the process calling "
                  << "it " << o.Describe();
  }
  munmap(map, sizeof(Shared));
  return r;
}

long CallAtOnce(const std::string& what, const std::function<long()>& call, int* error) {
  void* map =
      mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED) {
    RecordBroken("mmap for " + what + ": " + strerror(errno));
    *error = errno;
    return -1;
  }
  auto* shared = static_cast<Shared*>(map);
  Outcome o = RunAtOnce([&]() {
    errno = 0;
    shared->value = call();
    shared->error = errno;
    return 0;
  });
  long value = -1;
  *error = ETIMEDOUT;
  if (o.Exited(0)) {
    value = shared->value;
    *error = shared->error;
  } else {
    ADD_FAILURE() << what << " must return at once; the process calling it " << o.Describe();
  }
  munmap(map, sizeof(Shared));
  return value;
}

timespec RealtimeIn(Millis from_now) {
  timespec t{};
  clock_gettime(CLOCK_REALTIME, &t);
  long long ns = t.tv_nsec + static_cast<long long>(from_now.count()) * 1000000;
  t.tv_sec += static_cast<time_t>(ns / 1000000000);
  t.tv_nsec = static_cast<long>(ns % 1000000000);
  return t;
}

bool BecomeNobody() {
  return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
}

long MqueueLimit(const std::string& name) {
  std::ifstream in("/proc/sys/fs/mqueue/" + name);
  long value = -1;
  if (!(in >> value)) return -1;
  return value;
}

void RemoveQueueName(const std::string& name) {
  mq_unlink(name.c_str());
  // The kernel's names have no leading slash; the raw calls bypass a broken libc.
  long fd = syscall(SYS_mq_open, name.c_str() + 1, O_RDONLY, 0, nullptr);
  if (fd < 0) return;
  syscall(SYS_close, fd);
  syscall(SYS_mq_unlink, name.c_str() + 1);
  RecordBlocked("POSIX_MQ.UNLINK.NAME_GOES", "mq_unlink(" + name + ") left the queue in place");
}

void PosixMqTest::TearDown() {
  queue_ = ipc::PosixMessageQueue();  // closes, and unlinks the name if it still owns it
  if (!name_.empty()) RemoveQueueName(name_);
}

void PosixMqTest::MakeQueue(int extra_flags) {
  name_ = PosixIpcName("q");
  auto made =
      ipc::PosixMessageQueue::Create(name_, kMaxMessages, kMessageSize, O_RDWR | extra_flags);
  ASSERT_TRUE(made.ok()) << made.error().Describe();
  queue_ = std::move(made.value());
  // Every test relies on the queue's size: how many messages fill it, how long one may be.
  // Where mq_getattr is absent (ENOSYS: gVisor of 2022-12 has no mq_getsetattr) no test can
  // know it: the facility is unsupported, said once per test with its probe, not 20 failures.
  mq_attr attr{};
  IPCCONF_UNSUPPORTED_IF(mq_getattr(mqd(), &attr) != 0 && errno == ENOSYS,
                         "probe: mq_getattr() -> ENOSYS: a queue's attributes cannot be read");
  ASSERT_THAT(SYS(mq_getattr(mqd(), &attr)), SyscallSucceeds());
  if (attr.mq_maxmsg != kMaxMessages || attr.mq_msgsize != kMessageSize) {
    std::string seen = "mq_open(O_CREAT) asked for " + std::to_string(kMaxMessages) + " x " +
                       std::to_string(kMessageSize) + " bytes and made a queue of " +
                       std::to_string(attr.mq_maxmsg) + " x " + std::to_string(attr.mq_msgsize);
    RecordBlocked("POSIX_MQ.OPEN.CREATE_NEW", seen);
    GTEST_SKIP() << "blocked by POSIX_MQ.OPEN.CREATE_NEW: " << seen;
  }
}

::testing::AssertionResult PosixMqTest::Send(const std::string& body, unsigned priority) {
  if (mq_send(mqd(), body.data(), body.size(), priority) == 0) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "mq_send(\"" << body << "\", priority " << priority
                                       << ") to a queue with room: " << ErrnoName(errno);
}

::testing::AssertionResult PosixMqTest::Fill() {
  for (long i = 0; i < kMaxMessages; ++i) {
    auto sent = Send("m" + std::to_string(i));
    if (!sent) return sent;
  }
  return ::testing::AssertionSuccess();
}

std::string PosixMqTest::Next() {
  Received r = ReceiveAtOnce(mqd());
  if (r.hung) return "";
  EXPECT_GE(r.value, 0) << "mq_receive of a queued message: " << ErrnoName(r.error);
  return r.body;
}

bool PosixMqTest::SetNonBlockingChecked() {
  mq_attr want{}, old{};
  want.mq_flags = O_NONBLOCK;
  EXPECT_THAT(SYS(mq_setattr(mqd(), &want, nullptr)), SyscallSucceeds());
  EXPECT_THAT(SYS(mq_setattr(mqd(), &want, &old)), SyscallSucceeds());
  if (old.mq_flags & O_NONBLOCK) return true;
  RecordBlocked("POSIX_MQ.ATTR.SETATTR_ONLY_NONBLOCK",
                "after mq_setattr(O_NONBLOCK) the next mq_setattr reported the previous flags " +
                    std::to_string(old.mq_flags) + ", without O_NONBLOCK");
  return false;
}

}  // namespace ipcconf::posix_mq
