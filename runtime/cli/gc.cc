// `nucleus gc [--cgroup-parent PATH]`: removes the container cgroups under PATH (default
// nucleus) that no nucleus holds any more (runtime/cgroup/gc.h: the lock rule), killing any
// process left in them. Groups held by a running nucleus, of a live container in the state
// store (created, detached), or made in the last 2 seconds, stay.
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/cgroup/gc.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/lifecycle/lifecycle.h"

namespace nucleus {

int GcMain(const std::vector<std::string>& args) {
  std::string parent = "nucleus";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      fputs(
          "usage: nucleus gc [--cgroup-parent PATH]\n\nRemoves cgroups of containers whose "
          "nucleus is gone (killing what is left in them).\n",
          stdout);
      return 0;
    } else if (args[i] == "--cgroup-parent" && i + 1 < args.size()) {
      parent = args[++i];
    } else if (args[i].rfind("--cgroup-parent=", 0) == 0) {
      parent = args[i].substr(16);
    } else {
      return Fail(absl::StrCat("gc: unexpected argument '", args[i], "'"));
    }
  }
  absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies();
  if (!h.ok()) return Fail(absl::StrCat("gc: ", h.status().message()));
  // Containers the state store knows that still live (a created or detached one is held by
  // no nucleus) keep their groups. The group of a stopped one (its nucleus killed, say) is a
  // leftover like any other; its entry stays for `rm`/`delete`. Groups are named by the id,
  // or by config.json's cgroupsPath.
  std::set<std::string> registered;
  if (absl::StatusOr<StateStore> store = OpenStore(); store.ok()) {
    if (absl::StatusOr<StateList> list = store->List(); list.ok()) {
      for (const ContainerState& s : list->states) {
        if (CurrentStatus(*store, s) == ContainerStatus::kStopped) continue;
        registered.insert(s.id);
        if (absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(*store, s.id); spec.ok()) {
          if (!spec->cgroup_name.empty()) registered.insert(spec->cgroup_name);
        }
      }
    }
  }
  absl::StatusOr<GcReport> r = CollectGarbageCgroups(*h, parent, absl::Seconds(2), registered);
  if (!r.ok()) return Fail(absl::StrCat("gc: ", r.status().message()));
  for (const std::string& n : r->removed)
    printf("removed cgroup %s/%s\n", parent.c_str(), n.c_str());
  for (const std::string& e : r->errors) fprintf(stderr, "nucleus: gc: %s\n", e.c_str());
  return r->errors.empty() ? 0 : kExitNucleusError;
}

}  // namespace nucleus
