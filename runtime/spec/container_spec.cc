#include "runtime/spec/container_spec.h"

namespace nucleus {

std::vector<std::string> DefaultMaskedPaths() {
  return {"/proc/acpi",          "/proc/asound",        "/proc/kcore",
          "/proc/keys",          "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats",   "/proc/sched_debug",   "/proc/scsi",
          "/proc/sysrq-trigger", "/sys/firmware",       "/sys/devices/virtual/powercap"};
}

std::string CgroupNameOf(const ContainerSpec& spec) {
  return spec.cgroup_name.empty() ? spec.id : spec.cgroup_name;
}

std::string HostnameOf(const ContainerSpec& spec) {
  return !spec.hostname.empty() ? spec.hostname : !spec.id.empty() ? spec.id : "nucleus";
}

absl::StatusOr<bool> NeedsCgroup(const ContainerSpec& spec, bool root_caller) {
  const bool limits = spec.resources.HasLimits();
  if (spec.cgroup_parent.empty()) {
    if (!limits) return false;
    return absl::InvalidArgumentError("resource limits need a cgroup (no --cgroup-parent)");
  }
  return root_caller || limits;
}

const char* BackendKindName(ContainerSpec::BackendKind kind) {
  switch (kind) {
    case ContainerSpec::BackendKind::kNative:
      return "native";
    case ContainerSpec::BackendKind::kGvisor:
      return "gvisor";
    case ContainerSpec::BackendKind::kAuto:
      return "auto";
  }
  return "unknown";
}

std::optional<ContainerSpec::BackendKind> ParseBackendKind(absl::string_view name) {
  for (ContainerSpec::BackendKind k :
       {ContainerSpec::BackendKind::kNative, ContainerSpec::BackendKind::kGvisor,
        ContainerSpec::BackendKind::kAuto}) {
    if (name == BackendKindName(k)) return k;
  }
  return std::nullopt;
}

std::vector<std::string> DefaultReadonlyPaths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"};
}

}  // namespace nucleus
