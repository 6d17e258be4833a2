// The resource limits' names and their cross-field rules, once for both front ends.
//
// A limit is a typed ResourceField; how it is named to the user depends on where it came from
// (ResourcesSpec::naming): the `nucleus run` flag ("--memory") or the OCI config path
// ("linux.resources.memory.limit"). The cgroup layer names its errors with ResourceName, so an
// OCI user never reads a flag they did not type.
//
// ValidateResources: docker's and runc's rules across fields, the same for `run`, `create`
// from a bundle and `update`: memory at least 6 MiB; a memory+swap limit needs memory and is
// not below it (-1, unlimited swap, needs neither); the reservation not above memory; one CPU
// weight scale. One line, naming the field: "--memory-swap: needs --memory as well",
// "linux.resources.memory.swap: needs linux.resources.memory.limit as well".
#ifndef NUCLEUS_RUNTIME_SPEC_RESOURCES_H_
#define NUCLEUS_RUNTIME_SPEC_RESOURCES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

inline constexpr uint64_t kMinMemoryBytes = 6 << 20;  // docker's minimum

enum class ResourceField {
  kMemory,
  kMemorySwap,
  kMemoryReservation,
  kCpuQuota,
  kCpuShares,
  kCpuWeight,
  kCpusetCpus,
  kCpusetMems,
  kPidsLimit,
  kBlkioWeight,
};

// "--memory" / "linux.resources.memory.limit".
const char* ResourceName(ResourceField field, ResourcesSpec::Naming naming);

absl::Status ValidateResources(const ResourcesSpec& r);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SPEC_RESOURCES_H_
