// Cgroups end to end on this host (v1, v2 or hybrid): limits enforced by the kernel, the OOM
// report, the device controller, the cgroup namespace, `nucleus stats` and `gc`, and no group
// left behind (the harness's leftover check runs after every test, failing setups included).
//
// CPU is measured from the container's cgroup (`nucleus stats --json`: cpuacct.usage or
// cpu.stat usage_usec) against the wall time between two reads, with a wide tolerance; no
// assertion rests on wall time alone.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunResult RunProbe(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
  std::vector<std::string> all = flags;
  all.push_back("--");
  all.push_back(ProbePath());
  all.insert(all.end(), args.begin(), args.end());
  return RunNucleus(all);
}

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Starts `nucleus run FLAGS -- PROBE ARGS` in the background and waits for `ready` on stdout.
// global: nucleus's own flags, before `run` (e.g. --root DIR).
bool StartProbe(Subprocess* p, const std::vector<std::string>& flags,
                const std::vector<std::string>& args, const std::string& ready,
                const std::vector<std::string>& global = {}) {
  std::vector<std::string> argv = {NucleusPath()};
  argv.insert(argv.end(), global.begin(), global.end());
  argv.push_back("run");
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.push_back(ProbePath());
  argv.insert(argv.end(), args.begin(), args.end());
  std::string error;
  if (!p->Start(argv, {}, &error)) {
    ADD_FAILURE() << error;
    return false;
  }
  if (p->WaitForStdout(ready, 10)) return true;
  ADD_FAILURE() << "no " << ready << " on stdout: " << p->Finish(5);
  return false;
}

nlohmann::json Stats(const std::string& name) {
  RunResult r = RunCommand({NucleusPath(), "stats", name, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

absl::StatusOr<CgroupHierarchies> Host() { return DetectCgroupHierarchies(); }

class CgroupTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped()) return;
    absl::StatusOr<CgroupHierarchies> h = Host();
    ASSERT_TRUE(h.ok()) << h.status();
    if (h->kind == CgroupHierarchies::Kind::kNone) GTEST_SKIP() << "no cgroup hierarchy mounted";
    h_ = *h;
  }
  CgroupHierarchies h_;
};

TEST_F(CgroupTest, MemoryHogIsOomKilledAndReported) {
  RunResult r = RunProbe({"--memory", "32m"}, {"hog"});
  EXPECT_EQ(r.exit_code, 137) << r;
  EXPECT_THAT(r.err, HasSubstr("nucleus: killed: out of memory (limit 32 MiB)")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("hog=survived"))) << r;
}

TEST_F(CgroupTest, PlainSigkillIsNotReportedAsOom) {
  RunResult r = RunProbe({"--memory", "32m"}, {"kill-self", "KILL"});
  EXPECT_EQ(r.exit_code, 137) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("out of memory"))) << r;
}

TEST_F(CgroupTest, ForkBombIsContainedAndTheHostStillForks) {
  RunResult r = RunProbe({"--pids-limit", "32"}, {"forkbomb", "10000"});
  ASSERT_EQ(r.exit_code, 0) << r;
  int forks = atoi(r.Facts()["forks"].c_str());
  EXPECT_LT(forks, 32) << "the init and the probe count too" << r;
  EXPECT_GT(forks, 10) << r;
  EXPECT_EQ(r.Facts()["fork_error"], "EAGAIN") << r;
  RunResult host =
      RunCommand({"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; echo ok"});
  EXPECT_EQ(host.exit_code, 0) << host;
  EXPECT_THAT(host.out, HasSubstr("ok"));
}

TEST_F(CgroupTest, HalfACpuUsesAboutHalfACpu) {
  std::string name = UniqueName("cpus");
  Subprocess p;
  ASSERT_TRUE(StartProbe(&p, {"--name", name, "--cpus", "0.5"}, {"spin", "4"}, "spinning"));
  nlohmann::json a = Stats(name);
  double t0 = Now();
  usleep(2000 * 1000);
  nlohmann::json b = Stats(name);
  double t1 = Now();
  RunResult r = p.Finish(20);
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_TRUE(a["cpu"]["usage_ns"].is_number()) << a.dump();
  ASSERT_TRUE(b["cpu"]["usage_ns"].is_number()) << b.dump();
  double used = (b["cpu"]["usage_ns"].get<double>() - a["cpu"]["usage_ns"].get<double>()) / 1e9;
  double ratio = used / (t1 - t0);
  EXPECT_GT(ratio, 0.3) << "cpu " << used << " s over " << (t1 - t0) << " s";
  EXPECT_LT(ratio, 0.7) << "cpu " << used << " s over " << (t1 - t0) << " s";
}

TEST_F(CgroupTest, StatsOfARunningNamedContainer) {
  std::string name = UniqueName("stats");
  Subprocess p;
  ASSERT_TRUE(StartProbe(&p, {"--name", name, "--memory", "64m", "--pids-limit", "50"},
                         {"spin", "1.5"}, "spinning"));
  nlohmann::json s = Stats(name);
  RunResult text = RunCommand({NucleusPath(), "stats", name});
  RunResult r = p.Finish(20);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(s["name"], name) << s.dump();
  EXPECT_EQ(s["memory"]["limit_bytes"], 64 << 20) << s.dump();
  EXPECT_GT(s["memory"]["current_bytes"].get<double>(), 0) << s.dump();
  EXPECT_EQ(s["pids"]["limit"], 50) << s.dump();
  EXPECT_GE(s["pids"]["current"].get<int>(), 2) << "init and probe" << s.dump();
  EXPECT_TRUE(s["cpu"]["usage_ns"].is_number()) << s.dump();
  EXPECT_THAT(text.out, HasSubstr("MEMORY")) << text;
  RunResult gone = RunCommand({NucleusPath(), "stats", name});
  EXPECT_EQ(gone.exit_code, 125) << gone;
  EXPECT_THAT(gone.err, HasSubstr("is the container running?")) << gone;
}

TEST_F(CgroupTest, ContainerSeesItsOwnCgroupAsRoot) {
  RunResult r = RunProbe({"--memory", "64m"}, {"cgroup"});
  ASSERT_EQ(r.exit_code, 0) << r;
  int lines = 0;
  for (const auto& [key, value] : r.Facts()) {
    if (key.rfind("cgroup_", 0) != 0) continue;
    ++lines;
    EXPECT_EQ(value, "/") << key << r;
  }
  EXPECT_GT(lines, 0) << r;
}

// --userns=host: in a user namespace mknod(2) of a device is refused whatever the
// capabilities, so only the host's root (with CAP_MKNOD kept) reaches the device rules.
TEST_F(CgroupTest, MknodWorksButTheNodeCannotBeOpened) {
  RunResult r =
      RunProbe({"--userns=host", "--cap-add", "MKNOD"}, {"mknod-open", "/tmp/sda", "b", "8", "0"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["mknod"], "ok") << r;
  // EPERM from the device controller; every writable mount is also nodev (EACCES).
  EXPECT_THAT(r.Facts()["open"], ::testing::AnyOf("EPERM", "EACCES")) << r;
}

// The container's mounts are all nodev, so the device rules are a second wall; this test
// checks that wall alone: a helper process placed in the container's groups makes nodes on a
// host directory that allows devices and opens them.
TEST_F(CgroupTest, DeviceControllerAllowsOnlyTheDefaultNodes) {
  std::string name = UniqueName("dev");
  Subprocess p;
  ASSERT_TRUE(StartProbe(&p, {"--name", name}, {"spin", "3"}, "spinning"));
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = OpenCgroup(h_, "nucleus", name);
  ASSERT_TRUE(cg.ok()) << cg.status();
  std::string dir = TestTmpDir() + "/" + name;
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(10);
    std::string null_node = dir + "/null", disk = dir + "/sda";
    if (mknod(null_node.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) _exit(11);
    if (mknod(disk.c_str(), S_IFBLK | 0600, makedev(8, 0)) != 0) _exit(12);
    int fd = open(null_node.c_str(), O_RDWR);
    if (fd < 0) _exit(errno == EACCES ? 20 : 13);  // 20: the test dir is nodev
    close(fd);
    fd = open(disk.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd >= 0) _exit(14);
    _exit(errno == EPERM ? 0 : 15);
  }
  close(go[0]);
  absl::Status added = (*cg)->AddProcess(helper, /*joined_by_clone=*/false);
  EXPECT_TRUE(added.ok()) << added;
  ASSERT_EQ(write(go[1], "x", 1), 1);
  close(go[1]);
  int status = 0;
  waitpid(helper, &status, 0);
  RunResult r = p.Finish(20);
  EXPECT_EQ(r.exit_code, 0) << r;
  RunCommand({"/bin/rm", "-rf", dir});
  if (WIFEXITED(status) && WEXITSTATUS(status) == 20) GTEST_SKIP() << TestTmpDir() << " is nodev";
  EXPECT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "11/12: mknod failed, 13: /dev/null-like node refused, 14: disk opened, 15: other errno";
}

// The v2 device program for real, in the cgroup2 hierarchy (on a hybrid host: the
// "unified" mount, which BPF device programs apply to whatever v1 says).
TEST_F(CgroupTest, DeviceBpfProgramInTheV2Hierarchy) {
  if (h_.v2_root.empty()) GTEST_SKIP() << "no cgroup2 hierarchy";
  CgroupHierarchies v2 = h_;
  v2.kind = CgroupHierarchies::Kind::kV2;
  v2.v1_mounts.clear();
  v2.v2_controllers.clear();  // no controller needed; keeps the host's subtree_control as is
  CgroupConfig config;
  config.name = UniqueName("bpf");
  config.devices = DefaultDeviceRules();
  absl::StatusOr<std::unique_ptr<Cgroup>> cg = CreateCgroup(v2, config);
  ASSERT_TRUE(cg.ok()) << cg.status();
  std::string dir = TestTmpDir() + "/" + config.name;
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t helper = fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    char c;
    close(go[1]);
    if (read(go[0], &c, 1) != 1) _exit(10);
    std::string null_node = dir + "/null", disk = dir + "/sda", mem = dir + "/mem";
    if (mknod(null_node.c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) _exit(11);
    if (mknod(disk.c_str(), S_IFBLK | 0600, makedev(8, 0)) != 0) _exit(12);
    int fd = open(null_node.c_str(), O_RDWR);
    if (fd < 0) _exit(errno == EACCES ? 20 : 13);
    close(fd);
    if (open(disk.c_str(), O_RDONLY | O_NONBLOCK) >= 0 || errno != EPERM) _exit(14);
    if (open("/dev/zero", O_RDONLY) < 0) _exit(16);
    _exit(0);
  }
  close(go[0]);
  absl::Status added = (*cg)->AddProcess(helper, /*joined_by_clone=*/false);
  EXPECT_TRUE(added.ok()) << added;
  ASSERT_EQ(write(go[1], "x", 1), 1);
  close(go[1]);
  int status = 0;
  waitpid(helper, &status, 0);
  absl::Status removed = (*cg)->KillAndRemove();
  EXPECT_TRUE(removed.ok()) << removed;
  RunCommand({"/bin/rm", "-rf", dir});
  if (WIFEXITED(status) && WEXITSTATUS(status) == 20) GTEST_SKIP() << TestTmpDir() << " is nodev";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the helper's exit codes";
}

TEST_F(CgroupTest, ImpossibleCpusetFailsAndLeavesNothing) {
  RunResult r = RunProbe({"--cpuset-cpus", "99", "--memory", "32m"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("--cpuset-cpus")) << r;
  // The harness's leftover check (TearDown) proves every group was removed.
}

TEST_F(CgroupTest, SameNameTwiceIsRefusedWithoutTouchingTheFirst) {
  std::string name = UniqueName("twice");
  Subprocess p;
  ASSERT_TRUE(StartProbe(&p, {"--name", name}, {"spin", "1.5"}, "spinning"));
  RunResult second = RunProbe({"--name", name}, {"exit", "0"});
  EXPECT_EQ(second.exit_code, 125) << second;
  EXPECT_THAT(second.err, HasSubstr("already exists")) << second;
  RunResult first = p.Finish(20);
  EXPECT_EQ(first.exit_code, 0) << first;
}

// Containers that start at once race to make the parent levels (nucleus/): each must find
// them usable, never half-made (a v1 cpuset level with empty cpus refused tasks with ENOSPC).
TEST_F(CgroupTest, ContainersStartingAtOnceAllGetUsableGroups) {
  for (int round = 0; round < 10; ++round) {
    Subprocess runs[6];
    for (Subprocess& p : runs) {
      std::string error;
      ASSERT_TRUE(p.Start({NucleusPath(), "run", "--", ProbePath(), "exit", "0"}, {}, &error))
          << error;
    }
    for (Subprocess& p : runs) {
      RunResult r = p.Finish(20);
      EXPECT_EQ(r.exit_code, 0) << "round " << round << ": " << r;
    }
  }
}

TEST_F(CgroupTest, GcRemovesTheGroupOfAKilledNucleusOnly) {
  std::string dead = UniqueName("gc-dead"), live = UniqueName("gc-live");
  // The victim's entry lives in a state store of its own, which gc (and the reaping of dead
  // runs' entries that every command does on the default store) does not see: its group is
  // left to gc's lock rule alone.
  const std::string root = TestTmpDir() + "/gc-store";
  Subprocess victim, survivor;
  ASSERT_TRUE(StartProbe(&victim, {"--name", dead}, {"sleep", "30"}, "", {"--root", root}));
  ASSERT_TRUE(StartProbe(&survivor, {"--name", live}, {"spin", "6"}, "spinning"));
  // SIGKILL to nucleus: no cleanup runs; its init dies with it (PDEATHSIG), the groups stay.
  double deadline = Now() + 5;
  while (!OpenCgroup(h_, "nucleus", dead).ok() && Now() < deadline) usleep(10000);
  ASSERT_TRUE(OpenCgroup(h_, "nucleus", dead).ok());
  kill(victim.pid(), SIGKILL);
  victim.Finish(5);
  usleep(2200 * 1000);  // gc leaves groups younger than 2 s alone
  RunResult gc = RunCommand({NucleusPath(), "gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc;
  EXPECT_THAT(gc.out, HasSubstr("removed cgroup nucleus/" + dead)) << gc;
  EXPECT_THAT(gc.out, Not(HasSubstr(live))) << gc;
  EXPECT_FALSE(OpenCgroup(h_, "nucleus", dead).ok());
  EXPECT_TRUE(OpenCgroup(h_, "nucleus", live).ok()) << "held by a live nucleus";
  RunResult r = survivor.Finish(20);
  EXPECT_EQ(r.exit_code, 0) << r;
  // The killed nucleus's entry is still in its store, until a command opens that store: then
  // it is reaped (its run died), and never listed.
  EXPECT_TRUE(PathExists(root + "/" + dead)) << "the entry went before any command ran";
  RunResult ps = RunCommand({NucleusPath(), "--root", root, "ps", "-a"});
  EXPECT_EQ(ps.exit_code, 0) << ps;
  EXPECT_THAT(ps.out, Not(HasSubstr(dead))) << ps;
  EXPECT_FALSE(PathExists(root + "/" + dead));
  (void)::rmdir(root.c_str());
  // The killed nucleus's container init (a clone, comm "nucleus") was reparented to this
  // test (a subreaper) and died of PDEATHSIG: reap it.
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
