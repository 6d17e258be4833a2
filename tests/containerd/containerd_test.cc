// containerd 1.6 drives nucleus as its runc (`ctr run --runc-binary NUCLEUS`), through
// containerd-shim-runc-v2, exactly as Kubernetes' CRI plugin would through a RuntimeClass.
//
// Each test starts its own containerd: private root, state, socket and config in a temp dir
// (nothing of the host's containerd is used or touched), the runc shim's --root (nucleus's
// state store) under it too, and a ctr namespace of our own ("nucleus-ctrd", so the
// containers' cgroups are /nucleus-ctrd/ID and the harness's leftover check sees them).
// The image is a docker archive built here from the busybox rootfs tarball and imported
// with `ctr images import`: no registry, no network. TearDown removes what is left, stops
// containerd and its shims (by pid) and removes the directories and the namespace's cgroup
// level before the harness checks that nothing is left behind.
//
// ctr 1.6 has no `task update`: the update goes through containerd's Tasks.Update gRPC
// call (update_task.py, python3-grpcio), what CRI's UpdateContainerResources does.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

constexpr char kNamespace[] = "nucleus-ctrd";
constexpr char kImage[] = "nucleus.test/busybox:latest";

void SleepS(double s) {
  struct timespec ts = {static_cast<time_t>(s),
                        static_cast<long>((s - static_cast<long>(s)) * 1e9)};
  nanosleep(&ts, nullptr);
}

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

class ContainerdTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped()) return;
    for (const char* bin :
         {"/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2"}) {
      if (access(bin, X_OK) != 0) {
        GTEST_SKIP() << bin << " is not installed (Debian's containerd package; tools/setup.sh "
                     << "installs it)";
      }
    }
    // A unix socket path must fit in 108 bytes: a short directory of our own in /tmp.
    char tmpl[] = "/tmp/nucleus-ctrd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr) << strerror(errno);
    dir_ = tmpl;
    address_ = dir_ + "/containerd.sock";
    runc_root_ = dir_ + "/runc";
    WriteFile(
        dir_ + "/config.toml",
        "version = 2\n"
        "root = \"" +
            dir_ +
            "/root\"\n"
            "state = \"" +
            dir_ +
            "/state\"\n"
            "disabled_plugins = [\"io.containerd.grpc.v1.cri\", "
            "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.zfs\", "
            "\"io.containerd.snapshotter.v1.devmapper\", \"io.containerd.snapshotter.v1.aufs\", "
            "\"io.containerd.internal.v1.tracing\"]\n"
            "[grpc]\n  address = \"" +
            address_ +
            "\"\n"
            "[ttrpc]\n  address = \"" +
            address_ +
            ".ttrpc\"\n"
            "[debug]\n  address = \"" +
            dir_ +
            "/debug.sock\"\n"
            "[metrics]\n  address = \"\"\n"
            // Its default is /opt/containerd, made at start.
            "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" +
            dir_ + "/opt\"\n");
    // The shim's socket goes to /run/containerd/s whatever the config says (containerd 1.6):
    // TearDown removes what this test made there.
    run_containerd_existed_ = PathExists("/run/containerd");
    run_containerd_s_existed_ = PathExists("/run/containerd/s");
    ASSERT_NO_FATAL_FAILURE(StartContainerd());
    ASSERT_NO_FATAL_FAILURE(ImportImage());
  }

  void TearDown() override {
    if (!dir_.empty()) {
      if (containerd_pid_ > 0) RemoveAllContainers();
      StopContainerdAndShims();
      // Whatever a failed test left mounted under our directory (rootfs overlays), then it.
      RunCommand({"/bin/sh", "-c",
                  "grep -o ' " + dir_ +
                      "/[^ ]*' /proc/self/mountinfo | sort -r | "
                      "xargs -r -n1 umount -l; rm -rf " +
                      dir_});
      if (!run_containerd_s_existed_) rmdir("/run/containerd/s");
      if (!run_containerd_existed_) {
        rmdir("/run/containerd");
        EXPECT_FALSE(PathExists("/run/containerd")) << "left behind by the test's containerd";
      }
      // The namespace's cgroup level: made by the first container's create, left (as runc
      // leaves it) when the last one is deleted. Only removed when empty.
      RunCommand({"/bin/sh", "-c",
                  std::string("for d in /sys/fs/cgroup/*/") + kNamespace + " /sys/fs/cgroup/" +
                      kNamespace + "; do [ -d \"$d\" ] && rmdir \"$d\"; done; true"});
    }
    ReapChildren(5);
    ContainerTest::TearDown();
  }

  void StartContainerd() {
    std::string log = dir_ + "/containerd.log";
    pid_t pid = fork();
    ASSERT_GE(pid, 0) << strerror(errno);
    if (pid == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0) dup2(null, 0);
      std::string config = dir_ + "/config.toml";
      execl("/usr/bin/containerd", "containerd", "--config", config.c_str(), nullptr);
      _exit(127);
    }
    containerd_pid_ = pid;
    double deadline = Now() + 20;
    for (;;) {
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        containerd_pid_ = -1;
        FAIL() << "containerd exited at start: " << ReadFile(log).value_or("");
      }
      if (PathExists(address_) && Ctr({"version"}, 5).exit_code == 0) return;
      if (Now() > deadline)
        FAIL() << "containerd did not serve within 20 s: " << ReadFile(log).value_or("");
      SleepS(0.05);
    }
  }

  // A docker archive (manifest.json, the image config, one layer: the busybox rootfs).
  void ImportImage() {
    std::string img = dir_ + "/image";
    ASSERT_EQ(mkdir(img.c_str(), 0700), 0);
    RunResult cp = RunCommand({"/bin/cp", RootfsTarPath(), img + "/layer.tar"});
    ASSERT_EQ(cp.exit_code, 0) << cp;
    std::string layer_digest = Sha256(img + "/layer.tar");
    ASSERT_FALSE(layer_digest.empty());
    nlohmann::json config = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"config", {{"Env", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}}, {"Cmd", {"/bin/sh"}}}},
        {"rootfs", {{"type", "layers"}, {"diff_ids", {"sha256:" + layer_digest}}}}};
    WriteFile(img + "/config.json", config.dump());
    std::string config_digest = Sha256(img + "/config.json");
    ASSERT_EQ(rename((img + "/config.json").c_str(), (img + "/" + config_digest + ".json").c_str()),
              0);
    nlohmann::json manifest = nlohmann::json::array(
        {{{"Config", config_digest + ".json"}, {"RepoTags", {kImage}}, {"Layers", {"layer.tar"}}}});
    WriteFile(img + "/manifest.json", manifest.dump());
    RunResult tar = RunCommand({"/bin/tar", "-cf", dir_ + "/busybox.tar", "-C", img,
                                "manifest.json", config_digest + ".json", "layer.tar"});
    ASSERT_EQ(tar.exit_code, 0) << tar;
    RunResult imp = Ctr({"images", "import", dir_ + "/busybox.tar"}, 60);
    ASSERT_EQ(imp.exit_code, 0) << imp;
  }

  static std::string Sha256(const std::string& path) {
    RunResult r = RunCommand({"/usr/bin/sha256sum", path});
    if (r.exit_code != 0 || r.out.size() < 64) return "";
    return r.out.substr(0, 64);
  }

  RunResult Ctr(std::vector<std::string> args, double timeout_s = 60) {
    std::vector<std::string> argv = {"/usr/bin/ctr", "-a", address_, "-n", kNamespace};
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions o;
    o.timeout_s = timeout_s;
    return RunCommand(argv, o);
  }

  // `ctr run` with nucleus as the shim's runc; gvisor: the backend annotation (and the ptrace
  // platform: `auto` picks KVM wherever /dev/kvm opens, which Debian 12's runsc does not
  // always run on).
  std::vector<std::string> RunArgs(bool gvisor, std::vector<std::string> extra) {
    std::vector<std::string> a = {"run",      "--runc-binary", NucleusPath(), "--runc-root",
                                  runc_root_, "--fifo-dir",    dir_ + "/fifo"};
    if (gvisor) {
      a.insert(a.end(), {"--annotation", "run.nucleus.backend=gvisor", "--annotation",
                         "run.nucleus.gvisor.platform=ptrace"});
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // nucleus with the state store the shim uses (--runc-root/NAMESPACE).
  RunResult NucleusState(const std::string& id) {
    return Nucleus({"--root", runc_root_ + "/" + kNamespace, "state", id});
  }

  // The task's line in `ctr task ls` ("ID PID STATUS"), or "".
  std::string TaskStatus(const std::string& id) {
    RunResult r = Ctr({"task", "ls"}, 20);
    for (const std::string& line : SplitLines(r.out)) {
      if (line.rfind(id + " ", 0) == 0) return line.substr(line.find_last_of(' ') + 1);
    }
    return "";
  }

  bool WaitForTaskStatus(const std::string& id, const std::string& want, double timeout_s) {
    double deadline = Now() + timeout_s;
    while (TaskStatus(id) != want) {
      if (Now() > deadline) return false;
      SleepS(0.1);
    }
    return true;
  }

  // A v1 controller's file of the container's group, or the v2 one.
  static std::string CgroupFile(const std::string& id, const std::string& v1_controller,
                                const std::string& v1_file, const std::string& v2_file) {
    std::string v1 = "/sys/fs/cgroup/" + v1_controller;
    if (PathExists(v1)) return v1 + "/" + kNamespace + "/" + id + "/" + v1_file;
    return std::string("/sys/fs/cgroup/") + kNamespace + "/" + id + "/" + v2_file;
  }

  // Best effort, for a test that failed half-way: every task killed and removed, then every
  // container.
  void RemoveAllContainers() {
    RunResult tasks = Ctr({"task", "ls", "-q"}, 20);
    for (const std::string& id : SplitLines(tasks.out)) {
      if (id.empty()) continue;
      Ctr({"task", "kill", "-a", "-s", "SIGKILL", id}, 20);
      WaitForTaskStatus(id, "STOPPED", 10);
      Ctr({"task", "rm", "-f", id}, 20);
    }
    RunResult containers = Ctr({"containers", "ls", "-q"}, 20);
    for (const std::string& id : SplitLines(containers.out)) {
      if (!id.empty()) Ctr({"containers", "rm", id}, 20);
    }
  }

  // containerd (SIGTERM, SIGKILL after 10 s), then any shim of ours: shims re-parent to
  // this test (a subreaper); each is recognized by our socket address on its command line
  // and killed by pid.
  void StopContainerdAndShims() {
    if (containerd_pid_ > 0) {
      kill(containerd_pid_, SIGTERM);
      double deadline = Now() + 10;
      int status;
      while (waitpid(containerd_pid_, &status, WNOHANG) == 0) {
        if (Now() > deadline) {
          kill(containerd_pid_, SIGKILL);
          waitpid(containerd_pid_, &status, 0);
          break;
        }
        SleepS(0.05);
      }
      containerd_pid_ = -1;
    }
    for (const std::string& line : ChildProcesses()) {
      pid_t pid = atoi(line.c_str());
      std::optional<std::string> cmdline = ReadFile("/proc/" + std::to_string(pid) + "/cmdline");
      if (pid > 0 && cmdline && cmdline->find(address_) != std::string::npos) {
        shims_killed_.push_back(line);
        kill(pid, SIGKILL);
      }
    }
  }

  // The detached lifecycle on one backend: run -d, exec, pause (the counter stops), resume
  // (it goes on), update (a memory limit in the cgroup), kill, rm.
  void Lifecycle(bool gvisor) {
    const std::string id = gvisor ? "life-gvisor" : "life-native";
    const std::string data = dir_ + "/data-" + id;
    ASSERT_EQ(mkdir(data.c_str(), 0755), 0);
    const std::string count = data + "/count";
    RunResult run = Ctr(
        RunArgs(gvisor, {"-d", "--mount", "type=bind,src=" + data + ",dst=/data,options=rbind:rw",
                         kImage, id, "/bin/sh", "-c",
                         "trap 'exit 7' TERM; i=0; while true; do i=$((i+1)); "
                         "echo $i > /data/count; sleep 0.1; done"}));
    ASSERT_EQ(run.exit_code, 0) << run;
    double deadline = Now() + 10;
    while (ReadNumber(count) < 2 && Now() < deadline) SleepS(0.05);
    ASSERT_GE(ReadNumber(count), 2) << "the counter does not run";
    EXPECT_EQ(TaskStatus(id), "RUNNING");
    RunResult state = NucleusState(id);
    EXPECT_THAT(state.out, HasSubstr("\"status\": \"running\"")) << state;

    // exec: its output and exit status come back through the shim.
    RunResult exec = Ctr({"task", "exec", "--fifo-dir", dir_ + "/fifo", "--exec-id", "e1", id,
                          "/bin/sh", "-c", "echo exec-ok; exit 5"});
    EXPECT_EQ(exec.exit_code, 5) << exec;
    EXPECT_THAT(exec.out, HasSubstr("exec-ok")) << exec;
    RunResult ps = Ctr({"task", "ps", id});
    EXPECT_EQ(ps.exit_code, 0) << ps;

    // pause: frozen, so the counter stands still; the OCI state says paused.
    RunResult pause = Ctr({"task", "pause", id});
    ASSERT_EQ(pause.exit_code, 0) << pause;
    EXPECT_EQ(TaskStatus(id), "PAUSED");
    state = NucleusState(id);
    EXPECT_THAT(state.out, HasSubstr("\"status\": \"paused\"")) << state;
    std::string freezer = CgroupFile(id, "freezer", "freezer.state", "cgroup.freeze");
    std::string frozen = ReadFile(freezer).value_or("(unreadable " + freezer + ")");
    EXPECT_THAT(frozen, ::testing::AnyOf(HasSubstr("FROZEN"), HasSubstr("1"))) << freezer;
    long before = ReadNumber(count);
    SleepS(1.0);
    long after = ReadNumber(count);
    EXPECT_EQ(before, after) << "the counter advanced while the container was paused";
    RunResult exec_paused =
        Ctr({"task", "exec", "--fifo-dir", dir_ + "/fifo", "--exec-id", "e2", id, "/bin/true"}, 20);
    EXPECT_NE(exec_paused.exit_code, 0) << "exec in a paused container: " << exec_paused;

    // resume: it counts again.
    RunResult resume = Ctr({"task", "resume", id});
    ASSERT_EQ(resume.exit_code, 0) << resume;
    deadline = Now() + 5;
    while (ReadNumber(count) <= after + 2 && Now() < deadline) SleepS(0.05);
    EXPECT_GT(ReadNumber(count), after + 2) << "the counter did not go on after resume";
    EXPECT_EQ(TaskStatus(id), "RUNNING");

    // update: containerd's Tasks.Update -> the shim -> `nucleus update --resources -`.
    const long limit = 48L << 20;
    RunResult update =
        RunCommand({"/usr/bin/python3", Runfile("tests/containerd/update_task.py"), address_,
                    kNamespace, id, "{\"memory\":{\"limit\":" + std::to_string(limit) + "}}"});
    if (update.exit_code == 2) {
      ADD_FAILURE() << "python3-grpcio is missing (tools/setup.sh installs it): " << update;
    } else {
      EXPECT_EQ(update.exit_code, 0) << update;
      std::string mem = CgroupFile(id, "memory", "memory.limit_in_bytes", "memory.max");
      EXPECT_EQ(ReadNumber(mem), limit) << mem;
      RunResult inspect = Nucleus({"--root", runc_root_ + "/" + kNamespace, "inspect", id});
      nlohmann::json j = nlohmann::json::parse(inspect.out, nullptr, false);
      ASSERT_TRUE(j.is_array() && !j.empty()) << inspect;
      EXPECT_EQ(j[0]["config"]["linux"]["resources"]["memory"]["limit"], limit) << inspect;
      // A bad value: refused by nucleus, the error comes back through containerd.
      RunResult bad = RunCommand({"/usr/bin/python3", Runfile("tests/containerd/update_task.py"),
                                  address_, kNamespace, id, "{\"cpu\":{\"shares\":1}}"});
      EXPECT_EQ(bad.exit_code, 1) << bad;
      EXPECT_THAT(bad.err, HasSubstr("cpu.shares")) << bad;
      EXPECT_EQ(ReadNumber(mem), limit) << "a refused update changes nothing";
    }

    // kill (SIGTERM: the trap exits 7), then rm.
    RunResult kill_r = Ctr({"task", "kill", id});
    EXPECT_EQ(kill_r.exit_code, 0) << kill_r;
    EXPECT_TRUE(WaitForTaskStatus(id, "STOPPED", 10)) << TaskStatus(id);
    RunResult rm = Ctr({"task", "rm", id});
    EXPECT_EQ(rm.exit_code, 0) << rm;
    EXPECT_THAT(rm.out + rm.err, HasSubstr("exit code 7")) << rm;
    RunResult crm = Ctr({"containers", "rm", id});
    EXPECT_EQ(crm.exit_code, 0) << crm;
    EXPECT_NE(NucleusState(id).exit_code, 0) << "the nucleus entry is gone";
    EXPECT_FALSE(PathExists(CgroupFile(id, "memory", "", ""))) << "the cgroup is gone";
  }

  // A paused container that is killed (SIGKILL) dies, as with runc, and is removed.
  void KillPaused(bool gvisor) {
    const std::string id = gvisor ? "kp-gvisor" : "kp-native";
    RunResult run = Ctr(RunArgs(gvisor, {"-d", kImage, id, "/bin/sleep", "1000"}));
    ASSERT_EQ(run.exit_code, 0) << run;
    ASSERT_EQ(Ctr({"task", "pause", id}).exit_code, 0);
    EXPECT_EQ(TaskStatus(id), "PAUSED");
    RunResult kill_r = Ctr({"task", "kill", "-s", "SIGKILL", id});
    EXPECT_EQ(kill_r.exit_code, 0) << kill_r;
    EXPECT_TRUE(WaitForTaskStatus(id, "STOPPED", 10)) << TaskStatus(id);
    EXPECT_EQ(Ctr({"task", "rm", id}).exit_code, 0);
    EXPECT_EQ(Ctr({"containers", "rm", id}).exit_code, 0);
  }

  // Foreground: output and exit status; /proc/version tells the backends apart.
  void Foreground(bool gvisor) {
    RunResult r =
        Ctr(RunArgs(gvisor, {"--rm", kImage, gvisor ? "fg-gvisor" : "fg-native", "/bin/sh", "-c",
                             "echo hello from nucleus; cat /proc/version; exit 3"}));
    EXPECT_EQ(r.exit_code, 3) << r;
    EXPECT_THAT(r.out, HasSubstr("hello from nucleus")) << r;
    std::string host = ReadFile("/proc/version").value_or("?");
    if (gvisor) {
      EXPECT_THAT(r.out, ::testing::Not(HasSubstr(host))) << "gVisor has a kernel of its own";
    } else {
      EXPECT_THAT(r.out, HasSubstr(host)) << "the native backend shares the host's kernel";
    }
  }

  std::string dir_, address_, runc_root_;
  pid_t containerd_pid_ = -1;
  bool run_containerd_existed_ = true, run_containerd_s_existed_ = true;
  std::vector<std::string> shims_killed_;
};

TEST_F(ContainerdTest, NativeForeground) { Foreground(false); }
TEST_F(ContainerdTest, NativeLifecycle) { Lifecycle(false); }
TEST_F(ContainerdTest, NativeKillPaused) { KillPaused(false); }

TEST_F(ContainerdTest, RuntimeErrorsComeBackThroughContainerd) {
  // A command that is not in the image: nucleus's error reaches ctr through the shim.
  RunResult r = Ctr(RunArgs(false, {"--rm", kImage, "bad-cmd", "/no/such/command"}));
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_THAT(r.err, HasSubstr("/no/such/command")) << r;
}

TEST_F(ContainerdTest, NativeTerminal) {
  // `ctr run -t` needs a terminal of its own: script(1) gives it one. The shim passes
  // --console-socket; nucleus sends the pty master there.
  if (access("/usr/bin/script", X_OK) != 0) GTEST_SKIP() << "/usr/bin/script is not installed";
  std::string cmd = "/usr/bin/ctr -a " + address_ + " -n " + kNamespace;
  for (const std::string& a : RunArgs(false, {"-t", "--rm", kImage, "tty-native", "/bin/sh", "-c",
                                              "'tty; echo in-a-tty; exit 4'"})) {
    cmd += " " + a;
  }
  RunOptions o;
  o.timeout_s = 60;
  RunResult r = RunCommand({"/usr/bin/script", "-qec", cmd, "/dev/null"}, o);
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_THAT(r.out, HasSubstr("/dev/pts/")) << r;
  EXPECT_THAT(r.out, HasSubstr("in-a-tty")) << r;
}

class ContainerdGvisorTest : public ContainerdTest {
 protected:
  void SetUp() override {
    std::string why = GvisorSkipReason();
    if (!why.empty()) GTEST_SKIP() << "gVisor backend unusable here: " << why;
    ContainerdTest::SetUp();
  }
};

TEST_F(ContainerdGvisorTest, Foreground) { Foreground(true); }
TEST_F(ContainerdGvisorTest, Lifecycle) { Lifecycle(true); }
TEST_F(ContainerdGvisorTest, KillPaused) { KillPaused(true); }

}  // namespace
}  // namespace testing
}  // namespace nucleus
