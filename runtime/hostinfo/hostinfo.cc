#include "runtime/hostinfo/hostinfo.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/landlock/access.h"
#include "runtime/util/pidfd.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

// Since Linux 5.1 these numbers are the same on every architecture but alpha; glibc 2.36
// (Debian 12) defines them, older headers may not.
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

namespace nucleus {
namespace {

using Status = ProbeStatus;

HostFeature Feature(std::string name, Status status, std::string detail) {
  return HostFeature{std::move(name), status, std::move(detail)};
}

std::optional<std::string> ReadSmallFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, 1 << 20);
  if (!text.ok()) return std::nullopt;
  return *std::move(text);
}

std::optional<long> ReadLong(const std::string& path) {
  std::optional<std::string> text = ReadSmallFile(path);
  long value = 0;
  if (!text || !absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &value)) return std::nullopt;
  return value;
}

std::string Words(const std::vector<std::string>& words) {
  return words.empty() ? "none" : absl::StrJoin(words, " ");
}

// ---- namespaces ----

struct NsKind {
  const char* name;    // feature name suffix
  const char* file;    // /proc/self/ns/FILE
  const char* config;  // why it may be missing
};
constexpr NsKind kNamespaces[] = {
    {"pid", "pid", "CONFIG_PID_NS"},
    {"mount", "mnt", "mount namespaces (always built in; /proc not mounted?)"},
    {"uts", "uts", "CONFIG_UTS_NS"},
    {"ipc", "ipc", "CONFIG_IPC_NS"},
    {"net", "net", "CONFIG_NET_NS"},
    {"cgroup", "cgroup", "CONFIG_CGROUPS (Linux 4.6+)"},
    {"user", "user", "CONFIG_USER_NS"},
    {"time", "time", "CONFIG_TIME_NS (Linux 5.6+)"},
};

bool NsPresent(const char* file) {
  struct stat st;
  return ::lstat(absl::StrCat("/proc/self/ns/", file).c_str(), &st) == 0;
}

HostFeature ProbeNamespace(const NsKind& ns) {
  std::string name = absl::StrCat("namespace.", ns.name);
  if (NsPresent(ns.file))
    return Feature(name, Status::kOk, absl::StrCat("/proc/self/ns/", ns.file));
  return Feature(name, Status::kMissing,
                 absl::StrCat("no /proc/self/ns/", ns.file, ": kernel without ", ns.config));
}

// ---- syscall probes ----

HostFeature ProbePidfd() {
  int fd = PidfdOpenRaw(::getpid());
  if (fd >= 0) {
    ::close(fd);
    return Feature("pidfd", Status::kOk, "pidfd_open works (Linux 5.3+)");
  }
  int err = errno;
  if (err == ENOSYS) return Feature("pidfd", Status::kMissing, "pidfd_open: ENOSYS (Linux < 5.3)");
  return Feature("pidfd", Status::kDegraded,
                 absl::StrCat("pidfd_open: ", strerror(err),
                              err == EPERM ? " (blocked by a seccomp filter?)" : ""));
}

// Returns "" when the syscall exists (it rejected our invalid flags), else why not.
std::string SyscallExists(long result, int err, const char* name) {
  if (result >= 0 || err == EINVAL || err == EBADF || err == ENOENT) return "";
  if (err == ENOSYS) return absl::StrCat(name, ": ENOSYS");
  return absl::StrCat(name, ": ", strerror(err));
}

HostFeature ProbeMountApi() {
  // open_tree without OPEN_TREE_CLONE only opens an O_PATH fd; it needs no privilege.
  long fd = ::syscall(SYS_open_tree, AT_FDCWD, "/", O_CLOEXEC);
  int open_tree_err = errno;
  if (fd >= 0) ::close(static_cast<int>(fd));
  std::string open_tree = SyscallExists(fd, open_tree_err, "open_tree");
  // Unknown flags are rejected (EINVAL) before anything else is looked at.
  long r = ::syscall(SYS_move_mount, -1, "", -1, "", 0x80000000u);
  std::string move_mount = SyscallExists(r, errno, "move_mount");
  r = ::syscall(SYS_mount_setattr, -1, "", 0x80000000u, nullptr, 0);
  std::string mount_setattr = SyscallExists(r, errno, "mount_setattr");

  if (open_tree.empty() && move_mount.empty()) {
    return Feature("mount_api", Status::kOk,
                   mount_setattr.empty()
                       ? "open_tree, move_mount, mount_setattr (idmapped mounts) available"
                       : absl::StrCat("open_tree, move_mount available; ", mount_setattr,
                                      " (no idmapped mounts, Linux < 5.12)"));
  }
  std::vector<std::string> problems;
  for (const std::string* p : {&open_tree, &move_mount, &mount_setattr}) {
    if (!p->empty()) problems.push_back(*p);
  }
  bool all_enosys = open_tree_err == ENOSYS;
  return Feature("mount_api", all_enosys ? Status::kMissing : Status::kDegraded,
                 absl::StrCat(absl::StrJoin(problems, "; "),
                              all_enosys ? " (new mount API needs Linux 5.2+)" : ""));
}

HostFeature ProbeNoNewPrivs() {
  int r = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  if (r < 0) {
    return Feature("no_new_privs", Status::kMissing,
                   absl::StrCat("prctl(PR_GET_NO_NEW_PRIVS): ", strerror(errno), " (Linux < 3.5)"));
  }
  return Feature("no_new_privs", Status::kOk,
                 absl::StrCat("supported; this process: ", r == 1 ? "already set" : "not set"));
}

}  // namespace

const char* ProbeStatusName(ProbeStatus status) {
  switch (status) {
    case ProbeStatus::kOk:
      return "ok";
    case ProbeStatus::kDegraded:
      return "degraded";
    case ProbeStatus::kMissing:
      return "missing";
  }
  return "?";
}

const HostFeature* HostReport::Find(absl::string_view name) const {
  for (const HostFeature& f : features) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

HostFeature DescribeCgroup(const CgroupHierarchies& h) {
  std::vector<std::string> v1_controllers,
      v2_controllers(h.v2_controllers.begin(), h.v2_controllers.end());
  for (const auto& [controller, mount] : h.v1_mounts) v1_controllers.push_back(controller);
  auto has_v1 = [&](absl::string_view c) { return h.v1_mounts.count(std::string(c)) > 0; };
  const std::string v2_holds = Words(v2_controllers);
  std::string named;
  if (!h.v1_named.empty()) named = absl::StrCat("; named v1: ", absl::StrJoin(h.v1_named, " "));
  // What nucleus uses of it, from the cgroup layer itself (runtime/cgroup/cgroup.h): the v1
  // controllers every container's group is made in, those only made for a limit, and on v2
  // the ones it enables.
  std::vector<std::string> always_v1, limits_v1;
  for (const std::string& c : V1ControllersUsed()) {
    if (!has_v1(c)) continue;
    (V1ControllerAlwaysUsed(c) ? always_v1 : limits_v1).push_back(c);
  }
  std::string used_v1 = Words(always_v1);
  if (!limits_v1.empty()) absl::StrAppend(&used_v1, " (", Words(limits_v1), " for their limits)");
  std::vector<std::string> used_v2, v2_only;
  for (const std::string& c : v2_controllers) {
    if (c == "memory" || c == "pids" || c == "cpu" || c == "io" || c == "cpuset") {
      used_v2.push_back(c);
      if (!has_v1(c == "io" ? "blkio" : c)) v2_only.push_back(c);
    }
  }
  switch (h.kind) {
    case CgroupHierarchies::Kind::kV2:
      return Feature(
          "cgroup", Status::kOk,
          absl::StrCat("v2 unified at ", h.v2_root, "; controllers: ", v2_holds, named,
                       "; nucleus uses: ", Words(used_v2),
                       ", joins at clone (CLONE_INTO_CGROUP), devices by BPF, cgroup.kill"));
    case CgroupHierarchies::Kind::kHybrid:
      return Feature(
          "cgroup", Status::kDegraded,
          absl::StrCat("hybrid: v1 controllers ", Words(v1_controllers), "; v2 at ", h.v2_root,
                       " holds: ", v2_holds, named, "; nucleus uses: v1 ", used_v1,
                       v2_only.empty() ? ", no v2 group (none of its controllers is there)"
                                       : absl::StrCat(", v2 ", Words(v2_only)),
                       "; born in its v1 groups (the cloning thread enters them)"));
    case CgroupHierarchies::Kind::kV1:
      return Feature("cgroup", Status::kDegraded,
                     absl::StrCat("v1 only: controllers ", Words(v1_controllers), named,
                                  "; nucleus uses: ", used_v1,
                                  "; born in its groups (the cloning thread enters them), kills"
                                  " with the freezer"));
    case CgroupHierarchies::Kind::kNone:
      break;
  }
  return Feature("cgroup", Status::kMissing,
                 "no cgroup or cgroup2 mount (of a hierarchy's root) in /proc/self/mountinfo");
}

HostFeature DescribeUserNamespaces(bool ns_present, std::optional<long> unprivileged_userns_clone,
                                   std::optional<long> max_user_namespaces,
                                   std::optional<long> apparmor_restrict_unprivileged_userns) {
  const std::string name = "namespace.user";
  if (!ns_present) {
    return Feature(name, Status::kMissing, "no /proc/self/ns/user: kernel without CONFIG_USER_NS");
  }
  std::string max = max_user_namespaces ? absl::StrCat(*max_user_namespaces) : "unknown";
  if (max_user_namespaces && *max_user_namespaces == 0) {
    return Feature(name, Status::kMissing, "user.max_user_namespaces=0: user namespaces disabled");
  }
  if (unprivileged_userns_clone && *unprivileged_userns_clone == 0) {
    return Feature(name, Status::kDegraded,
                   absl::StrCat("root only: kernel.unprivileged_userns_clone=0 (no rootless "
                                "containers); max_user_namespaces=",
                                max));
  }
  if (apparmor_restrict_unprivileged_userns && *apparmor_restrict_unprivileged_userns != 0) {
    return Feature(
        name, Status::kDegraded,
        absl::StrCat("root only unless an AppArmor profile allows it: "
                     "kernel.apparmor_restrict_unprivileged_userns=",
                     *apparmor_restrict_unprivileged_userns, "; max_user_namespaces=", max));
  }
  return Feature(name, Status::kOk,
                 absl::StrCat("unprivileged allowed; max_user_namespaces=", max));
}

HostFeature DescribeSeccomp(int prctl_result, int prctl_errno,
                            const std::optional<std::string>& actions_avail) {
  if (prctl_result < 0) {
    if (prctl_errno == EINVAL) {
      return Feature("seccomp", Status::kMissing, "kernel without CONFIG_SECCOMP");
    }
    return Feature("seccomp", Status::kDegraded,
                   absl::StrCat("prctl(PR_GET_SECCOMP): ", strerror(prctl_errno)));
  }
  std::string self = prctl_result == 0
                         ? "this process: unfiltered"
                         : absl::StrCat("this process: already filtered (mode ", prctl_result,
                                        ", e.g. inside another container)");
  if (!actions_avail) {
    return Feature(
        "seccomp", Status::kDegraded,
        absl::StrCat("filters work but actions_avail is unreadable (Linux < 4.14); ", self));
  }
  std::vector<std::string> actions =
      absl::StrSplit(absl::StripAsciiWhitespace(*actions_avail), ' ', absl::SkipEmpty());
  std::vector<std::string> lacking;
  // kill_process: a violation ends the whole container process, not one thread (and the
  // bad-architecture action for i386/x32 calls); errno: the default profile's answer; log:
  // --seccomp-log; user_notif: later supervisor features.
  for (const char* wanted : {"kill_process", "errno", "allow", "log", "user_notif"}) {
    if (std::find(actions.begin(), actions.end(), wanted) == actions.end()) {
      lacking.push_back(wanted);
    }
  }
  if (!lacking.empty()) {
    return Feature("seccomp", Status::kDegraded,
                   absl::StrCat("actions lack ", absl::StrJoin(lacking, " "),
                                "; available: ", Words(actions), "; ", self));
  }
  return Feature("seccomp", Status::kOk,
                 absl::StrCat("filter mode; actions: ", Words(actions), "; ", self));
}

HostFeature DescribeLandlock(long abi, int err) {
  // Landlock enforces, per ABI, what landlock/access.h lists; below 6 the default sandbox
  // (scoping on) has gaps that best-effort warns about and strict refuses; below 9 so has a
  // container with binds (their unix sockets).
  if (abi >= 9) {
    return Feature("landlock", Status::kOk,
                   absl::StrCat("ABI ", abi, ": ", landlock::DescribeAbi(abi)));
  }
  if (abi >= 6) {
    return Feature("landlock", Status::kDegraded,
                   absl::StrCat("ABI ", abi, ": ", landlock::DescribeAbi(abi),
                                "; lacks resolve_unix (9): a unix socket inside a --ro/--rw "
                                "bind is connectable where its mode lets the container's "
                                "user; --landlock=strict refuses binds"));
  }
  if (abi >= 1) {
    std::vector<std::string> lacks;
    if (abi < 3) lacks.push_back("truncate (3)");
    if (abi < 4) lacks.push_back("tcp bind/connect (4)");
    if (abi < 5) lacks.push_back("ioctl_dev (5)");
    lacks.push_back("scoping (6)");
    return Feature(
        "landlock", Status::kDegraded,
        absl::StrCat("ABI ", abi, ": ", landlock::DescribeAbi(abi), "; lacks ",
                     absl::StrJoin(lacks, ", "), ": --landlock=strict refuses the defaults"));
  }
  if (err == ENOSYS) {
    return Feature(
        "landlock", Status::kMissing,
        "not supported: kernel without Landlock (Linux 5.13+, CONFIG_SECURITY_LANDLOCK)");
  }
  if (err == EOPNOTSUPP) {
    return Feature("landlock", Status::kMissing,
                   "not supported: built in but disabled (add landlock to the lsm= boot option)");
  }
  return Feature("landlock", Status::kDegraded,
                 absl::StrCat("landlock_create_ruleset: ", strerror(err)));
}

HostReport ProbeHost() {
  HostReport report;
  for (const NsKind& ns : kNamespaces) {
    if (std::string(ns.name) == "user") {
      report.features.push_back(DescribeUserNamespaces(
          NsPresent(ns.file), ReadLong("/proc/sys/kernel/unprivileged_userns_clone"),
          ReadLong("/proc/sys/user/max_user_namespaces"),
          ReadLong("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")));
    } else {
      report.features.push_back(ProbeNamespace(ns));
    }
  }

  absl::StatusOr<CgroupHierarchies> cgroups = DetectCgroupHierarchies();
  report.features.push_back(
      cgroups.ok() ? DescribeCgroup(*cgroups)
                   : Feature("cgroup", Status::kMissing, std::string(cgroups.status().message())));

  int seccomp = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  int seccomp_errno = errno;
  report.features.push_back(DescribeSeccomp(
      seccomp, seccomp_errno, ReadSmallFile("/proc/sys/kernel/seccomp/actions_avail")));

  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  report.features.push_back(DescribeLandlock(abi, errno));

  report.features.push_back(ProbeNoNewPrivs());
  report.features.push_back(ProbePidfd());
  report.features.push_back(ProbeMountApi());

  return report;
}

nlohmann::ordered_json ToJson(const HostReport& report) {
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  int counts[3] = {0, 0, 0};
  for (const HostFeature& f : report.features) {
    features.push_back(
        {{"name", f.name}, {"status", ProbeStatusName(f.status)}, {"detail", f.detail}});
    ++counts[static_cast<int>(f.status)];
  }
  return {{"features", features},
          {"summary", {{"ok", counts[0]}, {"degraded", counts[1]}, {"missing", counts[2]}}}};
}

std::string ToText(const HostReport& report) {
  size_t name_width = std::string("FEATURE").size();
  for (const HostFeature& f : report.features) name_width = std::max(name_width, f.name.size());
  const size_t status_width = std::string("degraded").size();
  auto row = [&](absl::string_view name, absl::string_view status, absl::string_view detail) {
    std::string line(name);
    line.resize(name_width + 2, ' ');
    absl::StrAppend(&line, status);
    line.resize(name_width + 2 + status_width + 2, ' ');
    absl::StrAppend(&line, detail, "\n");
    return line;
  };
  std::string out = row("FEATURE", "STATUS", "DETAIL");
  int counts[3] = {0, 0, 0};
  for (const HostFeature& f : report.features) {
    absl::StrAppend(&out, row(f.name, ProbeStatusName(f.status), f.detail));
    ++counts[static_cast<int>(f.status)];
  }
  absl::StrAppend(&out, "\n", report.features.size(), " features: ", counts[0], " ok, ", counts[1],
                  " degraded, ", counts[2], " missing\n");
  return out;
}

}  // namespace nucleus
