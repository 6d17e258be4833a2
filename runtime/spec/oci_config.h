// OCI runtime-spec (1.0.2 / 1.1) config.json <-> ContainerSpec: the front end for `nucleus
// create --bundle` (what podman, containerd and Kubernetes hand a runtime) and the writer the
// state directory and the gVisor backend (runsc takes a bundle) use.
//
// Untrusted input (a bundle comes from whoever can talk to the engine). ParseOciConfig is
// pure apart from libcap's / libseccomp's static tables and uname(2) (for seccomp
// includes.minKernel), and is fuzzed (fuzz/oci_config_fuzz.cc). Unknown fields are ignored, as
// runc does; null is read as absent. Every error is InvalidArgument, one line, naming the JSON
// path and the bad value:
//   "config.json: process.user.uid: -1 is not a uid (0..4294967294)"
//   "config.json: mounts[3].destination: 'rel/x' is not an absolute path"
//   "config.json: linux.namespaces[2].type: 'foo' is not a namespace type (...)"
// LoadOciBundle replaces "config.json" with the file's full path. Warnings are one line each,
// without a prefix: "process.apparmorProfile: AppArmor is not supported; ignored".
//
// Mapping (config.json -> ContainerSpec; what runc does unless said otherwise):
//  - ociVersion: required, "1.x". process, process.args (non-empty), process.cwd (absolute),
//    root.path are required. process.env is kept as given ("KEY=VALUE", no filtering).
//  - process.capabilities: nucleus keeps ONE set in all five kernel sets:
//    bounding ∩ (effective ∪ permitted). A given set that differs from it is warned about
//    (an empty inheritable / ambient list is not, except an empty ambient set for a non-root
//    uid, which nucleus's ambient raise lets keep the set). Absent "capabilities" keeps none
//    (runc would leave the runtime's own: warned).
//    An unknown capability name is an error.
//  - process.rlimits: RLIMIT_* names (unique), soft <= hard. oomScoreAdj -1000..1000.
//    noNewPrivileges defaults to false, as in OCI. apparmorProfile / selinuxLabel /
//    linux.mountLabel / domainname / ioPriority / scheduler: warned and ignored; umask ignored.
//  - root.path: relative paths resolve against the bundle directory (lexically cleaned).
//  - hostname: [A-Za-z0-9._-], at most 64 bytes; needs a uts namespace.
//  - default_filesystems is false: "mounts" is the whole list. Mount types bind (type "bind"
//    or a bind/rbind option; "rbind" is recursive, otherwise not), tmpfs, proc, sysfs, devpts,
//    mqueue, cgroup and cgroup2 (both kCgroup). OCI's defaults: rw, suid, dev, exec. Options:
//    ro/rw, nosuid/suid, nodev/dev, noexec/exec, bind/rbind; propagation and atime options,
//    defaults, sync/async, dirsync, lazytime, iversion, silent/loud, nosymfollow are accepted
//    and ignored; "tmpcopyup" is ignored with a warning. tmpfs "size=N[kmgtpe]" (> 0; no "%")
//    and "mode=OCTAL" (default 01777) fill tmpfs_size / tmpfs_mode; any other option of a new
//    filesystem goes to fs_options in order ("newinstance", "ptmxmode=0666"); any other option
//    of a bind is an error. Bind sources resolve against the bundle. Idmapped mounts
//    (uidMappings / gidMappings on a mount) are refused.
//  - linux.namespaces: every flag starts false (absent: share the runtime's namespace); a
//    mount namespace is required; no duplicates; "path" joins an existing one. A new user
//    namespace needs uidMappings and gidMappings, and process uid/gid/additionalGids must be
//    mapped; mappings without a user namespace are an error.
//  - linux.resources: memory.limit / reservation / swap (-1: unlimited; 0: unset, as runc),
//    swap >= limit; cpu.shares 2..262144, cpu.quota >= 1000 (-1 / 0: none), cpu.period
//    1000..1000000, cpu.cpus / cpu.mems (cpu lists); pids.limit (<= 0: unlimited; at most
//    4194304); blockIO.weight 10..1000 (0: unset). devices[]: a deny-all rule (no type or
//    "a", no major/minor, access absent or covering "rwm") clears the allow list; allow rules
//    (type a/c/b, major/minor absent = any, access a non-empty subset of "rwm") are appended
//    to device_allow in order; any other deny rule is an error. hugepageLimits, network,
//    rdma, unified and the other memory / cpu / blockIO fields: warned and ignored.
//  - linux.cgroupsPath: "" keeps the defaults (parent "nucleus", name = the id). "/a/b/c" or
//    "a/b/c" (no "..") is parent "a/b", name "c". A single component "c" becomes parent
//    "nucleus", name "c": nucleus makes no group directly below a hierarchy's root (a
//    cgroup_parent of "" means "no cgroup"). The systemd form "SLICE:PREFIX:NAME" (exactly two
//    ':' and no '/') is parent = SLICE expanded as systemd does ("a-b.slice" ->
//    "a.slice/a-b.slice"; "" and the root "-.slice" -> "system.slice", the latter warned),
//    name "PREFIX-NAME.scope". Names follow ValidateCgroupName, parents ValidateCgroupParent.
//  - linux.seccomp: parsed by runtime/seccomp/profile.h (errors "config.json: linux.seccomp:
//    ...", its warnings prefixed "linux.seccomp: "); includes/excludes see the kept
//    capabilities. Absent: std::nullopt (unconfined, as runc).
//  - linux.maskedPaths / readonlyPaths: absolute, no defaults added. linux.sysctl: sorted by
//    key; keys [A-Za-z0-9_.-/]; only namespaced ones: the IPC ones (kernel.msg*, kernel.sem,
//    kernel.shm*, fs.mqueue.*) need an ipc namespace, net.* a network namespace (joining one
//    by path is allowed: the backend must refuse the host's), kernel.hostname /
//    kernel.domainname a uts namespace; others are errors. linux.rootfsPropagation: "",
//    private, rprivate, slave, rslave, shared, rshared. linux.devices: paths under /dev,
//    type c, b, u (read as c; p is an error), fileMode default 0666.
//  - hooks: the six OCI lists, each hook {path absolute, args, env, timeout > 0}.
//  - annotations: sorted by key into spec.annotations, except nucleus's own (removed from the
//    list, an unknown "run.nucleus.*" key is an error so that a typo never weakens a policy):
//      run.nucleus.init             "true" | "false" (default "false": the process is PID 1,
//                                   as with runc) -> spec.init
//      run.nucleus.landlock         "off" | "best-effort" | "strict" (default "off": engines
//                                   expect runc's behaviour) -> spec.landlock.mode
//      run.nucleus.landlock.policy  a Landlock policy, the JSON of runtime/landlock/policy.h
//                                   ("paths", "tcp_connect", "tcp_bind", "scope") -> the
//                                   LandlockSpec fields it fills
//      run.nucleus.backend          "native" | "gvisor" | "auto" (default "native")
//                                   -> spec.backend
//      run.nucleus.gvisor.platform  "auto" | "kvm" | "systrap" | "ptrace" (default "auto")
//                                   -> spec.gvisor_platform
//      run.nucleus.gvisor.network   "none" | "sandbox" | "host" (default "none")
//                                   -> spec.gvisor_network
//    (a gvisor.* key with the native backend is warned about: it has no effect)
//  - spec.bundle = the bundle directory; spec.id is not set (the CLI sets it).
//  - Limits: kMaxOciConfigBytes of text, kMaxOciConfigDepth levels of nesting. The spec's
//    normalized form (ToOciConfigJson) must itself fit kMaxOciConfigBytes, its seccomp section
//    kMaxSeccompProfileBytes and its Landlock policy kMaxPolicyBytes, so that what nucleus
//    writes to the state directory always loads again.
//
// ToOciConfigJson writes a complete config.json (ociVersion "1.0.2", 2-space indented): with
// spec.default_filesystems, first the filesystems nucleus mounts itself (/proc, /sys, /dev,
// /dev/pts, /dev/shm, /tmp), then spec.mounts; the capability set in all five sets; the device
// allow list after a deny-all; cgroupsPath "/PARENT/NAME" (NAME: cgroup_name, else the id;
// left out when there is no cgroup); seccomp in OCI form (log_only written as SCMP_ACT_LOG);
// the run.nucleus.* annotations above (the policy only when it says more than the defaults;
// backend, gvisor.platform and gvisor.network only when not the defaults).
// Round trip: for any text ParseOciConfig accepts, with J1 = ToOciConfigJson(spec),
// ParseOciConfig(J1) succeeds and gives a spec that writes J1 again (fuzzed).
//
//   ASSIGN_OR_RETURN(OciConfig config, LoadOciBundle(bundle_dir));
//   for (const std::string& w : config.warnings) Warn(w);
//   config.spec.id = id;
//   WriteStateFile(ToOciConfigJson(config.spec));
#ifndef NUCLEUS_RUNTIME_SPEC_OCI_CONFIG_H_
#define NUCLEUS_RUNTIME_SPEC_OCI_CONFIG_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

inline constexpr size_t kMaxOciConfigBytes = 4 << 20;  // 4 MiB
inline constexpr size_t kMaxOciConfigDepth = 32;       // real configs nest about 7 levels

// What config.json says. Nothing beyond ContainerSpec's own fields for now.
struct OciConfig {
  ContainerSpec spec;
  std::vector<std::string> warnings;  // one line each, no prefix
};

// text: the config.json bytes; bundle_dir: the absolute bundle directory (root.path and
// relative bind sources resolve against it).
absl::StatusOr<OciConfig> ParseOciConfig(absl::string_view text, const std::string& bundle_dir);

// Reads BUNDLE/config.json (a regular file, not a symlink, at most kMaxOciConfigBytes) and
// parses it. A relative bundle_dir is made absolute against the current directory. Errors
// name the file: "/b/config.json: No such file or directory", "/b/config.json: process...".
absl::StatusOr<OciConfig> LoadOciBundle(const std::string& bundle_dir);

// `update --resources FILE`: a runtime-spec linux.resources object (what containerd and
// Kubernetes send on stdin), validated as in config.json, its fields applied onto `base`
// (fields absent, or 0 where runc reads 0 as "unset", keep base's value). Errors and
// warnings name the path inside the object ("memory.limit: expected an integer, got "x"").
absl::StatusOr<ResourcesSpec> ParseOciResources(absl::string_view text, const ResourcesSpec& base,
                                                std::vector<std::string>* warnings);

// A complete config.json for the spec. Never fails (invalid UTF-8 is replaced).
std::string ToOciConfigJson(const ContainerSpec& spec);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_OCI_CONFIG_H_
