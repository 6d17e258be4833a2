// Fuzzes runtime/env: input = ENV-FILE TEXT \0 --env VALUE \0 --env VALUE ...
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "runtime/env.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = nucleus::fuzz::SplitNul(nucleus::fuzz::AsText(data, size));
  // A deterministic "host environment": keys starting with 'H' are set.
  nucleus::EnvBuilder env([](const std::string& key) -> std::optional<std::string> {
    if (!key.empty() && key[0] == 'H') return "host-" + key;
    return std::nullopt;
  });
  if (!env.AddFileText(parts[0], "fuzz.env").ok()) return 0;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!env.AddFlag(parts[i]).ok()) return 0;
  }
  for (const std::string& kv : env.Build(1000, "/home/fuzz")) {
    size_t eq = kv.find('=');
    Check(eq != std::string::npos && eq > 0, "entries are KEY=VALUE with a key");
    Check(nucleus::ValidateEnvKey(kv.substr(0, eq), "fuzz").ok(), "keys are valid");
    Check(!nucleus::IsRefusedEnvKey(kv.substr(0, eq)), "refused keys never pass");
    Check(kv.find('\0') == std::string::npos, "no NUL in entries");
  }
  for (const std::string& w : env.warnings()) {
    Check(w.find('\n') == std::string::npos, "warnings are one line");
  }
  return 0;
}
