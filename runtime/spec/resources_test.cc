#include "runtime/spec/resources.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;

ResourcesSpec With(ResourcesSpec::Naming naming) {
  ResourcesSpec r;
  r.naming = naming;
  return r;
}

TEST(ValidateResourcesTest, TheSameRulesNamedAsEachFrontEndNamesThem) {
  for (auto naming : {ResourcesSpec::Naming::kFlags, ResourcesSpec::Naming::kOci}) {
    const bool oci = naming == ResourcesSpec::Naming::kOci;
    const std::string memory = oci ? "linux.resources.memory.limit" : "--memory";
    const std::string swap = oci ? "linux.resources.memory.swap" : "--memory-swap";
    ResourcesSpec r = With(naming);
    EXPECT_OK(ValidateResources(r));

    r.memory = 1 << 20;
    EXPECT_THAT(ValidateResources(r),
                StatusIs(absl::StatusCode::kInvalidArgument, ::testing::StartsWith(memory + ": ")));
    r.memory = kMinMemoryBytes;
    EXPECT_OK(ValidateResources(r));

    ResourcesSpec s = With(naming);
    s.memory_swap = 64 << 20;
    EXPECT_THAT(ValidateResources(s), StatusIs(absl::StatusCode::kInvalidArgument,
                                               Eq(swap + ": needs " + memory + " as well")));
    s.memory = 128 << 20;
    EXPECT_THAT(ValidateResources(s),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         Eq(swap + ": is memory plus swap, so it cannot be below " + memory +
                            " (-1: unlimited swap)")));
    s.memory_swap = -1;
    EXPECT_OK(ValidateResources(s));

    ResourcesSpec v = With(naming);
    v.memory = 64 << 20;
    v.memory_reservation = 128 << 20;
    EXPECT_THAT(ValidateResources(v), StatusIs(absl::StatusCode::kInvalidArgument,
                                               ::testing::HasSubstr("cannot be above")));
  }
  ResourcesSpec w;
  w.cpu_shares = 2;
  w.cpu_weight = 2;
  EXPECT_THAT(ValidateResources(w),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       Eq("--cpu-weight: conflicts with --cpu-shares (give one)")));
}

TEST(ResourceNameTest, EveryFieldHasBothNames) {
  for (int f = 0; f <= static_cast<int>(ResourceField::kBlkioWeight); ++f) {
    const auto field = static_cast<ResourceField>(f);
    EXPECT_THAT(ResourceName(field, ResourcesSpec::Naming::kFlags), ::testing::StartsWith("--"));
    EXPECT_THAT(ResourceName(field, ResourcesSpec::Naming::kOci),
                ::testing::StartsWith("linux.resources."));
  }
}

}  // namespace
}  // namespace nucleus
