#include "runtime/identity.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/paths.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
constexpr auto kNotFound = absl::StatusCode::kNotFound;

constexpr char kPasswd[] =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "app:x:1000:1001:App User,,,:/home/app/:/bin/sh\n"
    "app:x:2000:2000:duplicate, ignored:/nope:/bin/sh\n"
    "nohome:x:1002:1002\n"
    "relhome:x:1003:1003::home/rel:/bin/sh\n"
    "1234:x:1234:1234::/home/digits:/bin/sh\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";

constexpr char kGroup[] =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "staff:x:50:app,other\n"
    "app:x:1001:\n"
    "video:x:44\n";

UserDb TestDb() { return UserDb::FromText(kPasswd, kGroup, "/r/etc/passwd", "/r/etc/group"); }

TEST(ParsePasswdTest, ParsesEntries) {
  std::vector<PasswdEntry> e = ParsePasswd(kPasswd);
  ASSERT_THAT(e, SizeIs(8));
  EXPECT_EQ(e[0].name, "root");
  EXPECT_EQ(e[0].home, "/root");
  EXPECT_EQ(e[2].uid, 1000u);
  EXPECT_EQ(e[2].gid, 1001u);
  EXPECT_EQ(e[2].home, "/home/app");  // cleaned
  EXPECT_EQ(e[4].home, "");           // no field
  EXPECT_EQ(e[5].home, "");           // relative: not trusted as $HOME
}

TEST(ParsePasswdTest, SkipsHostileAndMalformedLines) {
  std::string text =
      "\n# comment\n"
      "short:x:1\n"
      ":x:5:5::/:/bin/sh\n"
      "neg:x:-1:0::/:/bin/sh\n"
      "max:x:4294967295:0::/:/bin/sh\n"
      "big:x:99999999999999999999:0::/:/bin/sh\n"
      "hex:x:0x10:0::/:/bin/sh\n"
      "space:x: 7:0::/:/bin/sh\n"
      "+nis::::::\n"
      "-nis::::::\n"
      "dotdot:x:8:8::/a/../../etc:/bin/sh\n" +
      std::string("nul\0x:x:9:9::/:/bin/sh\n", 23) +
      "crlf:x:10:10::/home/crlf:/bin/sh\r\n"
      "ok:x:4294967294:4294967294::/:/bin/sh";
  std::vector<PasswdEntry> e = ParsePasswd(text);
  ASSERT_THAT(e, SizeIs(3));
  EXPECT_EQ(e[0].name, "dotdot");
  EXPECT_EQ(e[0].home, "");
  EXPECT_EQ(e[1].name, "crlf");
  EXPECT_EQ(e[1].home, "/home/crlf");
  EXPECT_EQ(e[2].uid, 4294967294u);
}

TEST(ParseGroupTest, ParsesAndSkips) {
  std::vector<GroupEntry> g = ParseGroup(std::string(kGroup) + "bad:x\nneg:x:-3:\n:x:4:\n");
  ASSERT_THAT(g, SizeIs(5));
  EXPECT_EQ(g[2].name, "staff");
  EXPECT_EQ(g[2].gid, 50u);
  EXPECT_EQ(g[4].name, "video");
  EXPECT_EQ(g[4].gid, 44u);
}

TEST(ParseIdTest, Bounds) {
  EXPECT_EQ(*ParseId("0", "--user", "uid"), 0u);
  EXPECT_EQ(*ParseId("4294967294", "--user", "uid"), 4294967294u);
  EXPECT_THAT(ParseId("4294967295", "--user", "uid"),
              StatusIs(kInvalid, Eq("--user: uid '4294967295' is out of range (0..4294967294)")));
  EXPECT_THAT(ParseId("18446744073709551616", "--user", "uid"),
              StatusIs(kInvalid, HasSubstr("out of range")));
  EXPECT_THAT(ParseId("-1", "--user", "uid"),
              StatusIs(kInvalid, Eq("--user: uid '-1' is not a number")));
  EXPECT_THAT(ParseId("", "--user", "uid"), StatusIs(kInvalid, HasSubstr("not a number")));
  EXPECT_THAT(ParseId("1e3", "--user", "uid"), StatusIs(kInvalid, HasSubstr("not a number")));
  EXPECT_THAT(ParseId(" 1", "--user", "uid"), StatusIs(kInvalid, HasSubstr("not a number")));
}

TEST(ResolveUserTest, NumericUidListedInPasswd) {
  ASSERT_OK_AND_ASSIGN(UserIdentity u, ResolveUser("1000", TestDb(), "--user"));
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1001u);
  EXPECT_EQ(u.home, "/home/app");
}

TEST(ResolveUserTest, NumericUidNotListedGetsGroupZero) {
  ASSERT_OK_AND_ASSIGN(UserIdentity u, ResolveUser("4242", TestDb(), "--user"));
  EXPECT_EQ(u.uid, 4242u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "");
  ASSERT_OK_AND_ASSIGN(UserIdentity e, ResolveUser("7", UserDb(), "--user"));
  EXPECT_EQ(e.gid, 0u);
}

TEST(ResolveUserTest, NumericUidAndGid) {
  ASSERT_OK_AND_ASSIGN(UserIdentity u, ResolveUser("1000:5", TestDb(), "--user"));
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 5u);
  EXPECT_EQ(u.home, "/home/app");
  ASSERT_OK_AND_ASSIGN(UserIdentity m, ResolveUser("4294967294:4294967294", UserDb(), "--user"));
  EXPECT_EQ(m.uid, 4294967294u);
}

TEST(ResolveUserTest, NamesAndMixes) {
  ASSERT_OK_AND_ASSIGN(UserIdentity a, ResolveUser("app", TestDb(), "--user"));
  EXPECT_EQ(a.uid, 1000u);  // first "app" wins
  EXPECT_EQ(a.gid, 1001u);
  ASSERT_OK_AND_ASSIGN(UserIdentity b, ResolveUser("app:staff", TestDb(), "--user"));
  EXPECT_EQ(b.gid, 50u);
  ASSERT_OK_AND_ASSIGN(UserIdentity c, ResolveUser("daemon:0", TestDb(), "--user"));
  EXPECT_EQ(c.uid, 1u);
  EXPECT_EQ(c.gid, 0u);
  ASSERT_OK_AND_ASSIGN(UserIdentity d, ResolveUser("0:video", TestDb(), "--user"));
  EXPECT_EQ(d.uid, 0u);
  EXPECT_EQ(d.gid, 44u);
  EXPECT_EQ(d.home, "/root");
}

TEST(ResolveUserTest, AllDigitsIsAlwaysAnId) {
  // "1234" is also a user name in the file; digits mean an id, as runc does.
  ASSERT_OK_AND_ASSIGN(UserIdentity u, ResolveUser("1234", TestDb(), "--user"));
  EXPECT_EQ(u.uid, 1234u);
}

TEST(ResolveUserTest, MalformedSpecs) {
  EXPECT_THAT(ResolveUser("abc:", TestDb(), "--user"),
              StatusIs(kInvalid, Eq("--user: 'abc:' is not UID[:GID]")));
  for (const char* bad : {"", ":", ":0", "1000:", "a:b:c", "1:2:3"}) {
    EXPECT_THAT(ResolveUser(bad, TestDb(), "--user"),
                StatusIs(kInvalid, HasSubstr("is not UID[:GID]")))
        << bad;
  }
  EXPECT_THAT(ResolveUser("-1", TestDb(), "--user"),
              StatusIs(kInvalid, Eq("--user: '-1' is not a uid or user name")));
  EXPECT_THAT(ResolveUser("a b", TestDb(), "--user"),
              StatusIs(kInvalid, HasSubstr("is not a uid or user name")));
  EXPECT_THAT(ResolveUser("4294967295", TestDb(), "--user"),
              StatusIs(kInvalid, HasSubstr("out of range")));
  EXPECT_THAT(ResolveUser("0:4294967295", TestDb(), "--user"),
              StatusIs(kInvalid, HasSubstr("gid '4294967295' is out of range")));
  EXPECT_THAT(ResolveUser("0:-5", TestDb(), "--user"),
              StatusIs(kInvalid, HasSubstr("'-5' is not a gid or group name")));
}

TEST(ResolveUserTest, UnknownNames) {
  EXPECT_THAT(ResolveUser("ghost", TestDb(), "--user"),
              StatusIs(kNotFound, Eq("--user: no user 'ghost' in /r/etc/passwd")));
  EXPECT_THAT(ResolveUser("app:ghosts", TestDb(), "--user"),
              StatusIs(kNotFound, Eq("--user: no group 'ghosts' in /r/etc/group")));
  EXPECT_THAT(ResolveUser("root", UserDb(), "--user"), StatusIs(kNotFound, HasSubstr("no user")));
}

TEST(ResolveGroupTest, IdsAndNames) {
  EXPECT_EQ(*ResolveGroup("44", TestDb(), "--group-add"), 44u);
  EXPECT_EQ(*ResolveGroup("video", TestDb(), "--group-add"), 44u);
  EXPECT_THAT(ResolveGroup("nogroup", TestDb(), "--group-add"),
              StatusIs(kNotFound, Eq("--group-add: no group 'nogroup' in /r/etc/group")));
  EXPECT_THAT(ResolveGroup("", TestDb(), "--group-add"),
              StatusIs(kInvalid, HasSubstr("is not a gid or group name")));
  EXPECT_THAT(ResolveGroup("4294967295", TestDb(), "--group-add"),
              StatusIs(kInvalid, HasSubstr("out of range")));
}

TEST(IsNumericUserSpecTest, Cases) {
  EXPECT_TRUE(IsNumericUserSpec("1000"));
  EXPECT_TRUE(IsNumericUserSpec("1000:1000"));
  EXPECT_FALSE(IsNumericUserSpec("app"));
  EXPECT_FALSE(IsNumericUserSpec("1000:staff"));
  EXPECT_FALSE(IsNumericUserSpec("1000:"));
  EXPECT_FALSE(IsNumericUserSpec(""));
}

class UserDbLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/identity_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/etc").c_str(), 0755), 0);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  static void Write(const std::string& path, const std::string& text) {
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
  }
  std::string dir_, root_;
};

TEST_F(UserDbLoadTest, ReadsBothFiles) {
  Write(root_ + "/etc/passwd", kPasswd);
  Write(root_ + "/etc/group", kGroup);
  ASSERT_OK_AND_ASSIGN(UserDb db, UserDb::Load(root_ + "/"));
  EXPECT_EQ(db.passwd_name(), CleanPath(root_ + "/etc/passwd"));
  ASSERT_NE(db.FindUser("app"), nullptr);
  ASSERT_NE(db.FindGroup("staff"), nullptr);
  EXPECT_EQ(db.FindUid(65534)->name, "nobody");
}

TEST_F(UserDbLoadTest, MissingFilesAreEmpty) {
  ASSERT_OK_AND_ASSIGN(UserDb db, UserDb::Load(root_));
  EXPECT_EQ(db.FindUser("root"), nullptr);
  ASSERT_EQ(rmdir((root_ + "/etc").c_str()), 0);
  EXPECT_OK(UserDb::Load(root_));
}

TEST_F(UserDbLoadTest, MissingRootIsAnError) {
  EXPECT_THAT(UserDb::Load(dir_ + "/absent"),
              StatusIs(kNotFound, HasSubstr("open(" + dir_ + "/absent)")));
}

TEST_F(UserDbLoadTest, SymlinksStayInsideRoot) {
  Write(dir_ + "/outside_passwd", "evil:x:0:0::/:/bin/sh\n");
  // An absolute symlink resolves against the container root, not the host's.
  ASSERT_EQ(symlink((dir_ + "/outside_passwd").c_str(), (root_ + "/etc/passwd").c_str()), 0);
  // A relative one climbing out is clamped at the root as well.
  ASSERT_EQ(symlink("../../../../../../../../outside_passwd", (root_ + "/etc/group").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(UserDb db, UserDb::Load(root_));
  EXPECT_EQ(db.FindUser("evil"), nullptr);
}

TEST_F(UserDbLoadTest, SymlinkInsideRootIsFollowed) {
  Write(root_ + "/etc/passwd.real", "inside:x:5:5::/:/bin/sh\n");
  ASSERT_EQ(symlink("/etc/passwd.real", (root_ + "/etc/passwd").c_str()), 0);
  ASSERT_OK_AND_ASSIGN(UserDb db, UserDb::Load(root_));
  ASSERT_NE(db.FindUser("inside"), nullptr);
}

TEST_F(UserDbLoadTest, FifoIsRefusedWithoutBlocking) {
  ASSERT_EQ(mkfifo((root_ + "/etc/passwd").c_str(), 0644), 0);
  EXPECT_THAT(UserDb::Load(root_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                            HasSubstr("etc/passwd is not a regular file")));
}

TEST_F(UserDbLoadTest, DirectoryIsRefused) {
  ASSERT_EQ(mkdir((root_ + "/etc/group").c_str(), 0755), 0);
  EXPECT_THAT(UserDb::Load(root_), StatusIs(absl::StatusCode::kFailedPrecondition,
                                            HasSubstr("etc/group is not a regular file")));
}

TEST_F(UserDbLoadTest, OversizedFileIsRefused) {
  Write(root_ + "/etc/passwd", std::string((4 << 20) + 1, '#'));
  EXPECT_THAT(UserDb::Load(root_),
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("etc/passwd")));
}

TEST(ParseIdMappingTest, Valid) {
  ASSERT_OK_AND_ASSIGN(IdMapping m, ParseIdMapping("0:100000:65536", "--uidmap"));
  EXPECT_EQ(m.container_id, 0u);
  EXPECT_EQ(m.host_id, 100000u);
  EXPECT_EQ(m.size, 65536u);
  ASSERT_OK_AND_ASSIGN(IdMapping last, ParseIdMapping("4294967294:0:1", "--uidmap"));
  EXPECT_EQ(last.container_id, 4294967294u);
  ASSERT_OK_AND_ASSIGN(IdMapping all, ParseIdMapping("0:0:4294967295", "--uidmap"));
  EXPECT_EQ(all.size, 4294967295u);
}

TEST(ParseIdMappingTest, Malformed) {
  for (const char* bad : {"", "0", "0:1", "0:1:2:3", "a:1:1", "0:-1:1", "0::1", ":0:1",
                          "0:0:", "0:0:0x1", " 0:0:1"}) {
    EXPECT_THAT(ParseIdMapping(bad, "--uidmap"),
                StatusIs(kInvalid, HasSubstr("is not CONTAINER:HOST:SIZE")))
        << bad;
  }
}

TEST(ParseIdMappingTest, RangeChecks) {
  EXPECT_THAT(ParseIdMapping("0:1000:0", "--gidmap"),
              StatusIs(kInvalid, Eq("--gidmap: size '0' in '0:1000:0' is not 1..4294967295")));
  EXPECT_THAT(ParseIdMapping("0:0:4294967296", "--uidmap"),
              StatusIs(kInvalid, HasSubstr("is not 1..4294967295")));
  EXPECT_THAT(ParseIdMapping("4294967295:0:1", "--uidmap"),
              StatusIs(kInvalid, HasSubstr("container id '4294967295' is out of range")));
  EXPECT_THAT(ParseIdMapping("0:4294967290:10", "--uidmap"),
              StatusIs(kInvalid, Eq("--uidmap: '0:4294967290:10' runs past id 4294967294")));
  EXPECT_THAT(ParseIdMapping("1:0:4294967295", "--uidmap"),
              StatusIs(kInvalid, HasSubstr("runs past id")));
  EXPECT_THAT(ParseIdMapping("0:0:99999999999999999999999", "--uidmap"),
              StatusIs(kInvalid, HasSubstr("is not 1..")));
}

TEST(ValidateIdMappingsTest, DisjointIsFine) {
  EXPECT_OK(ValidateIdMappings({{0, 1000, 1}, {1, 100000, 65535}}, "--uidmap"));
  EXPECT_OK(ValidateIdMappings({}, "--uidmap"));
}

TEST(ValidateIdMappingsTest, ContainerOverlap) {
  EXPECT_THAT(
      ValidateIdMappings({{0, 1000, 10}, {5, 2000, 10}}, "--uidmap"),
      StatusIs(kInvalid, Eq("--uidmap: '0:1000:10' and '5:2000:10' overlap in container ids")));
  EXPECT_THAT(ValidateIdMappings({{9, 1000, 1}, {0, 2000, 10}}, "--uidmap"),
              StatusIs(kInvalid, HasSubstr("container ids")));
}

TEST(ValidateIdMappingsTest, HostOverlap) {
  EXPECT_THAT(ValidateIdMappings({{0, 1000, 10}, {100, 1009, 1}}, "--gidmap"),
              StatusIs(kInvalid, HasSubstr("overlap in host ids")));
  EXPECT_OK(ValidateIdMappings({{0, 1000, 10}, {100, 1010, 1}}, "--gidmap"));
}

TEST(ValidateIdMappingsTest, TooManyAndInvalid) {
  std::vector<IdMapping> many;
  for (uint32_t i = 0; i < 341; ++i) many.push_back({i, 1000 + i, 1});
  EXPECT_THAT(ValidateIdMappings(many, "--uidmap"),
              StatusIs(kInvalid, HasSubstr("341 maps; the kernel takes at most 340")));
  many.pop_back();
  EXPECT_OK(ValidateIdMappings(many, "--uidmap"));
  EXPECT_THAT(ValidateIdMappings({{0, 0, 0}}, "--uidmap"),
              StatusIs(kInvalid, HasSubstr("'0:0:0' is not a valid map")));
  EXPECT_THAT(ValidateIdMappings({{4294967294u, 0, 2}}, "--uidmap"),
              StatusIs(kInvalid, HasSubstr("is not a valid map")));
}

TEST(IsIdMappedTest, Ranges) {
  std::vector<IdMapping> maps = {{0, 1000, 1}, {100, 5000, 10}};
  EXPECT_TRUE(IsIdMapped(maps, 0));
  EXPECT_FALSE(IsIdMapped(maps, 1));
  EXPECT_TRUE(IsIdMapped(maps, 100));
  EXPECT_TRUE(IsIdMapped(maps, 109));
  EXPECT_FALSE(IsIdMapped(maps, 110));
  EXPECT_FALSE(IsIdMapped({}, 0));
  EXPECT_TRUE(IsIdMapped({{0, 0, 4294967295u}}, 4294967294u));
}

TEST(MapIdToHostTest, Ranges) {
  std::vector<IdMapping> maps = {{0, 1000, 1}, {100, 5000, 10}};
  EXPECT_EQ(MapIdToHost(maps, 0), 1000u);
  EXPECT_EQ(MapIdToHost(maps, 1), std::nullopt);
  EXPECT_EQ(MapIdToHost(maps, 100), 5000u);
  EXPECT_EQ(MapIdToHost(maps, 109), 5009u);
  EXPECT_EQ(MapIdToHost(maps, 110), std::nullopt);
  EXPECT_EQ(MapIdToHost({}, 0), std::nullopt);
}

}  // namespace
}  // namespace nucleus
