// ResourcesSpec -> the control-file writes that enforce it, for v1 and for v2; the default
// device allow-list; the docker <-> cgroup value conversions. Pure: nothing here touches a file.
//
// Files and values (docker / runc semantics):
//   --memory M              v2 memory.max = M              v1 memory.limit_in_bytes = M
//   --memory-swap S         v2 memory.swap.max = S - M     v1 memory.memsw.limit_in_bytes = S
//     (unset with --memory: swap = M, i.e. S = 2M, docker's default; -1: unlimited "max"/-1)
//   --memory-reservation R  v2 memory.low = R              v1 memory.soft_limit_in_bytes = R
//   --cpus C                v2 cpu.max = "Q P"             v1 cpu.cfs_period_us = P, cfs_quota_us =
//   Q
//   --cpu-shares N          v2 cpu.weight = ShareToWeight  v1 cpu.shares = N
//   --cpu-weight W          v2 cpu.weight = W              v1 cpu.shares = WeightToShares(W)
//   --cpuset-cpus / -mems   v2 cpuset.cpus / cpuset.mems   v1 the same names
//   --pids-limit N          v2 pids.max = N                v1 pids.max = N
//   --blkio-weight B        v2 io.weight = "default W(B)"  v1 blkio.weight = B (or
//   blkio.bfq.weight)
// Order matters and is kept: memory before memsw (the kernel wants memsw >= limit), period
// before quota.
//
//   std::vector<CgroupWrite> w = V2LimitWrites(spec.resources);
//   for (const CgroupWrite& x : w) write(dir + "/" + x.file, x.value) ...
#ifndef NUCLEUS_RUNTIME_CGROUP_LIMITS_H_
#define NUCLEUS_RUNTIME_CGROUP_LIMITS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"
#include "runtime/spec/resources.h"

namespace nucleus {

struct CgroupWrite {
  std::string controller;  // "memory", "cpu", ... (v1: which hierarchy's directory)
  std::string file;        // "memory.max"
  std::string value;       // what is written, as one write()
  // The input it comes from, for error messages: ResourceName (spec/resources.h), "--memory"
  // or "linux.resources.memory.limit" as the spec's naming says.
  std::string source;
  // Skipped when the file does not exist (e.g. memory.memsw.* without swap accounting, for the
  // implicit docker default). An explicit flag's write is never optional.
  bool optional = false;
  // Alternatives tried in order when `file` does not exist (blkio.bfq.weight for blkio.weight).
  std::vector<std::string> fallback_files;
};

std::vector<CgroupWrite> V2LimitWrites(const ResourcesSpec& r);
std::vector<CgroupWrite> V1LimitWrites(const ResourcesSpec& r);

// The controllers a set of writes needs.
std::vector<std::string> ControllersOf(const std::vector<CgroupWrite>& writes);

// runc's conversions between the v1 cpu.shares scale (2..262144, default 1024) and the v2
// cpu.weight scale (1..10000, default 100), and blkio weight (10..1000) to io.weight.
uint64_t CpuSharesToWeight(uint64_t shares);
uint64_t CpuWeightToShares(uint64_t weight);
uint64_t BlkioWeightToIoWeight(uint64_t blkio_weight);

// A cpuset list: "0-3,5,7-8". Empty, a range backwards, a number over 4095, or any other
// character is an error "FLAG: 'TEXT' is not a CPU list (e.g. 0-3,5)".
absl::Status ValidateCpuList(absl::string_view text, absl::string_view flag);

// One device cgroup rule: TYPE MAJOR:MINOR ACCESS as v1's devices.allow takes it.
struct DeviceRule {
  char type = 'c';     // 'c', 'b', or 'a' (all)
  int64_t major = -1;  // -1: any
  int64_t minor = -1;  // -1: any
  std::string access;  // subset of "rwm"
  // "c 1:3 rwm", "c *:* m".
  std::string ToV1() const;
};

// What a container may use: mknod of any node (docker's rule: making is harmless, opening is
// what is checked) and read/write/mknod of null, zero, full, random, urandom, tty, ptmx and
// /dev/pts/* (136:*). Everything else (disks, /dev/mem, /dev/kmsg, ...) cannot be opened.
std::vector<DeviceRule> DefaultDeviceRules();

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_LIMITS_H_
