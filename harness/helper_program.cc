#include "harness/helper_program.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>

namespace ipcconf {
namespace {

std::map<std::string, HelperMain>& Helpers() {
  static auto* helpers = new std::map<std::string, HelperMain>();
  return *helpers;
}

std::string& Argv0() {
  static auto* argv0 = new std::string();
  return *argv0;
}

std::string OnPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

}  // namespace

void RememberArgv0(const char* argv0) {
  // Made absolute now: a test may change directory before it re-executes the binary.
  char* absolute = argv0 ? realpath(argv0, nullptr) : nullptr;
  Argv0() = absolute ? absolute : (argv0 ? argv0 : "");
  free(absolute);
}

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  // No procfs on this port: the path the binary was started with.
  return Argv0().empty() ? "/proc/self/exe" : Argv0();
}

bool RegisterHelper(const char* name, HelperMain fn) {
  Helpers()[name] = fn;
  return true;
}

bool RunHelperIfAsked(int argc, char** argv, int* exit_code) {
  if (argc < 2 || std::strcmp(argv[1], "--ipcconf_helper") != 0) return false;
  if (argc < 3) {
    fprintf(stderr, "--ipcconf_helper needs a helper name\n");
    *exit_code = 2;
    return true;
  }
  auto it = Helpers().find(argv[2]);
  if (it == Helpers().end()) {
    fprintf(stderr, "no helper program named '%s' in this binary\n", argv[2]);
    *exit_code = 2;
    return true;
  }
  *exit_code = it->second(argc - 2, argv + 2);
  return true;
}

std::vector<std::string> SelfCommand() {
  std::vector<std::string> argv;
  const char* wrapper = getenv("IPCCONF_EXEC_WRAPPER");
  std::istringstream words(wrapper ? wrapper : "");
  for (std::string word; words >> word;) {
    // Child::Exec takes a path: find a bare name on PATH here.
    if (argv.empty() && word.find('/') == std::string::npos) word = OnPath(word);
    argv.push_back(word);
  }
  argv.push_back(SelfPath());
  return argv;
}

std::vector<std::string> HelperCommand(const std::string& name,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> argv = SelfCommand();
  argv.insert(argv.end(), {"--ipcconf_helper", name});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace ipcconf
