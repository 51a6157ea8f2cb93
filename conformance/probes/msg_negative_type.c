// probe of SYSV.MSG.TYPE_NEGATIVE_LOWEST: with messages of types 5, 3, 7, 5, 1 queued in that order, msgrcv(IPC_NOWAIT) of types -100, -100, -100, -5 takes the 1, the 3, the first 5 and the second 5, then type -6 fails with ENOMSG as only the 7 is left.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>

int main(void) {
  const long types[] = {5, 3, 7, 5, 1}, asked[] = {-100, -100, -100, -5, -6};
  const char *texts[] = {"five-a", "three", "seven", "five-b", "one"},
             *want[] = {"one", "three", "five-a", "five-b", "ENOMSG"};
  struct {
    long mtype;
    char mtext[16];
  } msg;
  char saw[5][32];
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600), queued = 1, ok = 1;
  if (id < 0) return printf("probe cannot run: msgget(IPC_PRIVATE): %m\n"), 2;
  for (int i = 0; i < 5; ++i) {
    msg.mtype = types[i], strcpy(msg.mtext, texts[i]);
    queued &= msgsnd(id, &msg, strlen(texts[i]), IPC_NOWAIT) == 0;
  }
  for (int i = 0; queued && i < 5; ++i) {
    long n = msgrcv(id, &msg, sizeof msg.mtext - 1, asked[i], IPC_NOWAIT);
    if (n >= 0) msg.mtext[n] = '\0';
    snprintf(saw[i], sizeof saw[i], "%s",
             n >= 0            ? msg.mtext
             : errno == ENOMSG ? "ENOMSG"
                               : strerror(errno));
    ok &= strcmp(saw[i], want[i]) == 0;
  }
  msgctl(id, IPC_RMID, NULL);
  if (!queued) return puts("probe cannot run: msgsnd of the five messages failed"), 2;
  printf(
      "expected: types -100, -100, -100, -5, -6 -> one, three, five-a, five-b, ENOMSG; "
      "saw: %s, %s, %s, %s, %s\n",
      saw[0], saw[1], saw[2], saw[3], saw[4]);
  return ok ? 0 : 1;
}
