// The assertion catalog: what POSIX, the Linux man pages and the course say must happen.
// Each area's catalog is a text file of blocks ("key: value" lines, blank line between blocks),
// read by the one catalog reader (tools/report/catalog.py) at build time and compiled into the
// test binary as a table (harness/catalog.bzl), so a binary carries the statements it checks.
#ifndef IPCCONF_HARNESS_CATALOG_H_
#define IPCCONF_HARNESS_CATALOG_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace ipcconf {

struct Assertion {
  std::string id;         // PIPE.CASE.EMPTY_BLOCKS_READER
  std::string area;       // pipe
  std::string profile;    // posix | linux
  std::string source;     // POSIX clause, man page section, or course case
  std::string statement;  // one sentence
};

// All assertions linked into this binary, by id.
const std::map<std::string, Assertion>& Catalog();
// Problems found while loading the linked catalogs (an id defined by two catalogs).
const std::vector<std::string>& CatalogErrors();

// Called by the generated registration code of each catalog file.
bool RegisterCatalog(const char* origin, const Assertion* assertions, size_t count);

}  // namespace ipcconf

#endif  // IPCCONF_HARNESS_CATALOG_H_
