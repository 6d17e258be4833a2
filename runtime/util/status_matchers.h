// gtest matchers for absl::Status / StatusOr (Abseil 20220623 ships none).
//
//   EXPECT_OK(DoThing());
//   ASSERT_OK_AND_ASSIGN(auto fd, Open(...));
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--user")));
#ifndef NUCLEUS_RUNTIME_UTIL_STATUS_MATCHERS_H_
#define NUCLEUS_RUNTIME_UTIL_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nucleus {
namespace testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER_P2(StatusIs, code, message_matcher, "") {
  const absl::Status& s = ::nucleus::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(s.message()), result_listener);
}

MATCHER(IsOk, "") {
  const absl::Status& s = ::nucleus::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.ok();
}

}  // namespace testing
}  // namespace nucleus

#define EXPECT_OK(expr) EXPECT_THAT((expr), ::nucleus::testing::IsOk())
#define ASSERT_OK(expr) ASSERT_THAT((expr), ::nucleus::testing::IsOk())

#define NUCLEUS_TEST_CONCAT_INNER_(a, b) a##b
#define NUCLEUS_TEST_CONCAT_(a, b) NUCLEUS_TEST_CONCAT_INNER_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                 \
  auto NUCLEUS_TEST_CONCAT_(statusor_, __LINE__) = (expr);              \
  ASSERT_TRUE(NUCLEUS_TEST_CONCAT_(statusor_, __LINE__).ok())           \
      << NUCLEUS_TEST_CONCAT_(statusor_, __LINE__).status().ToString(); \
  lhs = std::move(NUCLEUS_TEST_CONCAT_(statusor_, __LINE__)).value()

#endif  // NUCLEUS_RUNTIME_UTIL_STATUS_MATCHERS_H_
