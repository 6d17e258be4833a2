#include "runtime/spec/container_spec.h"

namespace nucleus {

std::vector<std::string> DefaultMaskedPaths() {
  return {"/proc/acpi",        "/proc/asound",         "/proc/kcore",
          "/proc/keys",        "/proc/latency_stats",  "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug",    "/proc/scsi",
          "/proc/sysrq-trigger", "/sys/firmware",      "/sys/devices/virtual/powercap"};
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
