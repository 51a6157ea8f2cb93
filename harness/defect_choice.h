// How a broken subject (an LD_PRELOAD shim, a broken pool library) picks its one defect by name
// from an environment variable, and refuses a name it does not know: a typo must never pass for
// "no defect", or a meta-test would call an assertion unbreakable and a control run meaningful.
// Header only, libc only, so that a preloaded shim can use it before main.
#ifndef IPCCONF_HARNESS_DEFECT_CHOICE_H_
#define IPCCONF_HARNESS_DEFECT_CHOICE_H_

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Defines, for a .cc file's unnamed namespace, from LIST (an X-macro list of X(Enum, name)):
// `enum class Defect { kNone, k<Enum>... }`, `kDefectNames` in the same order, `ChosenDefect()`
// (the one $VARIABLE names, kNone when unset, read on first use since a wrapper may run before
// any constructor), and a constructor that refuses an unknown name at load, before main.
#define IPCCONF_DEFINE_DEFECTS(LIST, VARIABLE, SUBJECT)                                \
  enum class Defect { kNone, LIST(IPCCONF_DEFECT_ENUMERATOR_) };                       \
  constexpr const char* kDefectNames[] = {LIST(IPCCONF_DEFECT_NAME_)};                 \
  Defect ChosenDefect() {                                                              \
    static const auto chosen =                                                         \
        static_cast<Defect>(::ipcconf::ChooseDefect(VARIABLE, SUBJECT, kDefectNames)); \
    return chosen;                                                                     \
  }                                                                                    \
  __attribute__((constructor)) void RefuseUnknownDefect() { ChosenDefect(); }
#define IPCCONF_DEFECT_ENUMERATOR_(Enum, name) k##Enum,
#define IPCCONF_DEFECT_NAME_(Enum, name) #name,

namespace ipcconf {

// 1 + the position of $VARIABLE among `names` (the Defect of IPCCONF_DEFINE_DEFECTS); 0 when unset
// or empty. An unknown name ends the process: one line on standard error, "SUBJECT: VARIABLE names
// unknown defect 'NAME'; known defects: a b ...", then exit status 2 (what the meta-tests check
// with UnknownDefectProblems).
template <size_t N>
int ChooseDefect(const char* variable, const char* subject, const char* const (&names)[N]) {
  const char* want = getenv(variable);
  if (!want || !*want) return 0;
  for (size_t i = 0; i < N; ++i) {
    if (strcmp(names[i], want) == 0) return static_cast<int>(i) + 1;
  }
  fprintf(stderr, "%s: %s names unknown defect '%s'; known defects:", subject, variable, want);
  for (const char* name : names) fprintf(stderr, " %s", name);
  fputc('\n', stderr);
  fflush(stderr);
  _exit(2);
}

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_DEFECT_CHOICE_H_
