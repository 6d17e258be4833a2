#include "runtime/state/state.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

ContainerState Full() {
  ContainerState s;
  s.id = "3f2a9c0d1e4b";
  s.name = "web";
  s.status = ContainerStatus::kStopped;
  s.pid = 4242;
  s.pid_start_time = 123456789;
  s.bundle = "/var/lib/bundles/web";
  s.rootfs = "/var/lib/bundles/web/rootfs";
  s.annotations = {{"org.opencontainers.image.title", "web"}, {"k", "v\n\"quoted\""}};
  s.created = absl::FromUnixNanos(1700000000123456789);
  s.stop_requested = true;
  s.backend = StateBackend::kGvisor;
  s.exit = ExitRecord{ExitRecord::Kind::kOom, 0, 9, "out of memory (limit 32 MiB)"};
  s.cgroup_paths = {{"unified", "/sys/fs/cgroup/nucleus/web"},
                    {"memory", "/sys/fs/cgroup/memory/x"}};
  s.log_path = "/run/nucleus/3f2a9c0d1e4b/log";
  s.restart_count = 3;
  return s;
}

// A minimal valid state.json with one field replaced (or removed, value == nullptr).
std::string With(const std::string& key, const char* value) {
  std::string fields[][2] = {{"ociVersion", "\"1.0.2\""}, {"id", "\"abc\""},
                             {"status", "\"running\""},   {"pid", "42"},
                             {"bundle", "\"/b\""},        {"created", "\"2024-05-01T12:00:00Z\""}};
  std::string out = "{";
  bool replaced = false;
  for (auto& f : fields) {
    std::string v = f[1];
    if (f[0] == key) {
      replaced = true;
      if (value == nullptr) continue;
      v = value;
    }
    absl::StrAppend(&out, out.size() > 1 ? "," : "", "\"", f[0], "\":", v);
  }
  if (!replaced && value != nullptr) absl::StrAppend(&out, ",\"", key, "\":", value);
  return out + "}";
}

TEST(StateJsonTest, RoundTripFull) {
  ContainerState s = Full();
  std::string text = ToJson(s);
  ASSERT_OK_AND_ASSIGN(ContainerState back, ParseStateJson(text));
  EXPECT_EQ(back, s) << text;
  EXPECT_THAT(text, HasSubstr("\"created\": \"2023-11-14T22:13:20.123456789Z\""));
  EXPECT_THAT(text, HasSubstr("\"ociVersion\": \"1.0.2\""));
}

TEST(StateJsonTest, RoundTripMinimalAndEveryStatus) {
  for (ContainerStatus st :
       {ContainerStatus::kCreating, ContainerStatus::kCreated, ContainerStatus::kRunning,
        ContainerStatus::kPaused, ContainerStatus::kStopped}) {
    ContainerState s;
    s.id = "a";
    s.status = st;
    s.pid = 1;
    s.bundle = "/";
    ASSERT_OK_AND_ASSIGN(ContainerState back, ParseStateJson(ToJson(s)));
    EXPECT_EQ(back, s) << ContainerStatusName(st);
  }
  ContainerState s;
  s.id = "a";
  s.bundle = "/b";
  s.exit = ExitRecord{ExitRecord::Kind::kExited, 3, 0, ""};
  ASSERT_OK_AND_ASSIGN(ContainerState back, ParseStateJson(ToJson(s)));
  EXPECT_EQ(back, s);
  EXPECT_NE(back, Full());
}

TEST(StateJsonTest, OciSubset) {
  std::string oci = ToOciStateJson(Full());
  EXPECT_THAT(oci, HasSubstr("\"status\": \"stopped\""));
  EXPECT_THAT(oci, HasSubstr("\"bundle\": \"/var/lib/bundles/web\""));
  EXPECT_THAT(oci, Not(HasSubstr("restartCount")));
  EXPECT_THAT(oci, Not(HasSubstr("pidStartTime")));
}

TEST(StateJsonTest, UnknownFieldsIgnoredNullMapsAccepted) {
  ASSERT_OK_AND_ASSIGN(ContainerState s, ParseStateJson(With("future", "{\"x\":[1,2,{}]}")));
  EXPECT_EQ(s.id, "abc");
  EXPECT_EQ(s.status, ContainerStatus::kRunning);
  EXPECT_EQ(s.backend, StateBackend::kNative);
  EXPECT_OK(ParseStateJson(With("annotations", "null")));
  EXPECT_OK(ParseStateJson(With("exit", "null")));
  EXPECT_OK(ParseStateJson(With("ociVersion", "\"1.1.0\"")));
  EXPECT_OK(ParseStateJson(With("created", "\"2024-05-01T14:00:00.5+02:00\"")));
}

TEST(StateJsonTest, InvalidUtf8IsReplacedNotThrown) {
  ContainerState s = Full();
  s.annotations["bad"] = "\xff\xfe";
  ASSERT_OK_AND_ASSIGN(ContainerState back, ParseStateJson(ToJson(s)));
  EXPECT_EQ(back.annotations["bad"], "\xEF\xBF\xBD\xEF\xBF\xBD");
}

struct BadCase {
  std::string key;
  const char* value;  // nullptr: field removed
  const char* message;
};

TEST(StateJsonTest, EveryErrorNamesPathAndValue) {
  const BadCase cases[] = {
      {"pid", "-3", "state.json: pid: -3 is not a pid"},
      {"pid", "4194305", "state.json: pid: 4194305 is not a pid"},
      {"pid", "1.5", "state.json: pid: 1.5 is not a pid"},
      {"pid", "\"42\"", "state.json: pid: '42' is not a pid"},
      {"pid", "18446744073709551615", "state.json: pid: 18446744073709551615 is not a pid"},
      {"pid", "0", "state.json: pid: 0 but status is running"},
      {"pid", nullptr, "state.json: pid: missing"},
      {"ociVersion", nullptr, "state.json: ociVersion: missing"},
      {"ociVersion", "1", "state.json: ociVersion: 1 is not a string"},
      {"ociVersion", "\"2.0\"", "state.json: ociVersion: '2.0' is not a 1.x OCI version"},
      {"id", nullptr, "state.json: id: missing"},
      {"id", "\"../x\"", "state.json: id: container ID '../x': must start with a letter"},
      {"id", "\"a/b\"", "state.json: id: container ID 'a/b': character '/' is not allowed"},
      {"name", "\"-x\"", "state.json: name: container name '-x': must start"},
      {"name", "[]", "state.json: name: '[]' is not a string"},
      {"status", nullptr, "state.json: status: missing"},
      {"status", "\"dead\"", "state.json: status: 'dead' is not a status"},
      {"status", "3", "state.json: status: 3 is not a status"},
      {"pidStartTime", "-1", "state.json: pidStartTime: -1 is not a start time"},
      {"pidStartTime", "true", "state.json: pidStartTime: true is not a start time"},
      {"bundle", nullptr, "state.json: bundle: missing"},
      {"bundle", "\"\"", "state.json: bundle: '' is empty"},
      {"bundle", "\"rel/b\"", "state.json: bundle: 'rel/b' is not an absolute path"},
      {"bundle", "\"/a\\u0000b\"", "state.json: bundle: '/a\\000b' contains NUL"},
      {"rootfs", "\"x\"", "state.json: rootfs: 'x' is not an absolute path"},
      {"logPath", "null", "state.json: logPath: null is not a string"},
      {"annotations", "[1]", "state.json: annotations: '[1]' is not an object"},
      {"annotations", "{\"k\":3}", "state.json: annotations['k']: 3 is not a string"},
      {"cgroupPaths", "{\"memory\":\"rel\"}",
       "state.json: cgroupPaths['memory']: 'rel' is not an absolute path"},
      {"cgroupPaths", "{\"memory\":false}",
       "state.json: cgroupPaths['memory']: false is not a string"},
      {"created", nullptr, "state.json: created: missing"},
      {"created", "\"yesterday\"", "state.json: created: 'yesterday' is not an RFC 3339 time"},
      {"created", "\"infinite-future\"", "state.json: created: 'infinite-future' is not"},
      {"created", "\"1969-12-31T23:59:59Z\"", "state.json: created: '1969-12-31T23:59:59Z' is"},
      {"backend", "\"docker\"", "state.json: backend: 'docker' is not a backend"},
      {"exit", "1", "state.json: exit: 1 is not an object"},
      {"exit", "{}", "state.json: exit.kind: missing"},
      {"exit", "{\"kind\":\"died\"}", "state.json: exit.kind: 'died' is not an exit kind"},
      {"exit", "{\"kind\":\"exited\"}", "state.json: exit.code: missing"},
      {"exit", "{\"kind\":\"exited\",\"code\":256}",
       "state.json: exit.code: 256 is not an exit code (0-255)"},
      {"exit", "{\"kind\":\"exited\",\"code\":1,\"signal\":9}",
       "state.json: exit.signal: 9 is not 0 for an exit"},
      {"exit", "{\"kind\":\"signaled\",\"signal\":65}",
       "state.json: exit.signal: 65 is not a signal number (1-64)"},
      {"exit", "{\"kind\":\"oom\",\"signal\":9,\"code\":1}",
       "state.json: exit.code: 1 is not 0 for a signal death"},
      {"exit", "{\"kind\":\"timeout\",\"signal\":9,\"reason\":7}",
       "state.json: exit.reason: 7 is not a string"},
      {"restartCount", "-1", "state.json: restartCount: -1 is not a restart count"},
      {"restartCount", "2147483648", "state.json: restartCount: 2147483648 is not a restart count"},
  };
  for (const BadCase& c : cases) {
    std::string text = With(c.key, c.value);
    EXPECT_THAT(ParseStateJson(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << text;
  }
}

TEST(StateJsonTest, NotJsonNotObjectTooBig) {
  EXPECT_THAT(ParseStateJson(""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("state.json: not JSON: ")));
  EXPECT_THAT(ParseStateJson("{\"id\":"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                   HasSubstr("state.json: not JSON: parse error")));
  EXPECT_THAT(ParseStateJson("[1,2]"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                "state.json: '[1,2]' is not a JSON object"));
  EXPECT_THAT(ParseStateJson("\"x\""),
              StatusIs(absl::StatusCode::kInvalidArgument, "state.json: 'x' is not a JSON object"));
  std::string big = With("pad", ("\"" + std::string(kMaxStateJsonBytes, 'x') + "\"").c_str());
  EXPECT_THAT(ParseStateJson(big),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 1048576")));
  // Just under the bound parses.
  std::string fits =
      With("pad", ("\"" + std::string(kMaxStateJsonBytes - 200, 'x') + "\"").c_str());
  EXPECT_OK(ParseStateJson(fits));
}

TEST(StateJsonTest, HostileValuesStayShortInMessages) {
  std::string huge(100000, 'z');
  auto st = ParseStateJson(With("status", ("\"" + huge + "\"").c_str()));
  ASSERT_FALSE(st.ok());
  EXPECT_LT(st.status().message().size(), 400u);
  st = ParseStateJson(With("id", "\"a\\nb\""));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().message().find('\n'), std::string::npos);
}

}  // namespace
}  // namespace nucleus
