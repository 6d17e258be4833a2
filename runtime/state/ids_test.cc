#include "runtime/state/ids.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ValidateContainerIdTest, AcceptsDockerNames) {
  for (const char* ok : {"a", "0", "web", "my_app.v2-1", "A..b", "x-", "abc.", "9f86d081884c"}) {
    EXPECT_OK(ValidateContainerId(ok)) << ok;
    EXPECT_OK(ValidateContainerName(ok)) << ok;
  }
  EXPECT_OK(ValidateContainerId(std::string(128, 'a')));
}

TEST(ValidateContainerIdTest, RejectsUnsafeNames) {
  using std::string_literals::operator""s;
  for (const std::string& bad :
       {""s, "."s, ".."s, "../x"s, "a/b"s, "/abs"s, ".hidden"s, "-x"s, "_x"s, "a b"s, "a\nb"s,
        "a\0b"s, "é"s, "a:b"s, "a*"s, std::string(129, 'a')}) {
    EXPECT_THAT(ValidateContainerId(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("container ID")))
        << bad;
  }
  EXPECT_THAT(ValidateContainerId("a/b"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'/' is not allowed")));
  EXPECT_THAT(ValidateContainerId(std::string(129, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("longer than 128")));
  EXPECT_THAT(ValidateContainerName(".."),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("container name '..'")));
  // NUL is shown escaped, never truncating the message.
  EXPECT_THAT(ValidateContainerId(std::string("a\0b", 3)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\\000")));
}

TEST(GenerateContainerIdTest, HexOfRequestedLengthAndValid) {
  std::set<std::string> seen;
  for (size_t len : {12, 13, 32, 64}) {
    for (int i = 0; i < 50; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string id, GenerateContainerId(len));
      EXPECT_EQ(id.size(), len);
      EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
      EXPECT_NE(id.substr(0, 12).find_first_not_of("0123456789"), std::string::npos) << id;
      EXPECT_OK(ValidateContainerId(id));
      seen.insert(id);
    }
  }
  EXPECT_EQ(seen.size(), 200u);
  EXPECT_THAT(GenerateContainerId(11),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("[12, 64]")));
  EXPECT_THAT(GenerateContainerId(65), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "container ID length 65 is not in [12, 64]"));
}

TEST(ResolveContainerRefTest, ExactIdThenExactNameThenUniquePrefix) {
  std::vector<KnownContainer> known = {
      {"abc123", "web"}, {"abd456", ""}, {"web999", "db"}, {"f00", "abc"}};
  EXPECT_EQ(*ResolveContainerRef("abc123", known), "abc123");
  // An exact name beats an id prefix ("web" is a prefix of web999 but the name of abc123).
  EXPECT_EQ(*ResolveContainerRef("web", known), "abc123");
  // An exact name beats a unique prefix too ("abc" prefixes abc123 but names f00).
  EXPECT_EQ(*ResolveContainerRef("abc", known), "f00");
  EXPECT_EQ(*ResolveContainerRef("abd", known), "abd456");
  EXPECT_EQ(*ResolveContainerRef("db", known), "web999");
  EXPECT_EQ(*ResolveContainerRef("f", known), "f00");
  // Names are never prefix-matched.
  EXPECT_THAT(ResolveContainerRef("d", known),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such container: 'd'")));
  EXPECT_THAT(
      ResolveContainerRef("ab", known),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("'ab' is ambiguous"), HasSubstr("abc123"), HasSubstr("abd456"))));
  EXPECT_THAT(ResolveContainerRef("", known),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ResolveContainerRef("x", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such container")));
}

TEST(ResolveContainerRefTest, ManyCandidatesAreElided) {
  std::vector<KnownContainer> known;
  for (int i = 0; i < 20; ++i) known.push_back({"aa" + std::to_string(100 + i), ""});
  EXPECT_THAT(ResolveContainerRef("aa", known),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("matches 20 containers"), HasSubstr(", ...)"))));
}

}  // namespace
}  // namespace nucleus
