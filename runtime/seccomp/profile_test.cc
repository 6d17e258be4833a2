#include "runtime/seccomp/profile.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

absl::StatusOr<ParsedSeccompProfile> Parse(const std::string& json, std::vector<int> caps = {},
                                           std::string kernel = "") {
  SeccompProfileContext ctx;
  ctx.capabilities = std::move(caps);
  ctx.kernel_release = std::move(kernel);
  return ParseSeccompProfile(json, ctx);
}

std::string Testdata(const std::string& name) {
  const char* srcdir = getenv("TEST_SRCDIR");
  return absl::StrCat(srcdir ? srcdir : ".", "/nucleus/runtime/seccomp/testdata/", name);
}

// The rules that mention `name`.
std::vector<SeccompRule> RulesFor(const SeccompSpec& spec, const std::string& name) {
  std::vector<SeccompRule> out;
  for (const SeccompRule& r : spec.syscalls) {
    for (const std::string& n : r.names) {
      if (n == name) out.push_back(r);
    }
  }
  return out;
}

TEST(ParseSeccompProfile, Minimal) {
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, Parse(R"({"defaultAction": "SCMP_ACT_ALLOW"})"));
  EXPECT_EQ(p.spec.default_action, SeccompAction::kAllow);
  EXPECT_THAT(p.spec.syscalls, IsEmpty());
  EXPECT_THAT(p.spec.architectures, IsEmpty());
  EXPECT_THAT(p.warnings, IsEmpty());
  EXPECT_FALSE(p.spec.log_only);
}

TEST(ParseSeccompProfile, EveryField) {
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, Parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"], "comment": "ignored",
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
      {"name": "read", "action": "SCMP_ACT_ALLOW"},
      {"names": ["ioctl"], "action": "SCMP_ACT_KILL_PROCESS",
       "args": [{"index": 1, "value": 21522, "op": "SCMP_CMP_EQ"},
                {"index": 2, "value": 18446744073709551615, "valueTwo": 7,
                 "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["kill"], "action": "SCMP_ACT_KILL"},
      {"names": ["tkill"], "action": "SCMP_ACT_KILL_THREAD"},
      {"names": ["getpid"], "action": "SCMP_ACT_TRAP"},
      {"names": ["getppid"], "action": "SCMP_ACT_TRACE", "errnoRet": 5},
      {"names": ["getuid"], "action": "SCMP_ACT_LOG"},
      {"names": ["getgid"], "action": "SCMP_ACT_ERRNO"}
    ]})"));
  const SeccompSpec& s = p.spec;
  EXPECT_EQ(s.default_action, SeccompAction::kErrno);
  EXPECT_EQ(s.default_errno_ret, 38u);
  EXPECT_THAT(s.architectures, ElementsAre("SCMP_ARCH_X86_64", "SCMP_ARCH_X86"));
  ASSERT_THAT(s.syscalls, SizeIs(9));
  EXPECT_THAT(s.syscalls[0].names, ElementsAre("mkdir", "mkdirat"));
  EXPECT_EQ(s.syscalls[0].action, SeccompAction::kErrno);
  EXPECT_EQ(s.syscalls[0].errno_ret, 13u);
  EXPECT_THAT(s.syscalls[1].names, ElementsAre("read"));
  ASSERT_THAT(s.syscalls[2].args, SizeIs(2));
  EXPECT_EQ(s.syscalls[2].args[0].index, 1u);
  EXPECT_EQ(s.syscalls[2].args[0].value, 21522u);
  EXPECT_EQ(s.syscalls[2].args[0].op, SeccompArg::Op::kEqualTo);
  EXPECT_EQ(s.syscalls[2].args[1].value, ~uint64_t{0});
  EXPECT_EQ(s.syscalls[2].args[1].value_two, 7u);
  EXPECT_EQ(s.syscalls[2].args[1].op, SeccompArg::Op::kMaskedEqual);
  EXPECT_EQ(s.syscalls[3].action, SeccompAction::kKillThread);
  EXPECT_EQ(s.syscalls[4].action, SeccompAction::kKillThread);
  EXPECT_EQ(s.syscalls[5].action, SeccompAction::kTrap);
  EXPECT_EQ(s.syscalls[6].action, SeccompAction::kTrace);
  EXPECT_EQ(s.syscalls[6].errno_ret, 5u);
  EXPECT_EQ(s.syscalls[7].action, SeccompAction::kLog);
  EXPECT_EQ(s.syscalls[8].errno_ret, static_cast<uint32_t>(EPERM)) << "EPERM by default";
}

TEST(ParseSeccompProfile, AllOps) {
  const char* ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
                       "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
  const SeccompArg::Op want[] = {SeccompArg::Op::kNotEqual,     SeccompArg::Op::kLessThan,
                                 SeccompArg::Op::kLessEqual,    SeccompArg::Op::kEqualTo,
                                 SeccompArg::Op::kGreaterEqual, SeccompArg::Op::kGreaterThan,
                                 SeccompArg::Op::kMaskedEqual};
  for (int i = 0; i < 7; ++i) {
    ASSERT_OK_AND_ASSIGN(
        ParsedSeccompProfile p,
        Parse(absl::StrCat(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names":
            ["socket"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": ")",
                           ops[i], "\"}]}]}")));
    EXPECT_EQ(p.spec.syscalls[0].args[0].op, want[i]) << ops[i];
  }
}

TEST(ParseSeccompProfile, UnknownSyscallIsAWarningNotAnError) {
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, Parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read", "frobnicate", "write"], "action": "SCMP_ACT_ALLOW"},
                   {"names": ["nope"], "action": "SCMP_ACT_ALLOW"}]})"));
  ASSERT_THAT(p.spec.syscalls, SizeIs(1)) << "an entry left without names is dropped";
  EXPECT_THAT(p.spec.syscalls[0].names, ElementsAre("read", "write"));
  EXPECT_THAT(p.warnings,
              ElementsAre("syscalls[0].names[1]: 'frobnicate' is not a system call libseccomp "
                          "knows; ignored",
                          "syscalls[1].names[0]: 'nope' is not a system call libseccomp knows; "
                          "ignored"));
}

TEST(ParseSeccompProfile, ErrorsNameTheJsonPathAndValue) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"", "not JSON: "},
      {"{", "not JSON: "},
      {"[]", "profile: '[]' is an array, not an object"},
      {"{}", "defaultAction: is missing"},
      {R"({"defaultAction": "SCMP_ACT_FOO"})",
       "defaultAction: 'SCMP_ACT_FOO' is not a seccomp action"},
      {R"({"defaultAction": 3})", "defaultAction: '3' is a number, not a string"},
      {R"({"defaultAction": "SCMP_ACT_NOTIFY"})",
       "defaultAction: 'SCMP_ACT_NOTIFY' is not supported by nucleus"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1})",
       "defaultErrnoRet: '-1' is not an integer 0..4094"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 70000})",
       "defaultErrnoRet: '70000' is not an integer 0..4094"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1})",
       "defaultErrnoRet: is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": "x86"})",
       "architectures: 'x86' is a string, not an array of strings"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "i386"]})",
       "architectures[1]: 'i386' is not an architecture"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PDP11"]})",
       "architectures[0]: 'SCMP_ARCH_PDP11' is not an architecture"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}})",
       "syscalls: '{}' is an object, not an array"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [1]})",
       "syscalls[0]: '1' is a number, not an object"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]})",
       "syscalls[0]: has no syscall names"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action":
          "SCMP_ACT_ERRNO"}]})",
       "syscalls[0]: has no syscall names"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", 7], "action":
          "SCMP_ACT_ERRNO"}]})",
       "syscalls[0].names[1]: '7' is a number, not a string"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": ["read"], "action":
          "SCMP_ACT_ERRNO"}]})",
       R"(syscalls[0].name: '[\"read\"]' is an array, not a string)"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]})",
       "syscalls[0].action: is missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{}, {}, {}, {"names": ["read"],
          "action": "SCMP_ACT_FOO"}]})",
       "syscalls[0]: has no syscall names"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["a"], "action":
          "SCMP_ACT_ERRNO"}, {"names": ["b"], "action": "SCMP_ACT_ERRNO"}, {"names": ["c"],
          "action": "SCMP_ACT_ERRNO"}, {"names": ["read"], "action": "SCMP_ACT_FOO"}]})",
       "syscalls[3].action: 'SCMP_ACT_FOO' is not a seccomp action"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "errnoRet": "EPERM"}]})",
       "syscalls[0].errnoRet: 'EPERM' is a string, not an integer 0..4094"},
      {R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ALLOW", "errnoRet": 1}]})",
       "syscalls[0].errnoRet: is only for SCMP_ACT_ERRNO and SCMP_ACT_TRACE"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": {}}]})",
       "syscalls[0].args: '{}' is an object, not an array"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].index: is missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].index: '6' is not an integer 0..5"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].value: is missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -5, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].value: '-5' is not an integer 0..18446744073709551615"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].value: '1.5' is not an integer"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "valueTwo": "x", "op":
          "SCMP_CMP_EQ"}]}]})",
       "syscalls[0].args[0].valueTwo: 'x' is a string, not an integer"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1}]}]})",
       "syscalls[0].args[0].op: is missing"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})",
       "syscalls[0].args[0].op: 'SCMP_CMP_XX' is not a comparison"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "args": [1,2,3,4,5,6,7]}]})",
       "syscalls[0].args: has 7 entries, more than 6"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "includes": []}]})",
       "syscalls[0].includes: '[]' is an array, not an object"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "excludes": {"caps": "CAP_SYS_ADMIN"}}]})",
       "syscalls[0].excludes.caps: 'CAP_SYS_ADMIN' is a string, not an array of strings"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "includes": {"arches": [1]}}]})",
       "syscalls[0].includes.arches[0]: '1' is a number, not a string"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action":
          "SCMP_ACT_ERRNO", "includes": {"minKernel": "four"}}]})",
       "syscalls[0].includes.minKernel: 'four' is not a kernel version"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<ParsedSeccompProfile> p = Parse(c.json);
    EXPECT_THAT(p, StatusIs(kInvalid, HasSubstr(c.message))) << c.json;
    if (!p.ok()) {
      EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr("\n"))) << c.json;
    }
  }
}

TEST(ParseSeccompProfile, HostileValuesStayOneShortLine) {
  std::string name(5000, 'A');
  name += "\n\x01";
  absl::StatusOr<ParsedSeccompProfile> p =
      Parse(absl::StrCat(R"({"defaultAction": ")", name, R"("})"));
  ASSERT_FALSE(p.ok());
  // A raw newline inside a JSON string is not JSON; the escaped one is.
  p = Parse(absl::StrCat(R"({"defaultAction": ")", std::string(5000, 'A'), R"(\n"})"));
  ASSERT_FALSE(p.ok());
  EXPECT_LT(p.status().message().size(), 300u);
  EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr("\n")));
}

TEST(ParseSeccompProfile, RefusesHugeInput) {
  std::string big = R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": ")";
  big += std::string(kMaxSeccompProfileBytes, 'x');
  big += "\"}";
  EXPECT_THAT(Parse(big), StatusIs(kInvalid, HasSubstr("more than 1048576")));
}

TEST(ParseSeccompProfile, DockerShapedProfile) {
  std::ifstream in(Testdata("docker_default_reduced.json"));
  ASSERT_TRUE(in.good());
  std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile none, Parse(json, {}, "6.1.0-18-amd64"));
  EXPECT_THAT(none.warnings, IsEmpty());
  EXPECT_EQ(none.spec.default_action, SeccompAction::kErrno);
  EXPECT_EQ(none.spec.default_errno_ret, 1u);
  EXPECT_THAT(none.spec.architectures, IsEmpty()) << "archMap is not read";
  EXPECT_THAT(RulesFor(none.spec, "read"), SizeIs(1));
  EXPECT_THAT(RulesFor(none.spec, "ptrace"), SizeIs(1)) << "minKernel 4.8 <= 6.1";
  EXPECT_THAT(RulesFor(none.spec, "personality"), SizeIs(4));
  EXPECT_THAT(RulesFor(none.spec, "arch_prctl"), SizeIs(1)) << "includes.arches has amd64";
  EXPECT_THAT(RulesFor(none.spec, "s390_pci_mmio_read"), IsEmpty());
  EXPECT_THAT(RulesFor(none.spec, "mount"), IsEmpty()) << "needs CAP_SYS_ADMIN";
  EXPECT_THAT(RulesFor(none.spec, "reboot"), IsEmpty());
  ASSERT_THAT(RulesFor(none.spec, "clone"), SizeIs(1));
  EXPECT_THAT(RulesFor(none.spec, "clone")[0].args, SizeIs(1));
  EXPECT_EQ(RulesFor(none.spec, "clone")[0].args[0].value, 2114060288u);
  ASSERT_THAT(RulesFor(none.spec, "clone3"), SizeIs(1));
  EXPECT_EQ(RulesFor(none.spec, "clone3")[0].errno_ret, static_cast<uint32_t>(ENOSYS));

  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile admin,
                       Parse(json, {CAP_SYS_ADMIN, CAP_SYS_BOOT}, "6.1.0"));
  EXPECT_THAT(RulesFor(admin.spec, "mount"), SizeIs(1));
  EXPECT_THAT(RulesFor(admin.spec, "reboot"), SizeIs(1));
  ASSERT_THAT(RulesFor(admin.spec, "clone"), SizeIs(1)) << "the masked rule is excluded";
  EXPECT_THAT(RulesFor(admin.spec, "clone")[0].args, IsEmpty());
  ASSERT_THAT(RulesFor(admin.spec, "clone3"), SizeIs(1));
  EXPECT_EQ(RulesFor(admin.spec, "clone3")[0].action, SeccompAction::kAllow);

  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile old, Parse(json, {}, "4.4.0-generic"));
  EXPECT_THAT(RulesFor(old.spec, "ptrace"), IsEmpty()) << "kernel older than minKernel";
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile unknown_kernel, Parse(json, {}, ""));
  EXPECT_THAT(RulesFor(unknown_kernel.spec, "ptrace"), SizeIs(1));
}

TEST(ParseSeccompProfile, UnknownCapabilityIsNotKept) {
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, Parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"caps": ["CAP_TIME_TRAVEL"]}},
                   {"names": ["write"], "action": "SCMP_ACT_ALLOW",
                    "excludes": {"caps": ["CAP_TIME_TRAVEL"], "arches": ["s390x"]}}]})",
                                                     {CAP_CHOWN}));
  ASSERT_THAT(p.spec.syscalls, SizeIs(1));
  EXPECT_THAT(p.spec.syscalls[0].names, ElementsAre("write"));
  EXPECT_THAT(p.warnings, Contains(HasSubstr("syscalls[0].includes.caps[0]: 'CAP_TIME_TRAVEL' "
                                             "is not a capability libcap knows")));
}

TEST(ParseSeccompProfile, ExcludedArchAndIncludedCaps) {
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, Parse(R"({"defaultAction": "SCMP_ACT_ERRNO",
      "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                    "excludes": {"arches": ["amd64"]}},
                   {"names": ["write"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"caps": ["CAP_CHOWN", "CAP_KILL"]}},
                   {"names": ["close"], "action": "SCMP_ACT_ALLOW",
                    "includes": {"caps": ["cap_chown"]}}]})",
                                                     {CAP_CHOWN}));
  ASSERT_THAT(p.spec.syscalls, SizeIs(1)) << "every includes.caps must be kept";
  EXPECT_THAT(p.spec.syscalls[0].names, ElementsAre("close"));
}

class LoadTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& content) {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string path = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
    FILE* f = fopen(path.c_str(), "w");
    EXPECT_NE(f, nullptr);
    fwrite(content.data(), 1, content.size(), f);
    fclose(f);
    return path;
  }
};

TEST_F(LoadTest, ErrorsAndWarningsNameTheFile) {
  std::string bad = Write("bad.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["read"], "action": "SCMP_ACT_ERRNO"},
      {"names": ["read"], "action": "SCMP_ACT_FOO"}]})");
  EXPECT_THAT(LoadSeccompProfile(bad, {}),
              StatusIs(kInvalid, absl::StrCat(bad,
                                              ": syscalls[1].action: 'SCMP_ACT_FOO' is not "
                                              "a seccomp action")));
  std::string warn = Write("warn.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["bogus_call"], "action": "SCMP_ACT_ERRNO"}]})");
  ASSERT_OK_AND_ASSIGN(ParsedSeccompProfile p, LoadSeccompProfile(warn, {}));
  EXPECT_THAT(p.warnings, ElementsAre(HasSubstr(warn + ": syscalls[0].names[0]: 'bogus_call'")));

  EXPECT_THAT(LoadSeccompProfile("/nonexistent/profile.json", {}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/profile.json")));
  EXPECT_THAT(LoadSeccompProfile("/dev/null", {}),
              StatusIs(kInvalid, HasSubstr("is not a regular file")));
  std::string big = Write("big.json", std::string(kMaxSeccompProfileBytes + 1, ' '));
  EXPECT_THAT(LoadSeccompProfile(big, {}), StatusIs(kInvalid, HasSubstr("more than the limit")));
}

}  // namespace
}  // namespace nucleus
