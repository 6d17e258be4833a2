#include "backends/gvisor/runsc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseProbeOutputTest, KnownPlatformsOnly) {
  RunscInfo info = ParseProbeOutput("/usr/bin/runsc", "kvm\nptrace\n", true);
  EXPECT_THAT(info.platforms, ElementsAre("kvm", "ptrace"));
  EXPECT_TRUE(info.oci_seccomp);
  EXPECT_TRUE(info.Has("ptrace"));
  EXPECT_FALSE(info.Has("systrap"));
  info = ParseProbeOutput("/r", "  systrap \n--evil\nkvm\nkvm\n", false);
  EXPECT_THAT(info.platforms, ElementsAre("systrap", "kvm"));
}

// A prover that passes everything but `broken`, and counts what it was asked.
PlatformProver ProverFailing(std::vector<std::string> broken, std::vector<std::string>* asked) {
  return [broken, asked](const std::string& p) {
    asked->push_back(p);
    if (std::find(broken.begin(), broken.end(), p) != broken.end()) {
      return absl::FailedPreconditionError("runsc do: did not finish within 10s (killed)");
    }
    return absl::OkStatus();
  };
}

std::string Choose(const std::vector<std::string>& platforms, bool kvm, const std::string& req,
                   std::vector<std::string> broken = {}) {
  std::vector<std::string> asked;
  absl::StatusOr<PlatformChoice> c =
      SelectPlatformFor(platforms, kvm, req, ProverFailing(broken, &asked));
  return c.ok() ? c->platform : std::string(c.status().message());
}

TEST(SelectPlatformTest, Auto) {
  EXPECT_EQ(Choose({"kvm", "ptrace"}, true, "auto"), "kvm");
  EXPECT_EQ(Choose({"kvm", "ptrace"}, false, "auto"), "ptrace");
  EXPECT_EQ(Choose({"kvm", "systrap", "ptrace"}, false, "auto"), "systrap");
  EXPECT_EQ(Choose({"ptrace"}, true, "auto"), "ptrace");
  std::vector<std::string> asked;
  EXPECT_THAT(SelectPlatformFor({}, false, "auto", ProverFailing({}, &asked)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("auto")));
  EXPECT_TRUE(asked.empty());
}

// The nested-KVM host: /dev/kvm opens, but kvm cannot run a guest. auto proves kvm, sees it
// fail, and falls back with a warning naming kvm and why.
TEST(SelectPlatformTest, AutoFallsBackFromAPlatformThatFailsItsProof) {
  std::vector<std::string> asked;
  absl::StatusOr<PlatformChoice> c =
      SelectPlatformFor({"kvm", "systrap", "ptrace"}, true, "auto", ProverFailing({"kvm"}, &asked));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->platform, "systrap");
  EXPECT_THAT(c->warning, HasSubstr("kvm failed its proof"));
  EXPECT_THAT(c->warning, HasSubstr("did not finish"));
  EXPECT_THAT(c->warning, HasSubstr("using systrap"));
  EXPECT_THAT(asked, ElementsAre("kvm", "systrap"));

  asked.clear();
  c = SelectPlatformFor({"kvm", "ptrace"}, true, "auto", ProverFailing({"kvm"}, &asked));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->platform, "ptrace");
  EXPECT_THAT(asked, ElementsAre("kvm", "ptrace"));

  // A working first choice is no warning.
  asked.clear();
  c = SelectPlatformFor({"kvm", "ptrace"}, true, "auto", ProverFailing({}, &asked));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->platform, "kvm");
  EXPECT_EQ(c->warning, "");
  EXPECT_THAT(asked, ElementsAre("kvm"));

  // None runs: an error naming each and why.
  asked.clear();
  EXPECT_THAT(
      SelectPlatformFor({"kvm", "ptrace"}, true, "auto", ProverFailing({"kvm", "ptrace"}, &asked)),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               AllOf(HasSubstr("kvm failed"), HasSubstr("ptrace failed"))));
}

TEST(SelectPlatformTest, Explicit) {
  EXPECT_EQ(Choose({"kvm", "ptrace"}, false, "ptrace"), "ptrace");
  EXPECT_THAT(Choose({"kvm", "ptrace"}, false, "systrap"), HasSubstr("does not have it"));
  EXPECT_THAT(Choose({"kvm", "ptrace"}, false, "kvm"), HasSubstr("/dev/kvm"));
  EXPECT_THAT(Choose({"kvm", "ptrace"}, true, "kvm", {"kvm"}),
              HasSubstr("gvisor platform kvm: it failed its proof on this host"));
  std::vector<std::string> asked;
  EXPECT_THAT(SelectPlatformFor({"kvm"}, true, "xen", ProverFailing({}, &asked)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xen")));
}

// A runsc that never finishes its proof: killed at the deadline, the verdict says so, and
// nothing of it is left (the stand-in's own child included: the proof's process group, and as
// root its cgroup).
TEST(RunPlatformProofTest, AHangingRunscIsKilledAtTheDeadline) {
  char dir[] = "/tmp/nucleus-runsc-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fake = std::string(dir) + "/runsc";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\nsleep 600 &\necho $! > " << dir << "/child\nexec sleep 600\n";
  }
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  absl::Time start = absl::Now();
  absl::Status st = RunPlatformProof(fake, "kvm", absl::Milliseconds(500));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("did not finish")));
  std::ifstream c(std::string(dir) + "/child");
  pid_t child = 0;
  c >> child;
  if (child > 0) {
    for (int i = 0; i < 100 && ::kill(child, 0) == 0; ++i) ::usleep(10000);
    EXPECT_NE(::kill(child, 0), 0) << "the proof's child " << child << " outlived it";
  }
  if (child > 0) ::kill(child, SIGKILL);
  ::unlink((std::string(dir) + "/child").c_str());
  ::unlink(fake.c_str());
  ::rmdir(dir);
}

TEST(RunPlatformProofTest, AFailingRunscSaysWhy) {
  char dir[] = "/tmp/nucleus-runsc-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string fake = std::string(dir) + "/runsc";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\necho 'creating container: no kvm here' >&2\nexit 1\n";
  }
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  EXPECT_THAT(RunPlatformProof(fake, "kvm", absl::Seconds(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no kvm here")));
  ::unlink(fake.c_str());
  ::rmdir(dir);
}

TEST(RunscArgvTest, EveryCommandGetsTheContainersFlags) {
  RunscGlobals g;
  g.path = "/usr/bin/runsc";
  g.root = "/s/runsc";
  g.log = "/s/bundle/runsc.log";
  g.platform = "ptrace";
  g.network = "none";
  g.oci_seccomp = true;
  EXPECT_THAT(RunscArgv(g, {"run", "--bundle", "/s/bundle", "c1"}),
              ElementsAre("/usr/bin/runsc", "--root", "/s/runsc", "--log", "/s/bundle/runsc.log",
                          "--platform=ptrace", "--network=none", "--oci-seccomp",
                          "--ignore-cgroups", "run", "--bundle", "/s/bundle", "c1"));
  EXPECT_THAT(RunscArgv(g, {"kill", "c1", "15"}),
              ElementsAre("/usr/bin/runsc", "--root", "/s/runsc", "--log", "/s/bundle/runsc.log",
                          "--platform=ptrace", "--network=none", "--oci-seccomp",
                          "--ignore-cgroups", "kill", "c1", "15"));
  g = RunscGlobals();
  g.path = "/usr/bin/runsc";
  g.root = "/s/runsc";
  g.rootless = true;
  g.log.clear();
  EXPECT_THAT(RunscArgv(g, {"delete", "c1"}),
              ElementsAre("/usr/bin/runsc", "--root", "/s/runsc", "--rootless", "delete", "c1"));
}

TEST(RunscErrorLineTest, OneLine) {
  EXPECT_EQ(RunscErrorLine("loading container: file does not exist\n"),
            "loading container: file does not exist");
  EXPECT_EQ(RunscErrorLine("a\n\nb\n"), "a; b");
  EXPECT_EQ(RunscErrorLine("flag provided but not defined: -x\nUsage: runsc ...\n  more\n"),
            "flag provided but not defined: -x");
  EXPECT_EQ(RunscErrorLine(""), "");
}

TEST(LastRunscLogErrorTest, TakesTheLastMessage) {
  std::string path = ::testing::TempDir() + "/runsc.log";
  {
    std::ofstream f(path);
    f << R"({"msg":"first","level":"error","time":"x"})"
      << R"({"msg":"running container: failed to load /nope: {no} such file\nstderr: x","level":"error"})";
  }
  EXPECT_EQ(LastRunscLogError(path),
            "running container: failed to load /nope: {no} such file; stderr: x");
  EXPECT_EQ(LastRunscLogError(path + ".missing"), "");
  unlink(path.c_str());
}

TEST(FindRunscTest, EnvironmentOverride) {
  setenv("NUCLEUS_RUNSC", "relative/runsc", 1);
  EXPECT_THAT(FindRunsc(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
  setenv("NUCLEUS_RUNSC", "/nonexistent/runsc", 1);
  EXPECT_THAT(FindRunsc(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/runsc")));
  setenv("NUCLEUS_RUNSC", "/bin/sh", 1);  // any executable
  EXPECT_EQ(*FindRunsc(), "/bin/sh");
  unsetenv("NUCLEUS_RUNSC");
  setenv("PATH", "/nonexistent", 1);
  EXPECT_THAT(FindRunsc(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("NUCLEUS_RUNSC")));
}

}  // namespace
}  // namespace nucleus
