#include "runtime/units.h"

#include <sys/resource.h>

#include <cstdint>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr uint64_t kInt64Max = std::numeric_limits<int64_t>::max();

uint64_t Size(const std::string& text) {
  auto v = ParseSize(text, "--memory");
  EXPECT_TRUE(v.ok()) << text << ": " << v.status();
  return v.ok() ? *v : 0;
}

TEST(ParseSizeTest, PlainBytes) {
  EXPECT_EQ(Size("0"), 0u);
  EXPECT_EQ(Size("512"), 512u);
  EXPECT_EQ(Size("512b"), 512u);
  EXPECT_EQ(Size("512B"), 512u);
  EXPECT_EQ(Size("007"), 7u);
}

TEST(ParseSizeTest, BinaryUnitsCaseInsensitive) {
  EXPECT_EQ(Size("64k"), 64u << 10);
  EXPECT_EQ(Size("64K"), 64u << 10);
  EXPECT_EQ(Size("32m"), 32u << 20);
  EXPECT_EQ(Size("32MB"), 32u << 20);
  EXPECT_EQ(Size("32mib"), 32u << 20);
  EXPECT_EQ(Size("32MiB"), 32u << 20);
  EXPECT_EQ(Size("1g"), 1ull << 30);
  EXPECT_EQ(Size("2t"), 2ull << 40);
  EXPECT_EQ(Size("3p"), 3ull << 50);
  EXPECT_EQ(Size("32 m"), 32u << 20);  // docker allows one space
}

TEST(ParseSizeTest, FractionsAreExactAndTruncate) {
  EXPECT_EQ(Size("1.5g"), 1610612736u);
  EXPECT_EQ(Size("1.5k"), 1536u);
  EXPECT_EQ(Size("0.5k"), 512u);
  EXPECT_EQ(Size("0.3"), 0u);
  EXPECT_EQ(Size("1.9"), 1u);
  EXPECT_EQ(Size("0.001k"), 1u);   // 1.024 bytes
  EXPECT_EQ(Size("0.0009k"), 0u);  // 0.9216 bytes
  EXPECT_EQ(Size("0.999999999999999999999999p"), (1ull << 50) - 1);
  EXPECT_EQ(Size("1.1g"), 1181116006u);  // floor(1.1 * 2^30) = 1181116006.4
}

TEST(ParseSizeTest, RejectsJunk) {
  EXPECT_THAT(ParseSize("12xb", "--memory"),
              StatusIs(kInvalid, Eq("--memory: '12xb' is not a size")));
  for (const char* bad :
       {"",    "k",   "-1", "+1",  ".5g",   "1.",  "1.2.3", "1..2", "1 ",   " 1",  "1  m",
        "1kk", "1bb", "1i", "1ib", "1gib2", "1e3", "0x10",  "1,5g", "\xff", "1m\n"}) {
    EXPECT_THAT(ParseSize(bad, "--tmpfs"), StatusIs(kInvalid, HasSubstr("is not a size"))) << bad;
  }
}

TEST(ParseSizeTest, RejectsOverlongInput) {
  EXPECT_THAT(ParseSize(std::string(65, '1'), "--memory"),
              StatusIs(kInvalid, HasSubstr("is not a size")));
  EXPECT_OK(ParseSize("1." + std::string(62, '0'), "--memory"));
}

TEST(ParseSizeTest, OverflowIsAnError) {
  EXPECT_THAT(ParseSize("99999999999999g", "--memory"),
              StatusIs(kInvalid, Eq("--memory: '99999999999999g' is too large")));
  EXPECT_THAT(ParseSize("99999999999999999999", "--memory"),
              StatusIs(kInvalid, HasSubstr("too large")));
  EXPECT_THAT(ParseSize("8192p", "--memory"), StatusIs(kInvalid, HasSubstr("too large")));
  EXPECT_EQ(Size("8191p"), 8191ull << 50);
  EXPECT_EQ(Size("9223372036854775807"), kInt64Max);
  EXPECT_THAT(ParseSize("9223372036854775808", "--memory"),
              StatusIs(kInvalid, HasSubstr("too large")));
  // 8191.999...p rounds below INT64_MAX; the fraction must not push it over.
  EXPECT_EQ(Size("8191.9999999999999999999p"), kInt64Max);
}

TEST(RlimitNamesTest, DockerNames) {
  EXPECT_EQ(RlimitResourceByName("nofile"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitResourceByName("NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitResourceByName("as"), RLIMIT_AS);
  EXPECT_EQ(RlimitResourceByName("rttime"), RLIMIT_RTTIME);
  EXPECT_EQ(RlimitResourceByName("bogus"), std::nullopt);
  EXPECT_EQ(RlimitResourceByName(""), std::nullopt);
  EXPECT_EQ(RlimitNames().size(), 16u);
  EXPECT_EQ(RlimitNames().front(), "as");
}

TEST(ParseUlimitTest, SoftAndHard) {
  ASSERT_OK_AND_ASSIGN(Rlimit r, ParseUlimit("nofile=1024:4096", "--ulimit"));
  EXPECT_EQ(r.resource, RLIMIT_NOFILE);
  EXPECT_EQ(r.name, "nofile");
  EXPECT_EQ(r.soft, 1024u);
  EXPECT_EQ(r.hard, 4096u);
}

TEST(ParseUlimitTest, HardDefaultsToSoft) {
  ASSERT_OK_AND_ASSIGN(Rlimit r, ParseUlimit("NProc=64", "--ulimit"));
  EXPECT_EQ(r.resource, RLIMIT_NPROC);
  EXPECT_EQ(r.name, "nproc");
  EXPECT_EQ(r.soft, 64u);
  EXPECT_EQ(r.hard, 64u);
}

TEST(ParseUlimitTest, Unlimited) {
  ASSERT_OK_AND_ASSIGN(Rlimit a, ParseUlimit("core=-1", "--ulimit"));
  EXPECT_EQ(a.soft, RLIM_INFINITY);
  EXPECT_EQ(a.hard, RLIM_INFINITY);
  ASSERT_OK_AND_ASSIGN(Rlimit b, ParseUlimit("core=0:unlimited", "--ulimit"));
  EXPECT_EQ(b.soft, 0u);
  EXPECT_EQ(b.hard, RLIM_INFINITY);
  ASSERT_OK_AND_ASSIGN(Rlimit c, ParseUlimit("stack=UNLIMITED:-1", "--ulimit"));
  EXPECT_EQ(c.soft, RLIM_INFINITY);
  EXPECT_THAT(ParseUlimit("stack=unlimited:8", "--ulimit"),
              StatusIs(kInvalid, HasSubstr("soft limit above its hard limit")));
}

TEST(ParseUlimitTest, SoftAboveHard) {
  EXPECT_THAT(
      ParseUlimit("nofile=2048:1024", "--ulimit"),
      StatusIs(kInvalid, Eq("--ulimit: 'nofile=2048:1024' has a soft limit above its hard limit")));
}

TEST(ParseUlimitTest, Malformed) {
  for (const char* bad : {"", "nofile", "=1", "nofile=", "nofile=1:", "nofile=:1"}) {
    EXPECT_THAT(ParseUlimit(bad, "--ulimit"), StatusIs(kInvalid, HasSubstr("--ulimit: "))) << bad;
  }
  EXPECT_THAT(ParseUlimit("nofile", "--ulimit"),
              StatusIs(kInvalid, Eq("--ulimit: 'nofile' is not NAME=SOFT[:HARD]")));
  EXPECT_THAT(ParseUlimit("nofile=abc", "--ulimit"),
              StatusIs(kInvalid, HasSubstr("'abc' where a number, -1 or unlimited is expected")));
  for (const char* bad : {"nofile=-2", "nofile=1:2:3", "nofile=+1", "nofile= 1", "nofile=1k",
                          "nofile=18446744073709551616"}) {
    EXPECT_THAT(ParseUlimit(bad, "--ulimit"), StatusIs(kInvalid, HasSubstr("is expected"))) << bad;
  }
}

TEST(ParseUlimitTest, UnknownName) {
  EXPECT_THAT(ParseUlimit("files=1", "--ulimit"),
              StatusIs(kInvalid, HasSubstr("unknown limit 'files' (known: as, core, cpu")));
}

TEST(ParseUlimitTest, LargestNumber) {
  ASSERT_OK_AND_ASSIGN(Rlimit r, ParseUlimit("fsize=18446744073709551614", "--ulimit"));
  EXPECT_EQ(r.soft, 18446744073709551614ull);
}

}  // namespace
}  // namespace nucleus
