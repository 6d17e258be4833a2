// Landlock for the native backend: the ruleset plan (built in the parent) and its
// application in the child (raw, allocation-free).
//
// Parent: PlanLandlock(spec, abi) turns the LandlockSpec into a LandlockPlan for a kernel of
// ABI `abi` (DetectLandlockAbiFromParent() asks the running kernel; tests pass fake values):
//  - Handled rights: every filesystem right the ABI knows (v1 base, v2 refer, v3 truncate,
//    v5 ioctl_dev, v9 resolve_unix); TCP bind/connect (v4) only when the spec restricts them;
//    the scopes (v6: abstract unix sockets, signals) that the spec turns on (both, by default).
//  - Rules: the policy's paths (custom_policy), or the DEFAULT rules:
//      "/"                      read_file, read_dir, execute: the whole visible tree
//      "/tmp", "/dev/shm",
//      every --rw destination,
//      every --tmpfs destination read + execute + every write right (kFsWrite: write_file,
//                               truncate, remove_*, make_*, refer, ioctl_dev)
//      "/" itself, ditto,        only for a writable --rootfs (given and not --read-only):
//                               such a rootfs is the user's own scratch tree, made writable on
//                               purpose, and Landlock would otherwise contradict the mount
//      /dev/{null,zero,full,random,urandom,tty,ptmx}, /dev/pts
//                               read_file, write_file, truncate, ioctl_dev
//    With resolve_unix (ABI 9), on top of the default rules or a policy: resolve_unix on each
//    of landlock.unix_sockets (--socket, the sd_notify relay; must exist) and on the
//    container's own tmpfs mounts (/tmp, /dev/shm, the default root's /run and /var/tmp,
//    --tmpfs) that have no host bind at or below them: connect(2) to any other socket made
//    outside the container (in a --ro/--rw bind, under --host-root) is EACCES. Below ABI 9,
//    with such binds (or --host-root), that is a gap like the others.
//    Default rules whose path is missing in the container are skipped silently (a rootfs
//    without /tmp simply has nothing to grant there); a custom policy's path that is missing
//    (or cannot be opened) fails the container: a policy that names a path means it.
//  - The container's stdin/stdout/stderr, when they are regular files or character devices
//    (a host tty, a log file), get a rule matching their open mode, so "echo >/dev/stderr"
//    keeps working; pipes and sockets are not subject to Landlock anyway.
//  - best-effort: what the ABI cannot enforce is left out, with one warning each
//    ("landlock: kernel ABI 2 cannot restrict truncate (needs 3)"); strict: the same gaps are
//    one InvalidArgument error and no container is created; off: a warning, no ruleset.
//    A kernel without refer (ABI 1) denies every cross-directory rename and link: a warning,
//    but no strict failure, since it is tighter than asked, not looser.
//
// Child: ApplyLandlockInChild(plan) after pivot_root and no_new_privs (landlock_restrict_self
// needs no_new_privs or CAP_SYS_ADMIN), before the start gate, in the process that later
// forks the workload: the init (PID 1) and the workload share one Landlock domain, so the
// init's signals to the workload are not blocked by signal scoping (same domain).
#ifndef NUCLEUS_BACKENDS_NATIVE_LANDLOCK_H_
#define NUCLEUS_BACKENDS_NATIVE_LANDLOCK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backends/native/step.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct LandlockRule {
  std::string path;       // absolute, inside the container
  uint64_t access = 0;    // already masked to handled_fs; file-only rights applied in the child
  bool optional = false;  // missing in the container: skip (default rules) or fail (policy)
};

struct LandlockPlan {
  bool enabled = false;  // false: the child does nothing (off, or no Landlock here)
  int abi = 0;
  uint64_t handled_fs = 0;
  uint64_t handled_net = 0;
  uint64_t scoped = 0;
  std::vector<LandlockRule> rules;
  std::vector<uint16_t> bind_ports;     // when handled_net has bind
  std::vector<uint16_t> connect_ports;  // when handled_net has connect
  bool stdio_rules = true;
  // One line each, no "nucleus: warning: " prefix; the CLI prints them.
  std::vector<std::string> warnings;
};

// landlock_create_ruleset(NULL, 0, VERSION): the kernel's ABI, 0 when it has no Landlock
// (ENOSYS) or it is disabled (EOPNOTSUPP).
int DetectLandlockAbiFromParent();

// Pure (no syscalls): the plan for a kernel of ABI `abi`. Fails only in strict mode.
absl::StatusOr<LandlockPlan> PlanLandlock(const ContainerSpec& spec, int abi);

// Creates the ruleset, adds the rules, restricts the calling process. Fork-safe: no
// allocation; errors name the step and the path.
StepError ApplyLandlockInChild(const LandlockPlan& plan);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_LANDLOCK_H_
