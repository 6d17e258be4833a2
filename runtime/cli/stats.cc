// `nucleus stats NAME [--json] [--cgroup-parent PATH]`: a running container's resource use,
// read from its cgroup (PATH/NAME in every hierarchy; runtime/cgroup/cgroup.h), so it works
// from any terminal while `nucleus run --name NAME` runs.
// `nucleus events [--stats] [--interval D] ID`: runc's, the same readers (Cgroup::Stats) in
// runc's JSON shape, once or every interval with "oom" events until the container exits.
#include <poll.h>

#include <errno.h>
#include <string.h>

#include <algorithm>
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
#include "runtime/cli/common.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/state/liveness.h"
#include "runtime/util/syscall.h"

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

using OJson = nlohmann::ordered_json;

// runc's events "stats" data (libcontainer/types.Stats), the fields a cgroup gives: cpu,
// memory, pids, blkio (nucleus sums I/O over devices: one Read and one Write entry, device
// 0:0). Unknown values are left out, as runc's omitempty does.
OJson RuncStatsData(const CgroupStats& s) {
  OJson data = OJson::object();
  OJson cpu_usage = OJson::object();
  if (s.cpu_usage_ns) cpu_usage["total"] = *s.cpu_usage_ns;
  data["cpu"] = {{"usage", cpu_usage}, {"throttling", OJson::object()}};
  OJson usage = OJson::object();
  if (s.memory_limit) usage["limit"] = *s.memory_limit;
  if (s.memory_current) usage["usage"] = *s.memory_current;
  if (s.memory_peak) usage["max"] = *s.memory_peak;
  usage["failcnt"] = 0;
  data["memory"] = {{"usage", usage}};
  OJson pids = OJson::object();
  if (s.pids_current) pids["current"] = *s.pids_current;
  if (s.pids_limit) pids["limit"] = *s.pids_limit;
  data["pids"] = pids;
  OJson io = OJson::array();
  if (s.io_read_bytes)
    io.push_back({{"major", 0}, {"minor", 0}, {"op", "Read"}, {"value", *s.io_read_bytes}});
  if (s.io_write_bytes)
    io.push_back({{"major", 0}, {"minor", 0}, {"op", "Write"}, {"value", *s.io_write_bytes}});
  data["blkio"] = io.empty() ? OJson::object() : OJson{{"ioServiceBytesRecursive", io}};
  data["hugetlb"] = OJson::object();
  return data;
}

// One event line; false when stdout is gone (the reader left: stop streaming).
bool PrintEvent(const OJson& event) {
  std::string line = event.dump() + "\n";
  return fputs(line.c_str(), stdout) >= 0 && fflush(stdout) == 0;
}

}  // namespace

int EventsMain(const std::vector<std::string>& args) {
  ArgReader r("events", args);
  bool stats_once = false;
  std::string interval_text = "5s", ref;
  while (r.More()) {
    if (r.Bool("--stats", nullptr, &stats_once) || r.Flag("--interval", nullptr, &interval_text)) {
      continue;
    }
    std::string extra;
    if (!ref.empty() && r.Positional(&extra)) {
      return OciFail(absl::StrCat("events: unexpected argument '", extra, "'"));
    }
    if (!r.Positional(&ref)) break;
  }
  if (!r.ok()) return OciFail(r.error());
  if (ref.empty())
    return OciFail("events: missing container ID (usage: events [--stats] [--interval D] ID)");
  absl::Duration interval;
  if (!absl::ParseDuration(interval_text, &interval) || interval <= absl::ZeroDuration()) {
    return OciFail(absl::StrCat("events: --interval: '", interval_text,
                                "' is not a positive duration (e.g. 5s, 500ms)"));
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
  if (!id.ok()) return OciFail(std::string(id.status().message()));
  absl::StatusOr<ContainerState> st = store->Load(*id);
  if (!st.ok()) return OciFail(std::string(st.status().message()));
  if (CurrentStatus(*store, *st) == ContainerStatus::kStopped) {
    return OciFail(absl::StrCat("events: container ", *id, " is not running"));
  }
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = ContainerCgroup(*store, *id, "events");
  if (!cg.ok()) return OciFail(absl::StrCat("events: ", cg.status().message()));
  auto stats_event = [&] {
    return OJson{{"type", "stats"}, {"id", *id}, {"data", RuncStatsData((*cg)->Stats())}};
  };
  if (stats_once) return PrintEvent(stats_event()) ? 0 : OciFail("events: stdout: write failed");
  // Streaming: until the container's first process exits (its pidfd becomes readable).
  absl::StatusOr<UniqueFd> pidfd = OpenVerifiedPidfd(st->pid, st->pid_start_time);
  if (!pidfd.ok()) return OciFail(absl::StrCat("events: container ", *id, " is not running"));
  uint64_t ooms = (*cg)->OomKills().value_or(0);
  for (;;) {
    if (!PrintEvent(stats_event())) return 0;
    absl::Time next = absl::Now() + interval;
    // The OOM counter is checked every 100 ms in between (runc: an eventfd per group).
    for (absl::Time now = absl::Now(); now < next; now = absl::Now()) {
      int ms = static_cast<int>(std::min<int64_t>(100, absl::ToInt64Milliseconds(next - now) + 1));
      struct pollfd p = {pidfd->get(), POLLIN, 0};
      int n = RetryEintr([&] { return ::poll(&p, 1, ms); });
      uint64_t now_ooms = (*cg)->OomKills().value_or(ooms);
      if (now_ooms > ooms) {
        ooms = now_ooms;
        if (!PrintEvent(OJson{{"type", "oom"}, {"id", *id}})) return 0;
      }
      if (n > 0) return 0;  // the container exited
      if (n < 0) return OciFail(absl::StrCat("events: poll: ", strerror(errno)));
    }
  }
}

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
      return Fail(
          absl::StrCat("stats: unexpected argument '", a, "' (", "see 'nucleus stats --help')"));
    }
  }
  if (name.empty())
    return Fail("stats: missing container name (usage: nucleus stats NAME [--json])");
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
  printf("PIDS     %s (limit %s)\n", Num(s.pids_current).c_str(),
         Num(s.pids_limit, "none").c_str());
  printf("IO       read %s, write %s\n", Bytes(s.io_read_bytes).c_str(),
         Bytes(s.io_write_bytes).c_str());
  return 0;
}

}  // namespace nucleus
