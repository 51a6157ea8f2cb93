// A deliberately broken POSIX shared memory, preloaded (LD_PRELOAD=libbroken_posix_shm.so) under
// the conformance tests to prove each assertion can fail. IPCCONF_BREAK names the one defect to
// turn on; defects.txt says which assertions each one breaks. Without IPCCONF_BREAK every call
// goes straight to libc. Only fds of objects in /dev/shm are touched by the fd calls.
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>

#include "harness/defect_choice.h"

namespace {

// Every defect this library knows (X(EnumName, defect_name)); defects.txt must list exactly
// these (the meta-test checks it).
#define POSIX_SHM_DEFECTS(X)                        \
  X(CreatReplaces, creat_replaces)                  \
  X(EnoentCreates, enoent_creates)                  \
  X(ExclIgnored, excl_ignored)                      \
  X(FtruncateIgnored, ftruncate_ignored)            \
  X(GrowGarbage, grow_garbage)                      \
  X(LongNamesTruncated, long_names_truncated)       \
  X(ModeIgnored, mode_ignored)                      \
  X(NamesElsewhere, names_elsewhere)                \
  X(NewNotEmpty, new_not_empty)                     \
  X(PrivateCopy, private_copy)                      \
  X(RdonlyOpensRdwr, rdonly_opens_rdwr)             \
  X(RecreateRevives, recreate_revives)              \
  X(SizePageRounded, size_page_rounded)             \
  X(SlashAllowed, slash_allowed)                    \
  X(TruncIgnored, trunc_ignored)                    \
  X(UmaskIgnored, umask_ignored)                    \
  X(UnlinkDeferred, unlink_deferred)                \
  X(UnlinkMissingSucceeds, unlink_missing_succeeds) \
  X(UnlinkWipesMappings, unlink_wipes_mappings)
IPCCONF_DEFINE_DEFECTS(POSIX_SHM_DEFECTS, "IPCCONF_BREAK", "libbroken_posix_shm.so")

bool Broken(Defect d) { return ChosenDefect() == d; }

template <typename F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

using ShmOpenFn = int (*)(const char*, int, mode_t);
using ShmUnlinkFn = int (*)(const char*);
using FtruncateFn = int (*)(int, off_t);
using FstatFn = int (*)(int, struct stat*);
using MmapFn = void* (*)(void*, size_t, int, int, int, off_t);

constexpr char kShmDir[] = "/dev/shm";
constexpr char kHidden[] = ".unlinked~";

// Whether fd is an object of /dev/shm (a regular file of its filesystem).
bool IsShmFd(int fd) {
  static dev_t shm_dev = [] {
    struct stat st {};
    return stat(kShmDir, &st) == 0 ? st.st_dev : static_cast<dev_t>(-1);
  }();
  struct stat st {};
  return Real<FstatFn>("fstat")(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == shm_dev;
}

// The name the broken subject really uses for `name` (into buf).
const char* Rename(const char* name, char* buf, size_t size) {
  snprintf(buf, size, "%s", name);
  size_t n = strlen(buf);
  if (Broken(Defect::kSlashAllowed)) {
    for (size_t i = 1; i < n; ++i) {
      if (buf[i] == '/') buf[i] = '_';
    }
  }
  if (Broken(Defect::kLongNamesTruncated) && n > NAME_MAX + 1) buf[NAME_MAX + 1] = '\0';
  if (Broken(Defect::kNamesElsewhere) && n > 1) buf[n - 1] = buf[n - 1] == '~' ? '+' : '~';
  return buf;
}

// "/dev/shm/NAME" of an object name "/NAME".
void PathOf(const char* name, char* path, size_t size) {
  while (*name == '/') ++name;
  snprintf(path, size, "%s/%s", kShmDir, name);
}

// Whether this process has the object at `path` open or mapped (/proc/self/fd, /proc/self/maps).
bool InUse(const char* path) {
  bool used = false;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      char link[300], target[PATH_MAX + 1];
      snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
      ssize_t n = readlink(link, target, PATH_MAX);
      if (n > 0 && (target[n] = '\0', strcmp(target, path) == 0)) used = true;
    }
    closedir(d);
  }
  if (FILE* maps = fopen("/proc/self/maps", "re")) {
    char line[PATH_MAX + 128];
    size_t want = strlen(path);
    while (!used && fgets(line, sizeof line, maps)) {
      size_t n = strcspn(line, "\n");
      line[n] = '\0';
      used = n >= want && strcmp(line + n - want, path) == 0;
    }
    fclose(maps);
  }
  return used;
}

// Replaces this process's mappings of `path` by private zero pages.
void WipeMappings(const char* path) {
  FILE* maps = fopen("/proc/self/maps", "re");
  if (!maps) return;
  char line[PATH_MAX + 128];
  size_t want = strlen(path);
  unsigned long spans[64][2];
  int count = 0;
  while (count < 64 && fgets(line, sizeof line, maps)) {
    size_t n = strcspn(line, "\n");
    line[n] = '\0';
    if (n < want || strcmp(line + n - want, path) != 0) continue;
    if (sscanf(line, "%lx-%lx", &spans[count][0], &spans[count][1]) == 2) ++count;
  }
  fclose(maps);
  for (int i = 0; i < count; ++i) {
    mmap(reinterpret_cast<void*>(spans[i][0]), spans[i][1] - spans[i][0], PROT_READ | PROT_WRITE,
         MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
}

// recreate_revives: objects hidden by shm_unlink, removed when this process exits normally.
char g_hidden[32][2 * PATH_MAX + 32];
int g_hidden_count = 0;

__attribute__((destructor)) void RemoveHidden() {
  for (int i = 0; i < g_hidden_count; ++i) unlink(g_hidden[i]);
}

int Ftruncate(int fd, off_t length) {
  if (!IsShmFd(fd)) return Real<FtruncateFn>("ftruncate")(fd, length);
  if (Broken(Defect::kFtruncateIgnored)) return 0;
  struct stat before {};
  Real<FstatFn>("fstat")(fd, &before);
  int r = Real<FtruncateFn>("ftruncate")(fd, length);
  if (r == 0 && Broken(Defect::kGrowGarbage) && length > before.st_size) {
    off_t page = sysconf(_SC_PAGESIZE), start = before.st_size / page * page;
    size_t span = static_cast<size_t>(length - start);
    void* a = Real<MmapFn>("mmap")(nullptr, span, PROT_READ | PROT_WRITE, MAP_SHARED, fd, start);
    if (a != MAP_FAILED) {
      memset(static_cast<char*>(a) + (before.st_size - start), 0xA5,
             static_cast<size_t>(length - before.st_size));
      munmap(a, span);
    }
  }
  return r;
}

int Fstat(int fd, struct stat* st) {
  int r = Real<FstatFn>("fstat")(fd, st);
  if (r == 0 && Broken(Defect::kSizePageRounded) && IsShmFd(fd)) {
    off_t page = sysconf(_SC_PAGESIZE);
    st->st_size = (st->st_size + page - 1) / page * page;
  }
  return r;
}

void* Mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  if (Broken(Defect::kPrivateCopy) && (flags & MAP_TYPE) == MAP_SHARED && fd >= 0 && IsShmFd(fd)) {
    flags = (flags & ~MAP_TYPE) | MAP_PRIVATE;
  }
  return Real<MmapFn>("mmap")(addr, length, prot, flags, fd, offset);
}

}  // namespace

extern "C" {

int shm_open(const char* given, int oflag, mode_t mode) {
  char name[2 * PATH_MAX], path[2 * PATH_MAX + 16];
  Rename(given, name, sizeof name);
  PathOf(name, path, sizeof path);
  if (Broken(Defect::kExclIgnored)) oflag &= ~O_EXCL;
  if (Broken(Defect::kTruncIgnored)) oflag &= ~O_TRUNC;
  if (Broken(Defect::kEnoentCreates) && !(oflag & O_CREAT)) {
    oflag |= O_CREAT;
    mode = 0600;
  }
  if (Broken(Defect::kCreatReplaces) && (oflag & O_CREAT) && !(oflag & O_EXCL)) {
    Real<ShmUnlinkFn>("shm_unlink")(name);
  }
  if (Broken(Defect::kRecreateRevives) && (oflag & O_CREAT)) {
    char hidden[sizeof path + sizeof kHidden];
    snprintf(hidden, sizeof hidden, "%s%s", path, kHidden);
    if (rename(hidden, path) == 0) oflag &= ~O_EXCL;
  }
  const bool existed = access(path, F_OK) == 0;
  auto real = Real<ShmOpenFn>("shm_open");
  int fd = -1;
  if (Broken(Defect::kRdonlyOpensRdwr) && (oflag & O_ACCMODE) == O_RDONLY) {
    fd = real(name, (oflag & ~O_ACCMODE) | O_RDWR, mode);
    if (fd < 0 && errno != EACCES) return -1;
  }
  if (fd < 0) fd = real(name, oflag, mode);
  if (fd < 0 || existed) return fd;
  // What was just created.
  if (Broken(Defect::kModeIgnored)) fchmod(fd, 0666);
  if (Broken(Defect::kUmaskIgnored)) fchmod(fd, mode & 07777);
  if (Broken(Defect::kNewNotEmpty)) Real<FtruncateFn>("ftruncate")(fd, 4096);
  return fd;
}

int shm_unlink(const char* given) {
  char name[2 * PATH_MAX], path[2 * PATH_MAX + 16];
  Rename(given, name, sizeof name);
  PathOf(name, path, sizeof path);
  if (Broken(Defect::kUnlinkDeferred) && InUse(path)) return 0;
  if (Broken(Defect::kRecreateRevives) && InUse(path) && g_hidden_count < 32) {
    char* hidden = g_hidden[g_hidden_count];
    snprintf(hidden, sizeof g_hidden[0], "%s%s", path, kHidden);
    if (rename(path, hidden) == 0) {
      ++g_hidden_count;
      return 0;
    }
  }
  if (Broken(Defect::kUnlinkWipesMappings)) WipeMappings(path);
  int r = Real<ShmUnlinkFn>("shm_unlink")(name);
  if (r != 0 && errno == ENOENT && Broken(Defect::kUnlinkMissingSucceeds)) return 0;
  return r;
}

int ftruncate(int fd, off_t length) { return Ftruncate(fd, length); }
int ftruncate64(int fd, off_t length) { return Ftruncate(fd, length); }
int fstat(int fd, struct stat* st) { return Fstat(fd, st); }
int fstat64(int fd, struct stat64* st) { return Fstat(fd, reinterpret_cast<struct stat*>(st)); }
void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  return Mmap(addr, length, prot, flags, fd, offset);
}
void* mmap64(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  return Mmap(addr, length, prot, flags, fd, offset);
}

}  // extern "C"
