// `nucleus --audit-log FILE`: one JSON object per line for each container event, secrets
// redacted (runtime/audit/audit.h).
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

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

class AuditTest : public ContainerTest {
 protected:
  std::vector<Json> Lines(const std::string& path) {
    std::vector<Json> out;
    RunResult cat = RunCommand({"/bin/cat", path});
    for (const std::string& line : SplitLines(cat.out)) {
      Json j = Json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }
};

TEST_F(AuditTest, EventsOfARunAreJsonLinesWithTheirFields) {
  std::string log = TestTmpDir() + "/audit-run.log";
  unlink(log.c_str());
  RunResult r = RunCommand({NucleusPath(), "--audit-log", log, "run", "--name", "audit-a", "-e",
                            "DB_PASSWORD=hunter2", "--", "/bin/sh", "-c",
                            "echo --token=abc >/dev/null; exit 3"});
  ASSERT_EQ(r.exit_code, 3) << r;
  std::vector<Json> lines = Lines(log);
  std::vector<std::string> events;
  for (const Json& j : lines) {
    for (const char* field : {"time", "id", "name", "event", "detail"}) {
      EXPECT_TRUE(j.contains(field)) << field << " missing in " << j.dump();
    }
    EXPECT_EQ(j["id"], "audit-a");
    events.push_back(j["event"].get<std::string>());
  }
  EXPECT_THAT(events, ElementsAre("created", "init-started", "started", "exited"));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[3]["detail"]["status"], "3");
  EXPECT_EQ(lines[3]["detail"]["reason"], "exited 3");
  RunResult raw = RunCommand({"/bin/cat", log});
  EXPECT_THAT(raw.out, Not(HasSubstr("hunter2")));
  EXPECT_THAT(raw.out, HasSubstr("DB_PASSWORD=<redacted>"));
  unlink(log.c_str());
}

TEST_F(AuditTest, KilledAndUnconfinedAreRecorded) {
  std::string log = TestTmpDir() + "/audit-kill.log";
  unlink(log.c_str());
  RunResult r = RunCommand({NucleusPath(), "--audit-log", log, "run", "--name", "audit-b",
                            "--seccomp=unconfined", "--", "/bin/sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(r.exit_code, 137) << r;
  std::vector<std::string> events;
  for (const Json& j : Lines(log)) events.push_back(j["event"].get<std::string>());
  EXPECT_THAT(events, ::testing::Contains("unconfined"));
  EXPECT_THAT(events, ::testing::Contains("killed"));
  EXPECT_EQ(events.back(), "exited");
  unlink(log.c_str());
}

TEST_F(AuditTest, BadAuditLogPathIsANucleusError) {
  RunResult r = RunCommand(
      {NucleusPath(), "--audit-log", "/nonexistent-dir/x.log", "run", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("--audit-log")) << r;
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
