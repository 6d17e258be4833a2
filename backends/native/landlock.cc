#include "backends/native/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/landlock/access.h"
#include "runtime/rootfs/default_root.h"

namespace nucleus {
namespace {

namespace ll = ::nucleus::landlock;

// Every right for the places the container may change.
constexpr uint64_t kWritable = ll::kFsReadExec | ll::kFsWrite;
// Device nodes: read, write (incl. O_TRUNC, as in `>/dev/null`) and ioctl (a tty's termios).
constexpr uint64_t kDevice = ll::kFsReadFile | ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev;

constexpr const char* kDeviceNodes[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                        "/dev/urandom", "/dev/tty",  "/dev/ptmx"};

void DefaultRules(const ContainerSpec& spec, std::vector<LandlockRule>* rules) {
  const bool writable_root = !spec.rootfs.empty() && !spec.readonly_rootfs;
  rules->push_back({"/", writable_root ? kWritable : ll::kFsReadExec, false});
  if (spec.default_filesystems) {
    // nucleus's own /tmp and /dev/shm; --tmpfs mounts are always writable.
    rules->push_back({"/tmp", kWritable, true});
    rules->push_back({"/dev/shm", kWritable, true});
    for (const MountSpec& m : spec.mounts) {
      if (m.type == MountSpec::Type::kTmpfs || !m.read_only) {
        rules->push_back({m.destination, kWritable, true});
      }
    }
  } else {
    // config.json: only what its mounts make writable. proc, sysfs and cgroup are never
    // granted write here, even when mounted read-write (sysctls are set before Landlock).
    for (const MountSpec& m : spec.mounts) {
      bool writable_type = false;
      switch (m.type) {
        case MountSpec::Type::kBind:
        case MountSpec::Type::kTmpfs:
        case MountSpec::Type::kDevpts:
        case MountSpec::Type::kMqueue:
          writable_type = true;
          break;
        case MountSpec::Type::kProc:
        case MountSpec::Type::kSysfs:
        case MountSpec::Type::kCgroup:
          break;
      }
      if (writable_type && !m.read_only) rules->push_back({m.destination, kWritable, true});
    }
  }
  for (const char* node : kDeviceNodes) rules->push_back({node, kDevice, true});
  for (const DeviceSpec& d : spec.devices) rules->push_back({d.path, kDevice, true});
  rules->push_back({"/dev/pts", kDevice | ll::kFsReadDir, true});
}

bool Listed(const std::vector<std::string>& paths, const std::string& path) {
  return std::find(paths.begin(), paths.end(), path) != paths.end();
}

// A bind of something of the host's (not a socket the spec allows by name, not the default
// root's programs) at or below `dir`.
bool HostBindAtOrBelow(const ContainerSpec& spec, const std::string& dir) {
  for (const MountSpec& m : spec.mounts) {
    if (m.type != MountSpec::Type::kBind || IsProgramBind(m) ||
        Listed(spec.landlock.unix_sockets, m.destination)) {
      continue;
    }
    if (dir == "/" || m.destination == dir || absl::StartsWith(m.destination, dir + "/")) {
      return true;
    }
  }
  return false;
}

// resolve_unix (ABI 9): the allowed sockets by name, and the container's own tmpfs mounts
// with no host bind below them. Sockets there were made inside the container, by the
// workload or by a `nucleus exec` (another Landlock domain, which the same-domain exception
// does not cover); a socket the workload made is reachable anywhere to its own domain.
void UnixSocketRules(const ContainerSpec& spec, std::vector<LandlockRule>* rules) {
  for (const std::string& sock : spec.landlock.unix_sockets) {
    rules->push_back({sock, ll::kFsResolveUnix, false});
  }
  std::vector<std::string> own;
  if (spec.default_filesystems) own = {"/tmp", "/dev/shm"};
  if (!spec.root_entries.empty()) own.insert(own.end(), {"/run", "/var/tmp"});
  for (const MountSpec& m : spec.mounts) {
    if (m.type == MountSpec::Type::kTmpfs) own.push_back(m.destination);
  }
  for (const std::string& dir : own) {
    if (!HostBindAtOrBelow(spec, dir)) rules->push_back({dir, ll::kFsResolveUnix, true});
  }
}

}  // namespace

int DetectLandlockAbiFromParent() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, ll::kCreateRulesetVersion);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

absl::StatusOr<LandlockPlan> PlanLandlock(const ContainerSpec& spec, int abi) {
  const LandlockSpec& want = spec.landlock;
  LandlockPlan plan;
  plan.abi = abi;
  // Off is the caller's choice, warned about where it was made (`nucleus run --landlock=off`
  // in flags.cc); for config.json it is the documented default, as in runc.
  if (want.mode == LandlockSpec::Mode::kOff) return plan;
  const bool strict = want.mode == LandlockSpec::Mode::kStrict;
  if (abi < 1) {
    if (strict) {
      return absl::InvalidArgumentError(
          "--landlock=strict: this kernel has no Landlock (Linux 5.13+ with landlock in the "
          "lsm= boot option)");
    }
    plan.warnings.push_back(
        "landlock: not supported by this kernel: the container runs without Landlock");
    return plan;
  }
  // What this ABI cannot enforce of what the spec asks for.
  std::vector<std::string> gaps;
  if (abi < 3) gaps.push_back("restrict truncate (needs 3)");
  if (want.restrict_tcp_bind && abi < 4) gaps.push_back("restrict TCP bind (needs 4)");
  if (want.restrict_tcp_connect && abi < 4) gaps.push_back("restrict TCP connect (needs 4)");
  if (abi < 5) gaps.push_back("restrict ioctl on devices (ioctl_dev, needs 5)");
  if (want.scope_abstract_unix_socket && abi < 6) {
    gaps.push_back("scope abstract unix sockets (needs 6)");
  }
  if (want.scope_signal && abi < 6) gaps.push_back("scope signals (needs 6)");
  // Without resolve_unix a socket inside a bind is connectable wherever its mode lets the
  // container's user (a root-only one is not, under the default user namespace).
  if (abi < 9 && (spec.host_root || HostBindAtOrBelow(spec, "/"))) {
    gaps.push_back(
        "refuse connecting to the host's unix sockets inside the binds (resolve_unix, needs 9; "
        "their file modes still apply)");
  }
  if (strict && !gaps.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--landlock=strict: kernel Landlock ABI ", abi,
                                                   " cannot ", absl::StrJoin(gaps, ", ")));
  }
  for (const std::string& gap : gaps) {
    plan.warnings.push_back(absl::StrCat("landlock: kernel ABI ", abi, " cannot ", gap));
  }
  if (abi < 2) {
    plan.warnings.push_back(
        "landlock: kernel ABI 1 cannot allow renaming or linking across directories (refer, "
        "needs 2): it is denied everywhere");
  }

  plan.enabled = true;
  plan.handled_fs = ll::HandledFsForAbi(abi);
  if (abi >= 4) {
    if (want.restrict_tcp_bind) {
      plan.handled_net |= ll::kNetBindTcp;
      plan.bind_ports = want.tcp_bind;
    }
    if (want.restrict_tcp_connect) {
      plan.handled_net |= ll::kNetConnectTcp;
      plan.connect_ports = want.tcp_connect;
    }
  }
  if (abi >= 6) {
    if (want.scope_abstract_unix_socket) plan.scoped |= ll::kScopeAbstractUnixSocket;
    if (want.scope_signal) plan.scoped |= ll::kScopeSignal;
  }
  if (want.custom_policy) {
    for (const LandlockPathRule& r : want.paths) plan.rules.push_back({r.path, r.access, false});
  } else {
    DefaultRules(spec, &plan.rules);
  }
  if (plan.handled_fs & ll::kFsResolveUnix) UnixSocketRules(spec, &plan.rules);
  // The kernel refuses a rule with a right the ruleset does not handle.
  for (LandlockRule& r : plan.rules) r.access &= plan.handled_fs;
  return plan;
}

// ---- child side: no allocation below this line ----

namespace {

int AddPathRule(int ruleset, int fd, uint64_t access) {
  struct landlock_path_beneath_attr attr;
  attr.allowed_access = access;
  attr.parent_fd = fd;
  return static_cast<int>(
      ::syscall(SYS_landlock_add_rule, ruleset, ll::kRulePathBeneath, &attr, 0));
}

int AddPortRule(int ruleset, uint64_t access, uint16_t port) {
  ll::NetPortAttr attr;
  attr.allowed_access = access;
  attr.port = port;
  return static_cast<int>(::syscall(SYS_landlock_add_rule, ruleset, ll::kRuleNetPort, &attr, 0));
}

StepError Fail(int ruleset, const char* step, const char* detail) {
  StepError e = StepError::Errno(step, detail);
  ::close(ruleset);
  return e;
}

// A rule on a non-directory may carry only file rights.
uint64_t RightsFor(int fd, uint64_t access) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) access &= ll::kFsFileRights;
  return access;
}

// stdin/stdout/stderr opened by nucleus's caller: re-opening them by name (/dev/stderr ->
// /proc/self/fd/2) is a new open, checked by Landlock, of a file that may lie outside the
// container's tree. Grant exactly what the open fd already allows; nothing else is named.
void AddStdioRules(const LandlockPlan& plan, int ruleset) {
  for (int fd = 0; fd <= 2; ++fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) continue;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) continue;
    uint64_t access = 0;
    const int mode = flags & O_ACCMODE;
    if (mode == O_RDONLY || mode == O_RDWR) access |= ll::kFsReadFile;
    if (mode == O_WRONLY || mode == O_RDWR) access |= ll::kFsWriteFile | ll::kFsTruncate;
    if (S_ISCHR(st.st_mode)) access |= ll::kFsIoctlDev;
    access &= plan.handled_fs;
    // Files of internal filesystems (EBADFD) cannot carry rules and need none.
    if (access != 0) (void)AddPathRule(ruleset, fd, access);
  }
}

}  // namespace

StepError ApplyLandlockInChild(const LandlockPlan& plan) {
  if (!plan.enabled) return StepError::Ok();
  ll::RulesetAttr attr;
  attr.handled_access_fs = plan.handled_fs;
  attr.handled_access_net = plan.handled_net;
  attr.scoped = plan.scoped;
  const int ruleset = static_cast<int>(
      ::syscall(SYS_landlock_create_ruleset, &attr, ll::RulesetAttrSize(plan.abi), 0));
  if (ruleset < 0) return StepError::Errno("landlock_create_ruleset", "");
  for (const LandlockRule& rule : plan.rules) {
    const int fd = ::open(rule.path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) {
      // A default rule only grants: where it cannot be placed, less is allowed, never more.
      if (rule.optional) continue;
      return Fail(ruleset, "landlock: open", rule.path.c_str());
    }
    const uint64_t access = RightsFor(fd, rule.access);
    const int rc = access != 0 ? AddPathRule(ruleset, fd, access) : 0;
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
      errno = err;
      return Fail(ruleset, "landlock_add_rule", rule.path.c_str());
    }
  }
  if (plan.stdio_rules) AddStdioRules(plan, ruleset);
  for (uint16_t port : plan.bind_ports) {
    if (AddPortRule(ruleset, ll::kNetBindTcp, port) != 0) {
      return Fail(ruleset, "landlock_add_rule", "TCP bind port");
    }
  }
  for (uint16_t port : plan.connect_ports) {
    if (AddPortRule(ruleset, ll::kNetConnectTcp, port) != 0) {
      return Fail(ruleset, "landlock_add_rule", "TCP connect port");
    }
  }
  if (::syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
    return Fail(ruleset, "landlock_restrict_self", "");
  }
  ::close(ruleset);
  return StepError::Ok();
}

}  // namespace nucleus
