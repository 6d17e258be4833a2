// Crash safety: nucleus is SIGKILLed at several points of a container's life; `list` must still
// show the container and `delete --force` (or `rm -f`) must remove every trace of it: the
// state entry, the cgroup directories, the processes, the mounts (ContainerTest's leftover
// check covers the host's mounts, cgroups and child processes after each test).
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

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Comm(pid_t pid) {
  std::optional<std::string> c = ReadFile("/proc/" + std::to_string(pid) + "/comm");
  if (!c) return "";
  while (!c->empty() && c->back() == '\n') c->pop_back();
  return *c;
}

class CrashTest : public OciTest {
 protected:
  // The ids `list -q` prints.
  std::vector<std::string> ListedIds() {
    RunResult r = Oci({"list", "-q"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return SplitLines(r.out);
  }
  // After delete --force / rm -f: nothing of the container is left.
  void ExpectGone(const std::string& ref, pid_t pid, const std::string& cgroup_parent,
                  const std::string& cgroup_name) {
    RunResult st = Oci({"state", ref});
    EXPECT_EQ(st.exit_code, 1) << st;
    EXPECT_THAT(st.err, HasSubstr("does not exist")) << st;
    EXPECT_THAT(RootEntries(), IsEmpty());
    EXPECT_THAT(ListedIds(), IsEmpty());
    EXPECT_THAT(CgroupDirs(cgroup_parent, cgroup_name), IsEmpty());
    if (pid > 0) {
      EXPECT_TRUE(WaitUntil([&] { return !ProcAlive(pid); }, 5))
          << "the container's process " << pid << " survived";
    }
    EXPECT_TRUE(WaitUntil([] { return ChildProcesses().empty(); }, 5))
        << "processes left: " << ::testing::PrintToString(ChildProcesses());
  }
};

// (a) SIGKILL `nucleus create` while a createRuntime hook runs: the container's process
// exists (waiting at its start gate), its cgroup exists, the entry says "creating".
TEST_F(CrashTest, KillDuringCreate) {
  const std::string id = Id("crashcreate");
  const std::string cgroup_name = id + "-cg";
  std::string marker = dir() + "/hook.pid";
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["linux"]["cgroupsPath"] = "/nucleus/" + cgroup_name;
  b.config["hooks"]["createRuntime"] = Json::array(
      {{{"path", "/bin/sh"},
        {"args",
         {"sh", "-c",
          "echo $$ > " + marker + ".tmp && mv " + marker + ".tmp " + marker + "; exec sleep 30"}},
        {"env", {"PATH=/usr/bin:/bin"}}}});
  b.Write();

  Subprocess create;
  std::string error;
  ASSERT_TRUE(create.Start(OciArgv({"create", "--bundle", b.dir, id}), {}, &error)) << error;
  Protect(create.pid());
  bool hook_running = WaitUntil([&] { return PathExists(marker); }, 10);
  pid_t hook = hook_running ? atoi(ReadFile(marker).value_or("0").c_str()) : 0;
  EXPECT_TRUE(hook_running) << "the createRuntime hook never ran";
  EXPECT_EQ(StatusOf(id), "creating");
  kill(create.pid(), SIGKILL);
  RunResult killed = create.Finish(5);
  Unprotect(create.pid());
  EXPECT_EQ(killed.term_signal, SIGKILL) << killed;
  // The hook is ours to end (a runtime killed with SIGKILL cannot; runc's hooks outlive it
  // too). It was reparented to this subreaper.
  if (hook > 0) {
    kill(hook, SIGKILL);
    EXPECT_TRUE(WaitReaped(hook, 5).has_value());
  }
  ASSERT_TRUE(hook_running);

  EXPECT_THAT(ListedIds(), Contains(id));
  Json st = StateOf(id);
  pid_t pid = st["pid"].is_number_integer() ? st["pid"].get<pid_t>() : 0;
  // The container's process may have died with create (it is set to die with its parent
  // until create hands it over): then the entry is "stopped" with pid 0; either way
  // delete --force must clean up.
  EXPECT_THAT(st["status"].get<std::string>(), ::testing::AnyOf("creating", "stopped")) << st;
  EXPECT_TRUE(CgroupExistsOrNoCgroups("nucleus", cgroup_name))
      << "no cgroup nucleus/" << cgroup_name << " (cgroupsPath) while the container exists";

  RunResult r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  ExpectGone(id, pid, "nucleus", cgroup_name);
}

// (b) A created container (never started), nothing killed: delete --force removes it.
TEST_F(CrashTest, ForceDeleteCreated) {
  const std::string id = Id("crashcreated");
  Bundle b = MakeBundle({"sleep", "100"});
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = StateOf(id);
  ASSERT_EQ(st["status"], "created") << st;
  pid_t pid = st["pid"].get<pid_t>();
  EXPECT_TRUE(CgroupExistsOrNoCgroups("nucleus", id));
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  ExpectGone(id, pid, "nucleus", id);
}

// (c) SIGKILL a foreground `nucleus run` while its container runs: reaped by the next command.
TEST_F(CrashTest, KillForegroundRun) {
  const std::string name = Id("crashrun");
  Subprocess run;
  std::string error;
  ASSERT_TRUE(run.Start(
      OciArgv({"run", "--name", name, "--rootfs", rootfs(), "--read-only", "--", "sleep", "100"}),
      {}, &error))
      << error;
  Protect(run.pid());
  bool running = WaitForStatus(name, "running", 10);
  Json st = running ? StateOf(name) : Json();
  pid_t pid = running ? st["pid"].get<pid_t>() : 0;
  RunResult inspect = Oci({"inspect", name});
  Json info = Json::parse(inspect.out, nullptr, false);
  std::string id = info.is_array() && !info.empty() && info[0]["id"].is_string()
                       ? info[0]["id"].get<std::string>()
                       : "";
  kill(run.pid(), SIGKILL);
  RunResult killed = run.Finish(5);
  Unprotect(run.pid());
  ASSERT_TRUE(running) << "never running: " << killed;
  ASSERT_FALSE(id.empty()) << inspect;
  EXPECT_EQ(killed.term_signal, SIGKILL) << killed;

  // Nothing could clean up, but the entry was owned by the dead run (its owner flock is
  // free now): the next command that opens the store, this `list`, removes it with its
  // cgroup and container, as `delete --force` would. No ghost is ever listed.
  EXPECT_THAT(ListedIds(), Not(Contains(id)));
  ExpectGone(name, pid, "nucleus", id);
}

// (d) SIGKILL the `run -d` monitor (the container's parent), then `rm -f`.
TEST_F(CrashTest, KillDetachedMonitor) {
  const std::string name = Id("crashmon");
  RunResult r =
      Oci({"run", "-d", "--name", name, "--rootfs", rootfs(), "--read-only", "--", "sleep", "100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_FALSE(SplitLines(r.out).empty()) << r;
  const std::string id = SplitLines(r.out)[0];
  Json st = StateOf(name);
  ASSERT_EQ(st["status"], "running") << st;
  pid_t pid = st["pid"].get<pid_t>();
  pid_t monitor = ProcParent(pid);
  ASSERT_GT(monitor, 1);
  ASSERT_NE(monitor, getpid()) << "the container's parent is not a monitor process";
  EXPECT_EQ(Comm(monitor), "nucleus");
  kill(monitor, SIGKILL);
  EXPECT_TRUE(WaitReaped(monitor, 5).has_value()) << "the monitor was not our child";

  RunResult ps = Oci({"ps", "-a"});
  EXPECT_THAT(ps.out, HasSubstr(name)) << ps;
  EXPECT_THAT(ListedIds(), Contains(id));
  EXPECT_TRUE(CgroupExistsOrNoCgroups("nucleus", id));
  r = Oci({"rm", "-f", name});
  EXPECT_EQ(r.exit_code, 0) << r;
  ExpectGone(name, pid, "nucleus", id);
}

// A hook that records its pid in MARKER the first time it runs and then sleeps 30 s (the
// window in which the test kills nucleus); later runs return at once.
Json SleepOnceHook(const std::string& marker) {
  return {{"path", "/bin/sh"},
          {"args",
           {"sh", "-c",
            "[ -e " + marker + " ] && exit 0; echo $$ > " + marker + ".tmp && mv " + marker +
                ".tmp " + marker + "; exec sleep 30"}},
          {"env", {"PATH=/usr/bin:/bin"}}};
}

// (e) SIGKILL `nucleus start` while a poststart hook runs: the container runs; delete --force
// removes it.
TEST_F(CrashTest, KillDuringStart) {
  const std::string id = Id("crashstart");
  std::string marker = dir() + "/hook.pid";
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["poststart"] = Json::array({SleepOnceHook(marker)});
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = StateOf(id);
  pid_t pid = st["pid"].get<pid_t>();

  Subprocess start;
  std::string error;
  ASSERT_TRUE(start.Start(OciArgv({"start", id}), {}, &error)) << error;
  Protect(start.pid());
  bool hook_running = WaitUntil([&] { return PathExists(marker); }, 10);
  pid_t hook = hook_running ? atoi(ReadFile(marker).value_or("0").c_str()) : 0;
  kill(start.pid(), SIGKILL);
  RunResult killed = start.Finish(5);
  Unprotect(start.pid());
  if (hook > 0) {
    kill(hook, SIGKILL);
    EXPECT_TRUE(WaitReaped(hook, 5).has_value());
  }
  ASSERT_TRUE(hook_running) << "the poststart hook never ran: " << killed;

  EXPECT_THAT(ListedIds(), Contains(id));
  EXPECT_EQ(StatusOf(id), "running");
  EXPECT_TRUE(ProcAlive(pid));
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  ExpectGone(id, pid, "nucleus", id);
}

// (f) SIGKILL `nucleus delete --force` while a poststop hook runs: the container is gone
// already but its entry is left; a second delete finishes the job.
TEST_F(CrashTest, KillDuringDelete) {
  const std::string id = Id("crashdelete");
  std::string marker = dir() + "/hook.pid";
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["poststop"] = Json::array({SleepOnceHook(marker)});
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  pid_t pid = StateOf(id)["pid"].get<pid_t>();

  Subprocess del;
  std::string error;
  ASSERT_TRUE(del.Start(OciArgv({"delete", "--force", id}), {}, &error)) << error;
  Protect(del.pid());
  bool hook_running = WaitUntil([&] { return PathExists(marker); }, 10);
  pid_t hook = hook_running ? atoi(ReadFile(marker).value_or("0").c_str()) : 0;
  kill(del.pid(), SIGKILL);
  RunResult killed = del.Finish(5);
  Unprotect(del.pid());
  if (hook > 0) {
    kill(hook, SIGKILL);
    EXPECT_TRUE(WaitReaped(hook, 5).has_value());
  }
  ASSERT_TRUE(hook_running) << "the poststop hook never ran: " << killed;

  EXPECT_THAT(ListedIds(), Contains(id));
  EXPECT_EQ(StatusOf(id), "stopped");
  r = Oci({"delete", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  ExpectGone(id, pid, "nucleus", id);
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
