// podman drives nucleus through the OCI runtime command line, exactly as it drives runc.
//
// Each test runs `podman --runtime NUCLEUS ...` with a private storage root and run root
// under the test's temp dir, cgroupfs as cgroup manager, no network, and explicit --ulimit
// values (podman's defaults exceed this machine's hard limits). The image is the busybox
// rootfs tarball, loaded once with `podman import`.
#include <signal.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;

constexpr char kImage[] = "localhost/nucleus-busybox:test";

class PodmanTest : public ContainerTest {
 protected:
  static void SetUpTestSuite() {
    ContainerTest::SetUpTestSuite();
    if (access("/usr/bin/podman", X_OK) != 0) return;
    // podman refuses a run root longer than 50 bytes: a short directory of our own in /tmp.
    char tmpl[] = "/tmp/nucleus-podman-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = new std::string(tmpl);
    RunResult r = RunCommand(Podman({"import", RootfsTarPath(), kImage}), Opts());
    imported_ = r.exit_code == 0;
    if (!imported_) import_error_ = new std::string(r.err);
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      RunCommand(Podman({"rm", "--all", "--force"}), Opts());
      RunCommand(Podman({"rmi", "--all", "--force"}), Opts());
      // podman's overlay storage: unmount whatever it left, then remove the tree.
      RunCommand({"/bin/sh", "-c",
                  "grep -o ' " + *dir_ +
                      "[^ ]*' /proc/self/mountinfo | sort -r | "
                      "xargs -r -n1 umount -l; rm -rf " +
                      *dir_});
    }
  }
  // conmon double-forks: its processes are reparented to this test (a subreaper) and must be
  // reaped here, or the leftover check sees them as zombies.
  void TearDown() override {
    ReapChildren(5);
    ContainerTest::TearDown();
  }
  void SetUp() override {
    ContainerTest::SetUp();
    if (access("/usr/bin/podman", X_OK) != 0) GTEST_SKIP() << "podman is not installed";
    ASSERT_TRUE(dir_ != nullptr) << "mkdtemp failed";
    ASSERT_TRUE(imported_) << "podman import failed: " << *import_error_;
  }

  static RunOptions Opts() {
    RunOptions o;
    o.set_env = {"TMPDIR=" + *dir_};
    o.timeout_s = 90;
    return o;
  }
  static std::vector<std::string> Podman(std::vector<std::string> args) {
    std::vector<std::string> argv = {"/usr/bin/podman",
                                     "--root",
                                     *dir_ + "/storage",
                                     "--runroot",
                                     *dir_ + "/run",
                                     "--runtime",
                                     NucleusPath(),
                                     "--cgroup-manager",
                                     "cgroupfs",
                                     "--events-backend",
                                     "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // `podman run --rm` with the options every test needs, then IMAGE and the command.
  static RunResult Run(std::vector<std::string> options, std::vector<std::string> cmd) {
    std::vector<std::string> args = {"run",      "--rm",           "--network",
                                     "none",     "--ulimit",       "nofile=1024:1024",
                                     "--ulimit", "nproc=1024:1024"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(kImage);
    args.insert(args.end(), cmd.begin(), cmd.end());
    return RunCommand(Podman(args), Opts());
  }

  static std::string* dir_;
  static bool imported_;
  static std::string* import_error_;
};

std::string* PodmanTest::dir_ = nullptr;
bool PodmanTest::imported_ = false;
std::string* PodmanTest::import_error_ = nullptr;

TEST_F(PodmanTest, PlainCommandAndExitCode) {
  RunResult r = Run({}, {"/bin/sh", "-c", "echo hello from nucleus; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_THAT(r.out, HasSubstr("hello from nucleus")) << r;
  RunResult ok = Run({}, {"/bin/true"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
}

TEST_F(PodmanTest, EnvAndUser) {
  RunResult r = Run({"-e", "GREETING=hi there", "--user", "1000:1000"},
                    {"/bin/sh", "-c", "echo \"env=$GREETING\"; id -u; id -g"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("env=hi there\n1000\n1000\n")) << r;
}

TEST_F(PodmanTest, MemoryAndPidsLimitsHold) {
  // 40 background sleeps under --pids-limit 20: forks fail, busybox sh gives up.
  RunResult pids =
      Run({"--pids-limit", "20"}, {"/bin/sh", "-c",
                                   "i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i+1)); "
                                   "done; echo all-forked"});
  EXPECT_NE(pids.exit_code, 0) << pids;
  EXPECT_THAT(pids.out, ::testing::Not(HasSubstr("all-forked"))) << pids;
  EXPECT_THAT(pids.err, HasSubstr("fork")) << pids;
  RunResult unlimited = Run({}, {"/bin/sh", "-c",
                                 "i=0; while [ $i -lt 40 ]; do sleep 0.2 & "
                                 "i=$((i+1)); done; wait; echo all-forked"});
  EXPECT_THAT(unlimited.out, HasSubstr("all-forked")) << unlimited;
  // dd with a 100 MiB buffer under a 32 MiB limit: the OOM killer ends it (137).
  RunResult mem = Run({"--memory", "32m", "--memory-swap", "32m"},
                      {"/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"});
  EXPECT_EQ(mem.exit_code, 137) << mem;
  RunResult fits = Run({"--memory", "32m", "--memory-swap", "32m"},
                       {"/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=1M", "count=1"});
  EXPECT_EQ(fits.exit_code, 0) << fits;
}

TEST_F(PodmanTest, DetachedThenExecStopAndRm) {
  std::vector<std::string> args = {"run",
                                   "-d",
                                   "--network",
                                   "none",
                                   "--ulimit",
                                   "nofile=1024:1024",
                                   "--ulimit",
                                   "nproc=1024:1024",
                                   "--name",
                                   "nucleus-podman-d",
                                   kImage,
                                   "/bin/sh",
                                   "-c",
                                   "trap 'exit 7' TERM; echo up; "
                                   "while true; do sleep 0.1; done"};
  RunResult d = RunCommand(Podman(args), Opts());
  ASSERT_EQ(d.exit_code, 0) << d;
  RunResult e = RunCommand(
      Podman({"exec", "nucleus-podman-d", "/bin/sh", "-c", "echo exec-ok; cat /proc/1/cmdline"}),
      Opts());
  EXPECT_EQ(e.exit_code, 0) << e;
  EXPECT_THAT(e.out, HasSubstr("exec-ok")) << e;
  EXPECT_THAT(e.out, HasSubstr("/bin/sh")) << "PID 1 is the container's process" << e;
  RunResult code =
      RunCommand(Podman({"exec", "nucleus-podman-d", "/bin/sh", "-c", "exit 9"}), Opts());
  EXPECT_EQ(code.exit_code, 9) << code;
  RunResult logs = RunCommand(Podman({"logs", "nucleus-podman-d"}), Opts());
  EXPECT_THAT(logs.out, HasSubstr("up")) << logs;
  RunResult stop = RunCommand(Podman({"stop", "-t", "5", "nucleus-podman-d"}), Opts());
  EXPECT_EQ(stop.exit_code, 0) << stop;
  RunResult inspect = RunCommand(
      Podman({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "nucleus-podman-d"}),
      Opts());
  EXPECT_THAT(inspect.out, HasSubstr("exited 7")) << inspect;
  RunResult rm = RunCommand(Podman({"rm", "nucleus-podman-d"}), Opts());
  EXPECT_EQ(rm.exit_code, 0) << rm;
}

// The gVisor backend through podman: asked for with an annotation in config.json.
TEST_F(PodmanTest, GvisorBackendByAnnotation) {
  std::string why = GvisorSkipReason();
  if (!why.empty()) GTEST_SKIP() << why;
  const std::string gvisor = "run.nucleus.backend=gvisor";
  RunResult r = Run({"--annotation", gvisor}, {"/bin/sh", "-c", "cat /proc/version; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r;
  std::optional<std::string> host = ReadFile("/proc/version");
  ASSERT_TRUE(host.has_value());
  EXPECT_THAT(r.out, HasSubstr("Linux version")) << r;
  EXPECT_NE(r.out, *host) << "the container saw the host's kernel" << r;
  // (podman's default sysctl, ping_group_range, is warned about, not refused: podman shows a
  // runtime's warnings only when it fails.)

  std::vector<std::string> args = {"run",
                                   "-d",
                                   "--network",
                                   "none",
                                   "--ulimit",
                                   "nofile=1024:1024",
                                   "--ulimit",
                                   "nproc=1024:1024",
                                   "--annotation",
                                   gvisor,
                                   "--name",
                                   "nucleus-podman-gv",
                                   kImage,
                                   "/bin/sh",
                                   "-c",
                                   "trap 'exit 7' TERM; echo up; "
                                   "while true; do sleep 0.1; done"};
  RunResult d = RunCommand(Podman(args), Opts());
  ASSERT_EQ(d.exit_code, 0) << d;
  RunResult code = RunCommand(Podman({"exec", "nucleus-podman-gv", "/bin/sh", "-c",
                                      "grep -q 'Linux version' "
                                      "/proc/version && exit 9"}),
                              Opts());
  EXPECT_EQ(code.exit_code, 9) << code;
  RunResult stop = RunCommand(Podman({"stop", "-t", "5", "nucleus-podman-gv"}), Opts());
  EXPECT_EQ(stop.exit_code, 0) << stop;
  RunResult inspect = RunCommand(
      Podman({"inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "nucleus-podman-gv"}),
      Opts());
  EXPECT_THAT(inspect.out, HasSubstr("exited 7")) << inspect;
  RunResult logs = RunCommand(Podman({"logs", "nucleus-podman-gv"}), Opts());
  EXPECT_THAT(logs.out, HasSubstr("up")) << logs;
  EXPECT_EQ(RunCommand(Podman({"rm", "nucleus-podman-gv"}), Opts()).exit_code, 0);
}

TEST_F(PodmanTest, Tty) {
  RunResult r = Run({"-t"}, {"/bin/sh", "-c", "tty; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/0")) << r;
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
