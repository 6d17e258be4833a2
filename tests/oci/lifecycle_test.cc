// The OCI lifecycle (runtime-spec "Lifecycle" and "Operations", runc's command line):
// create, start, state, kill, delete and their errors, list, ps ID, features and --log,
// with real containers on bundles over the busybox rootfs.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/oci/oci_harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class LifecycleTest : public OciTest {
 protected:
  // Adds a read-write bind of host dir `host` at /out.
  static void BindOut(Bundle* b, const std::string& host) {
    b->config["mounts"].push_back({{"destination", "/out"},
                                   {"type", "bind"},
                                   {"source", host},
                                   {"options", {"rbind", "rw"}}});
    b->Write();
  }
  // create --bundle B ID, asserted; returns the container's pid from `state`.
  pid_t Create(const Bundle& b, const std::string& id) {
    RunResult r = Oci({"create", "--bundle", b.dir, id});
    EXPECT_EQ(r.exit_code, 0) << r;
    if (r.exit_code != 0) return 0;
    Json st = StateOf(id);
    if (!st.is_object() || !st["pid"].is_number_integer()) return 0;
    return st["pid"].get<pid_t>();
  }
  void Delete(const std::string& id, bool force = false) {
    RunResult r = force ? Oci({"delete", "--force", id}) : Oci({"delete", id});
    EXPECT_EQ(r.exit_code, 0) << r;
  }
};

// create, then start, kill and delete, checking each state on the way.
TEST_F(LifecycleTest, CreateStartKillDelete) {
  const std::string id = Id("life");
  std::string out = MakeDir("out");
  // PID 1 of a PID namespace ignores signals it has no handler for (the kernel's rule, so
  // `sleep` as PID 1 ignores SIGTERM with runc too): the workload traps TERM.
  Bundle b =
      MakeBundle({"/bin/sh", "-c", "trap 'exit 143' TERM; touch /out/started; sleep 100 & wait"});
  BindOut(&b, out);
  std::string pid_file = dir() + "/container.pid";

  RunResult created = Oci({"create", "--bundle", b.dir, "--pid-file", pid_file, id});
  ASSERT_EQ(created.exit_code, 0) << created;
  EXPECT_EQ(created.out, "") << created;

  Json st = StateOf(id);
  ASSERT_TRUE(st.is_object());
  EXPECT_EQ(st["status"], "created") << st;
  EXPECT_EQ(st["id"], id) << st;
  EXPECT_EQ(st["bundle"], b.dir) << st;
  ASSERT_TRUE(st["pid"].is_number_integer()) << st;
  pid_t pid = st["pid"].get<pid_t>();
  ASSERT_GT(pid, 0) << st;
  std::optional<std::string> pid_text = ReadFile(pid_file);
  ASSERT_TRUE(pid_text.has_value()) << "no --pid-file written";
  EXPECT_EQ(*pid_text, std::to_string(pid)) << "--pid-file differs from state's pid";
  EXPECT_TRUE(ProcAlive(pid)) << "created container's process " << pid << " is not alive";
  EXPECT_EQ(ProcParent(pid), getpid())
      << "once create returns, the container's process must be reparented to the caller's "
         "subreaper (conmon and containerd-shim collect its exit that way)";
  EXPECT_FALSE(PathExists(out + "/started")) << "the workload ran before start";

  RunResult started = Oci({"start", id});
  ASSERT_EQ(started.exit_code, 0) << started;
  EXPECT_TRUE(WaitUntil([&] { return PathExists(out + "/started"); }, 10))
      << "the workload did not run after start";
  st = StateOf(id);
  EXPECT_EQ(st["status"], "running") << st;
  EXPECT_EQ(st["pid"], pid) << st;

  RunResult killed = Oci({"kill", id, "TERM"});
  ASSERT_EQ(killed.exit_code, 0) << killed;
  EXPECT_TRUE(WaitForStatus(id, "stopped")) << "after kill TERM: " << StateOf(id);
  std::optional<int> status = WaitReaped(pid, 10);
  ASSERT_TRUE(status.has_value()) << "the container's process was never reaped";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 143) << "wait status " << *status;
  st = StateOf(id);
  EXPECT_EQ(st["status"], "stopped") << st;
  EXPECT_EQ(st["pid"], 0) << "runc reports pid 0 for a stopped container: " << st;

  Delete(id);
  RunResult gone = Oci({"state", id});
  EXPECT_EQ(gone.exit_code, 1) << gone;
  EXPECT_THAT(gone.err, HasSubstr("does not exist")) << gone;
  RunResult list = Oci({"list", "-q"});
  EXPECT_EQ(list.exit_code, 0) << list;
  EXPECT_EQ(list.out, "") << list;
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// The default signal of kill is TERM; KILL by name ends even a handler-less PID 1.
TEST_F(LifecycleTest, KillWithSignalName) {
  const std::string id = Id("killname");
  Bundle b = MakeBundle({"sleep", "100"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  EXPECT_EQ(StatusOf(id), "running");
  RunResult r = Oci({"kill", id, "KILL"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(WaitForStatus(id, "stopped")) << StateOf(id);
  std::optional<int> status = WaitReaped(pid, 10);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << *status;
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// A workload that exits by itself is "stopped", already while it is an unreaped zombie (the
// engine's subreaper may not have collected it yet), and such a container can be deleted.
TEST_F(LifecycleTest, WorkloadThatExitsIsStopped) {
  const std::string id = Id("exits");
  Bundle b = MakeBundle({"/bin/sh", "-c", "exit 7"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  Protect(pid);  // keep it a zombie until it is deleted
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  EXPECT_TRUE(WaitUntil([&] { return ProcState(pid) == 'Z'; }, 10)) << "did not exit";
  Json st = StateOf(id);
  EXPECT_EQ(st["status"], "stopped") << "a zombie counts as stopped: " << st;
  EXPECT_EQ(st["pid"], 0) << st;
  RunResult list = Oci({"list", "--format", "json"});
  EXPECT_THAT(list.out, HasSubstr("\"stopped\"")) << list;
  RunResult del = Oci({"delete", id});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_EQ(ProcState(pid), 'Z') << "still ours to reap";
  Unprotect(pid);
  std::optional<int> status = WaitReaped(pid, 10);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 7) << *status;
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// `state` prints exactly the OCI state: the six keys with their types.
TEST_F(LifecycleTest, StateJsonFieldsAndTypes) {
  const std::string id = Id("statejson");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["annotations"] = {{"org.example.owner", "tests"}, {"com.example.n", "1"}};
  b.Write();
  ASSERT_GT(Create(b, id), 0);
  RunResult r = Oci({"state", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(st.is_discarded()) << r;
  ASSERT_TRUE(st.is_object()) << r;
  std::set<std::string> keys;
  for (auto it = st.begin(); it != st.end(); ++it) keys.insert(it.key());
  EXPECT_THAT(keys,
              UnorderedElementsAre("ociVersion", "id", "status", "pid", "bundle", "annotations"));
  ASSERT_TRUE(st["ociVersion"].is_string()) << st;
  EXPECT_EQ(st["ociVersion"].get<std::string>().rfind("1.", 0), 0u) << st;
  EXPECT_EQ(st["id"], id);
  EXPECT_EQ(st["status"], "created");
  EXPECT_TRUE(st["pid"].is_number_integer()) << st;
  ASSERT_TRUE(st["bundle"].is_string()) << st;
  EXPECT_EQ(st["bundle"].get<std::string>()[0], '/') << st;
  EXPECT_EQ(st["bundle"], b.dir);
  EXPECT_EQ(st["annotations"], Json({{"org.example.owner", "tests"}, {"com.example.n", "1"}}))
      << st;
  // runc: deleting a created container (never started) needs no --force.
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// kill --all signals every process of the container's cgroup, exec'd ones included.
TEST_F(LifecycleTest, KillAll) {
  const std::string id = Id("killall");
  Bundle b = MakeBundle({"sleep", "100"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  std::string pid_file = dir() + "/exec.pid";
  RunResult r = Oci({"exec", "--detach", "--pid-file", pid_file, id, "sleep", "60"});
  ASSERT_EQ(r.exit_code, 0) << r;
  pid_t epid = atoi(ReadFile(pid_file).value_or("0").c_str());
  ASSERT_GT(epid, 0);
  r = Oci({"kill", "--all", id, "KILL"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(WaitUntil([&] { return !ProcAlive(pid) && !ProcAlive(epid); }, 5));
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// The person's `stop` works on an OCI container too, and returns as soon as it has ended.
TEST_F(LifecycleTest, StopAnOciContainer) {
  const std::string id = Id("stopoci");
  Bundle b = MakeBundle({"/bin/sh", "-c", "trap 'exit 0' TERM; sleep 100 & wait"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  double t0 = MonotonicNow();
  RunResult r = Oci({"stop", "-t", "5", id});
  double took = MonotonicNow() - t0;
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(ProcAlive(pid));
  // The workload exits on TERM at once; nothing else is waited for.
  EXPECT_LT(took, 1.5) << "stop of an OCI container that ended at once took " << took << " s";
  EXPECT_EQ(StatusOf(id), "stopped");
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// annotations["run.nucleus.init"] = "true": nucleus's init is PID 1 and forwards signals, so
// `kill TERM` ends a workload that has no handler of its own.
TEST_F(LifecycleTest, InitAnnotationForwardsSignals) {
  const std::string id = Id("init");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["annotations"] = {{"run.nucleus.init", "true"}};
  b.Write();
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  RunResult ps = Oci({"exec", id, "ps", "-o", "pid,args"});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  EXPECT_THAT(ps.out, HasSubstr("2 sleep 100")) << "the workload is not PID 2 under init: " << ps;
  RunResult r = Oci({"kill", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(WaitForStatus(id, "stopped")) << StateOf(id);
  std::optional<int> status = WaitReaped(pid, 10);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 128 + SIGTERM) << *status;
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// ---- errors ----

TEST_F(LifecycleTest, DuplicateIdFails) {
  const std::string id = Id("dup");
  Bundle b = MakeBundle({"sleep", "100"});
  Bundle b2 = MakeBundle({"sleep", "100"}, "bundle2");
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  RunResult r = Oci({"create", "--bundle", b2.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, AllOf(HasSubstr(id), HasSubstr("exists"))) << r;
  // The first one is untouched.
  Json st = StateOf(id);
  EXPECT_EQ(st["status"], "created") << st;
  EXPECT_EQ(st["pid"], pid) << st;
  EXPECT_EQ(st["bundle"], b.dir) << st;
  EXPECT_TRUE(ProcAlive(pid));
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, MissingBundleFails) {
  const std::string id = Id("nobundle");
  std::string missing = dir() + "/no-such-bundle";
  RunResult r = Oci({"create", "--bundle", missing, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr(missing)) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  RunResult st = Oci({"state", id});
  EXPECT_EQ(st.exit_code, 1) << st;
}

TEST_F(LifecycleTest, MalformedConfigNamesTheJsonPath) {
  const std::string id = Id("badconfig");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["process"]["args"] = "sleep 100";  // a string, not an array
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("process.args")) << r;
  EXPECT_EQ(r.ErrLines().size(), 1u) << "one line: " << r;
  EXPECT_THAT(RootEntries(), IsEmpty());

  b.config["process"]["args"] = Json::array();
  b.Write();
  r = Oci({"create", "--bundle", b.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("process.args")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());

  WriteFile(b.dir + "/config.json", "{\"ociVersion\": \"1.0.2\", ");  // not JSON
  r = Oci({"create", "--bundle", b.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("config.json")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
}

TEST_F(LifecycleTest, StartTwiceFails) {
  const std::string id = Id("twice");
  Bundle b = MakeBundle({"sleep", "100"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  RunResult r = Oci({"start", id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("not created")) << r;
  EXPECT_EQ(StatusOf(id), "running");
  EXPECT_TRUE(ProcAlive(pid));
  Delete(id, /*force=*/true);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, StartUnknownIdFails) {
  RunResult r = Oci({"start", Id("unknown")});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("does not exist")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, DeleteRunningNeedsForce) {
  const std::string id = Id("delrun");
  Bundle b = MakeBundle({"sleep", "100"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  std::vector<std::string> cgroups = CgroupDirs("nucleus", id);
  EXPECT_TRUE(CgroupExistsOrNoCgroups("nucleus", id))
      << "no cgroup nucleus/" << id << " in any hierarchy";

  RunResult r = Oci({"delete", id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("--force")) << r;
  EXPECT_EQ(StatusOf(id), "running");
  EXPECT_TRUE(ProcAlive(pid)) << "delete without --force touched the container";
  EXPECT_EQ(CgroupDirs("nucleus", id), cgroups);

  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(ProcAlive(pid));
  EXPECT_TRUE(WaitReaped(pid, 10).has_value());
  RunResult st = Oci({"state", id});
  EXPECT_EQ(st.exit_code, 1) << st;
  EXPECT_THAT(st.err, HasSubstr("does not exist")) << st;
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, KillStoppedFails) {
  const std::string id = Id("killstopped");
  Bundle b = MakeBundle({"/bin/true"});
  pid_t pid = Create(b, id);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  RunResult r = Oci({"kill", id, "KILL"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("not running")) << r;
  Delete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, InvalidIdFails) {
  Bundle b = MakeBundle({"sleep", "100"});
  for (const char* bad : {"../x", "a/b", ".", "..", "-dash"}) {
    SCOPED_TRACE(bad);
    RunResult r = Oci({"create", "--bundle", b.dir, "--", bad});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_THAT(RootEntries(), IsEmpty());
  }
  RunResult r = Oci({"create", "--bundle", b.dir, "../x"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("../x")) << r;
  EXPECT_FALSE(PathExists(dir() + "/x")) << "created something outside the root";
  EXPECT_THAT(DirEntries(dir()), UnorderedElementsAre("state", "bundle"));
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", "x"), IsEmpty());
}

// runtime-spec (Delete): "resources associated with the container, but not created by this
// container, MUST NOT be deleted"; and a failed create must leave the environment as if it
// had never been attempted. Two bundles naming the same linux.cgroupsPath: the second create
// fails (the group exists), and its clean-up must not kill the first container or remove
// its cgroup.
TEST_F(LifecycleTest, FailedCreateLeavesAnotherContainersCgroupAlone) {
  if (!CgroupsAvailable()) GTEST_SKIP() << "no cgroup hierarchy on this host";
  const std::string first = Id("cgfirst"), second = Id("cgsecond");
  const std::string cgroup = Id("shared-cg");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["linux"]["cgroupsPath"] = "/nucleus/" + cgroup;
  b.Write();
  pid_t pid = Create(b, first);
  ASSERT_GT(pid, 0);
  std::vector<std::string> cgroups = CgroupDirs("nucleus", cgroup);
  ASSERT_FALSE(cgroups.empty());

  RunResult r = Oci({"create", "--bundle", b.dir, second});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr(cgroup)) << r;
  EXPECT_TRUE(ProcAlive(pid)) << "the failed create of " << second << " killed " << first;
  EXPECT_EQ(StatusOf(first), "created");
  EXPECT_EQ(CgroupDirs("nucleus", cgroup), cgroups)
      << "the failed create removed " << first << "'s cgroup";
  EXPECT_EQ(Oci({"state", second}).exit_code, 1);

  r = Oci({"delete", "--force", first});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(CgroupDirs("nucleus", cgroup), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// ---- list, ps ID, features ----

TEST_F(LifecycleTest, ListAndPs) {
  const std::string a = Id("lista"), c = Id("listb");
  Bundle b = MakeBundle({"sleep", "100"});
  pid_t pa = Create(b, a);
  pid_t pc = Create(b, c);
  ASSERT_GT(pa, 0);
  ASSERT_GT(pc, 0);
  ASSERT_EQ(Oci({"start", c}).exit_code, 0);

  RunResult q = Oci({"list", "-q"});
  ASSERT_EQ(q.exit_code, 0) << q;
  EXPECT_THAT(SplitLines(q.out), UnorderedElementsAre(a, c)) << q;

  RunResult j = Oci({"list", "--format", "json"});
  ASSERT_EQ(j.exit_code, 0) << j;
  Json list = Json::parse(j.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << j;
  ASSERT_EQ(list.size(), 2u) << j;
  for (const Json& e : list) {
    ASSERT_TRUE(e.is_object()) << e;
    ASSERT_TRUE(e["id"].is_string()) << e;
    bool is_a = e["id"] == a;
    EXPECT_TRUE(is_a || e["id"] == c) << e;
    EXPECT_EQ(e["status"], is_a ? "created" : "running") << e;
    EXPECT_EQ(e["pid"], is_a ? pa : pc) << e;
    EXPECT_EQ(e["bundle"], b.dir) << e;
    EXPECT_TRUE(e["ociVersion"].is_string()) << e;
  }

  RunResult table = Oci({"list"});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_EQ(SplitLines(table.out).size(), 3u) << table;
  EXPECT_THAT(table.out,
              AllOf(HasSubstr(a), HasSubstr(c), HasSubstr("running"), HasSubstr("created")));

  RunResult ps = Oci({"ps", "--format", "json", c});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  Json pids = Json::parse(ps.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << ps;
  EXPECT_THAT(pids.get<std::vector<pid_t>>(), ElementsAre(pc)) << ps;

  RunResult ps_unknown = Oci({"ps", "--format", "json", Id("nope")});
  EXPECT_EQ(ps_unknown.exit_code, 125) << ps_unknown;

  Delete(a);
  Delete(c, /*force=*/true);
  q = Oci({"list", "-q"});
  EXPECT_EQ(q.out, "") << q;
  j = Oci({"list", "--format", "json"});
  EXPECT_EQ(Json::parse(j.out, nullptr, false), Json::array()) << j;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(LifecycleTest, Features) {
  RunResult r = Oci({"features"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json f = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(f.is_object()) << r;
  ASSERT_TRUE(f["ociVersionMax"].is_string()) << f;
  EXPECT_EQ(f["ociVersionMax"].get<std::string>().rfind("1.", 0), 0u) << f;
  ASSERT_TRUE(f["ociVersionMin"].is_string()) << f;
  ASSERT_TRUE(f["hooks"].is_array()) << f;
  std::vector<std::string> hooks = f["hooks"].get<std::vector<std::string>>();
  for (const char* h : {"prestart", "createRuntime", "createContainer", "startContainer",
                        "poststart", "poststop"}) {
    EXPECT_NE(std::find(hooks.begin(), hooks.end(), h), hooks.end()) << h << " in " << f;
  }
  ASSERT_TRUE(f["mountOptions"].is_array()) << f;
  ASSERT_TRUE(f["linux"].is_object()) << f;
  EXPECT_TRUE(f["linux"]["namespaces"].is_array()) << f;
  for (const char* a :
       {"run.nucleus.init", "run.nucleus.landlock", "run.nucleus.landlock.policy",
        "run.nucleus.backend", "run.nucleus.gvisor.platform", "run.nucleus.gvisor.network"}) {
    EXPECT_TRUE(f["annotations"].contains(a)) << a << " in " << f;
  }
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// --log FILE --log-format json: runc's log lines, {"level":"error","msg":...} per failure.
TEST_F(LifecycleTest, JsonLogOnFailingCreate) {
  const std::string id = Id("log");
  std::string log = dir() + "/nucleus.log";
  std::string missing = dir() + "/missing-bundle";
  RunResult r = Oci({"--log", log, "--log-format", "json", "create", "--bundle", missing, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  std::optional<std::string> text = ReadFile(log);
  ASSERT_TRUE(text.has_value()) << "no log file written";
  bool found = false;
  for (const std::string& line : SplitLines(*text)) {
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON object: " << line;
    ASSERT_TRUE(j["level"].is_string()) << line;
    ASSERT_TRUE(j["msg"].is_string()) << line;
    if (j["level"] == "error") {
      found = true;
      EXPECT_THAT(j["msg"].get<std::string>(), HasSubstr(missing)) << line;
    }
  }
  EXPECT_TRUE(found) << "no error line in " << *text;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
