// `nucleus stats NAME [--json] [--cgroup-parent PATH]`: a running container's resource use,
// read from its cgroup (PATH/NAME in every hierarchy; runtime/cgroup/cgroup.h), so it works
// from any terminal while `nucleus run --name NAME` runs.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cli/commands.h"

namespace nucleus {
namespace {

constexpr char kStatsUsage[] =
    "usage: nucleus stats NAME [--json] [--cgroup-parent PATH]\n"
    "\n"
    "Memory (current, peak, limit), CPU time, processes and I/O of a running container, read\n"
    "from its cgroup.\n";

std::string Bytes(std::optional<uint64_t> v) {
  if (!v) return "-";
  double d = static_cast<double>(*v);
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (d >= 1024 && u < 4) {
    d /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", d, units[u]);
  return buf;
}

std::string Num(std::optional<uint64_t> v, const char* none = "-") {
  return v ? absl::StrCat(*v) : none;
}

nlohmann::ordered_json J(std::optional<uint64_t> v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

int StatsMain(const std::vector<std::string>& args) {
  bool json = false;
  std::string parent = "nucleus", name;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--help" || a == "-h") {
      fputs(kStatsUsage, stdout);
      return 0;
    } else if (a == "--cgroup-parent" && i + 1 < args.size()) {
      parent = args[++i];
    } else if (a.rfind("--cgroup-parent=", 0) == 0) {
      parent = a.substr(16);
    } else if (!a.empty() && a[0] != '-' && name.empty()) {
      name = a;
    } else {
      return Fail(absl::StrCat("stats: unexpected argument '", a, "' (", "see 'nucleus stats --help')"));
    }
  }
  if (name.empty()) return Fail("stats: missing container name (usage: nucleus stats NAME [--json])");
  absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies();
  if (!h.ok()) return Fail(absl::StrCat("stats: ", h.status().message()));
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = OpenCgroup(*h, parent, name);
  if (!cg.ok()) {
    return Fail(absl::StrCat("stats: ", cg.status().message(),
                             absl::IsNotFound(cg.status()) ? " (is the container running?)" : ""));
  }
  CgroupStats s = (*cg)->Stats();
  absl::StatusOr<std::vector<pid_t>> pids = (*cg)->Processes();
  if (json) {
    nlohmann::ordered_json j;
    j["name"] = name;
    j["cgroup"] = (*cg)->kind();
    j["paths"] = (*cg)->paths();
    j["memory"] = {{"current_bytes", J(s.memory_current)},
                   {"peak_bytes", J(s.memory_peak)},
                   {"limit_bytes", J(s.memory_limit)},
                   {"oom_kills", J(s.oom_kills)}};
    j["cpu"] = {{"usage_ns", J(s.cpu_usage_ns)}};
    j["pids"] = {{"current", J(s.pids_current)}, {"limit", J(s.pids_limit)}};
    j["io"] = {{"read_bytes", J(s.io_read_bytes)}, {"write_bytes", J(s.io_write_bytes)}};
    if (pids.ok()) j["processes"] = *pids;
    printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  printf("NAME     %s (cgroup %s)\n", name.c_str(), (*cg)->kind());
  printf("MEMORY   %s (peak %s, limit %s, OOM kills %s)\n", Bytes(s.memory_current).c_str(),
         Bytes(s.memory_peak).c_str(), s.memory_limit ? Bytes(s.memory_limit).c_str() : "none",
         Num(s.oom_kills).c_str());
  if (s.cpu_usage_ns) {
    printf("CPU      %.3f s\n", static_cast<double>(*s.cpu_usage_ns) / 1e9);
  } else {
    printf("CPU      -\n");
  }
  printf("PIDS     %s (limit %s)\n", Num(s.pids_current).c_str(), Num(s.pids_limit, "none").c_str());
  printf("IO       read %s, write %s\n", Bytes(s.io_read_bytes).c_str(),
         Bytes(s.io_write_bytes).c_str());
  return 0;
}

}  // namespace nucleus
