// ContainerSpec: the one internal model of a container. `nucleus run` flags map onto it
// (spec/flags.h), later config.json does too, and every Backend consumes it.
//
// Plain data, validated by the front end that fills it (flags.cc) and again, for what only
// the host can tell, by the backend. Paths are absolute and lexically clean (runtime/paths.h).
#ifndef NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_
#define NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct MountSpec {
  // kBind: a host path (recursively unless !recursive). The others make a new filesystem of
  // that type (OCI "type": tmpfs, proc, sysfs, devpts, mqueue, cgroup); `nucleus run` uses
  // only kBind and kTmpfs, config.json any of them.
  enum class Type { kBind, kTmpfs, kProc, kSysfs, kDevpts, kMqueue, kCgroup };
  Type type = Type::kBind;
  // kBind: the host path. New filesystems: the mount's source as the kernel records it (the
  // first field of /proc/mounts: OCI "source", e.g. "proc", "tmpfs"); "" lets the kernel say
  // "none".
  std::string source;
  std::string destination;  // absolute path inside the container
  bool read_only = true;
  uint64_t tmpfs_size = 0;  // bytes; 0 = kernel default (half of RAM)
  uint32_t tmpfs_mode = 01777;
  // Mount attributes. `nucleus run` never lets a bind carry setuid bits or device nodes in;
  // config.json says per mount ("suid", "dev", "exec" options turn them off).
  bool nosuid = true;
  bool nodev = true;
  bool noexec = false;
  bool recursive = true;  // kBind: "rbind" (true) or "bind" (false)
  // New filesystems: further fsconfig(2) options as "key=value" or "key" (devpts
  // "ptmxmode=0666", tmpfs "uid=0"), in order; tmpfs_size/tmpfs_mode are passed separately.
  std::vector<std::string> fs_options;
};

// A device node the container gets in its /dev (OCI linux.devices), besides nucleus's
// default null, zero, full, random, urandom, tty.
struct DeviceSpec {
  std::string path;  // absolute, under /dev
  char type = 'c';   // 'c', 'b' or 'p' (a FIFO: major and minor are 0); 'u' is read as 'c'
  int64_t major = 0;
  int64_t minor = 0;
  uint32_t file_mode = 0666;
  uid_t uid = 0;
  gid_t gid = 0;
};

// One OCI hook (config.json "hooks"): run by the runtime with the container's state JSON on
// stdin; a non-zero exit or the timeout fails the lifecycle step it belongs to.
struct HookSpec {
  std::string path;               // absolute
  std::vector<std::string> args;  // args[0] is argv[0] (OCI: may differ from path)
  std::vector<std::string> env;   // "KEY=VALUE"; the hook's whole environment
  int timeout_seconds = 0;        // 0: none
};

struct HooksSpec {
  std::vector<HookSpec> prestart;  // deprecated in OCI 1.1, run with createRuntime
  std::vector<HookSpec> create_runtime;
  std::vector<HookSpec> create_container;
  std::vector<HookSpec> start_container;
  std::vector<HookSpec> poststart;
  std::vector<HookSpec> poststop;
  bool empty() const {
    return prestart.empty() && create_runtime.empty() && create_container.empty() &&
           start_container.empty() && poststart.empty() && poststop.empty();
  }
};

struct Rlimit {
  int resource = 0;   // RLIMIT_*
  std::string name;   // "nofile", as given
  uint64_t soft = 0;  // RLIM_INFINITY for unlimited
  uint64_t hard = 0;
};

struct ProcessSpec {
  std::vector<std::string> args;  // args[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "KEY=VALUE", already filtered (runtime/env.h)
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  // Capabilities kept in bounding/effective/permitted (and inheritable/ambient), by number.
  // Empty: all dropped.
  std::vector<int> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = true;  // always true for `nucleus run`
  // OCI process.terminal: the process gets a new pseudo-terminal as its stdio (the master
  // goes to --console-socket, or to `nucleus run -t`'s caller).
  bool terminal = false;
  std::optional<int> oom_score_adj;  // -1000..1000
};

struct NamespaceSpec {
  bool pid = true;
  bool mount = true;
  bool uts = true;
  bool ipc = true;
  bool net = true;
  bool cgroup = true;
  bool user = false;  // forced on when nucleus runs as a non-root user (rootless)
  bool time = false;
  // OCI linux.namespaces[].path: join this existing namespace (a /proc/PID/ns/TYPE file or a
  // bind mount of one) instead of making a new one; the flag above is then true as well.
  // Empty: a new namespace when the flag is set.
  std::string pid_path, mount_path, uts_path, ipc_path, net_path, cgroup_path, user_path, time_path;
};

// Seccomp, in the OCI runtime-spec model (linux.seccomp), so that config.json, `nucleus run`
// flags and the gVisor backend (runsc --oci-seccomp) share one representation.
enum class SeccompAction {
  kAllow,        // SCMP_ACT_ALLOW
  kErrno,        // SCMP_ACT_ERRNO(errno_ret)
  kKillThread,   // SCMP_ACT_KILL / SCMP_ACT_KILL_THREAD
  kKillProcess,  // SCMP_ACT_KILL_PROCESS
  kTrap,         // SCMP_ACT_TRAP
  kTrace,        // SCMP_ACT_TRACE(errno_ret)
  kLog,          // SCMP_ACT_LOG
};

struct SeccompArg {
  enum class Op {
    kNotEqual,
    kLessThan,
    kLessEqual,
    kEqualTo,
    kGreaterEqual,
    kGreaterThan,
    kMaskedEqual
  };
  uint32_t index = 0;  // 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;  // kMaskedEqual: (arg & value) == (value_two & value), libseccomp's rule
  Op op = Op::kEqualTo;
};

struct SeccompRule {
  std::vector<std::string> names;  // syscall names, as libseccomp spells them
  SeccompAction action = SeccompAction::kAllow;
  uint32_t errno_ret = 1;        // kErrno / kTrace; EPERM unless the profile says otherwise
  std::vector<SeccompArg> args;  // all must match (AND)
};

struct SeccompSpec {
  SeccompAction default_action = SeccompAction::kErrno;
  uint32_t default_errno_ret = 1;
  // "SCMP_ARCH_X86_64", ...; empty: the native architecture only. Any other architecture's
  // system calls (i386 int 0x80, x32) are killed.
  std::vector<std::string> architectures;
  std::vector<SeccompRule> syscalls;  // one syscall may have several rules, told apart by args
  // --seccomp-log: every action that would deny (errno, kill, trap) becomes kLog.
  bool log_only = false;
};

// Landlock (no runtime-spec field: `nucleus run` flags, a policy file, and for config.json
// annotations). Access rights are LANDLOCK_ACCESS_FS_* bits (linux/landlock.h).
struct LandlockPathRule {
  std::string path;     // absolute, inside the container
  uint64_t access = 0;  // LANDLOCK_ACCESS_FS_* bits
};

struct LandlockSpec {
  enum class Mode { kOff, kBestEffort, kStrict };
  Mode mode = Mode::kBestEffort;
  // Empty and !custom_policy: the default rules, derived by the backend from the mounts
  // (read+execute everywhere; write to /tmp, writable mounts and the device nodes).
  bool custom_policy = false;  // true: `paths` replaces the default rules
  std::vector<LandlockPathRule> paths;
  // TCP ports (Landlock ABI 4). Handled only when restrict_tcp_*: then only these ports.
  bool restrict_tcp_connect = false;
  std::vector<uint16_t> tcp_connect;
  bool restrict_tcp_bind = false;
  std::vector<uint16_t> tcp_bind;
  // ABI 6 scoping: no connect to abstract unix sockets, no signals, outside the domain.
  bool scope_abstract_unix_socket = true;
  bool scope_signal = true;
  // ABI 9 (resolve_unix, always handled where the kernel has it): the container paths of
  // the pathname sockets made outside the container that it may connect to (--socket, the
  // sd_notify relay), on top of the default rules or a policy; every other such socket is
  // refused (EACCES).
  std::vector<std::string> unix_sockets;
};

// Cgroup limits (docker's flags; runtime/cgroup maps them onto v1 and v2 files). nullopt / empty:
// not limited. Values are validated by the front end (ranges below) and written as given.
struct ResourcesSpec {
  std::optional<uint64_t> memory;              // --memory: bytes (memory.max, limit_in_bytes)
  std::optional<int64_t> memory_swap;          // --memory-swap: memory+swap bytes; -1 unlimited
  std::optional<uint64_t> memory_reservation;  // --memory-reservation: soft limit / memory.low
  std::optional<uint64_t> cpu_quota_us;        // --cpus * cpu_period_us
  uint64_t cpu_period_us = 100000;
  std::optional<uint64_t> cpu_shares;    // --cpu-shares: v1 scale, 2..262144
  std::optional<uint64_t> cpu_weight;    // --cpu-weight: v2 scale, 1..10000
  std::string cpuset_cpus;               // --cpuset-cpus: "0-3,5"
  std::string cpuset_mems;               // --cpuset-mems
  std::optional<int64_t> pids_limit;     // --pids-limit: > 0 (unlimited: nullopt)
  std::optional<uint16_t> blkio_weight;  // --blkio-weight: 10..1000 (io.weight on v2)
  // OCI linux.resources.devices, reduced to what may be opened beyond the default list:
  // {type 'a'|'c'|'b', major/minor (-1: any), access "rwm" subset}. A leading deny-all
  // (the usual first entry) is the default anyway.
  struct DeviceAllow {
    char type = 'a';
    int64_t major = -1;
    int64_t minor = -1;
    std::string access = "rwm";
  };
  std::vector<DeviceAllow> device_allow;
  // Where the limits came from, for messages (runtime/spec/resources.h names each field):
  // `nucleus run`/`update` flags or an OCI config.
  enum class Naming { kFlags, kOci };
  Naming naming = Naming::kFlags;

  bool HasLimits() const {
    return memory || memory_swap || memory_reservation || cpu_quota_us || cpu_shares ||
           cpu_weight || !cpuset_cpus.empty() || !cpuset_mems.empty() || pids_limit || blkio_weight;
  }
};

// One entry of a root built from nothing (runtime/rootfs/default_root.h).
struct RootEntry {
  enum class Kind { kDir, kSymlink, kFile };
  Kind kind = Kind::kDir;
  std::string path;      // relative to the root, clean: "etc/passwd"; parents come first
  std::string data;      // kSymlink: the target; kFile: the contents
  uint32_t mode = 0755;  // kDir, kFile
};

// A file the workload gets read-only at `destination`, whose bytes nucleus holds in memory
// (--secret): on a private tmpfs of its own (noexec, nosuid, nodev), mode 0400, owned by the
// workload's uid and gid. Never written to the host's disk, config.json, inspect or the
// audit log (ToOciConfigJson leaves secrets out).
struct SecretSpec {
  std::string source;       // as the user named it ("cred:db", "/etc/app/token"): messages
  std::string destination;  // absolute, clean, in the container
  std::string data;
};

// The agent workspace (--context DIR): what of a host directory the container gets at
// kWorkspaceDir, and how (runtime/workspace/context.h does the walk).
inline constexpr char kWorkspaceDir[] = "/workspace";
struct ContextSpec {
  enum class Mode {
    kCopy,  // a private, writable copy (the host's directory is never written)
    kBind,  // the directory itself, read-write; excluded entries are masked
  };
  std::string source;  // host directory, absolute and resolved; empty: no --context
  Mode mode = Mode::kCopy;
  // Entries whose name (or, for a pattern with '/', whose path below source) matches an
  // exclude pattern and no include pattern are left out (fnmatch(3) globs).
  std::vector<std::string> exclude;
  std::vector<std::string> include;
  int max_depth = 32;                      // directory levels below source
  uint64_t max_files = 100000;             // entries of any type
  uint64_t max_bytes = uint64_t{1} << 30;  // regular files' bytes, in total
  std::string manifest;                    // --context-manifest FILE: sha256 of every file, written
  std::string verify;                      // --verify-context FILE: such a manifest, checked
};

struct ContainerSpec {
  std::string id;
  std::string hostname;  // empty: the id (or "nucleus")
  ProcessSpec process;

  // Root filesystem: a directory; or, when empty, a root built from root_entries (a fresh
  // tmpfs in the native backend, a directory in the gVisor bundle): `nucleus run`'s default
  // root, which the lifecycle lays out (runtime/rootfs/default_root.h); or, when both are
  // empty (host_root, --host-root), the host's "/" bind-mounted read-only.
  std::string rootfs;
  std::vector<RootEntry> root_entries;
  bool host_root = false;
  bool readonly_rootfs = false;  // always true for both defaults
  // `nucleus run --rootfs` under a new user namespace (as root): the rootfs is an id-mapped
  // mount through that namespace (MOUNT_ATTR_IDMAP), so what the host's root owns there the
  // container's root owns, and its writes land there as the host's ids. Never for
  // config.json: an engine (podman) chowns or id-maps its rootfs itself.
  bool idmap_rootfs = false;
  // /tmp and the default root's /run and /var/tmp are noexec unless this is set (--tmp-exec);
  // /dev/shm always is.
  bool tmp_exec = false;
  std::vector<MountSpec> mounts;    // applied in order after /proc, /dev, /tmp
  std::vector<SecretSpec> secrets;  // mounted after `mounts`
  ContextSpec context;              // --context; its mount at kWorkspaceDir is one of `mounts`
  std::vector<std::string> masked_paths;    // OCI defaults filled by DefaultMaskedPaths()
  std::vector<std::string> readonly_paths;  // OCI defaults filled by DefaultReadonlyPaths()

  NamespaceSpec namespaces;
  std::vector<IdMapping> uid_mappings;  // used when namespaces.user
  std::vector<IdMapping> gid_mappings;

  bool init = true;  // run nucleus's PID 1 init in front of the workload

  // nullopt: unconfined (`--seccomp=unconfined`, logged). The front ends fill the default
  // profile (runtime/seccomp/default_profile.h) unless told otherwise.
  std::optional<SeccompSpec> seccomp;
  LandlockSpec landlock;

  ResourcesSpec resources;
  // The container's cgroup is CGROUP_PARENT/ID in every hierarchy (runtime/cgroup). A relative,
  // clean path below each hierarchy's root; "": no cgroup at all (what the flag parser sets
  // for rootless runs; the native backend also makes none for a non-root caller without
  // limits). The group exists from before the process runs until the container ends.
  std::string cgroup_parent = "nucleus";
  // The group's own name below cgroup_parent; empty: the container's id. (OCI cgroupsPath
  // "/a/b/c" is parent "a/b", name "c".)
  std::string cgroup_name;

  // Which backend runs the container (`--backend`; config.json: annotation
  // run.nucleus.backend). kAuto is resolved before Create (runtime/backends.h: ResolveBackend).
  enum class BackendKind { kNative, kGvisor, kAuto };
  BackendKind backend = BackendKind::kNative;
  // gvisor only: runsc's --platform, "auto" (kvm when /dev/kvm is usable, else systrap when
  // runsc has it, else ptrace), "kvm", "systrap" or "ptrace" (`--gvisor-platform`;
  // annotation run.nucleus.gvisor.platform).
  std::string gvisor_platform = "auto";
  // gvisor only: runsc's --network: "none" (the loopback of gVisor's netstack; the default),
  // "sandbox" (gVisor's netstack on the interfaces of the container's network namespace) or
  // "host" (the host's network stack: explicit request only). `--network`; annotation
  // run.nucleus.gvisor.network.
  std::string gvisor_network = "none";

  // --- OCI runtime-spec fields (config.json; `nucleus run` leaves them at their defaults) ---
  // true (`nucleus run`): nucleus mounts /proc, /sys, a minimal /dev and /tmp itself, before
  // `mounts`. false (config.json): `mounts` is the whole list, as in runc; a tmpfs mounted on
  // /dev still gets the default device nodes and links.
  bool default_filesystems = true;
  std::vector<DeviceSpec> devices;                          // linux.devices
  std::vector<std::pair<std::string, std::string>> sysctl;  // linux.sysctl, namespaced keys only
  // linux.rootfsPropagation: "" (= rprivate), private, rprivate, slave, rslave, shared, rshared
  std::string rootfs_propagation;
  HooksSpec hooks;
  std::vector<std::pair<std::string, std::string>> annotations;  // sorted by key
  // The directory the spec came from (OCI --bundle; `nucleus run`: empty).
  std::string bundle;
};

// The container's cgroup is CGROUP_PARENT/this name in each hierarchy: cgroup_name, or the id.
std::string CgroupNameOf(const ContainerSpec& spec);
// The container's hostname: hostname, or the id (or "nucleus").
std::string HostnameOf(const ContainerSpec& spec);
// Whether a backend makes a cgroup for the container: for a root caller always (unless
// cgroup_parent is ""), for another only when there are limits to apply. InvalidArgument when
// there are limits but cgroup_parent is "".
absl::StatusOr<bool> NeedsCgroup(const ContainerSpec& spec, bool root_caller);

// "native", "gvisor", "auto" (`--backend`, annotation run.nucleus.backend), both ways;
// nullopt for any other name.
const char* BackendKindName(ContainerSpec::BackendKind kind);
std::optional<ContainerSpec::BackendKind> ParseBackendKind(absl::string_view name);

// The OCI runtime-spec defaults (runc's / docker's lists).
std::vector<std::string> DefaultMaskedPaths();
std::vector<std::string> DefaultReadonlyPaths();

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_CONTAINER_SPEC_H_
