// Seccomp for the native backend: compile in the parent, install in the child.
//
// Parent (may allocate, returns Status): CompileSeccomp(spec) turns a SeccompSpec
// (runtime/spec/container_spec.h; from runtime/seccomp/{profile,default_profile}.h) into a
// classic-BPF program with libseccomp: seccomp_init(default action), seccomp_arch_add for the
// listed architectures, seccomp_rule_add_array per syscall and rule, then
// seccomp_export_bpf into a memfd that is read back into a std::vector<sock_filter>. The
// child never calls libseccomp (it allocates) and only hands the finished program to the
// kernel.
//
// Architectures: the native one (x86_64) always; others only when the spec lists them. A
// system call made through any other ABI (i386 via int 0x80, whose AUDIT_ARCH differs) gets
// the bad-architecture action, set explicitly to KILL_PROCESS. x32 shares x86_64's
// AUDIT_ARCH and is told apart by the 0x40000000 bit in the syscall number: libseccomp's
// x86_64 filter sends any number >= 0x40000000 to the bad-architecture action too
// (seccomp_test checks this on the exported program), so x32 calls are killed as well.
// KILL_PROCESS stays even with log_only: the rules say nothing about foreign ABIs.
//
// Rule semantics (the OCI ones, as runc implements them):
//  - All args of a rule must match (AND). libseccomp cannot compare one argument twice in a
//    rule, so a rule that does is split into one rule per comparison (OR), like runc.
//  - A rule whose action equals the default action is skipped (it changes nothing and
//    libseccomp refuses it).
//  - libseccomp silently lets an unconditional rule swallow every other rule for the same
//    syscall. Where that would change an action (an unconditional ALLOW and a conditional
//    ERRNO for one syscall, say) CompileSeccomp fails instead, naming both rules.
//  - log_only (--seccomp-log): every action but ALLOW (the default action included)
//    becomes SCMP_ACT_LOG: the kernel logs what would have been denied and lets it run.
// Errors name the rule and syscall: "seccomp: syscalls[3] 'mkdir': ...".
//
// Child (fork-safe, no allocation): InstallSeccompInChild(program) is one
// seccomp(SECCOMP_SET_MODE_FILTER) call. The kernel requires no_new_privs or CAP_SYS_ADMIN
// for it; contain.cc orders the steps so that one of them holds.
//
//   ASSIGN_OR_RETURN(SeccompProgram p, CompileSeccomp(*spec.seccomp));   // parent
//   STEP(InstallSeccompInChild(p));                                      // child, last
#ifndef NUCLEUS_BACKENDS_NATIVE_SECCOMP_H_
#define NUCLEUS_BACKENDS_NATIVE_SECCOMP_H_

#include "absl/status/statusor.h"
#include "backends/native/seccomp_bpf.h"
#include "backends/native/step.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

// CompileSeccompBpf (seccomp_bpf.h), except for the specs compiled at build time
// (//backends/native:seccomp_precompiled: the default profile without capabilities and the
// init's filter), which come back as a copy of the stored program: libseccomp takes ~3.5 ms
// for the default profile, half of a container's whole start-up. A spec matches only when
// SeccompSpecKey, a length-prefixed text of every field, is equal. Any other spec compiles in
// a child process with a 10 s deadline: libseccomp 2.5.4 can hang on some argument rules.
absl::StatusOr<SeccompProgram> CompileSeccomp(const SeccompSpec& spec);

// Installs the program on the calling thread. Fork-safe; no allocation.
StepError InstallSeccompInChild(const SeccompProgram& program);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_SECCOMP_H_
