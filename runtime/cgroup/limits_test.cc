#include "runtime/cgroup/limits.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

std::map<std::string, std::string> Files(const std::vector<CgroupWrite>& w) {
  std::map<std::string, std::string> m;
  for (const CgroupWrite& x : w) m[x.file] = x.value;
  return m;
}

ResourcesSpec Everything() {
  ResourcesSpec r;
  r.memory = 32 << 20;
  r.memory_swap = 64 << 20;
  r.memory_reservation = 16 << 20;
  r.cpu_quota_us = 50000;
  r.cpu_shares = 512;
  r.cpuset_cpus = "0-1";
  r.cpuset_mems = "0";
  r.pids_limit = 32;
  r.blkio_weight = 500;
  return r;
}

TEST(V2LimitWrites, EveryLimit) {
  std::map<std::string, std::string> f = Files(V2LimitWrites(Everything()));
  EXPECT_EQ(f["memory.max"], "33554432");
  EXPECT_EQ(f["memory.swap.max"], "33554432");  // memory+swap 64m - memory 32m
  EXPECT_EQ(f["memory.low"], "16777216");
  EXPECT_EQ(f["cpu.max"], "50000 100000");
  EXPECT_EQ(f["cpu.weight"], std::to_string(CpuSharesToWeight(512)));
  EXPECT_EQ(f["cpuset.cpus"], "0-1");
  EXPECT_EQ(f["cpuset.mems"], "0");
  EXPECT_EQ(f["pids.max"], "32");
  EXPECT_EQ(f["io.weight"], "default " + std::to_string(BlkioWeightToIoWeight(500)));
  EXPECT_EQ(f.size(), 9u);
}

TEST(V1LimitWrites, EveryLimitInKernelOrder) {
  std::vector<CgroupWrite> w = V1LimitWrites(Everything());
  std::map<std::string, std::string> f = Files(w);
  EXPECT_EQ(f["memory.limit_in_bytes"], "33554432");
  EXPECT_EQ(f["memory.memsw.limit_in_bytes"], "67108864");
  EXPECT_EQ(f["memory.soft_limit_in_bytes"], "16777216");
  EXPECT_EQ(f["cpu.cfs_period_us"], "100000");
  EXPECT_EQ(f["cpu.cfs_quota_us"], "50000");
  EXPECT_EQ(f["cpu.shares"], "512");
  EXPECT_EQ(f["cpuset.cpus"], "0-1");
  EXPECT_EQ(f["pids.max"], "32");
  EXPECT_EQ(f["blkio.weight"], "500");
  auto index = [&](const std::string& file) {
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i].file == file) return i;
    }
    return w.size();
  };
  EXPECT_LT(index("memory.limit_in_bytes"), index("memory.memsw.limit_in_bytes"));
  EXPECT_LT(index("cpu.cfs_period_us"), index("cpu.cfs_quota_us"));
  for (const CgroupWrite& x : w) EXPECT_FALSE(x.optional) << x.file << ": explicit flags";
  for (const CgroupWrite& x : w) EXPECT_FALSE(x.source.empty()) << x.file;
}

TEST(LimitWrites, DockerSwapDefaultIsOptional) {
  ResourcesSpec r;
  r.memory = 32 << 20;
  std::vector<CgroupWrite> v1 = V1LimitWrites(r);
  ASSERT_EQ(v1.size(), 2u);
  EXPECT_EQ(v1[1].file, "memory.memsw.limit_in_bytes");
  EXPECT_EQ(v1[1].value, "67108864");
  EXPECT_TRUE(v1[1].optional);
  std::vector<CgroupWrite> v2 = V2LimitWrites(r);
  ASSERT_EQ(v2.size(), 2u);
  EXPECT_EQ(v2[1].value, "33554432");
  EXPECT_TRUE(v2[1].optional);
}

TEST(LimitWrites, UnlimitedSwapAndCpuWeight) {
  ResourcesSpec r;
  r.memory = 1 << 30;
  r.memory_swap = -1;
  r.cpu_weight = 100;
  EXPECT_EQ(Files(V2LimitWrites(r))["memory.swap.max"], "max");
  EXPECT_EQ(Files(V2LimitWrites(r))["cpu.weight"], "100");
  EXPECT_EQ(Files(V1LimitWrites(r))["memory.memsw.limit_in_bytes"], "-1");
  EXPECT_EQ(Files(V1LimitWrites(r))["cpu.shares"], std::to_string(CpuWeightToShares(100)));
  EXPECT_TRUE(V2LimitWrites(ResourcesSpec()).empty());
  EXPECT_TRUE(V1LimitWrites(ResourcesSpec()).empty());
}

TEST(Conversions, RuncFormulas) {
  EXPECT_EQ(CpuSharesToWeight(2), 1u);
  EXPECT_EQ(CpuSharesToWeight(1024), 39u);
  EXPECT_EQ(CpuSharesToWeight(262144), 10000u);
  EXPECT_EQ(CpuWeightToShares(1), 2u);
  EXPECT_EQ(CpuWeightToShares(10000), 262144u);
  EXPECT_EQ(BlkioWeightToIoWeight(10), 1u);
  EXPECT_EQ(BlkioWeightToIoWeight(1000), 10000u);
}

TEST(ValidateCpuList, Syntax) {
  EXPECT_OK(ValidateCpuList("0", "--cpuset-cpus"));
  EXPECT_OK(ValidateCpuList("0-3,5,7-8", "--cpuset-cpus"));
  EXPECT_OK(ValidateCpuList("99", "--cpuset-cpus"));  // the kernel decides what exists
  for (const char* bad : {"", "a", "3-1", "1,", ",1", "1-", "-1", "0-3 ", "99999"}) {
    EXPECT_THAT(ValidateCpuList(bad, "--cpuset-cpus"),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is not a CPU list")))
        << bad;
  }
}

TEST(DeviceRules, V1Syntax) {
  std::vector<DeviceRule> rules = DefaultDeviceRules();
  std::vector<std::string> text;
  for (const DeviceRule& r : rules) text.push_back(r.ToV1());
  EXPECT_THAT(text, ::testing::ElementsAre("c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm",
                                           "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm",
                                           "c 5:2 rwm", "c 136:* rwm"));
}

}  // namespace
}  // namespace nucleus
