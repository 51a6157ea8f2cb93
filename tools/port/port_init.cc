// The runner inside a port (tools/ipcconf port): runs the commands of its plan one after the
// other and streams everything back on standard output as framed lines, which survive any
// transport (a pipe, a User-Mode Linux console, a serial console of qemu-system) and any
// filesystem (gVisor keeps the sandbox's writes in an overlay the host never sees):
//   @@ipcconf start NAME
//   @@ipcconf out NAME: a line the command printed
//   @@ipcconf end NAME: exited with status 1
//   @@ipcconf file PATH / @@ipcconf data BASE64 / @@ipcconf endfile PATH
//   @@ipcconf done
// The plan is plan.txt beside this program: one command per line, NAME<TAB>ARG<TAB>ARG...,
// run in that folder; `FILE<TAB>PATH` lines name files sent back at the end.
// As process 1 (the init of User-Mode Linux or of a kernel under qemu-system) it first mounts
// what the suite needs (/proc, /dev, /dev/shm, /dev/mqueue, /tmp), reaps every orphan, and
// powers the machine off at the end. Statically linked, libc only.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

constexpr int kCommandBoundSeconds = 3600;  // a command still running then is killed

void Line(const std::string& text) {
  std::string line = "@@ipcconf " + text + "\n";
  for (size_t done = 0; done < line.size();) {
    ssize_t n = write(1, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out(1);
  for (char c : line) {
    if (c == sep) {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

void MountForTheSuite() {
  struct {
    const char *type, *where;
  } mounts[] = {{"proc", "/proc"},         {"devtmpfs", "/dev"}, {"tmpfs", "/dev/shm"},
                {"mqueue", "/dev/mqueue"}, {"tmpfs", "/tmp"},    {"sysfs", "/sys"}};
  for (const auto& m : mounts) {
    mkdir(m.where, 0755);
    if (mount(m.type, m.where, m.type, 0, nullptr) != 0 && errno != EBUSY) {
      Line(std::string("note: mount ") + m.type + " on " + m.where + ": " + strerror(errno));
    }
  }
  chmod("/tmp", 01777);
  chmod("/dev/shm", 01777);
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

// Runs one command, its output framed line by line as it comes; as process 1 also reaps the
// orphans that end meanwhile.
void Run(const std::string& name, const std::vector<std::string>& args, bool init) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    Line("end " + name + ": cannot run: pipe: " + strerror(errno));
    return;
  }
  Line("start " + name);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  close(out[1]);
  std::string pending;
  int status = 0;
  bool reaped = false;
  time_t deadline = time(nullptr) + kCommandBoundSeconds;
  for (bool open = pid > 0; open;) {
    pollfd p{out[0], POLLIN, 0};
    int ready = poll(&p, 1, 1000);
    if (ready < 0 && errno != EINTR) break;
    if (time(nullptr) > deadline) {
      Line("out " + name + ": still running after " + std::to_string(kCommandBoundSeconds) +
           " s: killed");
      kill(pid, SIGKILL);
      break;
    }
    if (init) {  // orphans come to process 1: reap them (and note our own command's end)
      int any = 0;
      for (pid_t r; (r = waitpid(-1, &any, WNOHANG)) > 0;) {
        if (r == pid) status = any, reaped = true;
      }
    }
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) open = false;
    pending.append(buf, n > 0 ? static_cast<size_t>(n) : 0);
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      Line("out " + name + ": " + pending.substr(0, nl));
    }
  }
  if (!pending.empty()) Line("out " + name + ": " + pending);
  close(out[0]);
  if (!reaped && pid > 0) reaped = waitpid(pid, &status, 0) == pid;
  Line("end " + name + ": " + (reaped ? DescribeStatus(status) : "could not be started"));
}

void SendFile(const std::string& path) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    Line("nofile " + path + ": " + strerror(errno));
    return;
  }
  Line("file " + path);
  unsigned char in[57];  // 57 bytes -> 76 characters a line
  for (;;) {
    size_t got = 0;
    while (got < sizeof in) {
      ssize_t n = read(fd, in + got, sizeof in - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    if (got == 0) break;
    std::string text;
    for (size_t i = 0; i < got; i += 3) {
      unsigned v = in[i] << 16 | (i + 1 < got ? in[i + 1] << 8 : 0) | (i + 2 < got ? in[i + 2] : 0);
      text += kAlphabet[v >> 18 & 63];
      text += kAlphabet[v >> 12 & 63];
      text += i + 1 < got ? kAlphabet[v >> 6 & 63] : '=';
      text += i + 2 < got ? kAlphabet[v & 63] : '=';
    }
    Line("data " + text);
    if (got < sizeof in) break;
  }
  close(fd);
  Line("endfile " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const bool init = getpid() == 1;
  // Into the plan's folder first: the mounts below may cover the path it was reached by (User-
  // Mode Linux sees this machine's /tmp by hostfs, and gets a tmpfs of its own there).
  std::string dir = Dirname(argc > 0 ? argv[0] : ".");
  if (chdir(dir.c_str()) != 0) Line("note: cannot enter " + dir + ": " + strerror(errno));
  if (init) MountForTheSuite();
  FILE* plan = fopen("plan.txt", "re");
  if (!plan) {
    Line(std::string("end plan: cannot read ") + dir + "/plan.txt: " + strerror(errno));
  } else {
    char buf[8192];
    std::vector<std::string> files;
    while (fgets(buf, sizeof buf, plan)) {
      std::string text(buf);
      while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
      std::vector<std::string> f = Split(text, '\t');
      if (f.size() < 2 || f[0].empty() || f[0][0] == '#') continue;
      if (f[0] == "FILE") {
        files.push_back(f[1]);
      } else {
        Run(f[0], std::vector<std::string>(f.begin() + 1, f.end()), init);
      }
    }
    fclose(plan);
    for (const std::string& f : files) SendFile(f);
  }
  Line("done");
  if (init) {
    sync();
    reboot(RB_POWER_OFF);
  }
  return 0;
}
