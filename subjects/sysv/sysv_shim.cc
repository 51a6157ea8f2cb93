// A deliberately broken System V IPC, preloaded (LD_PRELOAD=libbroken_sysv.so) under the
// conformance tests to prove each assertion can fail. IPCCONF_BREAK names the one defect to
// turn on; defects.txt says which assertions each one breaks.
// Without IPCCONF_BREAK every call goes straight to libc.
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "harness/defect_choice.h"

namespace {

// Every defect this library knows (X(EnumName, defect_name)); defects.txt must list exactly
// these (the meta-test checks it). One at a time; an unknown name is refused at load, before
// main (harness/defect_choice.h): a typo must never make a broken subject look correct.
#define SYSV_DEFECTS(X) \
  X(AlwaysCreate, always_create) \
  X(AlwaysNoerror, always_noerror) \
  X(CreatNeedsExcl, creat_needs_excl) \
  X(CreatReplaces, creat_replaces) \
  X(ExclAlwaysEexist, excl_always_eexist) \
  X(ExclIgnored, excl_ignored) \
  X(ExclMeansCreat, excl_means_creat) \
  X(FtokIgnoresId, ftok_ignores_id) \
  X(FtokNoStat, ftok_no_stat) \
  X(FtokUnstable, ftok_unstable) \
  X(ModeIgnored, mode_ignored) \
  X(MsgBodyGarbled, msg_body_garbled) \
  X(MsgLost, msg_lost) \
  X(MsgTypeIgnored, msg_type_ignored) \
  X(MsgTypeZeroLowest, msg_type_zero_lowest) \
  X(NeverBlocks, never_blocks) \
  X(NoerrorIgnored, noerror_ignored) \
  X(NowaitIgnored, nowait_ignored) \
  X(PNoop, p_noop) \
  X(PrivateShared, private_shared) \
  X(RdonlyBlank, rdonly_blank) \
  X(RdonlyIgnored, rdonly_ignored) \
  X(RmidAtExit, rmid_at_exit) \
  X(RmidIgnored, rmid_ignored) \
  X(SemctlGetLies, semctl_get_lies) \
  X(SemopSplit, semop_split) \
  X(SemvmxClamped, semvmx_clamped) \
  X(SetIgnored, set_ignored) \
  X(ShmGarbage, shm_garbage) \
  X(ShmUnalignedEnd, shm_unaligned_end) \
  X(ShmatHangs, shmat_hangs) \
  X(ShmatPrivateCopy, shmat_private_copy) \
  X(SizeUnchecked, size_unchecked) \
  X(StatLies, stat_lies) \
  X(TimeoutIgnored, timeout_ignored) \
  X(UndoIgnored, undo_ignored) \
  X(VDoubles, v_doubles) \
  X(VLost, v_lost) \
  X(ZeroOpSkipped, zero_op_skipped)
IPCCONF_DEFINE_DEFECTS(SYSV_DEFECTS, "IPCCONF_BREAK", "libbroken_sysv.so")

// Whether the chosen defect is `defect` (a name of the list above).
bool Broken(const char* defect) {
  Defect chosen = ChosenDefect();
  return chosen != Defect::kNone &&
         strcmp(kDefectNames[static_cast<int>(chosen) - 1], defect) == 0;
}

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
  void* any;
};

using ShmgetFn = int (*)(key_t, size_t, int);
using SemgetFn = int (*)(key_t, int, int);
using MsggetFn = int (*)(key_t, int);
using ShmctlFn = int (*)(int, int, shmid_ds*);
using SemctlFn = int (*)(int, int, int, ...);
using MsgctlFn = int (*)(int, int, msqid_ds*);

// Ids this process created, for rmid_at_exit.
struct Made {
  char kind;
  int id;
};
Made g_made[256];
int g_made_count = 0;

void RemoveMadeAtExit() {
  for (int i = 0; i < g_made_count; ++i) {
    if (g_made[i].kind == 'm') Real<ShmctlFn>("shmctl")(g_made[i].id, IPC_RMID, nullptr);
    if (g_made[i].kind == 's') Real<SemctlFn>("semctl")(g_made[i].id, 0, IPC_RMID);
    if (g_made[i].kind == 'q') Real<MsgctlFn>("msgctl")(g_made[i].id, IPC_RMID, nullptr);
  }
}

// The create/get matrix defects, common to the three *get calls. `get(key, flags)` is the real
// call with the size already bound.
template <typename Get>
int BrokenGet(char kind, key_t key, int flags, Get get) {
  if (Broken("private_shared") && key == IPC_PRIVATE) {
    key = 0x1badcafe;
    flags |= IPC_CREAT;
  }
  if (Broken("excl_ignored")) flags &= ~IPC_EXCL;
  if (Broken("excl_means_creat") && (flags & IPC_EXCL)) flags |= IPC_CREAT;
  if (Broken("always_create")) flags |= IPC_CREAT;
  if (Broken("mode_ignored") && (flags & IPC_CREAT)) flags |= 0666;
  bool creat_alone = (flags & IPC_CREAT) && !(flags & IPC_EXCL) && key != IPC_PRIVATE;
  if (Broken("creat_needs_excl") && creat_alone) flags &= ~IPC_CREAT;
  if (Broken("excl_always_eexist") && (flags & IPC_CREAT) && (flags & IPC_EXCL)) {
    errno = EEXIST;
    return -1;
  }
  int id;
  if (Broken("creat_replaces") && creat_alone) {
    id = get(key, flags | IPC_EXCL);
    if (id < 0 && errno == EEXIST) id = get(IPC_PRIVATE, flags);
  } else {
    id = get(key, flags);
  }
  if (id >= 0 && (flags & IPC_CREAT) && Broken("rmid_at_exit") && g_made_count < 256) {
    if (g_made_count == 0) atexit(RemoveMadeAtExit);
    g_made[g_made_count++] = Made{kind, id};
  }
  return id;
}

void LieAbout(ipc_perm* p) {
  p->uid += 1;
  p->cuid += 1;
  p->gid += 1;
  p->cgid += 1;
  p->__key = 0;
  p->mode ^= 0077;
}

bool IsSet(int cmd) { return cmd == IPC_SET && Broken("set_ignored"); }
bool IsIgnoredRmid(int cmd) { return cmd == IPC_RMID && Broken("rmid_ignored"); }

// Attachments the shim moved or replaced, so that shmdt can undo it.
struct Attach {
  char* shown;     // what shmat returned
  char* real;      // the real attach address, or nullptr for a private mapping
  size_t map_len;  // length of the private mapping
};
Attach g_attach[64];

void Remember(char* shown, char* real, size_t map_len) {
  for (Attach& a : g_attach) {
    if (!a.shown) {
      a = Attach{shown, real, map_len};
      return;
    }
  }
}

size_t PageRounded(size_t n) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

}  // namespace

extern "C" {

key_t ftok(const char* path, int id) {
  static int calls = 0;
  if (Broken("ftok_no_stat")) {
    unsigned h = 5381;
    for (const char* p = path; *p; ++p) h = h * 33 + static_cast<unsigned char>(*p);
    return static_cast<key_t>(((id & 0xff) << 24) | (h & 0xffffff));
  }
  if (Broken("ftok_ignores_id")) id = 1;
  key_t k = Real<key_t (*)(const char*, int)>("ftok")(path, id);
  if (Broken("ftok_unstable") && k != -1) k ^= ++calls;
  return k;
}

int shmget(key_t key, size_t size, int flags) {
  auto real = Real<ShmgetFn>("shmget");
  bool lax = Broken("size_unchecked");
  return BrokenGet('m', key, flags, [&](key_t k, int f) {
    int id = real(k, size, f);
    if (id < 0 && errno == EINVAL && lax) id = real(k, 0, f);
    return id;
  });
}

int semget(key_t key, int nsems, int flags) {
  auto real = Real<SemgetFn>("semget");
  bool lax = Broken("size_unchecked");
  return BrokenGet('s', key, flags, [&](key_t k, int f) {
    int id = real(k, nsems, f);
    if (id < 0 && errno == EINVAL && lax) id = real(k, 0, f);
    return id;
  });
}

int msgget(key_t key, int flags) {
  auto real = Real<MsggetFn>("msgget");
  return BrokenGet('q', key, flags, [&](key_t k, int f) { return real(k, f); });
}

int shmctl(int id, int cmd, shmid_ds* ds) {
  if (IsSet(cmd) || IsIgnoredRmid(cmd)) return 0;
  int rc = Real<ShmctlFn>("shmctl")(id, cmd, ds);
  if (rc == 0 && cmd == IPC_STAT && ds && Broken("stat_lies")) {
    LieAbout(&ds->shm_perm);
    ds->shm_segsz = PageRounded(ds->shm_segsz);
    ds->shm_nattch = 1;
    ds->shm_cpid = 1;
    ds->shm_lpid = 1;
  }
  return rc;
}

int msgctl(int id, int cmd, msqid_ds* ds) {
  if (IsSet(cmd) || IsIgnoredRmid(cmd)) return 0;
  int rc = Real<MsgctlFn>("msgctl")(id, cmd, ds);
  if (rc == 0 && cmd == IPC_STAT && ds && Broken("stat_lies")) {
    LieAbout(&ds->msg_perm);
    ds->msg_qnum = 0;
    ds->msg_qbytes = 0;
    ds->msg_lspid = 1;
    ds->msg_lrpid = 1;
  }
  return rc;
}

int semctl(int id, int num, int cmd, ...) {
  SemArg arg{};
  bool has_arg = cmd == SETVAL || cmd == GETALL || cmd == SETALL || cmd == IPC_STAT ||
                 cmd == IPC_SET || cmd == IPC_INFO || cmd == SEM_INFO || cmd == SEM_STAT;
  if (has_arg) {
    va_list ap;
    va_start(ap, cmd);
    arg = va_arg(ap, SemArg);
    va_end(ap);
  }
  if (IsSet(cmd) || IsIgnoredRmid(cmd)) return 0;
  if (cmd == SETVAL && arg.val > 32767 && Broken("semvmx_clamped")) arg.val = 32767;
  int rc = Real<SemctlFn>("semctl")(id, num, cmd, arg);
  if (rc < 0) return rc;
  if (cmd == IPC_STAT && Broken("stat_lies")) LieAbout(&arg.buf->sem_perm);
  if (Broken("semctl_get_lies")) {
    if (cmd == GETVAL) return rc + 1;
    if (cmd == GETPID) return 1;
    if (cmd == GETALL) arg.array[0] += 1;
  }
  return rc;
}

void* shmat(int id, const void* addr, int flags) {
  auto real_shmat = Real<void* (*)(int, const void*, int)>("shmat");
  shmid_ds ds{};
  Real<ShmctlFn>("shmctl")(id, IPC_STAT, &ds);
  size_t len = PageRounded(ds.shm_segsz);
  if (Broken("shmat_hangs")) {
    for (;;) pause();  // an attach that never returns
  }
  if ((flags & SHM_RDONLY) && Broken("rdonly_blank")) {
    void* blank = mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (blank == MAP_FAILED) return reinterpret_cast<void*>(-1);
    Remember(static_cast<char*>(blank), nullptr, len);
    return blank;
  }
  if (Broken("rdonly_ignored")) flags &= ~SHM_RDONLY;
  char* a = static_cast<char*>(real_shmat(id, addr, flags));
  if (a == reinterpret_cast<char*>(-1)) return a;
  if (Broken("shm_garbage") && ds.shm_atime == 0 && !(flags & SHM_RDONLY)) {
    memset(a, 0xA5, ds.shm_segsz);
  }
  if (Broken("shmat_private_copy")) {
    char* copy = static_cast<char*>(malloc(len));
    memcpy(copy, a, len);
    mmap(a, len, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(a, copy, len);
    free(copy);
    Remember(a, nullptr, len);
    return a;
  }
  if (Broken("shm_unaligned_end") && ds.shm_segsz % sysconf(_SC_PAGESIZE) != 0) {
    // The segment's last byte ends a page: bytes past the requested size are not mapped.
    char* shown = a + (len - ds.shm_segsz);
    Remember(shown, a, 0);
    return shown;
  }
  return a;
}

int shmdt(const void* addr) {
  for (Attach& a : g_attach) {
    if (a.shown != addr) continue;
    Attach found = a;
    a = Attach{};
    if (found.real) return Real<int (*)(const void*)>("shmdt")(found.real);
    return munmap(found.shown, found.map_len);
  }
  return Real<int (*)(const void*)>("shmdt")(addr);
}

int semop(int id, sembuf* ops, size_t n) {
  auto real = Real<int (*)(int, sembuf*, size_t)>("semop");
  sembuf copy[64];
  size_t m = 0;
  for (size_t i = 0; i < n && m < 64; ++i) {
    sembuf op = ops[i];
    if (Broken("never_blocks")) op.sem_flg |= IPC_NOWAIT;
    if (Broken("nowait_ignored")) op.sem_flg &= ~IPC_NOWAIT;
    if (Broken("undo_ignored")) op.sem_flg &= ~SEM_UNDO;
    if (Broken("v_doubles") && op.sem_op > 0) op.sem_op *= 2;
    if (Broken("zero_op_skipped") && op.sem_op == 0) continue;
    if (Broken("p_noop") && op.sem_op < 0) continue;
    if (Broken("v_lost") && op.sem_op > 0) continue;
    copy[m++] = op;
  }
  if (m == 0) return 0;
  if (Broken("semop_split")) {
    for (size_t i = 0; i < m; ++i) {
      if (real(id, &copy[i], 1) != 0) return -1;
    }
    return 0;
  }
  return real(id, copy, m);
}

int semtimedop(int id, sembuf* ops, size_t n, const timespec* timeout) {
  if (Broken("timeout_ignored")) return semop(id, ops, n);
  return Real<int (*)(int, sembuf*, size_t, const timespec*)>("semtimedop")(id, ops, n, timeout);
}

int msgsnd(int id, const void* msg, size_t size, int flags) {
  if (Broken("msg_lost")) return 0;
  if (Broken("never_blocks")) flags |= IPC_NOWAIT;
  if (Broken("nowait_ignored")) flags &= ~IPC_NOWAIT;
  return Real<int (*)(int, const void*, size_t, int)>("msgsnd")(id, msg, size, flags);
}

ssize_t msgrcv(int id, void* msg, size_t size, long type, int flags) {
  if (Broken("never_blocks")) flags |= IPC_NOWAIT;
  if (Broken("nowait_ignored")) flags &= ~IPC_NOWAIT;
  if (Broken("msg_type_ignored")) type = 0;
  if (Broken("msg_type_zero_lowest") && type == 0) type = -LONG_MAX;
  if (Broken("noerror_ignored")) flags &= ~MSG_NOERROR;
  if (Broken("always_noerror")) flags |= MSG_NOERROR;
  ssize_t n =
      Real<ssize_t (*)(int, void*, size_t, long, int)>("msgrcv")(id, msg, size, type, flags);
  if (n > 0 && Broken("msg_body_garbled")) static_cast<char*>(msg)[sizeof(long)] ^= 1;
  return n;
}

}  // extern "C"
