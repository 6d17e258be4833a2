#include "runtime/audit/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace nucleus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Redact, EnvByKey) {
  EXPECT_EQ(RedactEnv("PATH=/usr/bin"), "PATH=/usr/bin");
  EXPECT_EQ(RedactEnv("DB_PASSWORD=hunter2"), "DB_PASSWORD=<redacted>");
  EXPECT_EQ(RedactEnv("github_token=abc"), "github_token=<redacted>");
  EXPECT_EQ(RedactEnv("AWS_SECRET_ACCESS_KEY=x"), "AWS_SECRET_ACCESS_KEY=<redacted>");
  EXPECT_EQ(RedactEnv("API_KEY="), "API_KEY=<redacted>");
  EXPECT_EQ(RedactEnv("DATABASE_URL=postgres://app:s3cret@db/x"),
            "DATABASE_URL=postgres://app:<redacted>@db/x");
}

TEST(Redact, Args) {
  EXPECT_THAT(RedactArgs({"mysql", "--password=hunter2", "-u", "root"}),
              ElementsAre("mysql", "--password=<redacted>", "-u", "root"));
  EXPECT_THAT(RedactArgs({"curl", "--token", "abc", "https://u:p@h/x"}),
              ElementsAre("curl", "--token", "<redacted>", "https://u:<redacted>@h/x"));
  EXPECT_THAT(RedactArgs({"env", "SECRET=1", "A=2", "run"}),
              ElementsAre("env", "SECRET=<redacted>", "A=2", "run"));
  EXPECT_THAT(RedactArgs({"ls", "-la", "/tmp"}), ElementsAre("ls", "-la", "/tmp"));
  EXPECT_THAT(RedactArgs({"x", "--auth"}), ElementsAre("x", "--auth"));  // nothing follows
  EXPECT_EQ(RedactedCommandLine({"app", "--api-key=k", "serve"}), "app --api-key=<redacted> serve");
}

TEST(AuditLog, FormatIsOneJsonLine) {
  std::string line = AuditLog::Format("2026-01-01T00:00:00Z", "exited", "web", "w",
                                      {{"status", "3"}, {"reason", "exited 3\nquoted\"x"}});
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j["event"], "exited");
  EXPECT_EQ(j["id"], "web");
  EXPECT_EQ(j["name"], "w");
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(j["detail"]["reason"], "exited 3\nquoted\"x");
  // Invalid UTF-8 never breaks the line.
  std::string bad = AuditLog::Format("t", "e", "i", "n", {{"x", std::string("\xff\xfe", 2)}});
  EXPECT_NO_THROW(nlohmann::json::parse(bad));
}

TEST(AuditLog, AppendsToAFile) {
  std::string path =
      std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") + "/audit-test.log";
  unlink(path.c_str());
  AuditLog log;
  ASSERT_TRUE(log.Open(path).ok());
  log.Emit("created", "a", "", {{"pid", "1"}});
  log.Emit("started", "a", "");
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_THAT(text, HasSubstr("\"event\":\"created\""));
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(log.Open("/nonexistent-dir/x.log").ok());
}

TEST(AuditLog, DisabledWritesNothing) {
  AuditLog log;
  EXPECT_FALSE(log.enabled());
  log.Emit("created", "a", "");  // no crash, nowhere to write
  EXPECT_TRUE(log.Open("").ok());
  EXPECT_FALSE(log.enabled());
}

}  // namespace
}  // namespace nucleus
