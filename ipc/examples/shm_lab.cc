#include "ipc/examples/shm_lab.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace shm_lab {
namespace {

const char* Hint(int error) {
  switch (error) {
    case EEXIST:
      return "objects with this key already exist: another server is running, or one ended "
             "without removing them (see ipcs; remove them with ipcrm)";
    case ENOENT:
      return "nothing with this key: start the server first, with the same KEY_PATH (or, for "
             "ftok, the path does not exist)";
    case EACCES:
      return "the permission bits of the server's objects do not let this user in";
    case EIDRM:
    case EINVAL:
      return "the server removed its objects before the exchange ended";
    default:
      return nullptr;
  }
}

}  // namespace

ipc::Result<ipc::IpcKey> KeyFromArguments(int argc, char** argv, const char* usage) {
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
  return ipc::IpcKey::FromPath(argc == 2 ? argv[1] : kDefaultKeyPath, kProjectId);
}

std::string Explain(const ipc::Error& e) {
  std::string s = e.Describe();
  if (const char* hint = Hint(e.error)) s += std::string(": ") + hint;
  return s;
}

}  // namespace shm_lab
