#include "runtime/state/liveness.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LivenessTest, OwnPidWithRealAndFakeStartTime) {
  ASSERT_OK_AND_ASSIGN(uint64_t start, ReadStartTime(getpid()));
  EXPECT_GT(start, 0u);
  ASSERT_OK_AND_ASSIGN(bool same, IsSameProcess(getpid(), start));
  EXPECT_TRUE(same);
  ASSERT_OK_AND_ASSIGN(same, IsSameProcess(getpid(), start + 1));
  EXPECT_FALSE(same);  // our pid, another start time: a reused pid is "gone"

  ASSERT_OK_AND_ASSIGN(UniqueFd pidfd, OpenVerifiedPidfd(getpid(), start));
  EXPECT_TRUE(pidfd.valid());
  EXPECT_THAT(OpenVerifiedPidfd(getpid(), start + 1).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pid is free or reused")));
}

TEST(LivenessTest, ReapedChildIsGone) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(0);
  ASSERT_OK_AND_ASSIGN(uint64_t start, ReadStartTime(child));  // alive or zombie: readable
  int status;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_OK_AND_ASSIGN(bool same, IsSameProcess(child, start));
  EXPECT_FALSE(same);
  EXPECT_THAT(OpenVerifiedPidfd(child, start).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
}

TEST(LivenessTest, PidZeroNeverMeansSelf) {
  EXPECT_THAT(ReadStartTime(0).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(IsSameProcess(0, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(OpenVerifiedPidfd(-1, 1).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(LivenessTest, FakeProcTree) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string proc = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/proc-", getpid());
  ASSERT_EQ(mkdir(proc.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((proc + "/77").c_str(), 0755), 0);
  std::ofstream(proc + "/77/stat")
      << "77 (a) b) c) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10\n";
  ASSERT_OK_AND_ASSIGN(uint64_t start, ReadStartTime(77, proc));
  EXPECT_EQ(start, 987654u);
  EXPECT_TRUE(*IsSameProcess(77, 987654, proc));
  EXPECT_FALSE(*IsSameProcess(77, 987655, proc));
  EXPECT_FALSE(*IsSameProcess(78, 987654, proc));  // no /proc/78
  ASSERT_EQ(mkdir((proc + "/79").c_str(), 0755), 0);
  std::ofstream(proc + "/79/stat") << "garbage";
  EXPECT_THAT(IsSameProcess(79, 1, proc).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("79/stat")));
}

}  // namespace
}  // namespace nucleus
