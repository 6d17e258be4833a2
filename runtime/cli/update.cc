// runc's `pause ID`, `resume ID` and `update [--resources FILE|-] [FLAGS] ID`: what
// containerd's shim (and through it Kubernetes) calls to freeze a container and to change
// its limits. The work is in runtime/lifecycle (state) and runtime/cgroup (files).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/cgroup/limits.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/spec/resources.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/spec/oci_config.h"
#include "runtime/units.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

// pause and resume: one ID, the same shape.
int FreezeMain(const char* cmd, const std::vector<std::string>& args,
               absl::Status (*op)(StateStore&, const std::string&)) {
  ArgReader r(cmd, args);
  std::string ref;
  while (r.More()) {
    std::string extra;
    if (!ref.empty() && r.Positional(&extra)) {
      return OciFail(
          absl::StrCat(cmd, ": unexpected argument '", extra, "' (usage: ", cmd, " ID)"));
    }
    if (!r.Positional(&ref)) break;
  }
  if (!r.ok()) return OciFail(r.error());
  if (ref.empty())
    return OciFail(absl::StrCat(cmd, ": missing container ID (usage: ", cmd, " ID)"));
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
  if (!id.ok()) return OciFail(std::string(id.status().message()));
  absl::Status st = op(*store, *id);
  if (!st.ok()) return OciFail(absl::StrCat(cmd, ": ", st.message()));
  return 0;
}

constexpr size_t kMaxResourcesBytes = 1 << 20;

// --resources FILE, or - for stdin (containerd's shim pipes the JSON in).
absl::StatusOr<std::string> ReadResources(const std::string& file) {
  if (file != "-") return ReadFileToString(file, kMaxResourcesBytes);
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(STDIN_FILENO, buf, sizeof(buf)); });
    if (n < 0) return ErrnoStatus("read", "stdin");
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxResourcesBytes) {
      return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxResourcesBytes, " bytes"));
    }
  }
  return text;
}

absl::Status IntFlag(const std::string& flag, const std::string& value, int64_t lo, int64_t hi,
                     const char* what, int64_t* out) {
  if (!absl::SimpleAtoi(value, out) || *out < lo || *out > hi) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": '", value, "' is not ", what));
  }
  return absl::OkStatus();
}

// runc update's resource flags, in order, onto *res ("--memory: '12x' is not a size").
absl::Status ApplyUpdateFlags(const std::vector<std::pair<std::string, std::string>>& flags,
                              ResourcesSpec* res_out) {
  ResourcesSpec& res = *res_out;
  for (const auto& [flag, value] : flags) {
    absl::Status st;
    int64_t n = 0;
    if (flag == "--memory" || flag == "--memory-reservation" || flag == "--memory-swap") {
      if (flag == "--memory-swap" && value == "-1") {
        res.memory_swap = -1;
        continue;
      }
      absl::StatusOr<uint64_t> bytes = ParseSize(value, flag);
      if (!bytes.ok()) return bytes.status();
      if (*bytes == 0) continue;  // runc: 0 leaves it as it is
      if (flag == "--memory") res.memory = *bytes;
      if (flag == "--memory-reservation") res.memory_reservation = *bytes;
      if (flag == "--memory-swap") res.memory_swap = static_cast<int64_t>(*bytes);
    } else if (flag == "--cpu-shares") {
      st = IntFlag(flag, value, 2, 262144, "a CPU share count (2..262144)", &n);
      if (st.ok()) {
        res.cpu_shares = static_cast<uint64_t>(n);
        res.cpu_weight.reset();
      }
    } else if (flag == "--cpu-quota") {
      st = IntFlag(flag, value, 1000, INT64_MAX, "a CFS quota (at least 1000 us)", &n);
      if (st.ok()) res.cpu_quota_us = static_cast<uint64_t>(n);
    } else if (flag == "--cpu-period") {
      st = IntFlag(flag, value, 1000, 1000000, "a CFS period (1000..1000000 us)", &n);
      if (st.ok()) res.cpu_period_us = static_cast<uint64_t>(n);
    } else if (flag == "--cpuset-cpus" || flag == "--cpuset-mems") {
      st = ValidateCpuList(value, flag);
      if (st.ok()) (flag == "--cpuset-cpus" ? res.cpuset_cpus : res.cpuset_mems) = value;
    } else if (flag == "--pids-limit") {
      st = IntFlag(flag, value, 1, 4194304, "a process limit (1..4194304)", &n);
      if (st.ok()) res.pids_limit = n;
    } else if (flag == "--blkio-weight") {
      st = IntFlag(flag, value, 10, 1000, "an I/O weight (10..1000)", &n);
      if (st.ok()) res.blkio_weight = static_cast<uint16_t>(n);
    }
    RETURN_IF_ERROR(st);
  }
  return absl::OkStatus();
}

}  // namespace

int PauseMain(const std::vector<std::string>& args) {
  return FreezeMain("pause", args, &PauseContainer);
}

int ResumeMain(const std::vector<std::string>& args) {
  return FreezeMain("resume", args, &ResumeContainer);
}

int UpdateMain(const std::vector<std::string>& args) {
  ArgReader r("update", args);
  std::string resources_file, ref;
  // runc's flags, in the order they are applied (after --resources, as runc does).
  const char* kFlags[] = {"--memory",     "--memory-swap", "--memory-reservation", "--cpu-shares",
                          "--cpu-quota",  "--cpu-period",  "--cpuset-cpus",        "--cpuset-mems",
                          "--pids-limit", "--blkio-weight"};
  std::vector<std::pair<std::string, std::string>> flags;
  while (r.More()) {
    if (r.Flag("--resources", "-r", &resources_file)) continue;
    bool matched = false;
    for (const char* f : kFlags) {
      std::string v;
      if (r.Flag(f, nullptr, &v)) {
        flags.emplace_back(f, v);
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (!r.ok()) break;
    std::string extra;
    if (!ref.empty() && r.Positional(&extra)) {
      return OciFail(absl::StrCat("update: unexpected argument '", extra, "'"));
    }
    if (!r.Positional(&ref)) break;
  }
  if (!r.ok()) return OciFail(r.error());
  if (ref.empty()) {
    return OciFail("update: missing container ID (usage: update [--resources FILE|-] [FLAGS] ID)");
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return OciFail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
  if (!id.ok()) return OciFail(std::string(id.status().message()));
  absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(*store, *id);
  if (!spec.ok()) return OciFail(std::string(spec.status().message()));
  ResourcesSpec res = spec->resources;
  if (!resources_file.empty()) {
    const std::string name = resources_file == "-" ? "stdin" : resources_file;
    absl::StatusOr<std::string> text = ReadResources(resources_file);
    if (!text.ok())
      return OciFail(absl::StrCat("update: --resources ", name, ": ", text.status().message()));
    std::vector<std::string> warnings;
    absl::StatusOr<ResourcesSpec> parsed = ParseOciResources(*text, res, &warnings);
    if (!parsed.ok()) {
      return OciFail(absl::StrCat("update: --resources ", name, ": ", parsed.status().message()));
    }
    for (const std::string& w : warnings) Warn(absl::StrCat("update: --resources ", name, ": ", w));
    res = *parsed;
  }
  if (absl::Status applied = ApplyUpdateFlags(flags, &res); !applied.ok()) {
    return OciFail(absl::StrCat("update: ", applied.message()));
  }
  // The same cross-field rules as `run`'s and config.json's, named as the user gave them.
  if (!flags.empty()) res.naming = ResourcesSpec::Naming::kFlags;
  if (absl::Status v = ValidateResources(res); !v.ok()) {
    return OciFail(absl::StrCat("update: ", v.message()));
  }
  if (res.cpu_quota_us && *res.cpu_quota_us < 1000) {
    return OciFail("update: --cpu-quota: the minimum is 1000 us");
  }
  absl::Status st = UpdateContainer(*store, *id, res);
  if (!st.ok()) return OciFail(absl::StrCat("update: ", st.message()));
  return 0;
}

}  // namespace nucleus
