// A deliberately broken POSIX message queue, preloaded (LD_PRELOAD=libbroken_posix_mq.so) under
// the conformance tests to prove each assertion can fail. IPCCONF_BREAK names the one defect to
// turn on; defects.txt says which assertions each one breaks.
// Without IPCCONF_BREAK every call goes straight to libc.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "harness/defect_choice.h"

namespace {

// Every defect this library knows (X(EnumName, defect_name)); defects.txt must list exactly
// these (the meta-test checks it). One at a time; an unknown name is refused at load.
#define POSIX_MQ_DEFECTS(X)                     \
  X(AlwaysCreate, always_create)                \
  X(AttrIgnored, attr_ignored)                  \
  X(BadAttrAccepted, bad_attr_accepted)         \
  X(ChildSendsGarbled, child_sends_garbled)     \
  X(EbusyMissing, ebusy_missing)                \
  X(EexistMissing, eexist_missing)              \
  X(FifoReversed, fifo_reversed)                \
  X(GetattrLies, getattr_lies)                  \
  X(LimitsUnchecked, limits_unchecked)          \
  X(ModeIgnored, mode_ignored)                  \
  X(NamesUnchecked, names_unchecked)            \
  X(NeverBlocks, never_blocks)                  \
  X(NonblockIgnored, nonblock_ignored)          \
  X(NotifyNever, notify_never)                  \
  X(NotifyNotRemoved, notify_not_removed)       \
  X(OpenByNameMisses, open_by_name_misses)      \
  X(PollBlind, poll_blind)                      \
  X(PrioritiesIgnored, priorities_ignored)      \
  X(ReceiveTruncates, receive_truncates)        \
  X(SendTruncates, send_truncates)              \
  X(SetattrIgnored, setattr_ignored)            \
  X(ThreadNotifyIgnored, thread_notify_ignored) \
  X(TimeoutIgnored, timeout_ignored)            \
  X(UnlinkDestroys, unlink_destroys)            \
  X(UnlinkIgnored, unlink_ignored)
IPCCONF_DEFINE_DEFECTS(POSIX_MQ_DEFECTS, "IPCCONF_BREAK", "libbroken_posix_mq.so")

bool Broken(Defect d) { return ChosenDefect() == d; }

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
using OpenFn = mqd_t (*)(const char*, int, ...);
using UnlinkFn = int (*)(const char*);
using SendFn = int (*)(mqd_t, const char*, size_t, unsigned);
using ReceiveFn = ssize_t (*)(mqd_t, char*, size_t, unsigned*);
using TimedSendFn = int (*)(mqd_t, const char*, size_t, unsigned, const timespec*);
using TimedReceiveFn = ssize_t (*)(mqd_t, char*, size_t, unsigned*, const timespec*);
using NotifyFn = int (*)(mqd_t, const sigevent*);
using GetattrFn = int (*)(mqd_t, mq_attr*);
using SetattrFn = int (*)(mqd_t, const mq_attr*, mq_attr*);
using PollFn = int (*)(pollfd*, nfds_t, int);

// What this process opened: descriptor -> name, opener, whether its name was unlinked since.
struct Opened {
  mqd_t mqd;
  char name[NAME_MAX + 2];
  pid_t opener;
  bool unlinked;
};
Opened g_opened[256];
int g_opened_count = 0;

Opened* Find(mqd_t mqd) {
  for (int i = g_opened_count - 1; i >= 0; --i) {
    if (g_opened[i].mqd == mqd) return &g_opened[i];
  }
  return nullptr;
}

long Limit(const char* file) {
  char path[64];
  snprintf(path, sizeof path, "/proc/sys/fs/mqueue/%s", file);
  FILE* f = fopen(path, "r");
  long v = -1;
  if (f) {
    if (fscanf(f, "%ld", &v) != 1) v = -1;
    fclose(f);
  }
  return v;
}

// names_unchecked: a leading slash is added and further slashes become '_'.
void Tidy(const char* name, char* out, size_t size) {
  size_t o = 0;
  if (name[0] != '/') out[o++] = '/';
  for (size_t i = 0; name[i] && o + 1 < size && o < NAME_MAX; ++i) {
    out[o++] = (name[i] == '/' && (i > 0 || o > 0)) ? '_' : name[i];
  }
  out[o] = 0;
}

long MessageSize(mqd_t mqd) {
  mq_attr a{};
  return Real<GetattrFn>("mq_getattr")(mqd, &a) == 0 ? a.mq_msgsize : -1;
}

// A past absolute time: a timed call that would wait returns ETIMEDOUT at once.
const timespec kPast = {0, 0};

// fifo_reversed: each user priority p becomes p * 100 + n % 100, n counting sends, so that
// within p the newest comes first; mq_receive maps it back. (Priorities from 327 up do not fit:
// they pass unchanged and come back divided by 100. The tests use small ones.)
unsigned Prio(unsigned p) {
  static unsigned sends = 0;
  if (Broken(Defect::kPrioritiesIgnored)) return 0;
  if (!Broken(Defect::kFifoReversed) || p * 100 + 99 >= MQ_PRIO_MAX) return p;
  return p * 100 + sends++ % 100;
}
void Unprio(unsigned* p) {
  if (p && Broken(Defect::kFifoReversed)) *p /= 100;
}

int Send(mqd_t mqd, const char* msg, size_t len, unsigned prio, const timespec* timeout) {
  Opened* o = Find(mqd);
  if (Broken(Defect::kUnlinkDestroys) && o && o->unlinked) {
    errno = EBADF;
    return -1;
  }
  char copy[8192];
  if (Broken(Defect::kChildSendsGarbled) && o && o->opener != getpid() && len > 0 &&
      len <= sizeof copy) {
    memcpy(copy, msg, len);
    copy[0] ^= 0x20;
    msg = copy;
  }
  if (Broken(Defect::kSendTruncates)) {
    long size = MessageSize(mqd);
    if (size >= 0 && len > static_cast<size_t>(size)) len = static_cast<size_t>(size);
  }
  if (Broken(Defect::kNeverBlocks)) {
    int rc = Real<TimedSendFn>("mq_timedsend")(mqd, msg, len, Prio(prio), &kPast);
    if (rc != 0 && errno == ETIMEDOUT && !timeout) errno = EAGAIN;
    return rc;
  }
  if (Broken(Defect::kTimeoutIgnored)) timeout = nullptr;
  int rc = timeout ? Real<TimedSendFn>("mq_timedsend")(mqd, msg, len, Prio(prio), timeout)
                   : Real<SendFn>("mq_send")(mqd, msg, len, Prio(prio));
  if (rc != 0 && errno == EAGAIN && Broken(Defect::kNonblockIgnored)) {
    mq_attr blocking{}, old{};
    Real<SetattrFn>("mq_setattr")(mqd, &blocking, &old);
    rc = Real<SendFn>("mq_send")(mqd, msg, len, Prio(prio));
    Real<SetattrFn>("mq_setattr")(mqd, &old, nullptr);
  }
  return rc;
}

ssize_t Receive(mqd_t mqd, char* msg, size_t len, unsigned* prio, const timespec* timeout) {
  Opened* o = Find(mqd);
  if (Broken(Defect::kUnlinkDestroys) && o && o->unlinked) {
    errno = EBADF;
    return -1;
  }
  if (Broken(Defect::kReceiveTruncates)) {
    long size = MessageSize(mqd);
    if (size > 0 && len < static_cast<size_t>(size) && size <= 65536) {
      char* whole = static_cast<char*>(malloc(static_cast<size_t>(size)));
      ssize_t n = Real<ReceiveFn>("mq_receive")(mqd, whole, static_cast<size_t>(size), prio);
      if (n > static_cast<ssize_t>(len)) n = static_cast<ssize_t>(len);
      if (n > 0) memcpy(msg, whole, static_cast<size_t>(n));
      free(whole);
      return n;
    }
  }
  ssize_t n;
  if (Broken(Defect::kNeverBlocks)) {
    n = Real<TimedReceiveFn>("mq_timedreceive")(mqd, msg, len, prio, &kPast);
    if (n < 0 && errno == ETIMEDOUT && !timeout) errno = EAGAIN;
  } else {
    if (Broken(Defect::kTimeoutIgnored)) timeout = nullptr;
    n = timeout ? Real<TimedReceiveFn>("mq_timedreceive")(mqd, msg, len, prio, timeout)
                : Real<ReceiveFn>("mq_receive")(mqd, msg, len, prio);
    if (n < 0 && errno == EAGAIN && Broken(Defect::kNonblockIgnored)) {
      mq_attr blocking{}, old{};
      Real<SetattrFn>("mq_setattr")(mqd, &blocking, &old);
      n = Real<ReceiveFn>("mq_receive")(mqd, msg, len, prio);
      Real<SetattrFn>("mq_setattr")(mqd, &old, nullptr);
    }
  }
  if (n >= 0) Unprio(prio);
  return n;
}

// notify_not_removed: the signal is sent by a notification thread that registers again first.
struct Renotify {
  mqd_t mqd;
  int signo;
  sigval value;
};
Renotify g_renotify;

void Renotified(sigval) {
  sigevent again{};
  again.sigev_notify = SIGEV_THREAD;
  again.sigev_notify_function = Renotified;
  Real<NotifyFn>("mq_notify")(g_renotify.mqd, &again);
  sigqueue(getpid(), g_renotify.signo, g_renotify.value);
}

}  // namespace

extern "C" {

mqd_t mq_open(const char* name, int oflag, ...) {
  mode_t mode = 0;
  mq_attr* attr = nullptr;
  if (oflag & O_CREAT) {
    va_list ap;
    va_start(ap, oflag);
    mode = static_cast<mode_t>(va_arg(ap, int));
    attr = va_arg(ap, mq_attr*);
    va_end(ap);
  }
  char tidy[NAME_MAX + 2];
  if (Broken(Defect::kNamesUnchecked)) {
    Tidy(name, tidy, sizeof tidy);
    name = tidy;
  }
  char missed[NAME_MAX + 8];
  if (Broken(Defect::kOpenByNameMisses) && !(oflag & O_CREAT) && strlen(name) < NAME_MAX - 2) {
    snprintf(missed, sizeof missed, "%s.x", name);
    name = missed;
  }
  if (Broken(Defect::kAlwaysCreate) && strlen(name) > 1) oflag |= O_CREAT;
  if (Broken(Defect::kEexistMissing)) oflag &= ~O_EXCL;
  if (Broken(Defect::kModeIgnored)) mode |= 0666;
  mq_attr changed{};
  if (attr) {
    changed = *attr;
    bool bad = attr->mq_maxmsg <= 0 || attr->mq_msgsize <= 0;
    if (Broken(Defect::kBadAttrAccepted) && bad) attr = nullptr;
    if (Broken(Defect::kAttrIgnored) && !bad) attr = nullptr;
    if (Broken(Defect::kLimitsUnchecked) && !bad) {
      long max = Limit("msg_max"), size = Limit("msgsize_max");
      if (max > 0 && changed.mq_maxmsg > max) changed.mq_maxmsg = max;
      if (size > 0 && changed.mq_msgsize > size) changed.mq_msgsize = size;
      attr = &changed;
    }
  }
  mqd_t mqd = Real<OpenFn>("mq_open")(name, oflag, mode, attr);
  if (mqd != static_cast<mqd_t>(-1) && g_opened_count < 256) {
    Opened& o = g_opened[g_opened_count++];
    o.mqd = mqd;
    snprintf(o.name, sizeof o.name, "%s", name);
    o.opener = getpid();
    o.unlinked = false;
  }
  return mqd;
}

int mq_unlink(const char* name) {
  char tidy[NAME_MAX + 2];
  if (Broken(Defect::kNamesUnchecked)) {
    Tidy(name, tidy, sizeof tidy);
    name = tidy;
  }
  if (Broken(Defect::kUnlinkIgnored)) return 0;
  int rc = Real<UnlinkFn>("mq_unlink")(name);
  if (rc == 0) {
    for (int i = 0; i < g_opened_count; ++i) {
      if (strcmp(g_opened[i].name, name) == 0) g_opened[i].unlinked = true;
    }
  }
  return rc;
}

int mq_close(mqd_t mqd) {
  for (int i = 0; i < g_opened_count; ++i) {
    if (g_opened[i].mqd == mqd) g_opened[i] = g_opened[--g_opened_count];
  }
  return Real<int (*)(mqd_t)>("mq_close")(mqd);
}

int mq_send(mqd_t mqd, const char* msg, size_t len, unsigned prio) {
  return Send(mqd, msg, len, prio, nullptr);
}
int mq_timedsend(mqd_t mqd, const char* msg, size_t len, unsigned prio, const timespec* t) {
  return Send(mqd, msg, len, prio, t);
}
ssize_t mq_receive(mqd_t mqd, char* msg, size_t len, unsigned* prio) {
  return Receive(mqd, msg, len, prio, nullptr);
}
ssize_t mq_timedreceive(mqd_t mqd, char* msg, size_t len, unsigned* prio, const timespec* t) {
  return Receive(mqd, msg, len, prio, t);
}

int mq_notify(mqd_t mqd, const sigevent* sev) {
  if (Broken(Defect::kNotifyNever) && sev) return 0;
  if (Broken(Defect::kThreadNotifyIgnored) && sev && sev->sigev_notify == SIGEV_THREAD) return 0;
  if (Broken(Defect::kNotifyNotRemoved) && sev && sev->sigev_notify == SIGEV_SIGNAL) {
    g_renotify = Renotify{mqd, sev->sigev_signo, sev->sigev_value};
    sigevent thread{};
    thread.sigev_notify = SIGEV_THREAD;
    thread.sigev_notify_function = Renotified;
    return Real<NotifyFn>("mq_notify")(mqd, &thread);
  }
  int rc = Real<NotifyFn>("mq_notify")(mqd, sev);
  if (rc != 0 && errno == EBUSY && Broken(Defect::kEbusyMissing)) return 0;
  return rc;
}

int mq_getattr(mqd_t mqd, mq_attr* attr) {
  int rc = Real<GetattrFn>("mq_getattr")(mqd, attr);
  if (rc == 0 && Broken(Defect::kGetattrLies)) {
    attr->mq_curmsgs = 0;
    attr->mq_flags &= ~O_NONBLOCK;
  }
  return rc;
}

int mq_setattr(mqd_t mqd, const mq_attr* attr, mq_attr* old) {
  if (Broken(Defect::kSetattrIgnored)) return old ? Real<GetattrFn>("mq_getattr")(mqd, old) : 0;
  return Real<SetattrFn>("mq_setattr")(mqd, attr, old);
}

int poll(pollfd* fds, nfds_t n, int timeout) {
  int rc = Real<PollFn>("poll")(fds, n, timeout);
  if (rc <= 0 || !Broken(Defect::kPollBlind)) return rc;
  rc = 0;
  for (nfds_t i = 0; i < n; ++i) {
    if (Find(static_cast<mqd_t>(fds[i].fd))) fds[i].revents &= ~POLLIN;
    if (fds[i].revents) ++rc;
  }
  return rc;
}

}  // extern "C"
