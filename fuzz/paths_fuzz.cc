// Fuzzes runtime/paths: CleanPath and both validators, with invariants on what they return.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/fuzz_input.h"
#include "runtime/paths.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view path = nucleus::fuzz::AsText(data, size);
  std::string clean = nucleus::CleanPath(path);
  Check(nucleus::CleanPath(clean) == clean, "CleanPath is idempotent");
  Check(!clean.empty(), "CleanPath never returns empty");

  auto container = nucleus::ValidateContainerPath(path, "--fuzz");
  if (container.ok()) {
    const std::string& p = *container;
    Check(p[0] == '/', "container path is absolute");
    Check(nucleus::CleanPath(p) == p, "container path is clean");
    Check(p.find('\0') == std::string::npos, "container path has no NUL");
    Check(p.size() < 4096, "container path is bounded");
    for (absl::string_view part : absl::StrSplit(p, '/')) {
      Check(part != "..", "container path has no '..'");
    }
  }
  auto host = nucleus::ValidateHostPath(path, "/base/dir", "--fuzz");
  if (host.ok()) {
    Check((*host)[0] == '/', "host path is absolute");
    Check(nucleus::CleanPath(*host) == *host, "host path is clean");
    Check(host->size() < 4096, "host path is bounded");
  }
  return 0;
}
