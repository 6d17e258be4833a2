// `nucleus run -d --health-*`: docker's health checks, run by the monitor inside the
// container; state in ps/inspect; an unhealthy container killed after exactly the
// configured number of failures.
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

class HealthTest : public ContainerTest {
 protected:
  void TearDown() override {  // the monitors are reparented to this test: reap them
    ReapChildren(5);
    ContainerTest::TearDown();
  }
};

TEST_F(HealthTest, UnhealthyIsKilledAfterExactlyTheRetries) {
  std::string audit = TestTmpDir() + "/health-audit.log";
  unlink(audit.c_str());
  RunResult r = Nucleus({"--audit-log", audit, "run", "-d", "--name", "health-bad", "--health-cmd",
                         "echo sick; exit 1", "--health-interval", "100ms", "--health-retries", "3",
                         "--health-on-failure", "kill", "--", "sleep", "100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  RunResult w = Nucleus({"wait", "--timeout", "20s", "health-bad"});
  EXPECT_EQ(w.out, "137\n") << w;
  Json st = InspectContainer("health-bad");
  EXPECT_EQ(st["health"]["status"], "unhealthy") << st.dump();
  EXPECT_EQ(st["health"]["failingStreak"], 3) << st.dump();
  EXPECT_THAT(st["health"]["lastOutput"].get<std::string>(), HasSubstr("sick")) << st.dump();
  RunResult log = RunCommand({"/bin/cat", audit});
  int changes = 0, kills = 0;
  for (const std::string& line : SplitLines(log.out)) {
    Json j = Json::parse(line, nullptr, false);
    if (j["event"] == "health-changed" && j["detail"]["to"] == "unhealthy") {
      ++changes;
      EXPECT_EQ(j["detail"]["failing_streak"], "3") << line;
    }
    if (j["event"] == "killed-unhealthy") ++kills;
  }
  EXPECT_EQ(changes, 1) << log.out;
  EXPECT_EQ(kills, 1) << log.out;
  EXPECT_EQ(Nucleus({"rm", "health-bad"}).exit_code, 0);
  unlink(audit.c_str());
}

TEST_F(HealthTest, BecomesHealthyAndShowsInPs) {
  RunResult r = Nucleus({"run", "-d", "--name", "health-ok", "--health-cmd", "test -e /tmp/ok",
                         "--health-interval", "100ms", "--", "/bin/sh", "-c",
                         "sleep 0.3; touch /tmp/ok; sleep 100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string status;
  for (int i = 0; i < 100 && status != "healthy"; ++i) {
    usleep(100 * 1000);
    Json st = InspectContainer("health-ok");
    if (st.contains("health")) status = st["health"]["status"].get<std::string>();
  }
  EXPECT_EQ(status, "healthy");
  RunResult ps = Nucleus({"ps"});
  EXPECT_THAT(ps.out, HasSubstr("running (healthy)")) << ps;
  EXPECT_EQ(Nucleus({"rm", "-f", "health-ok"}).exit_code, 0);
}

TEST_F(HealthTest, FailuresInTheStartPeriodDoNotCount) {
  RunResult r =
      Nucleus({"run", "-d", "--name", "health-start", "--health-cmd", "exit 1", "--health-interval",
               "100ms", "--health-retries", "1", "--health-start-period", "60s",
               "--health-on-failure", "kill", "--", "sleep", "100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  usleep(800 * 1000);
  Json st = InspectContainer("health-start");
  EXPECT_EQ(st["status"], "running") << st.dump();
  EXPECT_EQ(st["health"]["status"], "starting") << st.dump();
  EXPECT_EQ(Nucleus({"rm", "-f", "health-start"}).exit_code, 0);
}

TEST_F(HealthTest, BadHealthFlags) {
  RunResult a = Nucleus({"run", "--health-cmd", "true", "--", "/bin/true"});
  EXPECT_EQ(a.exit_code, 125) << a;
  EXPECT_THAT(a.err, HasSubstr("need -d")) << a;
  RunResult b = Nucleus(
      {"run", "-d", "--health-cmd", "true", "--health-on-failure", "reboot", "--", "/bin/true"});
  EXPECT_EQ(b.exit_code, 125) << b;
  EXPECT_THAT(b.err, HasSubstr("--health-on-failure")) << b;
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
