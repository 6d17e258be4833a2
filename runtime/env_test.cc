#include "runtime/env.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
const std::string kPath = std::string("PATH=") + kDefaultPath;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](const std::string& key) -> std::optional<std::string> {
    auto it = vars.find(key);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(EnvBuilderTest, DefaultsForRoot) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root"));
  EXPECT_THAT(env.warnings(), IsEmpty());
}

TEST(EnvBuilderTest, DefaultsForOtherUsers) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.Build(1000), ElementsAre(kPath, "HOME=/"));
  EXPECT_THAT(env.Build(1000, "/home/app"), ElementsAre(kPath, "HOME=/home/app"));
}

TEST(EnvBuilderTest, NothingInheritedImplicitly) {
  setenv("NUCLEUS_ENV_TEST_SECRET", "x", 1);
  EnvBuilder env;  // the real environment, consulted only by name
  for (const std::string& kv : env.Build(0)) {
    EXPECT_THAT(kv, ::testing::Not(HasSubstr("NUCLEUS_ENV_TEST_SECRET")));
  }
  ASSERT_OK(env.AddFlag("NUCLEUS_ENV_TEST_SECRET"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "NUCLEUS_ENV_TEST_SECRET=x"));
}

TEST(EnvBuilderTest, FlagSetsAndOverridesInOrder) {
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFlag("A=1"));
  ASSERT_OK(env.AddFlag("B=two=2"));  // the first '=' splits
  ASSERT_OK(env.AddFlag("A=3"));
  ASSERT_OK(env.AddFlag("EMPTY="));
  ASSERT_OK(env.AddFlag("PATH=/bin"));
  ASSERT_OK(env.AddFlag("MULTI=a\nb"));
  EXPECT_THAT(env.Build(0),
              ElementsAre("HOME=/root", "A=3", "B=two=2", "EMPTY=", "PATH=/bin", "MULTI=a\nb"));
}

TEST(EnvBuilderTest, BareKeyCopiesFromNucleusEnvironment) {
  EnvBuilder env(FakeEnv({{"TERM", "xterm-256color"}, {"EMPTY", ""}}));
  ASSERT_OK(env.AddFlag("TERM"));
  ASSERT_OK(env.AddFlag("EMPTY"));
  ASSERT_OK(env.AddFlag("MISSING"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "TERM=xterm-256color", "EMPTY="));
}

TEST(EnvBuilderTest, BareKeyAbsentUnsetsEarlierValueAndDefault) {
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFlag("A=1"));
  ASSERT_OK(env.AddFlag("A"));
  ASSERT_OK(env.AddFlag("HOME"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath));
  ASSERT_OK(env.AddFlag("A=again"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "A=again"));
}

TEST(EnvBuilderTest, RejectsBadKeys) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFlag("=value"), StatusIs(kInvalid, Eq("--env: empty variable name")));
  EXPECT_THAT(env.AddFlag(""), StatusIs(kInvalid, Eq("--env: empty variable name")));
  EXPECT_THAT(env.AddFlag("A B=1"),
              StatusIs(kInvalid, HasSubstr("--env: 'A B' is not a valid variable name")));
  EXPECT_THAT(env.AddFlag("A\tB"), StatusIs(kInvalid, HasSubstr("'A\\tB' is not a valid")));
  EXPECT_THAT(env.AddFlag(std::string("A\0B=1", 5)),
              StatusIs(kInvalid, HasSubstr("'A\\000B' is not a valid")));
  EXPECT_THAT(env.AddFlag("A\x7f=1"), StatusIs(kInvalid, HasSubstr("not a valid")));
  EXPECT_THAT(env.Build(0), SizeIs(2));
}

TEST(EnvBuilderTest, RejectsNulInValue) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFlag(std::string("A=x\0y", 5)),
              StatusIs(kInvalid, Eq("--env: the value of 'A' contains a NUL byte")));
}

TEST(EnvBuilderTest, KeysAreOtherwiseFree) {
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFlag("lower.case-key=1"));
  ASSERT_OK(env.AddFlag("1STARTS_WITH_DIGIT=2"));
  ASSERT_OK(env.AddFlag("UTF8_\xc3\xa9=3"));
  EXPECT_THAT(env.Build(0), SizeIs(5));
}

TEST(EnvBuilderTest, LoaderVariablesRefusedWithWarning) {
  EnvBuilder env(FakeEnv({{"LD_LIBRARY_PATH", "/evil"}}));
  ASSERT_OK(env.AddFlag("LD_PRELOAD=/tmp/evil.so"));
  ASSERT_OK(env.AddFlag("LD_LIBRARY_PATH"));
  ASSERT_OK(env.AddFlag("GLIBC_TUNABLES=glibc.malloc.check=3"));
  ASSERT_OK(env.AddFlag("TMPDIR=/scratch"));
  ASSERT_OK(env.AddFlag("LD_RUN_PATH=/opt/lib"));  // read by the linker, not the loader
  ASSERT_OK(env.AddFlag("ld_preload=/x"));         // case matters to the loader
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "TMPDIR=/scratch",
                                        "LD_RUN_PATH=/opt/lib", "ld_preload=/x"));
  ASSERT_THAT(env.warnings(), SizeIs(3));
  EXPECT_EQ(env.warnings()[0],
            "--env: LD_PRELOAD refused: dynamic-loader variables never reach the workload");
  EXPECT_THAT(env.warnings()[1], HasSubstr("LD_LIBRARY_PATH refused"));
  EXPECT_THAT(env.warnings()[2], HasSubstr("GLIBC_TUNABLES refused"));
}

TEST(RefusedEnvKeysTest, CoversLoaderAndGlibcSecureList) {
  for (const char* key : {"LD_PRELOAD",
                          "LD_LIBRARY_PATH",
                          "LD_AUDIT",
                          "LD_DEBUG",
                          "LD_DEBUG_OUTPUT",
                          "LD_PROFILE",
                          "LD_PROFILE_OUTPUT",
                          "LD_DYNAMIC_WEAK",
                          "LD_SHOW_AUXV",
                          "LD_BIND_NOW",
                          "LD_BIND_NOT",
                          "LD_ORIGIN_PATH",
                          "LD_HWCAP_MASK",
                          "LD_USE_LOAD_BIAS",
                          "LD_ASSUME_KERNEL",
                          "LD_POINTER_GUARD",
                          "LD_TRACE_LOADED_OBJECTS",
                          "LD_WARN",
                          "LD_VERBOSE",
                          "LD_NOWARN",
                          "GCONV_PATH",
                          "MALLOC_TRACE",
                          "HOSTALIASES",
                          "LOCALDOMAIN",
                          "RES_OPTIONS",
                          "NLSPATH",
                          "LOCPATH",
                          "GLIBC_TUNABLES"}) {
    EXPECT_TRUE(IsRefusedEnvKey(key)) << key;
  }
  for (const char* key : {"PATH", "HOME", "TMPDIR", "LANG", "LD_", "LD_PRELOAD2", ""}) {
    EXPECT_FALSE(IsRefusedEnvKey(key)) << key;
  }
  std::vector<std::string> keys = RefusedEnvKeys();
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_THAT(keys, SizeIs(34));
}

TEST(EnvFileTest, DockerFormat) {
  EnvBuilder env(FakeEnv({{"FROM_HOST", "h"}}));
  ASSERT_OK(
      env.AddFileText("# comment\n"
                      "\n"
                      "A=1\n"
                      "   B=  spaced value  \n"
                      "\t# indented comment\n"
                      "C=\"quoted\"\n"
                      "D='single'\n"
                      "CRLF=yes\r\n"
                      "FROM_HOST\n"
                      "NOT_ON_HOST\n"
                      "E=#not a comment\n"
                      "   \n"
                      "LAST=no newline",
                      "vars.env"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "A=1", "B=  spaced value  ",
                                        "C=\"quoted\"", "D='single'", "CRLF=yes", "FROM_HOST=h",
                                        "E=#not a comment", "LAST=no newline"));
}

TEST(EnvFileTest, ErrorsNameFileAndLine) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFileText("A=1\n\nBAD KEY=2\n", "vars.env"),
              StatusIs(kInvalid, HasSubstr("--env-file vars.env:3: 'BAD KEY' is not a valid")));
  EXPECT_THAT(env.AddFileText("=x\n", "f"),
              StatusIs(kInvalid, Eq("--env-file f:1: empty variable name")));
  EXPECT_THAT(env.AddFileText("OK=1\nKEY =1\n", "f"),
              StatusIs(kInvalid, HasSubstr("--env-file f:2: 'KEY ' is not a valid")));
  EXPECT_THAT(env.AddFileText(std::string("A=\0\n", 4), "f"),
              StatusIs(kInvalid, HasSubstr("--env-file f:1: the value of 'A'")));
}

TEST(EnvFileTest, FileNameIsEscapedInMessages) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFileText("X Y=1", "a\nb"),
              StatusIs(kInvalid, HasSubstr("--env-file a\\nb:1:")));
}

TEST(EnvFileTest, RefusedKeysWarnWithLine) {
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFileText("A=1\nLD_PRELOAD=/x.so\n", "f.env"));
  EXPECT_THAT(env.warnings(),
              ElementsAre("--env-file f.env:2: LD_PRELOAD refused: dynamic-loader variables "
                          "never reach the workload"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "A=1"));
}

TEST(EnvFileTest, LaterOverridesEarlierAcrossSources) {
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFlag("A=flag"));
  ASSERT_OK(env.AddFileText("A=file\nB=file", "f"));
  ASSERT_OK(env.AddFlag("B=flag"));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "A=file", "B=flag"));
}

TEST(EnvFileTest, ReadsRealFile) {
  std::string dir = ::testing::TempDir();
  std::string path = dir + "/env_test_vars.env";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("X=1\n# c\nY=2\n", f);
  fclose(f);
  EnvBuilder env(FakeEnv({}));
  ASSERT_OK(env.AddFile(path));
  EXPECT_THAT(env.Build(0), ElementsAre(kPath, "HOME=/root", "X=1", "Y=2"));
  unlink(path.c_str());
}

TEST(EnvFileTest, MissingFileIsAnError) {
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFile("/nonexistent/nucleus.env"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("--env-file: open(/nonexistent/nucleus.env)")));
}

TEST(EnvFileTest, OversizedFileIsAnError) {
  std::string path = ::testing::TempDir() + "/env_test_big.env";
  FILE* f = fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::string line = "K=" + std::string(1022, 'v') + "\n";
  for (int i = 0; i < 1025; ++i) fputs(line.c_str(), f);
  fclose(f);
  EnvBuilder env(FakeEnv({}));
  EXPECT_THAT(env.AddFile(path), StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("--env-file")));
  unlink(path.c_str());
}

}  // namespace
}  // namespace nucleus
