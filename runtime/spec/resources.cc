#include "runtime/spec/resources.h"

#include "absl/strings/str_cat.h"

namespace nucleus {

const char* ResourceName(ResourceField field, ResourcesSpec::Naming naming) {
  const bool oci = naming == ResourcesSpec::Naming::kOci;
  switch (field) {
    case ResourceField::kMemory:
      return oci ? "linux.resources.memory.limit" : "--memory";
    case ResourceField::kMemorySwap:
      return oci ? "linux.resources.memory.swap" : "--memory-swap";
    case ResourceField::kMemoryReservation:
      return oci ? "linux.resources.memory.reservation" : "--memory-reservation";
    case ResourceField::kCpuQuota:
      return oci ? "linux.resources.cpu.quota" : "--cpus";
    case ResourceField::kCpuShares:
      return oci ? "linux.resources.cpu.shares" : "--cpu-shares";
    case ResourceField::kCpuWeight:
      return oci ? "linux.resources.cpu.shares" : "--cpu-weight";  // OCI: shares only
    case ResourceField::kCpusetCpus:
      return oci ? "linux.resources.cpu.cpus" : "--cpuset-cpus";
    case ResourceField::kCpusetMems:
      return oci ? "linux.resources.cpu.mems" : "--cpuset-mems";
    case ResourceField::kPidsLimit:
      return oci ? "linux.resources.pids.limit" : "--pids-limit";
    case ResourceField::kBlkioWeight:
      return oci ? "linux.resources.blockIO.weight" : "--blkio-weight";
  }
  return "a resource limit";
}

absl::Status ValidateResources(const ResourcesSpec& r) {
  auto name = [&](ResourceField f) { return ResourceName(f, r.naming); };
  auto bad = [&](ResourceField f, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(name(f), ": ", what));
  };
  const bool oci = r.naming == ResourcesSpec::Naming::kOci;
  if (r.memory && *r.memory < kMinMemoryBytes) {
    return bad(ResourceField::kMemory,
               oci ? absl::StrCat(*r.memory, " is below the minimum, 6 MiB (", kMinMemoryBytes, ")")
                   : "the minimum is 6 MiB (6m)");
  }
  if (r.memory_swap && *r.memory_swap >= 0) {  // -1 (unlimited swap) needs no memory limit
    if (!r.memory) {
      return bad(ResourceField::kMemorySwap,
                 absl::StrCat("needs ", name(ResourceField::kMemory), " as well"));
    }
    if (static_cast<uint64_t>(*r.memory_swap) < *r.memory) {
      return bad(ResourceField::kMemorySwap,
                 absl::StrCat("is memory plus swap, so it cannot be below ",
                              name(ResourceField::kMemory), " (-1: unlimited swap)"));
    }
  }
  if (r.memory_reservation && r.memory && *r.memory_reservation > *r.memory) {
    return bad(ResourceField::kMemoryReservation,
               absl::StrCat("cannot be above ", name(ResourceField::kMemory)));
  }
  if (r.cpu_shares && r.cpu_weight) {
    return bad(ResourceField::kCpuWeight,
               absl::StrCat("conflicts with ", name(ResourceField::kCpuShares), " (give one)"));
  }
  return absl::OkStatus();
}

}  // namespace nucleus
