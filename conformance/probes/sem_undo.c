// probe of SYSV.SEM.UNDO_ON_EXIT, SYSV.SEM.UNDO_ON_KILL: a P done with SEM_UNDO is reverted when its process exits and when it is killed by SIGKILL.
#include <signal.h>
#include <stdio.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <unistd.h>

// Semaphore at 1, a child's P with SEM_UNDO, then its exit or SIGKILL: the value after (-1: no P).
static int ValueAfterChild(int id, int kill_it) {
  int held[2], status = 0;
  if (semctl(id, 0, SETVAL, 1) != 0 || pipe(held) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    struct sembuf p = {0, -1, SEM_UNDO | IPC_NOWAIT};
    if (semop(id, &p, 1) != 0) _exit(3);
    if (!kill_it || write(held[1], "h", 1) != 1) _exit(0);
    for (;;) pause();  // holding the semaphore until SIGKILL
  }
  close(held[1]);
  // The holder is killed once it said it holds the semaphore (end of file: it exited instead).
  if (pid > 0 && kill_it && read(held[0], &status, 1) == 1) kill(pid, SIGKILL);
  close(held[0]);
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  int ended = kill_it ? WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL
                      : WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return ended ? semctl(id, 0, GETVAL) : -1;
}

int main(void) {
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (id < 0) return printf("probe cannot run: semget(IPC_PRIVATE): %m\n"), 2;
  int exited = ValueAfterChild(id, 0), killed = ValueAfterChild(id, 1);
  semctl(id, 0, IPC_RMID);
  if (exited < 0 || killed < 0) return puts("probe cannot run: a child's P did not succeed"), 2;
  printf("expected: 1 after exit, 1 after SIGKILL (the child's SEM_UNDO P undone); saw: %d, %d\n",
         exited, killed);
  return exited == 1 && killed == 1 ? 0 : 1;
}
