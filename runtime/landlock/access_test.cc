#include "runtime/landlock/access.h"

#include "gtest/gtest.h"

namespace nucleus {
namespace landlock {
namespace {

TEST(AccessTest, HandledFsGrowsWithAbi) {
  EXPECT_EQ(HandledFsForAbi(0), 0u);
  const uint64_t v1 = HandledFsForAbi(1);
  EXPECT_EQ(v1 & (kFsRefer | kFsTruncate | kFsIoctlDev), 0u);
  EXPECT_EQ(v1 & kFsReadExec, kFsReadExec);
  EXPECT_EQ(HandledFsForAbi(2), v1 | kFsRefer);
  EXPECT_EQ(HandledFsForAbi(3), v1 | kFsRefer | kFsTruncate);
  EXPECT_EQ(HandledFsForAbi(4), HandledFsForAbi(3));
  EXPECT_EQ(HandledFsForAbi(5), kFsAll);
  EXPECT_EQ(HandledFsForAbi(8), kFsAll);
  EXPECT_EQ(HandledFsForAbi(9), kFsAll | kFsResolveUnix);
  EXPECT_EQ(HandledFsForAbi(99), kFsAll | kFsResolveUnix);
  EXPECT_EQ(FsAccessFromName("resolve_unix"), kFsResolveUnix);
  EXPECT_EQ(MinAbiForFs(kFsResolveUnix), 9);
}

TEST(AccessTest, NetAndScopesByAbi) {
  EXPECT_EQ(HandledNetForAbi(3), 0u);
  EXPECT_EQ(HandledNetForAbi(4), kNetBindTcp | kNetConnectTcp);
  EXPECT_EQ(ScopesForAbi(5), 0u);
  EXPECT_EQ(ScopesForAbi(6), kScopeAbstractUnixSocket | kScopeSignal);
}

TEST(AccessTest, AttrSizeMatchesAbi) {
  EXPECT_EQ(RulesetAttrSize(1), 8u);
  EXPECT_EQ(RulesetAttrSize(3), 8u);
  EXPECT_EQ(RulesetAttrSize(4), 16u);
  EXPECT_EQ(RulesetAttrSize(5), 16u);
  EXPECT_EQ(RulesetAttrSize(6), 24u);
  EXPECT_EQ(RulesetAttrSize(7), 24u);
}

TEST(AccessTest, NamesRoundTrip) {
  for (int bit = 0; bit < 16; ++bit) {
    const uint64_t b = 1ULL << bit;
    std::string name = FsAccessNames(b);
    ASSERT_FALSE(name.empty()) << bit;
    EXPECT_EQ(FsAccessFromName(name), b) << name;
    EXPECT_GE(MinAbiForFs(b), 1);
  }
  EXPECT_EQ(FsAccessFromName("ro"), kFsRead);
  EXPECT_EQ(FsAccessFromName("rx"), kFsReadExec);
  EXPECT_EQ(FsAccessFromName("rw"), kFsRead | kFsWrite);
  EXPECT_EQ(FsAccessFromName("rwx"), kFsAll);
  EXPECT_EQ(FsAccessFromName("READ_FILE"), std::nullopt);
  EXPECT_EQ(FsAccessFromName(""), std::nullopt);
  EXPECT_EQ(FsAccessNames(kFsReadExec), "read_file,read_dir,execute");
  EXPECT_EQ(FsAccessNames(1ULL << 40), "0x10000000000");
  EXPECT_EQ(MinAbiForFs(kFsTruncate), 3);
  EXPECT_EQ(MinAbiForFs(kFsIoctlDev), 5);
  EXPECT_EQ(MinAbiForFs(1ULL << 40), 0);
}

TEST(AccessTest, Scopes) {
  EXPECT_EQ(ScopeFromName("signal"), kScopeSignal);
  EXPECT_EQ(ScopeFromName("abstract_unix_socket"), kScopeAbstractUnixSocket);
  EXPECT_EQ(ScopeFromName("net"), std::nullopt);
}

TEST(AccessTest, DescribeAbi) {
  EXPECT_EQ(DescribeAbi(0), "nothing");
  EXPECT_EQ(DescribeAbi(1), "fs");
  EXPECT_EQ(DescribeAbi(3), "fs, refer, truncate");
  EXPECT_EQ(DescribeAbi(7),
            "fs, refer, truncate, tcp bind/connect, ioctl_dev, scoping (abstract unix sockets, "
            "signals), audit logging");
}

}  // namespace
}  // namespace landlock
}  // namespace nucleus
