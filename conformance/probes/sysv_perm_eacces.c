// probe of SYSV.PERM.DENIED_EACCES: root makes a shared memory segment of mode 0640 under an ftok key; a child turned uid and gid 65534 (other: no permission) gets EACCES from shmget(key, 0, 0600), as in the assertion's test.
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  if (geteuid() != 0) return puts("probe cannot run: needs root, to make what nobody is denied"), 2;
  // As in the test, a key (a private segment cannot be got): ftok of a fresh folder's inode.
  char dir[] = "/tmp/ipcconf_probe.XXXXXX";
  key_t key = mkdtemp(dir) ? ftok(dir, 1) : -1;
  int id = key == -1 ? -1 : shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640), error = errno;
  rmdir(dir);  // the key stays the segment's
  if (id < 0) return printf("probe cannot run: ftok or shmget(IPC_EXCL): %s\n", strerror(error)), 2;
  int status = 0;
  pid_t child = fork();
  if (child == 0) {  // exit status: errno of shmget, 100 if it got the segment, 101 if no drop
    if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) _exit(101);
    _exit(shmget(key, 0, 0600) >= 0 ? 100 : errno);
  }
  int code = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status)
                 ? WEXITSTATUS(status)
                 : -1;
  shmctl(id, IPC_RMID, NULL);
  if (code < 0 || code == 101)
    return puts("probe cannot run: no child, or it could not become uid 65534"), 2;
  printf(
      "expected: shmget(key, 0, 0600) by uid 65534 of root's segment of mode 0640 -> EACCES; "
      "saw: %s\n",
      code == 100 ? "the segment's id" : strerror(code));
  return code == EACCES ? 0 : 1;
}
