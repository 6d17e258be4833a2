// The libseccomp half of backends/native/seccomp.h, apart so that the build-time
// precompiler (seccomp_precompile.cc) can link it without the table it generates.
#ifndef NUCLEUS_BACKENDS_NATIVE_SECCOMP_BPF_H_
#define NUCLEUS_BACKENDS_NATIVE_SECCOMP_BPF_H_

#include <linux/filter.h>

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// A finished classic-BPF seccomp filter (struct seccomp_data in, SECCOMP_RET_* out).
struct SeccompProgram {
  std::vector<sock_filter> filter;
};

// libseccomp: the compilation described in seccomp.h. Allocates; parent only.
absl::StatusOr<SeccompProgram> CompileSeccompBpf(const SeccompSpec& spec);

// libseccomp 2.5.4 miscompiles some rule sets (found by //fuzz:seccomp_bpf_diff_fuzz): when a
// comparison of one rule falls through with no action, the next rule for the same syscall
// may compare an argument's high word without reloading it, i.e. against the low word still
// in the accumulator, and the filter's answer is wrong. Detected exactly by data flow: a
// conditional jump reached with the accumulator loaded from different struct seccomp_data
// offsets on different paths (correct libseccomp output reloads before every comparison).
// Returns that jump's index, or -1. CompileSeccompBpf refuses a program where it fires.
int FindStaleAccumulatorJump(const std::vector<sock_filter>& filter);

// A canonical text of everything in `spec` the compiled program depends on (length-prefixed
// strings, so different specs never share a key).
std::string SeccompSpecKey(const SeccompSpec& spec);

// A program compiled at build time (seccomp_precompile.cc writes the table).
struct PrecompiledSeccomp {
  const char* key;  // SeccompSpecKey of the spec
  size_t key_size;
  const sock_filter* filter;
  size_t filter_size;
};

// The filter of nucleus's own PID 1 init (init.h) once it has forked the workload: exactly
// the system calls RunInit makes (rt_sigtimedwait, wait4, kill, write, exit_group, ...,
// checked with strace -f on real runs), everything else KILL_PROCESS. Killing the init ends
// the container (the kernel kills the rest of the PID namespace), which is the safe outcome
// for an init that has been subverted.
SeccompSpec InitSeccompSpec();

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_SECCOMP_BPF_H_
