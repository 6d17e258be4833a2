#include "runtime/service/policy.h"

#include "gtest/gtest.h"

namespace nucleus {
namespace {

HealthCheck Check(int retries, HealthCheck::OnFailure on_failure) {
  HealthCheck h;
  h.cmd = "true";
  h.retries = retries;
  h.on_failure = on_failure;
  return h;
}

TEST(NextHealthTest, RetriesFailuresInARowMakeItUnhealthyASuccessHealthyAgain) {
  const HealthCheck h = Check(3, HealthCheck::OnFailure::kNone);
  HealthState s;
  EXPECT_EQ(s.status, "starting");
  s = NextHealth(h, s, false, false).next;
  s = NextHealth(h, s, false, false).next;
  EXPECT_EQ(s.status, "starting");
  EXPECT_EQ(s.failing_streak, 2);
  HealthStep third = NextHealth(h, s, false, false);
  EXPECT_EQ(third.next.status, "unhealthy");
  EXPECT_FALSE(third.kill) << "on_failure none never kills";
  HealthStep back = NextHealth(h, third.next, true, false);
  EXPECT_EQ(back.next.status, "healthy");
  EXPECT_EQ(back.next.failing_streak, 0);
}

TEST(NextHealthTest, FailuresInTheStartPeriodDoNotCount) {
  const HealthCheck h = Check(1, HealthCheck::OnFailure::kKill);
  HealthStep step = NextHealth(h, HealthState{}, false, /*in_start_period=*/true);
  EXPECT_EQ(step.next.status, "starting");
  EXPECT_EQ(step.next.failing_streak, 0);
  EXPECT_FALSE(step.kill);
  // A success in the start period counts.
  EXPECT_EQ(NextHealth(h, HealthState{}, true, true).next.status, "healthy");
}

TEST(NextHealthTest, KillsOnceWhenItBecomesUnhealthy) {
  for (auto on_failure : {HealthCheck::OnFailure::kKill, HealthCheck::OnFailure::kRestart}) {
    const HealthCheck h = Check(1, on_failure);
    HealthStep first = NextHealth(h, HealthState{"healthy", 0}, false, false);
    EXPECT_EQ(first.next.status, "unhealthy");
    EXPECT_TRUE(first.kill);
    EXPECT_FALSE(NextHealth(h, first.next, false, false).kill) << "already unhealthy";
  }
}

TEST(ShouldRestartTest, DockerPolicies) {
  const HealthCheck none = Check(3, HealthCheck::OnFailure::kNone);
  RestartPolicy no;
  EXPECT_FALSE(ShouldRestart(no, none, false, 1, 1));
  RestartPolicy always{RestartPolicy::Kind::kAlways, 0};
  EXPECT_TRUE(ShouldRestart(always, none, false, 0, 100));
  RestartPolicy on_failure{RestartPolicy::Kind::kOnFailure, 2};
  EXPECT_FALSE(ShouldRestart(on_failure, none, false, 0, 1)) << "exited 0";
  EXPECT_TRUE(ShouldRestart(on_failure, none, false, 3, 1));
  EXPECT_TRUE(ShouldRestart(on_failure, none, false, 3, 2));
  EXPECT_FALSE(ShouldRestart(on_failure, none, false, 3, 3)) << "at most MAX restarts";
  RestartPolicy unlimited{RestartPolicy::Kind::kOnFailure, 0};
  EXPECT_TRUE(ShouldRestart(unlimited, none, false, 1, 1000));
  // Killed for being unhealthy: restarted only when on_failure says restart.
  EXPECT_TRUE(ShouldRestart(no, Check(3, HealthCheck::OnFailure::kRestart), true, 137, 1));
  EXPECT_FALSE(ShouldRestart(no, Check(3, HealthCheck::OnFailure::kKill), true, 137, 1));
}

TEST(BackoffTest, DoublesToAMinuteAndResetsAfterALongRun) {
  absl::Duration b = kFirstBackoff;
  for (int i = 0; i < 20; ++i) b = NextBackoff(b);
  EXPECT_EQ(b, kMaxBackoff);
  EXPECT_EQ(NextBackoff(absl::Milliseconds(100)), absl::Milliseconds(200));
  EXPECT_EQ(RestartBackoff(absl::Seconds(8), absl::Seconds(2)), absl::Seconds(8));
  EXPECT_EQ(RestartBackoff(absl::Seconds(8), absl::Seconds(10)), kFirstBackoff);
}

}  // namespace
}  // namespace nucleus
