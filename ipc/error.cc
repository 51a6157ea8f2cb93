#include "ipc/error.h"

#include <cstring>

namespace ipc {

std::string Error::Describe() const {
  return call + ": " + std::strerror(error) + " (errno " + std::to_string(error) + ")";
}

}  // namespace ipc
