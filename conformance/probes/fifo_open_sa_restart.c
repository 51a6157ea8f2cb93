// probe of FIFO.OPEN.SA_RESTART_KEEPS_WAITING: a blocking open(O_RDONLY) of a FIFO without writer survives a caught SIGUSR1 whose handler has SA_RESTART, keeps waiting, and returns a descriptor once a writer opens.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
static int handled[2];  // the child's SIGUSR1 handler writes a byte into handled[1]
static void Caught(int sig) { (void)!write(handled[1], &sig, 1); }
static char AwaitState(pid_t pid, const char *states) {  // 0 if not one of states within 10 s
  char path[64], state = '?', tries = 100;  // "PID (COMM) STATE ...": this COMM has no ')'
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  for (FILE *f; tries-- > 0 && !strchr(states, state); usleep(100000))
    if ((f = fopen(path, "r"))) (void)!fscanf(f, "%*d (%*[^)]) %c", &state), fclose(f);
  return strchr(states, state) ? state : 0;
}
int main(void) {
  char dir[] = "/tmp/ipcconf_probe.XXXXXX", after = 0;
  if (!mkdtemp(dir) || chdir(dir) || mkfifo("fifo", 0600) || pipe(handled))
    return printf("probe cannot run: mkdtemp, mkfifo or pipe: %m\n"), rmdir(dir), 2;
  sigaction(SIGUSR1, &(struct sigaction){.sa_handler = Caught, .sa_flags = SA_RESTART}, NULL);
  int status = 0, code = -1, pid = fork();  // the child inherits the handler; no writer: it waits
  if (pid == 0) alarm(10), _exit(open("fifo", O_RDONLY) >= 0 ? 0 : 10 + errno);  // 10 s at most
  int caught = !close(handled[1]) && pid > 0 && AwaitState(pid, "S") && !kill(pid, SIGUSR1) &&
               read(handled[0], &after, 1) == 1;  // handled[1] closed: end of file if it is gone
  if (caught && (after = AwaitState(pid, "SZ")))  // S: waiting again; Z: the open returned
    open("fifo", O_RDONLY | O_NONBLOCK), open("fifo", O_WRONLY | O_NONBLOCK);  // a writer, 10 s
  if (waitpid(pid, &status, 0) > 0 && WIFEXITED(status)) code = WEXITSTATUS(status);
  unlink("fifo"), chdir("/"), rmdir(dir);
  if (!caught) return puts("probe cannot run: no open seen asleep and signalled in 10 s"), 2;
  const char *saw = code == 0 ? "a descriptor" : code > 0 ? strerror(code - 10) : "no return";
  printf("expected: open waits on through the SA_RESTART handler for a writer; saw: open -> %s%s\n",
         saw, after == 'Z' ? " before any writer opened" : "");
  return after == 'S' && code == 0 ? 0 : 1;
}
