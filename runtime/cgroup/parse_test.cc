#include "runtime/cgroup/parse.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseKeyedFile, MemoryEvents) {
  ASSERT_OK_AND_ASSIGN(
      KeyedValues kv,
      ParseKeyedFile("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"));
  EXPECT_EQ(kv["oom_kill"], 1u);
  EXPECT_EQ(kv["max"], 12u);
  EXPECT_EQ(kv.size(), 6u);
}

TEST(ParseKeyedFile, V1OomControlAndCpuStat) {
  ASSERT_OK_AND_ASSIGN(KeyedValues oom,
                       ParseKeyedFile("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"));
  EXPECT_EQ(oom["oom_kill"], 3u);
  ASSERT_OK_AND_ASSIGN(KeyedValues cpu,
                       ParseKeyedFile("usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n"
                                      "nr_periods 10\nnr_throttled 5\nthrottled_usec 250000\n"));
  EXPECT_EQ(cpu["usage_usec"], 1500000u);
  EXPECT_EQ(cpu["nr_throttled"], 5u);
}

TEST(ParseKeyedFile, MemoryStatLargeValues) {
  ASSERT_OK_AND_ASSIGN(KeyedValues kv, ParseKeyedFile("anon 18446744073709551615\nfile 0\n"));
  EXPECT_EQ(kv["anon"], 18446744073709551615ull);
}

TEST(ParseKeyedFile, Errors) {
  EXPECT_THAT(ParseKeyedFile("a 1\na 2\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("repeats a key")));
  EXPECT_THAT(ParseKeyedFile("a\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
  EXPECT_THAT(ParseKeyedFile("a -1\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a number")));
  EXPECT_THAT(ParseKeyedFile("a 18446744073709551616\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a number")));
  EXPECT_THAT(ParseKeyedFile("a 1 2\n").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("KEY VALUE")));
}

TEST(ParseSingleValue, Numbers) {
  ASSERT_OK_AND_ASSIGN(uint64_t v, ParseSingleValue("33554432\n"));
  EXPECT_EQ(v, 33554432u);
  EXPECT_FALSE(ParseSingleValue("").ok());
  EXPECT_FALSE(ParseSingleValue("max").ok());
  EXPECT_FALSE(ParseSingleValue("+1").ok());
  EXPECT_FALSE(ParseSingleValue("1 2").ok());
}

TEST(ParseMaxValue, MaxOrNumber) {
  ASSERT_OK_AND_ASSIGN(std::optional<uint64_t> m, ParseMaxValue("max\n"));
  EXPECT_FALSE(m.has_value());
  ASSERT_OK_AND_ASSIGN(std::optional<uint64_t> n, ParseMaxValue("32\n"));
  EXPECT_EQ(n, 32u);
  EXPECT_FALSE(ParseMaxValue("maximum").ok());
}

TEST(ParseIoStat, SumsDevices) {
  ASSERT_OK_AND_ASSIGN(IoTotals t,
                       ParseIoStat("8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n"
                                   "253:1 rbytes=1 wbytes=1 rios=1 wios=1 dbytes=0 dios=0\n"));
  EXPECT_EQ(t.read_bytes, 1025u);
  EXPECT_EQ(t.write_bytes, 2049u);
  EXPECT_EQ(t.read_ios, 2u);
  EXPECT_EQ(t.write_ios, 3u);
  ASSERT_OK_AND_ASSIGN(IoTotals empty, ParseIoStat(""));
  EXPECT_EQ(empty.read_bytes, 0u);
  EXPECT_FALSE(ParseIoStat("sda rbytes=1\n").ok());
  EXPECT_FALSE(ParseIoStat("8:0 rbytes\n").ok());
  ASSERT_OK_AND_ASSIGN(IoTotals sat,
                       ParseIoStat("8:0 rbytes=18446744073709551615\n8:1 rbytes=5\n"));
  EXPECT_EQ(sat.read_bytes, 18446744073709551615ull) << "saturates, never wraps";
}

TEST(ParseBlkioBytes, V1ServiceBytes) {
  ASSERT_OK_AND_ASSIGN(IoTotals t, ParseBlkioBytes("8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n"
                                                   "8:0 Async 12288\n8:0 Discard 0\n"
                                                   "8:0 Total 12288\nTotal 12288\n"));
  EXPECT_EQ(t.read_bytes, 4096u);
  EXPECT_EQ(t.write_bytes, 8192u);
  ASSERT_OK_AND_ASSIGN(IoTotals none, ParseBlkioBytes("Total 0\n"));
  EXPECT_EQ(none.read_bytes, 0u);
  EXPECT_FALSE(ParseBlkioBytes("8:0 Steal 1\n").ok());
  EXPECT_FALSE(ParseBlkioBytes("8:0 Read\n").ok());
}

TEST(ParsePidList, Pids) {
  ASSERT_OK_AND_ASSIGN(std::vector<pid_t> p, ParsePidList("12\n345\n"));
  EXPECT_THAT(p, ElementsAre(12, 345));
  ASSERT_OK_AND_ASSIGN(std::vector<pid_t> none, ParsePidList(""));
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(ParsePidList("0\n").ok());
  EXPECT_FALSE(ParsePidList("-1\n").ok());
  EXPECT_FALSE(ParsePidList("99999999999\n").ok());
  EXPECT_FALSE(ParsePidList(" 1\n").ok());
}

TEST(ParseProcCgroup, HybridHost) {
  ASSERT_OK_AND_ASSIGN(std::vector<ProcCgroupEntry> e,
                       ParseProcCgroup("12:pids:/user.slice/user-0.slice\n"
                                       "4:cpu,cpuacct:/\n"
                                       "1:name=systemd:/a:b/c (deleted)\n"
                                       "0::/init.scope\n"));
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].hierarchy_id, 12u);
  EXPECT_THAT(e[0].controllers, ElementsAre("pids"));
  EXPECT_EQ(e[0].path, "/user.slice/user-0.slice");
  EXPECT_THAT(e[1].controllers, ElementsAre("cpu", "cpuacct"));
  EXPECT_EQ(e[1].path, "/");
  EXPECT_EQ(e[2].path, "/a:b/c (deleted)");  // the path is the rest of the line, colons too
  EXPECT_EQ(e[3].hierarchy_id, 0u);
  EXPECT_TRUE(e[3].controllers.empty());
}

TEST(ParseProcCgroup, Malformed) {
  EXPECT_FALSE(ParseProcCgroup("pids:/x\n").ok());        // two fields
  EXPECT_FALSE(ParseProcCgroup("x:pids:/x\n").ok());      // id not a number
  EXPECT_FALSE(ParseProcCgroup("3:pids:x\n").ok());       // relative path
  EXPECT_FALSE(ParseProcCgroup("4294967296::/\n").ok());  // id beyond 32 bits
  ASSERT_OK_AND_ASSIGN(std::vector<ProcCgroupEntry> none, ParseProcCgroup(""));
  EXPECT_TRUE(none.empty());
}

}  // namespace
}  // namespace nucleus
