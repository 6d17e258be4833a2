#include "runtime/backends.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = ContainerSpec::BackendKind;

TEST(MakeBackendTest, Names) {
  absl::StatusOr<std::unique_ptr<Backend>> b = MakeBackend(Kind::kNative);
  ASSERT_OK(b.status());
  EXPECT_EQ((*b)->name(), "native");
  b = MakeBackend(Kind::kGvisor);
  ASSERT_OK(b.status());
  EXPECT_EQ((*b)->name(), "gvisor");
  EXPECT_THAT(MakeBackend(Kind::kAuto),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("auto")));
}

TEST(ResolveBackendTest, ExplicitKindsStay) {
  std::vector<std::string> warnings;
  EXPECT_EQ(ResolveBackend(Kind::kNative, &warnings), Kind::kNative);
  EXPECT_EQ(ResolveBackend(Kind::kGvisor, &warnings), Kind::kGvisor);
  EXPECT_THAT(warnings, IsEmpty());
}

TEST(ResolveBackendTest, AutoWithoutRunscIsNativeWithAReason) {
  setenv("NUCLEUS_RUNSC", "/nonexistent/runsc", 1);
  std::vector<std::string> warnings;
  EXPECT_EQ(ResolveBackend(Kind::kAuto, &warnings), Kind::kNative);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("using the native backend"));
  unsetenv("NUCLEUS_RUNSC");
}

}  // namespace
}  // namespace nucleus
