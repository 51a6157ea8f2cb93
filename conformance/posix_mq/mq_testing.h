// What the POSIX message queue tests share: a fresh queue per test (a name from PosixIpcName,
// removed by its owner), calls that a correct subject completes at once run in a bounded child
// (a subject that waits anyway stops the test, not the binary), and the facilities a test uses
// without checking them, each verified where it is used so that a broken one makes the test
// "blocked by" the assertion that checks it (harness/result_kind.h).
#ifndef IPCCONF_CONFORMANCE_POSIX_MQ_MQ_TESTING_H_
#define IPCCONF_CONFORMANCE_POSIX_MQ_MQ_TESTING_H_

#include <mqueue.h>
#include <time.h>

#include <functional>
#include <string>

#include "gtest/gtest.h"
#include "harness/child.h"
#include "ipc/posix_mq.h"

namespace ipcconf::posix_mq {

// The queue every fixture makes: small, so that a few messages fill it.
inline constexpr long kMaxMessages = 4;
inline constexpr long kMessageSize = 64;
// How long a notification may take to arrive: it follows the send in microseconds, so this is
// reached only when it never comes.
inline constexpr Millis kNotifyBound{3000};

// Runs `body` in a child; a child seen asleep for kQuietWindow beyond `sleeps_by_design` (a
// timeout under test) is called hung, killed, and the outcome is kTimedOut with what it slept
// in. A correct subject never sleeps there, so waiting longer would not help.
Outcome RunAtOnce(const std::function<int()>& body, Millis sleeps_by_design = Millis(0));

// What one mq_receive() gave: its value, errno, the priority and the body.
struct Received {
  long value = -1;
  int error = 0;
  unsigned priority = 0;
  std::string body;
  bool hung = false;  // the call did not return at once (a failure is recorded)
};
// mq_receive(mqd, buffer of `len`) in a RunAtOnce child: for a queue holding a message, or
// opened O_NONBLOCK, where a correct subject answers at once.
Received ReceiveAtOnce(mqd_t mqd, size_t len = kMessageSize);
// Any call in a RunAtOnce child: its value and errno (-1, ETIMEDOUT when it hung: a failure
// naming `what` is recorded).
long CallAtOnce(const std::string& what, const std::function<long()>& call, int* error);

// An absolute CLOCK_REALTIME time `from_now` ahead (mq_timed*() take absolute timeouts).
timespec RealtimeIn(Millis from_now);
// Drops to nobody (uid and gid 65534, no supplementary groups); false if not allowed.
bool BecomeNobody();
// The value of /proc/sys/fs/mqueue/NAME, or -1 when it cannot be read.
long MqueueLimit(const std::string& name);

// mq_unlink(name), then a look with the raw calls: a name the unlink left in place is removed
// by them and the test is blocked by POSIX_MQ.UNLINK.NAME_GOES (the leak guard would otherwise
// fail it for a leak the subject's removal made).
void RemoveQueueName(const std::string& name);

// A fresh queue of kMaxMessages x kMessageSize (O_RDWR plus `extra_flags`), unlinked when the
// test ends. SetUp checks that it has the asked attributes: otherwise the test is blocked by
// POSIX_MQ.OPEN.CREATE_NEW.
class PosixMqTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeQueue(0); }
  void TearDown() override;
  void MakeQueue(int extra_flags);
  // mq_send in this process, for a queue with room (where no correct subject waits).
  ::testing::AssertionResult Send(const std::string& body, unsigned priority = 0);
  // Fills the queue with "m0".."m3" (priority 0).
  ::testing::AssertionResult Fill();
  // The next message's body, received at once ("" and a failure when there is none).
  std::string Next();
  // Sets O_NONBLOCK with mq_setattr(); false (the test stops) when a second mq_setattr() does not
  // report it as the previous flags: blocked by POSIX_MQ.ATTR.SETATTR_ONLY_NONBLOCK.
  bool SetNonBlockingChecked();
  mqd_t mqd() const { return queue_.descriptor(); }

  std::string name_;
  ipc::PosixMessageQueue queue_;
};

}  // namespace ipcconf::posix_mq

#endif  // IPCCONF_CONFORMANCE_POSIX_MQ_MQ_TESTING_H_
