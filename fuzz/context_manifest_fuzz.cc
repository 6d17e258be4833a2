// Fuzzes the --verify-context manifest parser (runtime/workspace/context.h): the input is
// the manifest text. Invariants: errors are one line; every parsed path is clean and
// relative (no "..", no empty component, no leading '/'), every hash 64 lower-case hex
// digits; formatting what was parsed and parsing it again gives the same map, and the
// parsed map checks clean against the text it came from.
#include <map>
#include <string>

#include "fuzz/fuzz_input.h"
#include "runtime/workspace/context.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto parsed = nucleus::ParseManifest(text);
  if (!parsed.ok()) {
    std::string msg(parsed.status().message());
    Check(msg.find('\n') == std::string::npos, "errors are one line");
    Check(!msg.empty(), "errors say something");
    return 0;
  }
  for (const auto& [path, hex] : *parsed) {
    Check(!path.empty() && path[0] != '/' && path.back() != '/', "paths are relative");
    Check(path.find("//") == std::string::npos, "no empty component");
    Check(path != ".." && path.rfind("../", 0) != 0 && path.find("/../") == std::string::npos &&
              (path.size() < 3 || path.compare(path.size() - 3, 3, "/..") != 0),
          "no .. component");
    Check(hex.size() == 64, "hashes are 64 hex digits");
  }
  std::string again = nucleus::FormatManifest(*parsed);
  auto reparsed = nucleus::ParseManifest(again);
  Check(reparsed.ok() && *reparsed == *parsed, "format then parse is the identity");
  Check(nucleus::CheckManifest(*parsed, text).ok(), "a manifest checks clean against itself");
  return 0;
}
