// The runc verbs containerd's shim calls beyond the OCI lifecycle, on the command line
// directly (a private --root, bundles over the busybox rootfs): pause and resume, and how
// kill, exec and delete treat a paused container; update (runc's flags and --resources);
// events (--stats, and the stream until the container exits); and their bad input.
#include <signal.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/oci/oci_harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;

class RuncVerbsTest : public OciTest {
 protected:
  // create + start a container that counts in /out/count every 50 ms.
  std::string StartCounter(const std::string& prefix, std::string* count_file) {
    const std::string id = Id(prefix);
    std::string out = MakeDir("out-" + prefix);
    Bundle b = MakeBundle({"/bin/sh", "-c",
                           "trap 'exit 7' TERM; i=0; while true; do i=$((i+1)); "
                           "echo $i > /out/count; sleep 0.05; done"},
                          "bundle-" + prefix);
    b.config["mounts"].push_back(
        {{"destination", "/out"}, {"type", "bind"}, {"source", out}, {"options", {"rbind", "rw"}}});
    b.Write();
    RunResult c = Oci({"create", "--bundle", b.dir, id});
    EXPECT_EQ(c.exit_code, 0) << c;
    RunResult s = Oci({"start", id});
    EXPECT_EQ(s.exit_code, 0) << s;
    *count_file = out + "/count";
    EXPECT_TRUE(WaitUntil([&] { return ReadNumber(*count_file) >= 2; }, 10)) << "not counting";
    return id;
  }
  // The container's directory in the hierarchy holding `file` (v1 controller or v2).
  std::string CgroupFileOf(const std::string& id, const std::string& file) {
    for (const std::string& d : CgroupDirs("nucleus", id)) {
      if (PathExists(d + "/" + file)) return d + "/" + file;
    }
    return "";
  }
  // One error line naming `what`, exit 1 (the OCI verbs' status, as runc's).
  static void ExpectOneLineError(const RunResult& r, const std::string& what, int code = 1) {
    EXPECT_EQ(r.exit_code, code) << r;
    EXPECT_EQ(r.ErrLines().size(), 1u) << "one line: " << r;
    EXPECT_THAT(r.err, HasSubstr(what)) << r;
  }
};

TEST_F(RuncVerbsTest, PauseFreezesAndResumeThaws) {
  if (!CgroupsAvailable()) GTEST_SKIP() << "no cgroups on this host";
  std::string count;
  const std::string id = StartCounter("pause", &count);
  ASSERT_FALSE(HasFailure());
  RunResult p = Oci({"pause", id});
  ASSERT_EQ(p.exit_code, 0) << p;
  EXPECT_EQ(StatusOf(id), "paused");
  long before = ReadNumber(count);
  usleep(500 * 1000);
  EXPECT_EQ(ReadNumber(count), before) << "counted while paused";
  std::string freezer = CgroupFileOf(id, "freezer.state");
  if (!freezer.empty()) {
    EXPECT_THAT(ReadFile(freezer).value_or(""), HasSubstr("FROZEN"));
  }
  // runc's answers on a paused container.
  ExpectOneLineError(Oci({"exec", id, "/bin/true"}), "paused", 125);
  ExpectOneLineError(Oci({"pause", id}), "already paused");
  RunResult list = Oci({"list", "--format", "json"});
  EXPECT_THAT(list.out, HasSubstr("\"status\":\"paused\"")) << list;

  RunResult r = Oci({"resume", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(StatusOf(id), "running");
  EXPECT_TRUE(WaitUntil([&] { return ReadNumber(count) > before + 2; }, 5)) << "not counting again";
  ExpectOneLineError(Oci({"resume", id}), "not paused: running");
  RunResult k = Oci({"kill", id, "KILL"});
  EXPECT_EQ(k.exit_code, 0) << k;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  ExpectOneLineError(Oci({"pause", id}), "not running: stopped");
  EXPECT_EQ(Oci({"delete", id}).exit_code, 0);
}

TEST_F(RuncVerbsTest, KillAndDeleteOfAPausedContainer) {
  if (!CgroupsAvailable()) GTEST_SKIP() << "no cgroups on this host";
  std::string count;
  const std::string id = StartCounter("kp", &count);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Oci({"pause", id}).exit_code, 0);
  // SIGTERM waits for the thaw (runc's behaviour): still paused, still there.
  EXPECT_EQ(Oci({"kill", id, "TERM"}).exit_code, 0);
  usleep(300 * 1000);
  EXPECT_EQ(StatusOf(id), "paused");
  // The pending TERM is delivered on resume: the trap exits 7.
  ASSERT_EQ(Oci({"resume", id}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  EXPECT_EQ(Oci({"delete", id}).exit_code, 0);

  // SIGKILL thaws, so the container dies; delete --force of a paused one does not wait out
  // its 10 s deadline either.
  std::string count2;
  const std::string id2 = StartCounter("kp2", &count2);
  ASSERT_EQ(Oci({"pause", id2}).exit_code, 0);
  EXPECT_EQ(Oci({"kill", id2, "KILL"}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id2, "stopped", 5));
  EXPECT_EQ(Oci({"delete", id2}).exit_code, 0);
  std::string count3;
  const std::string id3 = StartCounter("kp3", &count3);
  ASSERT_EQ(Oci({"pause", id3}).exit_code, 0);
  double start = MonotonicNow();
  RunResult d = Oci({"delete", "--force", id3});
  EXPECT_EQ(d.exit_code, 0) << d;
  EXPECT_LT(MonotonicNow() - start, 5) << "delete --force waited for a frozen process";
  EXPECT_TRUE(CgroupDirs("nucleus", id3).empty());
}

TEST_F(RuncVerbsTest, UpdateFlagsAndResources) {
  if (!CgroupsAvailable() || !HostHasController("memory") || !HostHasController("pids")) {
    GTEST_SKIP() << "needs the memory and pids controllers";
  }
  std::string count;
  const std::string id = StartCounter("upd", &count);
  ASSERT_FALSE(HasFailure());
  std::string mem = CgroupFileOf(id, "memory.limit_in_bytes");
  if (mem.empty()) mem = CgroupFileOf(id, "memory.max");
  std::string pids = CgroupFileOf(id, "pids.max");
  ASSERT_FALSE(mem.empty());
  ASSERT_FALSE(pids.empty());

  RunResult u = Oci({"update", "--memory", "64m", "--pids-limit", "30", id});
  ASSERT_EQ(u.exit_code, 0) << u;
  EXPECT_EQ(ReadNumber(mem), 64L << 20);
  EXPECT_EQ(ReadNumber(pids), 30);

  // --resources FILE: the runtime-spec object containerd sends (on stdin, as "-").
  const std::string res = dir() + "/resources.json";
  WriteFile(res, R"({"memory":{"limit":41943040},"pids":{"limit":25}})");
  RunResult f = Oci({"update", "--resources", res, id});
  ASSERT_EQ(f.exit_code, 0) << f;
  EXPECT_EQ(ReadNumber(mem), 40L << 20);
  EXPECT_EQ(ReadNumber(pids), 25);
  RunResult inspect = Oci({"inspect", id});
  Json j = Json::parse(inspect.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && !j.empty()) << inspect;
  EXPECT_EQ(j[0]["config"]["linux"]["resources"]["memory"]["limit"], 40L << 20) << inspect;
  EXPECT_EQ(j[0]["config"]["linux"]["resources"]["pids"]["limit"], 25) << inspect;

  // Bad input: one line naming it, exit 1, nothing changed.
  ExpectOneLineError(Oci({"update", "--memory", "lots", id}), "--memory");
  ExpectOneLineError(Oci({"update", "--memory", "1m", id}), "--memory: the minimum");
  ExpectOneLineError(Oci({"update", "--cpu-shares", "1", id}), "--cpu-shares");
  ExpectOneLineError(Oci({"update", "--cpuset-cpus", "3-1", id}), "--cpuset-cpus");
  ExpectOneLineError(Oci({"update", "--pids-limit", "x", id}), "--pids-limit");
  ExpectOneLineError(Oci({"update", "--bogus", "1", id}), "--bogus");
  ExpectOneLineError(Oci({"update", "--resources", dir() + "/nope.json", id}), "nope.json");
  WriteFile(res, "{\"memory\":");
  ExpectOneLineError(Oci({"update", "--resources", res, id}), "not JSON");
  WriteFile(res, R"({"memory":{"limit":"x"}})");
  ExpectOneLineError(Oci({"update", "--resources", res, id}), "memory.limit");
  ExpectOneLineError(Oci({"update", "--memory", "64m", Id("nosuch")}), "does not exist");
  ExpectOneLineError(Oci({"update"}), "missing container ID");
  EXPECT_EQ(ReadNumber(mem), 40L << 20) << "a refused update changes nothing";
  EXPECT_EQ(ReadNumber(pids), 25);

  EXPECT_EQ(Oci({"kill", id, "KILL"}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  ExpectOneLineError(Oci({"update", "--memory", "64m", id}), "not running");
  EXPECT_EQ(Oci({"delete", id}).exit_code, 0);
}

// A container without cpu limits has no v1 cpu group (start-up cost); an update of one makes
// it, moves every process in, leaves the container running, and the group goes with it.
TEST_F(RuncVerbsTest, UpdateOfACpuLimitMakesTheGroupItNeeds) {
  if (!CgroupsAvailable() || !HostHasController("cpu")) GTEST_SKIP() << "needs cpu";
  std::string count;
  const std::string id = StartCounter("updcpu", &count);
  ASSERT_FALSE(HasFailure());
  const bool v1 = CgroupFileOf(id, "memory.limit_in_bytes") != "";
  if (v1) {
    EXPECT_EQ(CgroupFileOf(id, "cpu.cfs_quota_us"), "") << "no cpu group yet";
  }
  RunResult u = Oci({"update", "--cpu-quota", "50000", "--cpu-period", "100000", id});
  ASSERT_EQ(u.exit_code, 0) << u;
  std::string quota = CgroupFileOf(id, v1 ? "cpu.cfs_quota_us" : "cpu.max");
  ASSERT_NE(quota, "");
  EXPECT_THAT(ReadFile(quota).value_or(""), HasSubstr("50000"));
  if (v1) {
    std::string cpu_procs = quota.substr(0, quota.rfind('/')) + "/cgroup.procs";
    std::string mem_procs = CgroupFileOf(id, "memory.limit_in_bytes");
    mem_procs = mem_procs.substr(0, mem_procs.rfind('/')) + "/cgroup.procs";
    // The counter forks a sleep every 50 ms: compare the long-lived processes only.
    auto read = [](const std::string& f) { return ReadFile(f).value_or(""); };
    std::vector<std::string> in_cpu = SplitLines(read(cpu_procs));
    EXPECT_GE(in_cpu.size(), 2u) << "init and the shell";
    for (const std::string& p : SplitLines(read(mem_procs))) {
      std::string comm = read("/proc/" + p + "/comm");
      if (comm.empty() || comm.find("sleep") != std::string::npos) continue;
      EXPECT_THAT(in_cpu, ::testing::Contains(p)) << comm << " stayed out of the cpu group";
    }
  }
  EXPECT_EQ(StatusOf(id), "running") << "thawed again";
  long before = ReadNumber(count);
  EXPECT_TRUE(WaitUntil([&] { return ReadNumber(count) > before; }, 5)) << "still counting";
  RunResult d = Oci({"delete", "--force", id});
  EXPECT_EQ(d.exit_code, 0) << d;
  EXPECT_TRUE(CgroupDirs("nucleus", id).empty()) << "the cpu group went with the container";
}

TEST_F(RuncVerbsTest, EventsStatsAndStream) {
  if (!CgroupsAvailable()) GTEST_SKIP() << "no cgroups on this host";
  std::string count;
  const std::string id = StartCounter("ev", &count);
  ASSERT_FALSE(HasFailure());
  RunResult s = Oci({"events", "--stats", id});
  ASSERT_EQ(s.exit_code, 0) << s;
  Json e = Json::parse(s.out, nullptr, false);
  ASSERT_TRUE(e.is_object()) << s;
  EXPECT_EQ(e["type"], "stats");
  EXPECT_EQ(e["id"], id);
  EXPECT_TRUE(e["data"]["cpu"]["usage"]["total"].is_number()) << e;
  EXPECT_TRUE(e["data"]["memory"]["usage"]["usage"].is_number()) << e;
  if (HostHasController("pids")) {
    EXPECT_GE(e["data"]["pids"]["current"], 1) << e;
  }

  // The stream: a stats event every interval until the container exits, then exit 0.
  Subprocess stream;
  std::string error;
  ASSERT_TRUE(stream.Start(OciArgv({"events", "--interval", "100ms", id}), {}, &error)) << error;
  EXPECT_TRUE(stream.WaitForStdout("}}\n{\"type\":\"stats\"", 10)) << "no second event";
  EXPECT_EQ(Oci({"kill", id, "KILL"}).exit_code, 0);
  RunResult done = stream.Finish(10);
  EXPECT_EQ(done.exit_code, 0) << done;
  EXPECT_FALSE(done.timed_out) << "events did not end with the container";
  EXPECT_GE(SplitLines(done.out).size(), 2u) << done;
  EXPECT_TRUE(WaitForStatus(id, "stopped"));

  ExpectOneLineError(Oci({"events", "--interval", "0", id}), "--interval");
  ExpectOneLineError(Oci({"events", "--stats", id}), "not running");
  ExpectOneLineError(Oci({"events", Id("nosuch")}), "does not exist");
  EXPECT_EQ(Oci({"delete", id}).exit_code, 0);
}

TEST_F(RuncVerbsTest, PauseOfACreatedOrMissingContainer) {
  const std::string id = Id("created");
  Bundle b = MakeBundle({"/bin/true"}, "bundle-created");
  ASSERT_EQ(Oci({"create", "--bundle", b.dir, id}).exit_code, 0);
  ExpectOneLineError(Oci({"pause", id}), "not running: created");
  ExpectOneLineError(Oci({"resume", id}), "not paused: created");
  ExpectOneLineError(Oci({"pause", Id("nosuch")}), "does not exist");
  ExpectOneLineError(Oci({"pause"}), "missing container ID");
  ExpectOneLineError(Oci({"pause", id, "extra"}), "unexpected argument 'extra'");
  EXPECT_EQ(Oci({"delete", "--force", id}).exit_code, 0);
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
