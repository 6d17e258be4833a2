// `nucleus gc`: finds the container cgroups under a parent that no nucleus holds any more and
// removes them (killing what is left inside).
//
// The rule: every nucleus that creates a group holds flock(LOCK_EX) on each of its
// directories for as long as the container lives (cgroup.h), and the kernel drops the lock
// when that nucleus exits, however it dies. A group whose locks gc can take is abandoned:
// its processes (if any survived) belong to no nucleus and are killed, then the group is
// removed. A group locked by a live nucleus is never touched. Groups younger than min_age are
// skipped too: a concurrent `nucleus run` may have made the directory and not yet locked it.
//
//   ASSIGN_OR_RETURN(GcReport r, CollectGarbageCgroups(hierarchies, "nucleus", absl::Seconds(2)));
#ifndef NUCLEUS_RUNTIME_CGROUP_GC_H_
#define NUCLEUS_RUNTIME_CGROUP_GC_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/cgroup/layout.h"

namespace nucleus {

struct GcReport {
  std::vector<std::string> removed;  // group names removed
  std::vector<std::string> in_use;   // held by a live nucleus (or too young)
  std::vector<std::string> errors;   // "NAME: message", for groups that could not be removed
};

// registered: names of groups that belong to containers in the state store (a created or
// detached container's group is held by no nucleus, yet in use): never touched.
absl::StatusOr<GcReport> CollectGarbageCgroups(const CgroupHierarchies& h,
                                               const std::string& parent, absl::Duration min_age,
                                               const std::set<std::string>& registered = {});

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_GC_H_
