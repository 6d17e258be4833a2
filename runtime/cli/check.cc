// `nucleus check [--json]`: what this host supports (runtime/hostinfo). Exits 0 whatever the
// host lacks: the report is the answer, not an error.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/backends.h"
#include "runtime/cli/commands.h"
#include "runtime/hostinfo/hostinfo.h"

namespace nucleus {

namespace {

constexpr char kCheckUsage[] =
    "usage: nucleus check [--json]\n"
    "\n"
    "Reports what this host supports: namespaces, cgroup layout, seccomp, Landlock, pidfd,\n"
    "the new mount API, no_new_privs and runsc. Each line is ok, degraded or missing, with\n"
    "the reason. Exits 0 whatever the host lacks.\n"
    "\n"
    "  --json   print the report as JSON\n";

}  // namespace

int CheckMain(const std::vector<std::string>& args) {
  bool json = false;
  for (const std::string& arg : args) {
    if (arg == "--json") {
      json = true;
    } else if (arg == "--help" || arg == "-h") {
      fputs(kCheckUsage, stdout);
      return 0;
    } else {
      return Fail(absl::StrCat("check: unknown flag '", arg, "' (see 'nucleus check --help')"));
    }
  }
  HostReport report = ProbeHost();
  // runsc and the gvisor backend as the backend itself sees them (its probe, its proofs).
  absl::StatusOr<std::string> runsc = DescribeRunsc();
  report.features.push_back(
      {"runsc",
       runsc.ok()
           ? ProbeStatus::kOk
           : (absl::IsNotFound(runsc.status()) ? ProbeStatus::kMissing : ProbeStatus::kDegraded),
       runsc.ok() ? *runsc : std::string(runsc.status().message())});
  // Whether `--backend gvisor` can run here (runsc found, probed, a usable platform, root).
  // The platform it names was proven by running a sandbox (runsc.h), not assumed because
  // /dev/kvm opens.
  absl::StatusOr<std::string> gvisor = CheckGvisorUsable();
  report.features.push_back({"backend.gvisor",
                             gvisor.ok() ? ProbeStatus::kOk : ProbeStatus::kMissing,
                             gvisor.ok() ? absl::StrCat("usable (--backend gvisor); ", *gvisor)
                                         : std::string(gvisor.status().message())});
  std::string out = json ? ToJson(report).dump(2) + "\n" : ToText(report);
  fputs(out.c_str(), stdout);
  if (fflush(stdout) != 0) return Fail("check: writing the report failed");
  return 0;
}

}  // namespace nucleus
