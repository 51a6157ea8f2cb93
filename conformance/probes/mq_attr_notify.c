// probe of POSIX_MQ.ATTR.GETATTR, POSIX_MQ.NOTIFY.SIGNAL: a new message queue answers mq_getattr() with the size it was created with, and accepts an mq_notify() registration.
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  char name[64];
  snprintf(name, sizeof name, "/ipcconf-probe.%d", (int)getpid());
  struct mq_attr want = {.mq_maxmsg = 4, .mq_msgsize = 16}, got = {0};
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &want);
  if (q == (mqd_t)-1) {
    printf("could not run: mq_open: %s\n", strerror(errno));
    return 2;
  }
  mq_unlink(name);
  int attr = mq_getattr(q, &got) == 0 ? 0 : errno;
  struct sigevent none = {.sigev_notify = SIGEV_NONE};
  int notify = mq_notify(q, &none) == 0 ? 0 : errno;
  mq_close(q);
  printf("expected: mq_getattr -> 4 x 16, mq_notify(SIGEV_NONE) -> 0; saw: mq_getattr -> %s",
         attr ? strerror(attr) : "");
  if (!attr) printf("%ld x %ld", got.mq_maxmsg, got.mq_msgsize);
  printf(", mq_notify -> %s\n", notify ? strerror(notify) : "0");
  return attr || notify || got.mq_maxmsg != 4 || got.mq_msgsize != 16;
}
