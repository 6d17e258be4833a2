// The OCI / Docker JSON seccomp profile format -> SeccompSpec (runtime/spec/container_spec.h).
//
// Accepted (docker's profiles/seccomp/default.json and the runtime-spec's linux.seccomp):
//   {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
//    "architectures": ["SCMP_ARCH_X86_64"],
//    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
//                  "args": [{"index": 1, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_EQ"}],
//                  "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"],
//                               "minKernel": "4.8"},
//                  "excludes": {"caps": [...], "arches": [...]}}]}
// plus the old single "name" of a syscall entry. Unknown fields ("archMap", "comment",
// "flags", "listenerPath", ...) are ignored. Docker's "archMap" is not read: without
// "architectures" the filter covers the native architecture only and kills every other
// (i386 via int 0x80, x32), which is what nucleus wants on x86_64 anyway.
//
// includes/excludes follow moby's rules: a syscall entry applies when every includes.caps
// capability is kept, no excludes.caps capability is kept, the native architecture ("amd64",
// also spelled "x86_64") is in includes.arches (if given) and not in excludes.arches, and
// the running kernel is at least includes.minKernel (when the context knows the kernel).
// A capability name libcap does not know counts as "not kept", with a warning.
//
// Errors: InvalidArgument, one line, naming the JSON path and the bad value:
//   "syscalls[3].action: 'SCMP_ACT_FOO' is not a seccomp action"
// LoadSeccompProfile prefixes the file name: "/x.json: syscalls[3].action: ...".
// A syscall name libseccomp does not know (seccomp_syscall_resolve_name fails) is not an
// error but a warning ("syscalls[0].names[2]: 'foo' is not a system call libseccomp knows;
// ignored"), returned for the caller to print; the name is dropped from the spec.
//
// Pure (no I/O but libseccomp's and libcap's static tables): ParseSeccompProfile is fuzzed
// (fuzz/seccomp_profile_fuzz.cc). Input larger than kMaxSeccompProfileBytes is refused.
//
//   ASSIGN_OR_RETURN(ParsedSeccompProfile p,
//                    LoadSeccompProfile(path, SeccompProfileContext::ForHost(caps)));
//   for (auto& w : p.warnings) warn(w);
//   spec.seccomp = std::move(p.spec);
#ifndef NUCLEUS_RUNTIME_SECCOMP_PROFILE_H_
#define NUCLEUS_RUNTIME_SECCOMP_PROFILE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

inline constexpr size_t kMaxSeccompProfileBytes = 1 << 20;  // 1 MiB

// What includes/excludes are matched against.
struct SeccompProfileContext {
  std::vector<int> capabilities;  // the container's kept capabilities (CAP_* numbers)
  // uname(2)'s release ("6.1.0-18-amd64"); empty: includes.minKernel is not checked.
  std::string kernel_release;

  // capabilities plus this host's kernel release.
  static SeccompProfileContext ForHost(std::vector<int> capabilities);
};

struct ParsedSeccompProfile {
  SeccompSpec spec;
  std::vector<std::string> warnings;  // one line each, without the file name
};

absl::StatusOr<ParsedSeccompProfile> ParseSeccompProfile(absl::string_view json,
                                                         const SeccompProfileContext& context);

// Reads `path` (a regular file of at most kMaxSeccompProfileBytes) and parses it. Errors and
// warnings are prefixed with "PATH: ".
absl::StatusOr<ParsedSeccompProfile> LoadSeccompProfile(const std::string& path,
                                                        const SeccompProfileContext& context);

// Engines' profiles (podman's default among them) list one syscall in an unconditional rule
// and again in another rule with a different action, and rely on what libseccomp then does
// silently: the first unconditional rule for a syscall wins; a conditional rule with another
// action is dropped when an unconditional one exists. CompileSeccomp refuses such overlaps
// (seccomp.h: they hide mistakes), so config.json profiles go through this first: it removes
// the overridden names from the later rules (rules left without names go) and returns one
// warning per removal. Rules whose action is the default action are no-ops and ignored.
std::vector<std::string> ResolveOverlapsAsLibseccomp(SeccompSpec* spec);

// "SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS", ...: the profile spelling of an action.
const char* SeccompActionName(SeccompAction action);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SECCOMP_PROFILE_H_
