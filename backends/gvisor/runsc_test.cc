#include "backends/gvisor/runsc.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
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

TEST(SelectPlatformTest, Auto) {
  EXPECT_EQ(*SelectPlatformFor({"kvm", "ptrace"}, true, "auto"), "kvm");
  EXPECT_EQ(*SelectPlatformFor({"kvm", "ptrace"}, false, "auto"), "ptrace");
  EXPECT_EQ(*SelectPlatformFor({"kvm", "systrap", "ptrace"}, false, "auto"), "systrap");
  EXPECT_EQ(*SelectPlatformFor({"ptrace"}, true, "auto"), "ptrace");
  EXPECT_THAT(SelectPlatformFor({}, false, "auto"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("auto")));
}

TEST(SelectPlatformTest, Explicit) {
  EXPECT_EQ(*SelectPlatformFor({"kvm", "ptrace"}, false, "ptrace"), "ptrace");
  EXPECT_THAT(SelectPlatformFor({"kvm", "ptrace"}, false, "systrap"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("systrap")));
  EXPECT_THAT(SelectPlatformFor({"kvm", "ptrace"}, false, "kvm"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/dev/kvm")));
  EXPECT_THAT(SelectPlatformFor({"kvm"}, true, "xen"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("xen")));
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
  EXPECT_EQ(LastRunscLogError(path), "running container: failed to load /nope: {no} such file; stderr: x");
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

TEST(SpawnTest, RunsAndReaps) {
  absl::StatusOr<Spawned> s = Spawn({"/bin/sh", "-c", "exit 3"}, {});
  ASSERT_OK(s.status());
  absl::StatusOr<int> st = WaitPidfd(s->pidfd.get(), "sh");
  ASSERT_OK(st.status());
  EXPECT_TRUE(WIFEXITED(*st));
  EXPECT_EQ(WEXITSTATUS(*st), 3);
  EXPECT_THAT(Spawn({"sh"}, {}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("absolute")));
}

TEST(SpawnTest, GateEofMeansTheProgramNeverRuns) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  std::string marker = ::testing::TempDir() + "/gate-marker";
  SpawnOptions o;
  o.gate_fd = p[0];
  absl::StatusOr<Spawned> s = Spawn({"/bin/sh", "-c", "touch " + marker}, o);
  ASSERT_OK(s.status());
  close(p[0]);
  close(p[1]);
  absl::StatusOr<int> st = WaitPidfd(s->pidfd.get(), "sh");
  ASSERT_OK(st.status());
  EXPECT_EQ(WEXITSTATUS(*st), 127);
  EXPECT_NE(access(marker.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace nucleus
