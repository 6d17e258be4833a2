// Fuzzes the --landlock-policy JSON parser (runtime/landlock/policy.h): the input is the
// policy text. Invariants: errors are one line; a parsed policy has absolute, clean paths,
// rights that are Landlock bits and non-empty, socket paths absolute and clean, ports 1-65535,
// sorted and unique.
#include <string>

#include "fuzz/fuzz_input.h"
#include "runtime/landlock/access.h"
#include "runtime/landlock/policy.h"
#include "runtime/paths.h"

using nucleus::fuzz::Check;

namespace {

void CheckPorts(const std::vector<uint16_t>& ports) {
  for (size_t i = 0; i < ports.size(); ++i) {
    Check(ports[i] >= 1, "ports are 1-65535");
    Check(i == 0 || ports[i - 1] < ports[i], "ports sorted and unique");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto spec = nucleus::ParseLandlockPolicy(text);
  if (!spec.ok()) {
    std::string msg(spec.status().message());
    Check(msg.find('\n') == std::string::npos, "errors are one line");
    Check(!msg.empty(), "errors say something");
    return 0;
  }
  Check(spec->custom_policy || spec->paths.empty(), "paths only in a custom policy");
  for (const nucleus::LandlockPathRule& r : spec->paths) {
    Check(!r.path.empty() && r.path[0] == '/', "absolute paths");
    Check(nucleus::CleanPath(r.path) == r.path, "clean paths");
    Check(r.access != 0, "a rule grants something");
    Check((r.access & ~nucleus::landlock::kFsKnown) == 0, "only Landlock fs rights");
  }
  for (const std::string& s : spec->unix_sockets) {
    Check(!s.empty() && s[0] == '/' && nucleus::CleanPath(s) == s, "socket paths absolute, clean");
  }
  CheckPorts(spec->tcp_connect);
  CheckPorts(spec->tcp_bind);
  Check(spec->restrict_tcp_connect || spec->tcp_connect.empty(), "connect ports imply restrict");
  Check(spec->restrict_tcp_bind || spec->tcp_bind.empty(), "bind ports imply restrict");
  return 0;
}
