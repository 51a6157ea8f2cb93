// Helper programs inside the test binary itself: a test that needs an exec'd, unrelated program
// re-executes its own binary with "--ipcconf_helper NAME ARGS...". No runfiles, no second
// binary: the same works in the portable binary on a target without Bazel.
//   IPCCONF_HELPER(write_to_fd) { ... argv[0] is the helper's name ...; return 0; }
//   Child c = Child::Exec(HelperCommand("write_to_fd", {"5", "hello"}));
#ifndef IPCCONF_HARNESS_HELPER_PROGRAM_H_
#define IPCCONF_HARNESS_HELPER_PROGRAM_H_

#include <string>
#include <vector>

namespace ipcconf {

using HelperMain = int (*)(int argc, char** argv);
bool RegisterHelper(const char* name, HelperMain fn);
// Runs the helper named in argv if argv asks for one: returns true and sets *exit_code.
bool RunHelperIfAsked(int argc, char** argv, int* exit_code);
// The path of this binary: /proc/self/exe, or argv[0] as given to RememberArgv0 (called by the
// test main) on a system without procfs.
void RememberArgv0(const char* argv0);
std::string SelfPath();
// argv to run this binary again: SelfPath(), after the words of $IPCCONF_EXEC_WRAPPER if set.
// Under an emulator that does not follow execve (qemu-user runs an exec'd program natively),
// IPCCONF_EXEC_WRAPPER=qemu-x86_64 keeps re-executed copies under it.
std::vector<std::string> SelfCommand();
// argv for Child::Exec that runs helper `name` with `args` in a fresh copy of this binary.
std::vector<std::string> HelperCommand(const std::string& name,
                                       const std::vector<std::string>& args = {});

}  // namespace ipcconf

#define IPCCONF_HELPER(name)                                                        \
  static int ipcconf_helper_##name(int argc, char** argv);                          \
  [[maybe_unused]] static const bool ipcconf_helper_registered_##name##_ =          \
      ::ipcconf::RegisterHelper(#name, &ipcconf_helper_##name);                     \
  static int ipcconf_helper_##name([[maybe_unused]] int argc, [[maybe_unused]] char** argv)

#endif  // IPCCONF_HARNESS_HELPER_PROGRAM_H_
