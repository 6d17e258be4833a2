#include "backends/native/seccomp.h"

#include <linux/seccomp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

namespace nucleus {

// Generated at build time (:seccomp_precompiled).
extern const PrecompiledSeccomp kPrecompiledSeccomp[];
extern const size_t kPrecompiledSeccompCount;

absl::StatusOr<SeccompProgram> CompileSeccomp(const SeccompSpec& spec) {
  const std::string key = SeccompSpecKey(spec);
  for (size_t i = 0; i < kPrecompiledSeccompCount; ++i) {
    const PrecompiledSeccomp& p = kPrecompiledSeccomp[i];
    if (p.key_size == key.size() && memcmp(p.key, key.data(), key.size()) == 0) {
      return SeccompProgram{std::vector<sock_filter>(p.filter, p.filter + p.filter_size)};
    }
  }
  return CompileSeccompBpf(spec);
}

StepError InstallSeccompInChild(const SeccompProgram& program) {
  struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<sock_filter*>(program.filter.data());
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return StepError::Errno("seccomp", "SECCOMP_SET_MODE_FILTER");
  }
  return StepError::Ok();
}

}  // namespace nucleus
