// `nucleus run -d --readiness-*`: run -d returns once the container is ready, and says why
// not when it never is; `nucleus wait --ready`.
#include <time.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

class ReadinessTest : public ContainerTest {
 protected:
  // run -d's monitor is reparented to this test (a subreaper): once its container is gone
  // it exits, and it is reaped here before the leftover check.
  void TearDown() override {
    ReapChildren(5);
    ContainerTest::TearDown();
  }
};

TEST_F(ReadinessTest, TcpReadinessPassesOnlyOnceTheServiceListens) {
  // The service listens only after 1.5 s; run -d must not return before.
  double start = Now();
  RunResult r =
      Nucleus({"run", "-d", "--name", "ready-tcp", "--readiness-tcp", "18080",
               "--readiness-interval", "100ms", "--", ProbePath(), "serve", "18080", "1500"});
  double took = Now() - start;
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_GE(took, 1.4) << "returned before the service listened";
  RunResult w = Nucleus({"wait", "--ready", "--timeout", "5s", "ready-tcp"});
  EXPECT_EQ(w.exit_code, 0) << w;
  RunResult inspect = Nucleus({"inspect", "ready-tcp"});
  EXPECT_THAT(inspect.out, HasSubstr("\"ready\": true")) << inspect;
  RunResult logs = Nucleus({"logs", "ready-tcp"});
  EXPECT_THAT(logs.out, HasSubstr("listening")) << logs;
  EXPECT_EQ(Nucleus({"rm", "-f", "ready-tcp"}).exit_code, 0);
}

TEST_F(ReadinessTest, AServiceThatNeverListensTimesOutWithTheReason) {
  RunResult r = Nucleus({"run", "-d", "--name", "ready-never", "--readiness-tcp", "18081",
                         "--readiness-retries", "4", "--readiness-interval", "100ms", "--",
                         ProbePath(), "sleep", "100"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("readiness: not ready after 4 attempts")) << r;
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1:18081: Connection refused")) << r;
  // The container was killed; its entry stays for `logs`, stopped.
  RunResult w = Nucleus({"wait", "--timeout", "10s", "ready-never"});
  EXPECT_EQ(w.exit_code, 0) << w;
  EXPECT_EQ(w.out, "137\n") << w;
  EXPECT_EQ(Nucleus({"rm", "ready-never"}).exit_code, 0);
}

TEST_F(ReadinessTest, ExecProbeRunsInsideTheContainerAsItsUser) {
  // Ready once the workload made /tmp/ok (its private /tmp: the probe must be inside) and
  // only if the probe runs as the container's user.
  RunResult r =
      Nucleus({"run", "-d", "--name", "ready-exec", "--user", "1000:1000", "--readiness-exec",
               "test \"$(id -u)\" = 1000 && test -e /tmp/ok", "--readiness-interval", "100ms", "--",
               "/bin/sh", "-c", "sleep 0.5; touch /tmp/ok; sleep 100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(Nucleus({"wait", "--ready", "--timeout", "1s", "ready-exec"}).exit_code, 0);
  EXPECT_EQ(Nucleus({"rm", "-f", "ready-exec"}).exit_code, 0);
}

TEST_F(ReadinessTest, ExitingBeforeReadyIsReported) {
  RunResult r = Nucleus({"run", "-d", "--name", "ready-exit", "--readiness-tcp", "18082", "--",
                         "/bin/sh", "-c", "exit 4"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("exited before it was ready")) << r;
  RunResult w = Nucleus({"wait", "--ready", "--timeout", "5s", "ready-exit"});
  EXPECT_NE(w.exit_code, 0) << w;
  EXPECT_EQ(Nucleus({"rm", "ready-exit"}).exit_code, 0);
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
