// The six OCI hooks (runtime-spec "POSIX-platform Hooks"): when each runs, in what order,
// with which state on stdin, and what a failing hook does to the lifecycle.
#include <signal.h>
#include <sys/stat.h>
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

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Appends "NAME STATE-JSON-ON-ONE-LINE" to LOG and exits with STATUS (default 0).
constexpr char kHookScript[] =
    "#!/bin/sh\n"
    "state=$(cat | tr -d '\\n')\n"
    "printf '%s %s\\n' \"$1\" \"$state\" >> \"$2\"\n"
    "exit \"${3:-0}\"\n";

struct HookCall {
  std::string name;
  Json state;
};

class HooksTest : public OciTest {
 protected:
  void SetUp() override {
    OciTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    script_ = dir() + "/hook.sh";
    WriteFile(script_, kHookScript);
    ASSERT_EQ(chmod(script_.c_str(), 0755), 0);
    log_ = dir() + "/hooks.log";
  }

  Json Hook(const std::string& name, int status = 0) const {
    Json args = {"hook.sh", name, log_};
    if (status != 0) args.push_back(std::to_string(status));
    return {{"path", script_}, {"args", args}, {"env", {"PATH=/usr/bin:/bin"}}};
  }

  // startContainer runs in the container, its path resolved there (runtime-spec): the hook
  // script and its log are bound into the container at the same path.
  void ShareHookDir(Bundle* b) const {
    b->config["mounts"].push_back(
        {{"destination", dir()}, {"type", "bind"}, {"source", dir()}, {"options", {"rbind"}}});
  }

  void AddAllHooks(Bundle* b) const {
    ShareHookDir(b);
    for (const char* phase : {"prestart", "createRuntime", "createContainer", "startContainer",
                              "poststart", "poststop"}) {
      b->config["hooks"][phase] = Json::array({Hook(phase)});
    }
    b->Write();
  }

  std::vector<HookCall> Calls() const {
    std::vector<HookCall> calls;
    std::optional<std::string> text = ReadFile(log_);
    if (!text) return calls;
    for (const std::string& line : SplitLines(*text)) {
      size_t sp = line.find(' ');
      HookCall c;
      c.name = line.substr(0, sp);
      c.state = Json::parse(sp == std::string::npos ? "" : line.substr(sp + 1), nullptr, false);
      calls.push_back(c);
    }
    return calls;
  }

  std::vector<std::string> CallNames() const {
    std::vector<std::string> names;
    for (const HookCall& c : Calls()) names.push_back(c.name);
    return names;
  }

  std::string script_;
  std::string log_;
};

TEST_F(HooksTest, AllHooksInOrderWithTheState) {
  const std::string id = Id("hooks");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["annotations"] = {{"org.example.hooks", "yes"}};
  AddAllHooks(&b);

  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(CallNames(), ElementsAre("prestart", "createRuntime", "createContainer"));
  Json st = StateOf(id);
  pid_t pid = st["pid"].is_number_integer() ? st["pid"].get<pid_t>() : 0;
  ASSERT_GT(pid, 0) << st;

  r = Oci({"start", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(CallNames(), ElementsAre("prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart"));

  r = Oci({"delete", "--force", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<HookCall> calls = Calls();
  ASSERT_THAT(CallNames(), ElementsAre("prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop"));
  // runtime-spec: the state of the container at each point. create's hooks run between
  // lifecycle steps 2 and 6, which the spec's "creating" ("step 2") and "created" ("after
  // step 2") both describe (runc passes "created"); they need its pid: a prestart /
  // createRuntime hook configures its network namespace through /proc/PID/ns/net.
  // startContainer sees it created, poststart running, poststop stopped.
  const char* want_status[] = {"creating|created", "creating|created", "creating|created",
                               "created",          "running",          "stopped"};
  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE(calls[i].name);
    const Json& s = calls[i].state;
    ASSERT_TRUE(s.is_object()) << "the hook's stdin is not a JSON object";
    EXPECT_EQ(s["id"], id) << s;
    EXPECT_EQ(s["bundle"], b.dir) << s;
    EXPECT_TRUE(s["ociVersion"].is_string()) << s;
    ASSERT_TRUE(s["status"].is_string()) << s;
    std::string allowed = std::string("|") + want_status[i] + "|";
    EXPECT_NE(allowed.find("|" + s["status"].get<std::string>() + "|"), std::string::npos)
        << "want " << want_status[i] << ": " << s;
    EXPECT_EQ(s["annotations"], Json({{"org.example.hooks", "yes"}})) << s;
    if (calls[i].name != "poststop") {
      EXPECT_EQ(s["pid"], pid) << s;
    }
  }
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// A poststop hook also runs when a container that ended by itself is deleted.
TEST_F(HooksTest, PoststopOnDeleteOfAStoppedContainer) {
  const std::string id = Id("poststop");
  Bundle b = MakeBundle({"/bin/true"});
  b.config["hooks"]["poststop"] = Json::array({Hook("poststop")});
  b.Write();
  ASSERT_EQ(Oci({"create", "--bundle", b.dir, id}).exit_code, 0);
  ASSERT_EQ(Oci({"start", id}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  EXPECT_THAT(CallNames(), IsEmpty());
  RunResult r = Oci({"delete", id});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<HookCall> calls = Calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "poststop");
  EXPECT_EQ(calls[0].state["id"], id) << calls[0].state;
  EXPECT_EQ(calls[0].state["status"], "stopped") << calls[0].state;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// A failing createRuntime hook fails create, and create removes everything it made.
// runtime-spec (Lifecycle, steps 4, 12, 13): "If any createRuntime hook fails, the runtime
// MUST generate an error, stop the container, and continue the lifecycle at step 12": the
// container is destroyed and the poststop hooks run (runc's destroy runs them too).
TEST_F(HooksTest, FailingCreateRuntimeHookFailsCreate) {
  const std::string id = Id("hookfail");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["prestart"] = Json::array({Hook("prestart")});
  b.config["hooks"]["createRuntime"] = Json::array({Hook("createRuntime", 3)});
  b.config["hooks"]["createContainer"] = Json::array({Hook("createContainer")});
  b.config["hooks"]["poststop"] = Json::array({Hook("poststop")});
  b.Write();
  std::string pid_file = dir() + "/pid";
  RunResult r = Oci({"create", "--bundle", b.dir, "--pid-file", pid_file, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, AllOf(HasSubstr("createRuntime"), HasSubstr("exited 3"))) << r;
  std::vector<HookCall> calls = Calls();
  pid_t pid = 0;
  if (!calls.empty() && calls[0].state["pid"].is_number_integer()) {
    pid = calls[0].state["pid"].get<pid_t>();
  }
  EXPECT_GT(pid, 0);
  EXPECT_FALSE(PathExists(pid_file)) << "--pid-file written for a failed create";
  RunResult st = Oci({"state", id});
  EXPECT_EQ(st.exit_code, 1) << st;
  EXPECT_THAT(st.err, HasSubstr("does not exist")) << st;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  if (pid > 0) {
    EXPECT_TRUE(WaitUntil([&] { return !ProcAlive(pid); }, 5))
        << "the container's process " << pid << " survived the failed create";
  }
  // Nothing after the failed hook ran but the poststop hooks (step 12 -> 13).
  EXPECT_THAT(CallNames(), ElementsAre("prestart", "createRuntime", "poststop"))
      << "runtime-spec step 4: a failing createRuntime hook continues the lifecycle at "
         "step 12 (destroy) and 13 (poststop hooks)";
}

// runtime-spec: a failing poststart hook is only a warning; the container runs on.
TEST_F(HooksTest, FailingPoststartHookIsAWarning) {
  const std::string id = Id("poststartfail");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["poststart"] = Json::array({Hook("poststart", 4)});
  b.Write();
  ASSERT_EQ(Oci({"create", "--bundle", b.dir, id}).exit_code, 0);
  RunResult r = Oci({"start", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.err, AllOf(HasSubstr("warning"), HasSubstr("poststart"))) << r;
  EXPECT_THAT(CallNames(), ElementsAre("poststart"));
  EXPECT_EQ(StatusOf(id), "running");
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// A failing startContainer hook fails start and stops the container.
TEST_F(HooksTest, FailingStartContainerHookFailsStart) {
  const std::string id = Id("startfail");
  std::string out = MakeDir("out");
  Bundle b = MakeBundle({"/bin/touch", "/out/ran"});
  b.config["mounts"].push_back(
      {{"destination", "/out"}, {"type", "bind"}, {"source", out}, {"options", {"rbind"}}});
  b.config["hooks"]["startContainer"] = Json::array({Hook("startContainer", 5)});
  b.config["hooks"]["poststart"] = Json::array({Hook("poststart")});
  ShareHookDir(&b);
  b.Write();
  ASSERT_EQ(Oci({"create", "--bundle", b.dir, id}).exit_code, 0);
  RunResult r = Oci({"start", id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("startContainer")) << r;
  EXPECT_THAT(CallNames(), ElementsAre("startContainer"));
  EXPECT_FALSE(PathExists(out + "/ran")) << "the workload ran although startContainer failed";
  // runtime-spec step 7: "If any startContainer hook fails, the runtime MUST generate an
  // error, stop the container, and continue the lifecycle at step 12".
  EXPECT_EQ(StatusOf(id), "stopped") << "the container was not stopped: " << StateOf(id);
  r = Oci({"start", id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_FALSE(PathExists(out + "/ran")) << "a second start ran the workload";
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(PathExists(out + "/ran"));
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
}

// runtime-spec config.md, createContainer: "called after the createRuntime hooks ... before
// the pivot_root ... The createContainer hooks' path MUST resolve in the runtime namespace.
// The createContainer hooks MUST be executed in the container namespace." nucleus's
// container has pivoted by then, so the hook keeps the runtime's mount namespace (where its
// path and the host's files resolve, as in runc before pivot_root) and joins the others,
// its own PID namespace included (README, lifecycle.h).
TEST_F(HooksTest, CreateContainerHookRunsInTheContainerNamespaces) {
  const std::string id = Id("cchook");
  std::string record = dir() + "/create-container-ns";
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["createContainer"] =
      Json::array({{{"path", "/bin/sh"},
                    {"args",
                     {"sh", "-c",
                      "for n in uts ipc net pid; do readlink /proc/self/ns/$n; "
                      "done > " +
                          record}},
                    {"env", {"PATH=/usr/bin:/bin"}}}});
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = StateOf(id);
  pid_t pid = st["pid"].is_number_integer() ? st["pid"].get<pid_t>() : 0;
  ASSERT_GT(pid, 0) << st;
  std::optional<std::string> text = ReadFile(record);
  EXPECT_TRUE(text.has_value()) << "the createContainer hook wrote nothing to " << record;
  std::vector<std::string> got = SplitLines(text.value_or(""));
  std::vector<std::string> want;
  for (const char* ns : {"uts", "ipc", "net", "pid"}) {
    char buf[128] = {0};
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
    ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
    want.push_back(n > 0 ? std::string(buf, n) : "?");
  }
  ASSERT_GE(got.size(), 4u) << text.value_or("");
  EXPECT_EQ(got, want) << "the createContainer hook ran outside the container's namespaces";
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// runtime-spec config.md, startContainer: "The startContainer hooks MUST be called before the
// user-specified process is executed ... The startContainer hooks' path MUST resolve in the
// container namespace. The startContainer hooks MUST be executed in the container
// namespace." The hook here sees the container's hostname and its /out bind mount, which
// the host has not.
TEST_F(HooksTest, StartContainerHookRunsInTheContainer) {
  const std::string id = Id("schook");
  std::string out = MakeDir("out");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["mounts"].push_back(
      {{"destination", "/out"}, {"type", "bind"}, {"source", out}, {"options", {"rbind", "rw"}}});
  b.config["hooks"]["startContainer"] =
      Json::array({{{"path", "/bin/sh"},
                    {"args", {"sh", "-c", "hostname > /out/start-hook"}},
                    {"env", {"PATH=/usr/bin:/bin"}}}});
  b.Write();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Oci({"start", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ReadFile(out + "/start-hook").value_or("<none>"), "oci-box\n")
      << "the startContainer hook did not run inside the container";
  r = Oci({"delete", "--force", id});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// A hook that outlives its timeout fails create; everything is removed.
TEST_F(HooksTest, HookTimeoutFailsCreate) {
  const std::string id = Id("hooktimeout");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["hooks"]["createRuntime"] =
      Json::array({{{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}});
  b.Write();
  double t0 = MonotonicNow();
  RunResult r = Oci({"create", "--bundle", b.dir, id});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_LT(MonotonicNow() - t0, 10) << "the timeout was not enforced";
  EXPECT_THAT(r.err, HasSubstr("timed out")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
