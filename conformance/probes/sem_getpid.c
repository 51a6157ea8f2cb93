// probe of SYSV.SEM.GETPID_LAST_OP: after a child's V (semop +1) on semaphore 1 of a set of 3 and its exit, semctl(GETPID) of semaphore 1 reads that child's pid.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600), status = 0;
  if (id < 0) return printf("probe cannot run: semget(IPC_PRIVATE): %m\n"), 2;
  pid_t child = fork();
  if (child == 0) {
    struct sembuf v = {1, +1, IPC_NOWAIT};
    _exit(semop(id, &v, 1) == 0 ? 0 : 3);
  }
  int operated = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 0;
  int got = semctl(id, 1, GETPID), got_errno = errno;
  semctl(id, 0, IPC_RMID);
  if (!operated) return puts("probe cannot run: the child's semop did not succeed"), 2;
  printf("expected: GETPID of semaphore 1 -> %d (the child that operated on it); saw: %d%s%s\n",
         (int)child, got, got < 0 ? " " : "", got < 0 ? strerror(got_errno) : "");
  return got == child ? 0 : 1;
}
