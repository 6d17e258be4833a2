// Fuzzes the OCI / Docker seccomp profile parser (runtime/seccomp/profile.h), and compiles
// what it accepts with libseccomp (backends/native/seccomp.h): a profile that parses must
// either compile or fail with a one-line error, never crash libseccomp.
// The first byte picks the kept capabilities (includes/excludes.caps), the rest is the JSON.
#include <linux/capability.h>

#include <string>
#include <vector>

#include "backends/native/seccomp.h"
#include "fuzz/fuzz_input.h"
#include "runtime/seccomp/profile.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  nucleus::SeccompProfileContext ctx;
  const uint8_t selector = data[0];
  if (selector & 1) ctx.capabilities.push_back(CAP_SYS_ADMIN);
  if (selector & 2) ctx.capabilities.push_back(CAP_SYS_PTRACE);
  if (selector & 4) ctx.kernel_release = "4.4.0-generic";
  if (selector & 8) ctx.kernel_release = "6.1.0-18-amd64";
  absl::string_view text = nucleus::fuzz::AsText(data + 1, size - 1);
  auto parsed = nucleus::ParseSeccompProfile(text, ctx);
  if (!parsed.ok()) {
    Check(std::string(parsed.status().message()).find('\n') == std::string::npos,
          "errors are one line");
    return 0;
  }
  for (const std::string& w : parsed->warnings) {
    Check(w.find('\n') == std::string::npos, "warnings are one line");
  }
  const nucleus::SeccompSpec& spec = parsed->spec;
  Check(spec.default_errno_ret <= 4095, "default errno in range");
  for (const nucleus::SeccompRule& r : spec.syscalls) {
    Check(!r.names.empty(), "every rule names a syscall");
    Check(r.errno_ret <= 4095, "errno in range");
    Check(r.args.size() <= 6, "at most 6 args");
    for (const nucleus::SeccompArg& a : r.args) Check(a.index <= 5, "arg index 0..5");
  }
  if (spec.syscalls.size() <= 64) {
    auto program = nucleus::CompileSeccomp(spec);
    if (program.ok()) {
      Check(!program->filter.empty(), "a compiled filter has instructions");
    } else {
      Check(std::string(program.status().message()).find('\n') == std::string::npos,
            "compile errors are one line");
    }
  }
  return 0;
}
