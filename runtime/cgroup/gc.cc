#include "runtime/cgroup/gc.h"

#include <sys/stat.h>
#include <time.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

// Seconds since the youngest of the group's directories changed (cgroupfs sets it at mkdir).
double AgeSeconds(const std::vector<std::string>& paths) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  double youngest = 1e18;
  for (const std::string& p : paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0) continue;
    double age = (now.tv_sec - st.st_ctim.tv_sec) + (now.tv_nsec - st.st_ctim.tv_nsec) / 1e9;
    if (age < youngest) youngest = age;
  }
  return youngest;
}

}  // namespace

absl::StatusOr<GcReport> CollectGarbageCgroups(const CgroupHierarchies& h,
                                               const std::string& parent_in, absl::Duration min_age,
                                               const std::set<std::string>& registered) {
  ASSIGN_OR_RETURN(std::string parent, ValidateCgroupParent(parent_in, "--cgroup-parent"));
  GcReport report;
  for (const std::string& name : ListCgroups(h, parent)) {
    if (registered.count(name)) {  // a container the state store knows: `delete` removes it
      report.in_use.push_back(name);
      continue;
    }
    absl::StatusOr<std::unique_ptr<Cgroup>> cg = OpenCgroup(h, parent, name);
    if (!cg.ok()) {
      if (!absl::IsNotFound(cg.status())) {
        report.errors.push_back(absl::StrCat(name, ": ", cg.status().message()));
      }
      continue;
    }
    if (AgeSeconds((*cg)->paths()) < absl::ToDoubleSeconds(min_age)) {
      report.in_use.push_back(name);
      continue;
    }
    absl::StatusOr<bool> free = (*cg)->TryLock();
    if (!free.ok()) {
      report.errors.push_back(absl::StrCat(name, ": ", free.status().message()));
      continue;
    }
    if (!*free) {
      report.in_use.push_back(name);
      continue;
    }
    absl::Status st = (*cg)->KillAndRemove();
    if (st.ok()) {
      report.removed.push_back(name);
    } else {
      report.errors.push_back(absl::StrCat(name, ": ", st.message()));
    }
  }
  return report;
}

}  // namespace nucleus
