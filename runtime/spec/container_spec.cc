#include "runtime/spec/container_spec.h"

namespace nucleus {

std::vector<std::string> DefaultMaskedPaths() {
  return {"/proc/acpi",        "/proc/asound",         "/proc/kcore",
          "/proc/keys",        "/proc/latency_stats",  "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug",    "/proc/scsi",
          "/proc/sysrq-trigger", "/sys/firmware",      "/sys/devices/virtual/powercap"};
}

std::vector<std::string> DefaultReadonlyPaths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys"};
}

}  // namespace nucleus
