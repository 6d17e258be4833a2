// Fuzzes runtime/spec/oci_config.h ParseOciConfig on arbitrary config.json text, and checks the
// writer's round trip: whatever parses must write (ToOciConfigJson) a config.json J1 that
// parses again and writes J1 once more (idempotent after one round).
#include <cstdio>
#include <string>

#include "absl/strings/match.h"
#include "fuzz/fuzz_input.h"
#include "runtime/spec/oci_config.h"

using nucleus::fuzz::Check;

namespace {

constexpr char kBundle[] = "/run/bundle";

bool OneLine(absl::string_view s) { return s.find('\n') == absl::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  auto parsed = nucleus::ParseOciConfig(text, kBundle);
  if (!parsed.ok()) {
    Check(parsed.status().code() == absl::StatusCode::kInvalidArgument,
          "parse errors are InvalidArgument");
    Check(absl::StartsWith(parsed.status().message(), "config.json: "),
          "parse errors start with config.json:");
    Check(OneLine(parsed.status().message()), "errors are one line");
    return 0;
  }
  for (const std::string& w : parsed->warnings) Check(OneLine(w), "warnings are one line");
  const nucleus::ContainerSpec& spec = parsed->spec;
  Check(!spec.process.args.empty(), "a parsed spec has a command");
  Check(!spec.rootfs.empty() && spec.rootfs[0] == '/', "the rootfs is absolute");
  Check(spec.namespaces.mount, "a parsed spec has a mount namespace");
  Check(!spec.default_filesystems, "config.json's mounts are the whole list");

  const std::string j1 = nucleus::ToOciConfigJson(spec);
  auto again = nucleus::ParseOciConfig(j1, kBundle);
  if (!again.ok()) {
    fprintf(stderr, "re-parse failed: %s\n--- J1 ---\n%s\n",
            std::string(again.status().message()).c_str(), j1.c_str());
    __builtin_trap();
  }
  const std::string j2 = nucleus::ToOciConfigJson(again->spec);
  if (j2 != j1) {
    fprintf(stderr, "round trip differs\n--- J1 ---\n%s\n--- J2 ---\n%s\n", j1.c_str(), j2.c_str());
    __builtin_trap();
  }
  return 0;
}
