#include "runtime/util/status.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;

TEST(ErrnoStatusTest, NamesCallArgumentAndError) {
  absl::Status s = ErrnoStatus("mount", "proc, /rootfs/proc", EPERM);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied,
                          Eq("mount(proc, /rootfs/proc): Operation not permitted")));
}

TEST(ErrnoStatusTest, NoArgument) {
  EXPECT_THAT(ErrnoStatus("pivot_root", "", EINVAL),
              StatusIs(absl::StatusCode::kInvalidArgument, Eq("pivot_root: Invalid argument")));
  EXPECT_THAT(ErrnoStatus("open", "/x", ENOENT),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("No such file")));
}

// An untrusted path with a newline must not split the one-line error (flags_fuzz found it).
TEST(ErrnoStatusTest, EscapesControlCharactersInTheArgument) {
  EXPECT_THAT(ErrnoStatus("stat", "/a\nb", ENOENT),
              StatusIs(absl::StatusCode::kNotFound, Eq("stat(/a\\nb): No such file or directory")));
}

TEST(AnnotateTest, PrefixesContextAndKeepsCode) {
  absl::Status s = Annotate(absl::NotFoundError("open(/x): gone"), "--ro /x");
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound, Eq("--ro /x: open(/x): gone")));
  EXPECT_TRUE(Annotate(absl::OkStatus(), "ctx").ok());
}

absl::StatusOr<int> Half(int v) {
  if (v % 2) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  ASSIGN_OR_RETURN(int h, Half(v));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status CheckEven(int v) {
  RETURN_IF_ERROR(Half(v).status());
  return absl::OkStatus();
}

TEST(MacrosTest, PropagateFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_THAT(Quarter(6), StatusIs(absl::StatusCode::kInvalidArgument, Eq("odd")));
  EXPECT_OK(CheckEven(4));
  EXPECT_THAT(CheckEven(3), StatusIs(absl::StatusCode::kInvalidArgument, Eq("odd")));
}

}  // namespace
}  // namespace nucleus
