// Where this host's cgroup hierarchies are: v2 (unified), v1, or hybrid (v1 controllers with a
// cgroup2 mount beside them, as on Debian/Ubuntu hosts booted with systemd's hybrid mode).
//
// Detection reads /proc/self/mountinfo (parsed by runtime/procfs) and the v2 mount's
// cgroup.controllers. Every path is prefixed with `fs_root`, so tests describe a fake tree
// in a temp directory with mountinfo text whose mount points are "/sys/fs/cgroup/...":
//
//   ASSIGN_OR_RETURN(CgroupHierarchies h, DetectCgroupHierarchies());       // the host
//   ASSIGN_OR_RETURN(CgroupHierarchies h, ParseCgroupHierarchies(text, tmp)); // a fake tree
//   if (h.kind == CgroupHierarchies::Kind::kHybrid) ... h.V1Mount("memory") ...
//
// Pure except DetectCgroupHierarchies (reads two files). Only mounts whose root is "/" of
// their hierarchy count: a bind mount of a subtree (inside another container) is not a place
// nucleus can create groups relative to the hierarchy's root. The first mount wins.
#ifndef NUCLEUS_RUNTIME_CGROUP_LAYOUT_H_
#define NUCLEUS_RUNTIME_CGROUP_LAYOUT_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

struct CgroupHierarchies {
  enum class Kind { kNone, kV1, kV2, kHybrid };
  Kind kind = Kind::kNone;
  // The cgroup2 mount point (fs_root-prefixed); empty when there is none.
  std::string v2_root;
  // The controllers the v2 root offers (its cgroup.controllers): "cpu", "memory", ...
  std::set<std::string> v2_controllers;
  // v1: controller -> mount point (fs_root-prefixed). Co-mounted controllers ("cpu,cpuacct")
  // share a mount point. Named hierarchies (name=systemd) are not listed: nucleus uses none.
  std::map<std::string, std::string> v1_mounts;
  // The named v1 hierarchies, for reports only ("systemd" for name=systemd).
  std::set<std::string> v1_named;
  // Tests: the tree is plain directories. Control files are created by the first write, and
  // removing a group deletes its files first (cgroupfs rmdir needs no such thing).
  bool fake_fs = false;

  // The v1 mount of `controller`, or nullptr.
  const std::string* V1Mount(absl::string_view controller) const;
  bool OnV2(absl::string_view controller) const {
    return !v2_root.empty() && v2_controllers.count(std::string(controller)) > 0;
  }
  // "v2", "v1", "hybrid", "none".
  const char* KindName() const;
};

// From mountinfo text; v2_controllers from FS_ROOT/V2_MOUNT/cgroup.controllers when readable
// (a missing file leaves the set empty). Malformed mountinfo is an error.
absl::StatusOr<CgroupHierarchies> ParseCgroupHierarchies(absl::string_view mountinfo,
                                                         const std::string& fs_root = "");
// The host's (or, with a fs_root, a fake tree's) hierarchies from /proc/self/mountinfo.
absl::StatusOr<CgroupHierarchies> DetectCgroupHierarchies(
    const std::string& mountinfo_path = "/proc/self/mountinfo", const std::string& fs_root = "");

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_LAYOUT_H_
