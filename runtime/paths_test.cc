#include "runtime/paths.h"

#include <limits.h>
#include <unistd.h>

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

TEST(CleanPathTest, CollapsesSlashesAndDots) {
  EXPECT_EQ(CleanPath("//a/./b/"), "/a/b");
  EXPECT_EQ(CleanPath("/a//b///c"), "/a/b/c");
  EXPECT_EQ(CleanPath("/./"), "/");
  EXPECT_EQ(CleanPath("/"), "/");
  EXPECT_EQ(CleanPath("a/b/"), "a/b");
  EXPECT_EQ(CleanPath("./a"), "a");
}

TEST(CleanPathTest, ResolvesDotDotLexically) {
  EXPECT_EQ(CleanPath("/a/b/../c"), "/a/c");
  EXPECT_EQ(CleanPath("/.."), "/");
  EXPECT_EQ(CleanPath("/../../x"), "/x");
  EXPECT_EQ(CleanPath("a/.."), ".");
  EXPECT_EQ(CleanPath("a/../.."), "..");
  EXPECT_EQ(CleanPath("../../a/../b"), "../../b");
  EXPECT_EQ(CleanPath("..."), "...");
  EXPECT_EQ(CleanPath("/a/..b/.c"), "/a/..b/.c");
}

TEST(CleanPathTest, EmptyIsDot) {
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(CleanPath("."), ".");
}

TEST(ValidateContainerPathTest, CleansValidPaths) {
  ASSERT_OK_AND_ASSIGN(std::string p, ValidateContainerPath("//a/./b/", "--rw"));
  EXPECT_EQ(p, "/a/b");
  ASSERT_OK_AND_ASSIGN(std::string root, ValidateContainerPath("/", "--workdir"));
  EXPECT_EQ(root, "/");
  ASSERT_OK_AND_ASSIGN(std::string dots, ValidateContainerPath("/a/...b/..c", "--workdir"));
  EXPECT_EQ(dots, "/a/...b/..c");
}

TEST(ValidateContainerPathTest, RejectsRelative) {
  EXPECT_THAT(ValidateContainerPath("a/b", "--workdir"),
              StatusIs(kInvalid, Eq("--workdir: 'a/b' is not an absolute path")));
  EXPECT_THAT(ValidateContainerPath("./a", "--workdir"),
              StatusIs(kInvalid, HasSubstr("not an absolute path")));
}

TEST(ValidateContainerPathTest, RejectsDotDot) {
  EXPECT_THAT(ValidateContainerPath("/a/../b", "--rw"),
              StatusIs(kInvalid, Eq("--rw: '/a/../b' contains a '..' component")));
  EXPECT_THAT(ValidateContainerPath("/..", "--rw"), StatusIs(kInvalid, HasSubstr("'..'")));
  EXPECT_THAT(ValidateContainerPath("/a/..", "--rw"), StatusIs(kInvalid, HasSubstr("'..'")));
}

TEST(ValidateContainerPathTest, RejectsEmptyAndNul) {
  EXPECT_THAT(ValidateContainerPath("", "--workdir"),
              StatusIs(kInvalid, Eq("--workdir: empty path")));
  EXPECT_THAT(ValidateContainerPath(std::string("/a\0b", 4), "--workdir"),
              StatusIs(kInvalid, Eq("--workdir: '/a\\000b' contains a NUL byte")));
}

TEST(ValidateContainerPathTest, BoundsLength) {
  std::string longest;
  while (longest.size() + 256 <= PATH_MAX - 1) longest += "/" + std::string(255, 'a');
  longest += "/" + std::string(PATH_MAX - 1 - longest.size() - 1, 'c');
  ASSERT_EQ(longest.size(), PATH_MAX - 1);
  EXPECT_OK(ValidateContainerPath(longest, "--workdir"));
  EXPECT_THAT(ValidateContainerPath(longest + "d", "--workdir"),
              StatusIs(kInvalid, HasSubstr("is longer than 4095 bytes")));
  EXPECT_OK(ValidateContainerPath("/" + std::string(NAME_MAX, 'x'), "--workdir"));
  EXPECT_THAT(ValidateContainerPath("/" + std::string(NAME_MAX + 1, 'x'), "--workdir"),
              StatusIs(kInvalid, HasSubstr("component longer than 255 bytes")));
}

TEST(ValidateContainerPathTest, ErrorIsOneLine) {
  absl::Status s = ValidateContainerPath("rel\native", "--workdir").status();
  EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr("\n")));
  EXPECT_THAT(s, StatusIs(kInvalid, HasSubstr("'rel\\native'")));
}

TEST(ValidateHostPathTest, MakesRelativeAbsolute) {
  ASSERT_OK_AND_ASSIGN(std::string p, ValidateHostPath("out/./x", "/home/u", "--rw"));
  EXPECT_EQ(p, "/home/u/out/x");
  ASSERT_OK_AND_ASSIGN(std::string up, ValidateHostPath("../data", "/home/u/src", "--rw"));
  EXPECT_EQ(up, "/home/u/data");
  ASSERT_OK_AND_ASSIGN(std::string dot, ValidateHostPath(".", "/srv", "--rootfs"));
  EXPECT_EQ(dot, "/srv");
  ASSERT_OK_AND_ASSIGN(std::string far, ValidateHostPath("../../../..", "/a", "--ro"));
  EXPECT_EQ(far, "/");
}

TEST(ValidateHostPathTest, AbsoluteIgnoresCwdAndResolvesDotDot) {
  ASSERT_OK_AND_ASSIGN(std::string p, ValidateHostPath("/a/../b//", "/ignored", "--ro"));
  EXPECT_EQ(p, "/b");
}

TEST(ValidateHostPathTest, RejectsBadInput) {
  EXPECT_THAT(ValidateHostPath("", "/", "--ro"), StatusIs(kInvalid, Eq("--ro: empty path")));
  EXPECT_THAT(ValidateHostPath(std::string("a\0", 2), "/", "--ro"),
              StatusIs(kInvalid, HasSubstr("NUL")));
  EXPECT_THAT(ValidateHostPath("a", "relative-cwd", "--ro"),
              StatusIs(kInvalid, HasSubstr("cannot resolve relative path 'a'")));
}

TEST(ValidateHostPathTest, JoinedPathIsBounded) {
  std::string cwd = "/" + std::string(200, 'c');
  while (cwd.size() < PATH_MAX - 100) cwd += "/" + std::string(200, 'c');
  EXPECT_THAT(ValidateHostPath(std::string(200, 'r'), cwd, "--rw"),
              StatusIs(kInvalid, HasSubstr("longer than")));
}

TEST(ValidateHostPathTest, UsesProcessCwd) {
  char buf[PATH_MAX];
  ASSERT_NE(getcwd(buf, sizeof(buf)), nullptr);
  ASSERT_OK_AND_ASSIGN(std::string p, ValidateHostPath("sub/dir", "--rw"));
  EXPECT_EQ(p, CleanPath(std::string(buf) + "/sub/dir"));
  ASSERT_OK_AND_ASSIGN(std::string abs, ValidateHostPath("/x/y/", "--rw"));
  EXPECT_EQ(abs, "/x/y");
}

TEST(ValidatePathTest, RulesCombine) {
  PathRules rules;
  rules.require_absolute = false;
  rules.base = "/base";
  EXPECT_THAT(ValidatePath("a/../b", rules, "--x"), StatusIs(kInvalid, HasSubstr("'..'")));
  ASSERT_OK_AND_ASSIGN(std::string p, ValidatePath("a/b", rules, "--x"));
  EXPECT_EQ(p, "/base/a/b");
}

}  // namespace
}  // namespace nucleus
