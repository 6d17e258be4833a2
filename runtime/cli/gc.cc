// `nucleus gc [--cgroup-parent PATH]`: removes the container cgroups under PATH (default
// nucleus) that no nucleus holds any more (runtime/cgroup/gc.h: the lock rule), killing any
// process left in them. Groups held by a running nucleus, or made in the last 2 seconds, stay.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "runtime/cgroup/gc.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cli/commands.h"

namespace nucleus {

int GcMain(const std::vector<std::string>& args) {
  std::string parent = "nucleus";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      fputs("usage: nucleus gc [--cgroup-parent PATH]\n\nRemoves cgroups of containers whose "
            "nucleus is gone (killing what is left in them).\n", stdout);
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
  absl::StatusOr<GcReport> r = CollectGarbageCgroups(*h, parent, absl::Seconds(2));
  if (!r.ok()) return Fail(absl::StrCat("gc: ", r.status().message()));
  for (const std::string& n : r->removed) printf("removed cgroup %s/%s\n", parent.c_str(), n.c_str());
  for (const std::string& e : r->errors) fprintf(stderr, "nucleus: gc: %s\n", e.c_str());
  return r->errors.empty() ? 0 : kExitNucleusError;
}

}  // namespace nucleus
