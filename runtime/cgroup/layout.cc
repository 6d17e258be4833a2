#include "runtime/cgroup/layout.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/procfs.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

// The v1 controllers the kernel knows; anything else in the super options is a mount option.
bool IsV1Controller(absl::string_view s) {
  static const char* const kControllers[] = {
      "blkio",   "cpu",      "cpuacct",    "cpuset", "devices", "freezer", "hugetlb", "memory",
      "net_cls", "net_prio", "perf_event", "pids",   "rdma",    "misc",    "debug"};
  for (const char* c : kControllers) {
    if (s == c) return true;
  }
  return false;
}

}  // namespace

const std::string* CgroupHierarchies::V1Mount(absl::string_view controller) const {
  auto it = v1_mounts.find(std::string(controller));
  return it == v1_mounts.end() ? nullptr : &it->second;
}

const char* CgroupHierarchies::KindName() const {
  switch (kind) {
    case Kind::kV2:
      return "v2";
    case Kind::kV1:
      return "v1";
    case Kind::kHybrid:
      return "hybrid";
    case Kind::kNone:
      break;
  }
  return "none";
}

absl::StatusOr<CgroupHierarchies> ParseCgroupHierarchies(absl::string_view mountinfo,
                                                         const std::string& fs_root) {
  ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ParseMountInfo(mountinfo));
  CgroupHierarchies h;
  for (const MountInfo& m : mounts) {
    if (m.root != "/") continue;
    if (m.fstype == "cgroup2") {
      if (h.v2_root.empty()) h.v2_root = fs_root + m.mount_point;
    } else if (m.fstype == "cgroup") {
      for (const std::string& opt : m.super_options) {
        if (IsV1Controller(opt) && !h.v1_mounts.count(opt)) {
          h.v1_mounts[opt] = fs_root + m.mount_point;
        } else if (absl::StartsWith(opt, "name=") && opt.size() > 5) {
          h.v1_named.insert(opt.substr(5));
        }
      }
    }
  }
  if (!h.v2_root.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(h.v2_root + "/cgroup.controllers");
    if (text.ok()) {
      for (absl::string_view c : absl::StrSplit(*text, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
        h.v2_controllers.insert(std::string(c));
      }
    }
  }
  if (!h.v1_mounts.empty()) {
    h.kind = h.v2_root.empty() ? CgroupHierarchies::Kind::kV1 : CgroupHierarchies::Kind::kHybrid;
  } else if (!h.v2_root.empty()) {
    h.kind = CgroupHierarchies::Kind::kV2;
  }
  return h;
}

absl::StatusOr<CgroupHierarchies> DetectCgroupHierarchies(const std::string& mountinfo_path,
                                                          const std::string& fs_root) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(mountinfo_path));
  absl::StatusOr<CgroupHierarchies> h = ParseCgroupHierarchies(text, fs_root);
  if (!h.ok()) return Annotate(h.status(), mountinfo_path);
  return h;
}

}  // namespace nucleus
