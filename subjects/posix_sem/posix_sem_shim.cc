// A deliberately broken POSIX semaphore implementation, preloaded (LD_PRELOAD=
// libbroken_posix_sem.so) under the conformance tests to prove each assertion can fail.
// IPCCONF_BREAK names the one defect to turn on; defects.txt says which assertions each breaks.
// glibc's semaphores are userspace futex code: each wrapper calls the real function (RTLD_NEXT)
// and changes its arguments, its result or what it does. Without IPCCONF_BREAK every call goes
// straight to libc.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness/defect_choice.h"

namespace {

// Every defect this library knows (X(EnumName, defect_name)); defects.txt must list exactly
// these (the meta-test checks it).
#define POSIX_SEM_DEFECTS(X)                            \
  X(AlwaysCreate, always_create)                        \
  X(CloseUnlinks, close_unlinks)                        \
  X(CreatReplaces, creat_replaces)                      \
  X(EintrRestarts, eintr_restarts)                      \
  X(ExclIgnored, excl_ignored)                          \
  X(ForkClosesNamed, fork_closes_named)                 \
  X(GetvalueLies, getvalue_lies)                        \
  X(InitialValueIgnored, initial_value_ignored)         \
  X(LongNameEacces, long_name_eacces)                   \
  X(MalformedNameEnoent, malformed_name_enoent)         \
  X(ModeIgnored, mode_ignored)                          \
  X(NamesPerProcess, names_per_process)                 \
  X(PostOverflowUnchecked, post_overflow_unchecked)     \
  X(PostWakesAll, post_wakes_all)                       \
  X(PostWakesNone, post_wakes_none)                     \
  X(PrivateShared, private_shared)                      \
  X(PsharedIgnored, pshared_ignored)                    \
  X(TimedwaitIgnoresTimeout, timedwait_ignores_timeout) \
  X(TrywaitBlocks, trywait_blocks)                      \
  X(UnlinkClosesHandles, unlink_closes_handles)         \
  X(ValueMaxUnchecked, value_max_unchecked)             \
  X(WaitNeverBlocks, wait_never_blocks)                 \
  X(WaitTakesNone, wait_takes_none)
IPCCONF_DEFINE_DEFECTS(POSIX_SEM_DEFECTS, "IPCCONF_BREAK", "libbroken_posix_sem.so")

bool Broken(Defect d) { return ChosenDefect() == d; }

template <typename F>
F Real(const char* name) {
  static_assert(sizeof(F) == sizeof(void*), "a function pointer");
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

#define REAL(fn) Real<decltype(&::fn)>(#fn)

// glibc's sem_t on 64-bit targets: the value in the low 32 bits of `data`, the number of
// waiters in the high 32 (nptl/semaphoreP.h, struct new_sem with __HAVE_64B_ATOMICS).
struct GlibcSem {
  uint64_t data;
  int is_private;
  int pad;
};
static_assert(sizeof(GlibcSem) <= sizeof(sem_t), "glibc's layout");
unsigned Waiters(sem_t* sem) {
  return static_cast<unsigned>(
      __atomic_load_n(&reinterpret_cast<GlibcSem*>(sem)->data, __ATOMIC_ACQUIRE) >> 32);
}

// Named handles this process knows: their name, the process that opened them, and whether a
// defect has made them unusable (EINVAL).
struct Handle {
  sem_t* sem;
  char name[NAME_MAX + 2];
  pid_t opener;
  bool dead;
};
constexpr int kHandles = 256;
Handle g_handles[kHandles];

Handle* HandleOf(sem_t* sem) {
  for (Handle& h : g_handles) {
    if (h.sem == sem) return &h;
  }
  return nullptr;
}

void Remember(sem_t* sem, const char* name) {
  Handle* h = HandleOf(sem);
  if (!h) h = HandleOf(nullptr);
  if (!h) return;
  h->sem = sem;
  snprintf(h->name, sizeof h->name, "%s", name);
  h->opener = getpid();
  h->dead = false;
}

// Unnamed semaphores redirected elsewhere: private_shared puts pshared 0 ones into a page shared
// with every process forked after load; pshared_ignored puts pshared 1 ones into private memory.
struct Redirect {
  sem_t* from;
  sem_t* to;
};
Redirect g_redirects[kHandles];
sem_t* g_shared_slots = nullptr;  // kHandles sem_t, MAP_SHARED, mapped at load
sem_t g_private_slots[kHandles];

__attribute__((constructor)) void MapSharedSlots() {
  if (!Broken(Defect::kPrivateShared)) return;
  void* page = mmap(nullptr, sizeof(sem_t) * kHandles, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page != MAP_FAILED) g_shared_slots = static_cast<sem_t*>(page);
}

// The semaphore a call must act on, or null when the handle was made unusable.
sem_t* Target(sem_t* sem) {
  for (Redirect& r : g_redirects) {
    if (r.from == sem) return r.to;
  }
  if (Handle* h = HandleOf(sem)) {
    if (h->dead) return nullptr;
    if (Broken(Defect::kForkClosesNamed) && h->opener != getpid()) return nullptr;
  }
  return sem;
}

#define TARGET_OR_EINVAL(sem)  \
  sem_t* target = Target(sem); \
  if (!target) {               \
    errno = EINVAL;            \
    return -1;                 \
  }

bool Malformed(const char* name) {
  return name[0] != '/' || name[1] == '\0' || strchr(name + 1, '/') != nullptr;
}

// names_per_process: every name gets the pid of the process that loaded this library.
const char* Rename(const char* name, char* out, size_t size) {
  static const pid_t loader = getpid();
  if (!Broken(Defect::kNamesPerProcess) || Malformed(name) || strlen(name) > NAME_MAX) return name;
  snprintf(out, size, "%s.%d", name, static_cast<int>(loader));
  return out;
}

}  // namespace

extern "C" {

sem_t* sem_open(const char* name, int oflag, ...) {
  mode_t mode = 0;
  unsigned value = 0;
  if (oflag & O_CREAT) {
    va_list args;
    va_start(args, oflag);
    mode = static_cast<mode_t>(va_arg(args, unsigned));
    value = va_arg(args, unsigned);
    va_end(args);
  }
  auto real = reinterpret_cast<sem_t* (*)(const char*, int, ...)>(dlsym(RTLD_NEXT, "sem_open"));
  if (Broken(Defect::kMalformedNameEnoent) && Malformed(name)) {
    errno = ENOENT;
    return SEM_FAILED;
  }
  if (Broken(Defect::kLongNameEacces) && strlen(name) > NAME_MAX) {
    errno = EACCES;
    return SEM_FAILED;
  }
  char renamed[NAME_MAX * 2];
  name = Rename(name, renamed, sizeof renamed);
  if (Broken(Defect::kExclIgnored)) oflag &= ~O_EXCL;
  if (Broken(Defect::kAlwaysCreate) && !(oflag & O_CREAT)) {
    oflag |= O_CREAT;
    mode = 0600;
  }
  if (Broken(Defect::kCreatReplaces) && (oflag & O_CREAT) && !(oflag & O_EXCL)) {
    sem_unlink(name);
  }
  if (Broken(Defect::kInitialValueIgnored) && value <= SEM_VALUE_MAX) value = 0;
  if (Broken(Defect::kValueMaxUnchecked) && value > SEM_VALUE_MAX) value = SEM_VALUE_MAX;
  sem_t* sem = real(name, oflag, mode, value);
  if (sem == SEM_FAILED) return sem;
  if (Broken(Defect::kModeIgnored) && (oflag & O_CREAT)) {
    char path[NAME_MAX * 2 + 16];
    snprintf(path, sizeof path, "/dev/shm/sem.%s", name + 1);
    chmod(path, 0666);
  }
  Remember(sem, name);
  return sem;
}

int sem_close(sem_t* sem) {
  Handle* h = HandleOf(sem);
  if (h) {
    if (Broken(Defect::kCloseUnlinks)) REAL(sem_unlink)(h->name);
    h->sem = nullptr;
  }
  return REAL(sem_close)(sem);
}

int sem_unlink(const char* name) {
  char renamed[NAME_MAX * 2];
  name = Rename(name, renamed, sizeof renamed);
  int rc = REAL(sem_unlink)(name);
  if (rc == 0 && Broken(Defect::kUnlinkClosesHandles)) {
    for (Handle& h : g_handles) {
      if (h.sem && strcmp(h.name, name) == 0) h.dead = true;
    }
  }
  return rc;
}

int sem_init(sem_t* sem, int pshared, unsigned value) {
  if (Broken(Defect::kInitialValueIgnored) && value <= SEM_VALUE_MAX) value = 0;
  if (Broken(Defect::kValueMaxUnchecked) && value > SEM_VALUE_MAX) value = SEM_VALUE_MAX;
  int rc = REAL(sem_init)(sem, pshared, value);
  if (rc != 0) return rc;
  bool to_shared = Broken(Defect::kPrivateShared) && pshared == 0 && g_shared_slots;
  bool to_private = Broken(Defect::kPsharedIgnored) && pshared != 0;
  if (!to_shared && !to_private) return 0;
  for (int i = 0; i < kHandles; ++i) {
    if (g_redirects[i].from) continue;
    sem_t* slot = to_shared ? &g_shared_slots[i] : &g_private_slots[i];
    REAL(sem_init)(slot, to_shared ? 1 : 0, value);
    g_redirects[i] = Redirect{sem, slot};
    break;
  }
  return 0;
}

int sem_destroy(sem_t* sem) {
  for (Redirect& r : g_redirects) {
    if (r.from == sem) r = Redirect{nullptr, nullptr};
  }
  return REAL(sem_destroy)(sem);
}

int sem_wait(sem_t* sem) {
  TARGET_OR_EINVAL(sem);
  if (Broken(Defect::kWaitNeverBlocks)) {
    if (REAL(sem_trywait)(target) == 0 || errno == EAGAIN) return 0;
    return -1;
  }
  int rc = REAL(sem_wait)(target);
  while (rc != 0 && errno == EINTR && Broken(Defect::kEintrRestarts)) rc = REAL(sem_wait)(target);
  if (rc == 0 && Broken(Defect::kWaitTakesNone)) REAL(sem_post)(target);
  return rc;
}

int sem_trywait(sem_t* sem) {
  TARGET_OR_EINVAL(sem);
  if (Broken(Defect::kTrywaitBlocks)) return REAL(sem_wait)(target);
  return REAL(sem_trywait)(target);
}

int sem_timedwait(sem_t* sem, const struct timespec* abstime) {
  TARGET_OR_EINVAL(sem);
  if (Broken(Defect::kTimedwaitIgnoresTimeout)) return REAL(sem_wait)(target);
  return REAL(sem_timedwait)(target, abstime);
}

int sem_post(sem_t* sem) {
  TARGET_OR_EINVAL(sem);
  int value = 0;
  REAL(sem_getvalue)(target, &value);
  if (Broken(Defect::kPostOverflowUnchecked) && value == SEM_VALUE_MAX) return 0;
  if (Broken(Defect::kPostWakesNone) && Waiters(target) > 0) {
    // The value goes up, but no futex wake: the sleepers sleep on.
    __atomic_fetch_add(&reinterpret_cast<GlibcSem*>(target)->data, 1, __ATOMIC_RELEASE);
    return 0;
  }
  if (Broken(Defect::kPostWakesAll)) {
    for (unsigned n = Waiters(target); n > 1; --n) REAL(sem_post)(target);
  }
  return REAL(sem_post)(target);
}

int sem_getvalue(sem_t* sem, int* sval) {
  TARGET_OR_EINVAL(sem);
  int rc = REAL(sem_getvalue)(target, sval);
  if (rc == 0 && Broken(Defect::kGetvalueLies)) *sval += 1;
  return rc;
}

}  // extern "C"
