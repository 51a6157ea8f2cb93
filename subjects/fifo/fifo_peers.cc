// How the FIFO shim sees who holds a FIFO open (/proc/*/fd) and waits for another open
// (inotify IN_OPEN): the open_waits_for_new_peer defect (fifo_peers.h).
#include "subjects/fifo/fifo_peers.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace fifo_shim {

bool PeerEndOpen(const struct stat& fifo, int access) {
  DIR* proc = opendir("/proc");
  if (!proc) return false;
  bool found = false;
  for (dirent* p; !found && (p = readdir(proc));) {
    if (p->d_name[0] < '0' || p->d_name[0] > '9') continue;
    std::string fd_dir = std::string("/proc/") + p->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (!fds) continue;
    for (dirent* f; !found && (f = readdir(fds));) {
      // The link's own mode bits are the descriptor's access: r for reading, w for writing.
      struct stat st, as_link;
      std::string link = fd_dir + "/" + f->d_name;
      found = f->d_name[0] != '.' && fstatat(AT_FDCWD, link.c_str(), &st, 0) == 0 &&
              st.st_dev == fifo.st_dev && st.st_ino == fifo.st_ino &&
              fstatat(AT_FDCWD, link.c_str(), &as_link, AT_SYMLINK_NOFOLLOW) == 0 &&
              (access == O_RDWR || (as_link.st_mode & (access == O_RDONLY ? S_IWUSR : S_IRUSR)));
    }
    closedir(fds);
  }
  closedir(proc);
  return found;
}

int WaitForAnotherOpen(int dirfd, const char* path) {
  if (path[0] != '/' && dirfd != AT_FDCWD) return 0;
  int in = inotify_init1(IN_CLOEXEC);
  char buf[4096];
  ssize_t n = in >= 0 && inotify_add_watch(in, path, IN_OPEN) >= 0 ? read(in, buf, sizeof buf) : 0;
  int saved = errno;
  if (in >= 0) close(in);
  errno = saved;
  return n < 0 && saved == EINTR ? -1 : 0;
}

}  // namespace fifo_shim
