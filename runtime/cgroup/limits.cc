#include "runtime/cgroup/limits.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

CgroupWrite W(const ResourcesSpec& r, const char* controller, const char* file, std::string value,
              ResourceField field, bool optional = false) {
  CgroupWrite w;
  w.controller = controller;
  w.file = file;
  w.value = std::move(value);
  w.source = ResourceName(field, r.naming);
  w.optional = optional;
  return w;
}

uint64_t CpuWeight(const ResourcesSpec& r) {
  return r.cpu_weight ? *r.cpu_weight : CpuSharesToWeight(*r.cpu_shares);
}

}  // namespace

uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t CpuWeightToShares(uint64_t weight) {
  if (weight < 1) weight = 1;
  if (weight > 10000) weight = 10000;
  return 2 + ((weight - 1) * 262142) / 9999;
}

uint64_t BlkioWeightToIoWeight(uint64_t b) {
  if (b < 10) b = 10;
  if (b > 1000) b = 1000;
  return 1 + ((b - 10) * 9999) / 990;
}

std::vector<CgroupWrite> V2LimitWrites(const ResourcesSpec& r) {
  std::vector<CgroupWrite> w;
  if (r.memory)
    w.push_back(W(r, "memory", "memory.max", absl::StrCat(*r.memory), ResourceField::kMemory));
  if (r.memory_swap) {
    std::string swap =
        *r.memory_swap < 0
            ? "max"
            : absl::StrCat(static_cast<uint64_t>(*r.memory_swap) - (r.memory ? *r.memory : 0));
    w.push_back(W(r, "memory", "memory.swap.max", swap, ResourceField::kMemorySwap));
  } else if (r.memory) {
    w.push_back(
        W(r, "memory", "memory.swap.max", absl::StrCat(*r.memory), ResourceField::kMemory, true));
  }
  if (r.memory_reservation) {
    w.push_back(W(r, "memory", "memory.low", absl::StrCat(*r.memory_reservation),
                  ResourceField::kMemoryReservation));
  }
  if (r.cpu_quota_us) {
    w.push_back(W(r, "cpu", "cpu.max", absl::StrCat(*r.cpu_quota_us, " ", r.cpu_period_us),
                  ResourceField::kCpuQuota));
  }
  if (r.cpu_weight || r.cpu_shares) {
    w.push_back(W(r, "cpu", "cpu.weight", absl::StrCat(CpuWeight(r)),
                  r.cpu_weight ? ResourceField::kCpuWeight : ResourceField::kCpuShares));
  }
  if (!r.cpuset_cpus.empty())
    w.push_back(W(r, "cpuset", "cpuset.cpus", r.cpuset_cpus, ResourceField::kCpusetCpus));
  if (!r.cpuset_mems.empty())
    w.push_back(W(r, "cpuset", "cpuset.mems", r.cpuset_mems, ResourceField::kCpusetMems));
  if (r.pids_limit)
    w.push_back(W(r, "pids", "pids.max", absl::StrCat(*r.pids_limit), ResourceField::kPidsLimit));
  if (r.blkio_weight) {
    CgroupWrite x =
        W(r, "io", "io.weight", absl::StrCat("default ", BlkioWeightToIoWeight(*r.blkio_weight)),
          ResourceField::kBlkioWeight);
    w.push_back(std::move(x));
  }
  return w;
}

std::vector<CgroupWrite> V1LimitWrites(const ResourcesSpec& r) {
  std::vector<CgroupWrite> w;
  if (r.memory) {
    w.push_back(
        W(r, "memory", "memory.limit_in_bytes", absl::StrCat(*r.memory), ResourceField::kMemory));
  }
  if (r.memory_swap) {
    std::string v = *r.memory_swap < 0 ? "-1" : absl::StrCat(*r.memory_swap);
    w.push_back(W(r, "memory", "memory.memsw.limit_in_bytes", v, ResourceField::kMemorySwap));
  } else if (r.memory) {
    w.push_back(W(r, "memory", "memory.memsw.limit_in_bytes", absl::StrCat(2 * *r.memory),
                  ResourceField::kMemory, true));
  }
  if (r.memory_reservation) {
    w.push_back(W(r, "memory", "memory.soft_limit_in_bytes", absl::StrCat(*r.memory_reservation),
                  ResourceField::kMemoryReservation));
  }
  if (r.cpu_quota_us) {
    w.push_back(
        W(r, "cpu", "cpu.cfs_period_us", absl::StrCat(r.cpu_period_us), ResourceField::kCpuQuota));
    w.push_back(
        W(r, "cpu", "cpu.cfs_quota_us", absl::StrCat(*r.cpu_quota_us), ResourceField::kCpuQuota));
  }
  if (r.cpu_shares || r.cpu_weight) {
    uint64_t shares = r.cpu_shares ? *r.cpu_shares : CpuWeightToShares(*r.cpu_weight);
    w.push_back(W(r, "cpu", "cpu.shares", absl::StrCat(shares),
                  r.cpu_shares ? ResourceField::kCpuShares : ResourceField::kCpuWeight));
  }
  if (!r.cpuset_cpus.empty())
    w.push_back(W(r, "cpuset", "cpuset.cpus", r.cpuset_cpus, ResourceField::kCpusetCpus));
  if (!r.cpuset_mems.empty())
    w.push_back(W(r, "cpuset", "cpuset.mems", r.cpuset_mems, ResourceField::kCpusetMems));
  if (r.pids_limit)
    w.push_back(W(r, "pids", "pids.max", absl::StrCat(*r.pids_limit), ResourceField::kPidsLimit));
  if (r.blkio_weight) {
    CgroupWrite x =
        W(r, "blkio", "blkio.weight", absl::StrCat(*r.blkio_weight), ResourceField::kBlkioWeight);
    x.fallback_files = {"blkio.bfq.weight"};
    w.push_back(std::move(x));
  }
  return w;
}

std::vector<std::string> ControllersOf(const std::vector<CgroupWrite>& writes) {
  std::set<std::string> s;
  for (const CgroupWrite& w : writes) s.insert(w.controller);
  return {s.begin(), s.end()};
}

absl::Status ValidateCpuList(absl::string_view text, absl::string_view flag) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", Quote(text), " is not a CPU list (e.g. 0-3,5)"));
  };
  if (text.empty() || text.size() > 256) return bad();
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<absl::string_view, absl::string_view> r =
        absl::StrSplit(part, absl::MaxSplits('-', 1));
    bool is_range = part.find('-') != absl::string_view::npos;
    auto num = [](absl::string_view s, uint32_t* out) {
      if (s.empty() || s.size() > 4) return false;
      for (char c : s) {
        if (!absl::ascii_isdigit(c)) return false;
      }
      return absl::SimpleAtoi(s, out) && *out <= 4095;
    };
    uint32_t lo = 0, hi = 0;
    if (!num(r.first, &lo)) return bad();
    if (is_range && (!num(r.second, &hi) || hi < lo)) return bad();
  }
  return absl::OkStatus();
}

std::string DeviceRule::ToV1() const {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : absl::StrCat(v); };
  if (type == 'a') return "a";
  return absl::StrCat(std::string(1, type), " ", num(major), ":", num(minor), " ", access);
}

std::vector<DeviceRule> DefaultDeviceRules() {
  return {
      {'c', -1, -1, "m"},     // mknod of any character device ...
      {'b', -1, -1, "m"},     // ... or block device: creating a node grants nothing
      {'c', 1, 3, "rwm"},     // /dev/null
      {'c', 1, 5, "rwm"},     // /dev/zero
      {'c', 1, 7, "rwm"},     // /dev/full
      {'c', 1, 8, "rwm"},     // /dev/random
      {'c', 1, 9, "rwm"},     // /dev/urandom
      {'c', 5, 0, "rwm"},     // /dev/tty
      {'c', 5, 2, "rwm"},     // /dev/ptmx
      {'c', 136, -1, "rwm"},  // /dev/pts/*
  };
}

}  // namespace nucleus
