// probe of SYSV.MSG.STAT_PIDS: after the parent's msgsnd and a child's msgrcv, IPC_STAT reports the parent in msg_lspid and the child in msg_lrpid.
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  struct {
    long mtype;
    char mtext[1];
  } msg = {1, {'x'}};
  struct msqid_ds ds;
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600), status = 0, words[3];
  if (id < 0) return printf("probe cannot run: msgget(IPC_PRIVATE): %m\n"), 2;
  pid_t child = msgsnd(id, &msg, 1, IPC_NOWAIT) == 0 ? fork() : -1;
  if (child == 0) _exit(msgrcv(id, &msg, 1, 0, IPC_NOWAIT) == 1 ? 0 : 3);
  int received = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 0;
  int stat = msgctl(id, IPC_STAT, &ds);
  msgctl(id, IPC_RMID, NULL);
  if (!received || stat != 0) return puts("probe cannot run: msgsnd, msgrcv or IPC_STAT failed"), 2;
  // The raw ints from msg_lspid on: qemu-user 7.2 was seen writing 8-byte pid fields there.
  memcpy(words, (char *)&ds + offsetof(struct msqid_ds, msg_lspid), sizeof words);
  printf(
      "expected: msg_lspid %d (parent), msg_lrpid %d (child); saw: %d, %d (ints at msg_lspid: "
      "%d %d %d)\n",
      (int)getpid(), (int)child, (int)ds.msg_lspid, (int)ds.msg_lrpid, words[0], words[1],
      words[2]);
  return ds.msg_lspid == getpid() && ds.msg_lrpid == child ? 0 : 1;
}
