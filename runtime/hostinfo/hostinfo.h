// What this host supports, for `nucleus check` and for the backends' own decisions.
//
// Contract:
//  - ProbeHost() asks the kernel and /proc; it creates no namespace, mount, cgroup or file.
//    The probes that need a syscall use one that either only reads (prctl(PR_GET_*),
//    landlock_create_ruleset(VERSION)) or opens an fd that is closed at once (pidfd_open on
//    ourselves, open_tree without OPEN_TREE_CLONE); move_mount and mount_setattr are called
//    with invalid flags, which the kernel rejects before doing anything.
//  - It runs no program: runsc and the gvisor backend are the backend's to describe (its own
//    probe and platform proofs, runtime/backends.h), so that `nucleus check` cannot disagree
//    with what `--backend gvisor` does.
//  - A missing feature is not an error: it is a HostFeature with status kMissing and a
//    detail saying why. ProbeHost() itself cannot fail.
//  - The Parse*/Describe* functions are the pure parts, exposed for tests; they take the
//    text the kernel printed and never touch the host.
//
//   HostReport report = ProbeHost();
//   if (report.Find("landlock")->status != ProbeStatus::kOk) ...
//   std::cout << ToText(report);
#ifndef NUCLEUS_RUNTIME_HOSTINFO_HOSTINFO_H_
#define NUCLEUS_RUNTIME_HOSTINFO_HOSTINFO_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroup/layout.h"

namespace nucleus {

enum class ProbeStatus {
  kOk,        // works as nucleus wants it
  kDegraded,  // present, with a limit the detail names (e.g. root-only user namespaces)
  kMissing,   // absent or disabled; the detail says why
};
// "ok", "degraded", "missing".
const char* ProbeStatusName(ProbeStatus status);

struct HostFeature {
  std::string name;  // "namespace.pid", "cgroup", "seccomp", "landlock", ...
  ProbeStatus status = ProbeStatus::kMissing;
  std::string detail;  // one line, no newline
};

struct HostReport {
  std::vector<HostFeature> features;  // in a fixed order
  // nullptr when there is no feature of that name.
  const HostFeature* Find(absl::string_view name) const;
};

HostReport ProbeHost();

// {"features": [{"name": ..., "status": "ok", "detail": ...}, ...],
//  "summary": {"ok": N, "degraded": N, "missing": N}}
nlohmann::ordered_json ToJson(const HostReport& report);
// An aligned table, FEATURE / STATUS / DETAIL, one feature a line, and a summary line.
std::string ToText(const HostReport& report);

// ---- The pure parts (tests feed them fake kernel text) ----

// The layout as the cgroup layer detected it (runtime/cgroup/layout.h), and what the layer
// uses of it (V1ControllersUsed, cgroup.h): check says what the backends do.
HostFeature DescribeCgroup(const CgroupHierarchies& h);

// namespace.user: the ns file, Debian's kernel.unprivileged_userns_clone, user.max_user_namespaces
// and Ubuntu's kernel.apparmor_restrict_unprivileged_userns (nullopt: the file is absent).
HostFeature DescribeUserNamespaces(bool ns_present, std::optional<long> unprivileged_userns_clone,
                                   std::optional<long> max_user_namespaces,
                                   std::optional<long> apparmor_restrict_unprivileged_userns);
// seccomp: prctl(PR_GET_SECCOMP)'s result and errno, and /proc/sys/kernel/seccomp/actions_avail.
HostFeature DescribeSeccomp(int prctl_result, int prctl_errno,
                            const std::optional<std::string>& actions_avail);
// landlock: landlock_create_ruleset(NULL, 0, VERSION)'s result and errno.
HostFeature DescribeLandlock(long abi, int err);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_HOSTINFO_HOSTINFO_H_
