#include "runtime/landlock/policy.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/landlock/access.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
namespace ll = ::nucleus::landlock;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(PolicyTest, EmptyObjectKeepsDefaults) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy("{}");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->custom_policy);
  EXPECT_THAT(s->paths, IsEmpty());
  EXPECT_FALSE(s->restrict_tcp_connect);
  EXPECT_FALSE(s->restrict_tcp_bind);
  EXPECT_TRUE(s->scope_abstract_unix_socket);
  EXPECT_TRUE(s->scope_signal);
  EXPECT_EQ(s->mode, LandlockSpec::Mode::kBestEffort);
}

TEST(PolicyTest, FullPolicy) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(R"({
    "paths": [
      {"path": "/", "access": "rx"},
      {"path": "/data", "access": ["ro", "write_file", "make_reg"]},
      {"path": "/dev/null", "access": ["read_file", "write_file", "truncate", "ioctl_dev"]}
    ],
    "tcp_connect": [443, 80, 443],
    "tcp_bind": [8080],
    "scope": ["signal"]
  })");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->custom_policy);
  ASSERT_EQ(s->paths.size(), 3u);
  EXPECT_EQ(s->paths[0].path, "/");
  EXPECT_EQ(s->paths[0].access, ll::kFsReadExec);
  EXPECT_EQ(s->paths[1].path, "/data");
  EXPECT_EQ(s->paths[1].access, ll::kFsRead | ll::kFsWriteFile | ll::kFsMakeReg);
  EXPECT_EQ(s->paths[2].access,
            ll::kFsReadFile | ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev);
  EXPECT_TRUE(s->restrict_tcp_connect);
  EXPECT_THAT(s->tcp_connect, ElementsAre(80, 443));
  EXPECT_TRUE(s->restrict_tcp_bind);
  EXPECT_THAT(s->tcp_bind, ElementsAre(8080));
  EXPECT_FALSE(s->scope_abstract_unix_socket);
  EXPECT_TRUE(s->scope_signal);
}

TEST(PolicyTest, UnixSocketsAndResolveUnix) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(
      R"({"unix_sockets": ["/run/app.sock"],
          "paths": [{"path": "/", "access": ["rx", "resolve_unix"]}]})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->unix_sockets, ::testing::ElementsAre("/run/app.sock"));
  ASSERT_EQ(s->paths.size(), 1u);
  EXPECT_EQ(s->paths[0].access, landlock::kFsReadExec | landlock::kFsResolveUnix);
}

TEST(PolicyTest, EmptyListsMeanDenyAll) {
  absl::StatusOr<LandlockSpec> s =
      ParseLandlockPolicy(R"({"paths": [], "tcp_connect": [], "tcp_bind": [], "scope": []})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->custom_policy);
  EXPECT_THAT(s->paths, IsEmpty());
  EXPECT_TRUE(s->restrict_tcp_connect);
  EXPECT_THAT(s->tcp_connect, IsEmpty());
  EXPECT_TRUE(s->restrict_tcp_bind);
  EXPECT_FALSE(s->scope_abstract_unix_socket);
  EXPECT_FALSE(s->scope_signal);
}

TEST(PolicyTest, NetworkOnlyPolicyKeepsDefaultPaths) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(R"({"tcp_bind": [65535, 1]})");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->custom_policy);
  EXPECT_FALSE(s->restrict_tcp_connect);
  EXPECT_THAT(s->tcp_bind, ElementsAre(1, 65535));
}

struct BadCase {
  const char* json;
  const char* message;  // exact
};

class PolicyErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(PolicyErrorTest, NamesJsonPathAndValue) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(GetParam().json);
  ASSERT_FALSE(s.ok()) << GetParam().json;
  EXPECT_EQ(s.status().code(), kInvalid);
  EXPECT_EQ(std::string(s.status().message()), GetParam().message);
  EXPECT_EQ(std::string(s.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PolicyErrorTest,
    ::testing::Values(
        BadCase{"[]", "expected a JSON object at the top level, got an array"},
        BadCase{"3", "expected a JSON object at the top level, got 3"},
        BadCase{R"({"pathz": []})",
                "unknown key 'pathz' (expected paths, tcp_connect, tcp_bind, scope, "
                "unix_sockets)"},
        BadCase{R"({"unix_sockets": "/run/x.sock"})",
                "unix_sockets: expected an array of paths, got '/run/x.sock'"},
        BadCase{R"({"unix_sockets": ["/run/x.sock", "run/y.sock"]})",
                "unix_sockets[1]: 'run/y.sock' is not an absolute path"},
        BadCase{R"({"unix_sockets": ["/run//x.sock"]})",
                "unix_sockets[0]: '/run//x.sock' is not a clean path (write '/run/x.sock')"},
        BadCase{R"({"paths": {}})", "paths: expected an array, got an object"},
        BadCase{R"({"paths": ["/x"]})",
                "paths[0]: expected an object {\"path\": ..., \"access\": ...}, got '/x'"},
        BadCase{R"({"paths": [{"path": "/a", "access": "ro", "mode": 1}]})",
                "paths[0]: unknown key 'mode' (expected path, access)"},
        BadCase{R"({"paths": [{"access": "ro"}]})", "paths[0]: missing \"path\""},
        BadCase{R"({"paths": [{"path": "/a"}]})", "paths[0]: missing \"access\""},
        BadCase{R"({"paths": [{"path": 7, "access": "ro"}]})",
                "paths[0].path: expected a string, got 7"},
        BadCase{R"({"paths": [{"path": "/a", "access": "ro"}, {"path": "rel", "access": "ro"}]})",
                "paths[1].path: 'rel' is not an absolute path"},
        BadCase{R"({"paths": [{"path": "/a/../b", "access": "ro"}]})",
                "paths[0].path: '/a/../b' contains a '..' component"},
        BadCase{R"({"paths": [{"path": "/a/./b/", "access": "ro"}]})",
                "paths[0].path: '/a/./b/' is not a clean path (write '/a/b')"},
        BadCase{R"({"paths": [{"path": "/a", "access": []}]})",
                "paths[0].access: is empty (grant at least one right, e.g. \"ro\")"},
        BadCase{R"({"paths": [{"path": "/a", "access": 5}]})",
                "paths[0].access: expected a right name or an array of them, got 5"},
        BadCase{R"({"paths": [{"path": "/a", "access": ["ro", null]}]})",
                "paths[0].access[1]: expected an access right name, got null"},
        BadCase{R"({"tcp_connect": 443})", "tcp_connect: expected an array of TCP ports, got 443"},
        BadCase{R"({"tcp_connect": [443, 0]})", "tcp_connect[1]: 0 is not a TCP port (1-65535)"},
        BadCase{R"({"tcp_bind": [70000]})", "tcp_bind[0]: 70000 is not a TCP port (1-65535)"},
        BadCase{R"({"tcp_bind": [-1]})", "tcp_bind[0]: -1 is not a TCP port (1-65535)"},
        BadCase{R"({"tcp_bind": [80.5]})", "tcp_bind[0]: expected a TCP port number, got 80.5"},
        BadCase{R"({"tcp_bind": ["80"]})", "tcp_bind[0]: expected a TCP port number, got '80'"},
        BadCase{R"({"scope": ["signal", "ptrace"]})",
                "scope[1]: 'ptrace' is not a Landlock scope (abstract_unix_socket, signal)"},
        BadCase{R"({"scope": "signal"})",
                "scope: expected an array of scope names, got 'signal'"}));

TEST(PolicyTest, BadRightNamesTheJsonPathAndTheValue) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(R"({"paths": [
      {"path": "/a", "access": "ro"}, {"path": "/b", "access": "rx"},
      {"path": "/c", "access": ["wrte"]}]})");
  EXPECT_THAT(s, StatusIs(kInvalid, StartsWith("paths[2].access[0]: 'wrte' is not a Landlock "
                                               "access right (read_file, read_dir, ")));
  s = ParseLandlockPolicy(R"({"paths": [{"path": "/a", "access": "RW"}]})");
  EXPECT_THAT(s, StatusIs(kInvalid, StartsWith("paths[0].access: 'RW' is not a Landlock")));
}

TEST(PolicyTest, InvalidJsonIsOneLineWithPosition) {
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy("{\n  \"paths\": [,]\n}");
  ASSERT_FALSE(s.ok());
  std::string msg(s.status().message());
  EXPECT_THAT(msg, StartsWith("invalid JSON: parse error at line 2"));
  EXPECT_THAT(msg, Not(HasSubstr("json.exception")));
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_FALSE(ParseLandlockPolicy("").ok());
  EXPECT_FALSE(ParseLandlockPolicy("{} x").ok());
}

TEST(PolicyTest, Limits) {
  std::string deep(kMaxPolicyDepth + 1, '[');
  EXPECT_THAT(ParseLandlockPolicy(deep), StatusIs(kInvalid, HasSubstr("nested deeper than")));
  // Brackets inside strings do not count.
  std::string in_string = R"({"paths": [{"path": "/[[[[[[[[[[[[[[[[[[[[[[[[[", "access": "ro"}]})";
  EXPECT_TRUE(ParseLandlockPolicy(in_string).ok());
  std::string big(kMaxPolicyBytes + 1, ' ');
  EXPECT_THAT(ParseLandlockPolicy(big), StatusIs(kInvalid, HasSubstr("larger than")));
  std::string many = R"({"paths": [)";
  for (size_t i = 0; i <= kMaxPolicyPaths; ++i) {
    many += std::string(i ? "," : "") + R"({"path": "/a", "access": "ro"})";
  }
  many += "]}";
  EXPECT_THAT(ParseLandlockPolicy(many), StatusIs(kInvalid, HasSubstr("more than 4096")));
}

TEST(PolicyTest, HostileStringsStayOneShortLine) {
  std::string value(10000, 'x');
  value += "\n";
  absl::StatusOr<LandlockSpec> s = ParseLandlockPolicy(R"({"paths": [{"path": "/a", "access": ")" +
                                                       value.substr(0, 10000) + R"(\n"}]})");
  ASSERT_FALSE(s.ok());
  std::string msg(s.status().message());
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_LT(msg.size(), 600u) << msg;
}

class LoadTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string path = std::string(tmp ? tmp : "/tmp") + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    fputs(text.c_str(), f);
    fclose(f);
    return path;
  }
};

TEST_F(LoadTest, LoadsAFile) {
  std::string p = Write("ok.json", R"({"tcp_bind": [8080]})");
  absl::StatusOr<LandlockSpec> s = LoadLandlockPolicy(p);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(s->tcp_bind, ElementsAre(8080));
}

TEST_F(LoadTest, ErrorsNameTheFlagAndFile) {
  std::string p = Write("bad.json", R"({"paths": [{"path": "/a", "access": ["wrte"]}]})");
  EXPECT_THAT(LoadLandlockPolicy(p),
              StatusIs(kInvalid, StartsWith("--landlock-policy " + p +
                                            ": paths[0].access[0]: 'wrte' is not a Landlock")));
  EXPECT_THAT(
      LoadLandlockPolicy("/nonexistent/p.json"),
      StatusIs(absl::StatusCode::kNotFound, StartsWith("--landlock-policy /nonexistent/p.json: ")));
  EXPECT_THAT(LoadLandlockPolicy("/dev/null"),
              StatusIs(kInvalid, "--landlock-policy /dev/null: not a regular file"));
  const char* tmp = getenv("TEST_TMPDIR");
  std::string fifo = std::string(tmp ? tmp : "/tmp") + "/fifo.json";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(LoadLandlockPolicy(fifo), StatusIs(kInvalid, HasSubstr("not a regular file")));
}

}  // namespace
}  // namespace nucleus
