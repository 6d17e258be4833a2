// The OCI bundle runsc gets: a ContainerSpec turned into the config.json (and, for exec, the
// process.json) of gVisor's runsc, and the check of what a spec asks that gVisor cannot do.
//
// Pure functions (no I/O) apart from WriteBundleFile; unit-tested in bundle_test.cc.
//
// The config starts from ToOciConfigJson(spec) (runtime/spec/oci_config.h) and is adjusted:
//  - root: spec.rootfs, or for the embedded default (rootfs empty) the host's "/" read-only;
//    with default_filesystems the mounts are /proc, /sys, /dev (gVisor fills its own /dev:
//    null zero full random urandom tty ptmx pts shm fd std*), /dev/pts, /dev/shm, /tmp (a
//    private tmpfs inside the sandbox's memory), then spec.mounts (binds are served by
//    runsc's gofer).
//  - process (args, env, cwd, user, additional gids, capabilities, rlimits, noNewPrivileges,
//    oomScoreAdj) as written; gVisor enforces them in its own kernel.
//  - linux.seccomp is kept when runsc enforces it (`runsc --oci-seccomp`, `oci_seccomp`);
//    otherwise it is dropped with a warning.
//  - linux.resources and cgroupsPath are dropped: nucleus makes the container's cgroup itself
//    (runtime/cgroup) and starts runsc in it, so every process of the sandbox (sentry, gofer,
//    ptrace stubs) is under the limits; runsc runs with --ignore-cgroups.
//  - hooks: the spec's own hooks are run by the lifecycle, never by runsc; the bundle carries
//    only the hooks the caller passes (the gvisor backend's start gate, gvisor_backend.h).
//  - linux.namespaces: gVisor's kernel gives the workload its own pid, mount, uts, ipc and
//    (network none/sandbox) network namespaces; the user and time namespaces are dropped
//    (see below); with network "host" the network namespace is dropped.
//
// Refused (InvalidArgument, one line naming the field), because gVisor cannot do them:
//   process.terminal (no console support yet), namespace paths to join (other than the
//   network namespace with gvisor_network "sandbox"), linux.devices (host device nodes),
//   hooks.createContainer / startContainer (they would run in the sandbox
//   process's host namespaces, not in the container), Landlock "strict" (cannot be
//   enforced), masked / read-only paths outside /proc and /sys (runsc ignores them),
//   gvisor_network "sandbox" without a network namespace (it would take over the host's
//   interfaces), an unknown gvisor_platform / gvisor_network.
// Warned (SpecWarnings; the backend returns them from Container::warnings()):
//   Landlock best-effort (not applied: the sandbox's file system is the boundary), a user
//   namespace asked for by a root caller (the workload's ids exist only in gVisor's kernel;
//   the sandbox itself runs as an unprivileged host user), a time namespace (dropped),
//   rootfsPropagation other than private (no propagation into the sandbox), device allow
//   rules (gVisor's devices are its own), linux.sysctl (gVisor's kernel keeps its own values;
//   refusing would break engines that set some by default, e.g. podman's ping_group_range),
//   seccomp when runsc cannot enforce it.
// Accepted without a warning, and documented: the OCI masked / read-only paths under /proc
//   and /sys (gVisor's procfs and sysfs are synthetic: the host files they protect are not
//   there), spec.init (no nucleus init: gVisor's kernel forwards signals sent to the
//   sandbox to the workload, PID 1 in the sandbox).
//
//   ASSIGN_OR_RETURN(GvisorConfig config, GvisorConfigJson(spec, {.oci_seccomp = true}));
//   RETURN_IF_ERROR(WriteBundleFile(bundle_fd, "config.json", config.json));
#ifndef NUCLEUS_BACKENDS_GVISOR_BUNDLE_H_
#define NUCLEUS_BACKENDS_GVISOR_BUNDLE_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct GvisorConfigOptions {
  bool oci_seccomp = true;  // runsc enforces linux.seccomp (--oci-seccomp)
  bool root_caller = true;  // nucleus runs as root (false: runsc --rootless)
  // OCI hooks for runsc itself to run (host side, in order): the start gate.
  std::vector<HookSpec> prestart;
  std::vector<HookSpec> poststart;
};

struct GvisorConfig {
  std::string json;                   // config.json text
  std::vector<std::string> warnings;  // one line each, no prefix
};

// What gVisor cannot do of spec: an InvalidArgument naming the field, or the warnings.
absl::StatusOr<std::vector<std::string>> CheckGvisorSpec(const ContainerSpec& spec,
                                                         const GvisorConfigOptions& options);

// The config.json runsc gets for spec (CheckGvisorSpec first).
absl::StatusOr<GvisorConfig> GvisorConfigJson(const ContainerSpec& spec,
                                              const GvisorConfigOptions& options);

// The process.json of `runsc exec --process`: spec.process (user, env, cwd, capabilities,
// rlimits, noNewPrivileges), terminal false (a terminal is refused).
absl::StatusOr<std::string> GvisorProcessJson(const ContainerSpec& spec);

// The start gate of a foreground container (`runsc run`): runsc runs the prestart hook with
// the container's state (its "pid" is the sandbox) on stdin once the sandbox exists, and
// starts the workload only when the hook exits 0. The hooks talk to the nucleus process
// `self` through two pipes whose both ends it holds, opened again by the hooks as
// /proc/SELF/fd/N (an anonymous pipe opened that way never blocks, and vanishes with
// nucleus, so a hook never waits for a nucleus that is gone):
//   prestart:  writes the state line to the ready pipe (`ready_w`), then reads one line
//              from the go pipe (`go_r`): "start" runs the workload; anything else, or EOF
//              (every writer, i.e. nucleus, gone), fails the hook, and runsc tears the
//              sandbox down.
//   poststart: writes "started" to the ready pipe once the workload runs.
// Both are /bin/sh with builtins only (one exec each).
HookSpec GatePrestartHook(pid_t self, int ready_w, int go_r);
HookSpec GatePoststartHook(pid_t self, int ready_w);
inline constexpr char kGateStart[] = "start";
inline constexpr char kGateStarted[] = "started";

// Parses the "pid" of an OCI state JSON line (what the prestart hook relays). InvalidArgument
// when it has none.
absl::StatusOr<pid_t> PidFromStateJson(absl::string_view line);

// Writes name in the directory dir_fd (0600, replaced atomically through name.tmp).
absl::Status WriteBundleFile(int dir_fd, const std::string& name, absl::string_view text);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_GVISOR_BUNDLE_H_
