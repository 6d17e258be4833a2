// The person's verbs on detached containers (docker's names): run -d, ps, logs, exec, stop,
// rm, inspect.
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

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PersonTest : public OciTest {
 protected:
  // run -d FLAGS --rootfs ROOTFS --read-only -- CMD...
  RunResult RunDetached(const std::vector<std::string>& flags,
                        const std::vector<std::string>& cmd) {
    std::vector<std::string> args = {"run", "-d"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--rootfs", rootfs(), "--read-only", "--"});
    args.insert(args.end(), cmd.begin(), cmd.end());
    return Oci(args);
  }
  // `ps --json [-a]`, the entry whose name or id is ref (null when absent).
  Json PsEntry(const std::string& ref, bool all) {
    RunResult r = all ? Oci({"ps", "--json", "-a"}) : Oci({"ps", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r;
    Json list = Json::parse(r.out, nullptr, false);
    if (!list.is_array()) {
      ADD_FAILURE() << "ps --json printed no array: " << r;
      return Json();
    }
    for (const Json& e : list) {
      if (e.is_object() && (e["name"] == ref || e["id"] == ref)) return e;
    }
    return Json();
  }
};

TEST_F(PersonTest, DetachedLifecycle) {
  const std::string name = Id("web");
  RunResult r = RunDetached({"--name", name},
                            {"/bin/sh", "-c", "echo started; echo to-stderr >&2; sleep 100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = SplitLines(r.out);
  ASSERT_EQ(lines.size(), 1u) << "run -d prints the id: " << r;
  const std::string id = lines[0];
  EXPECT_FALSE(id.empty());

  Json e = PsEntry(name, /*all=*/false);
  ASSERT_TRUE(e.is_object()) << "ps does not list " << name;
  EXPECT_EQ(e["id"], id) << e;
  EXPECT_EQ(e["status"], "running") << e;
  ASSERT_TRUE(e["pid"].is_number_integer()) << e;
  pid_t pid = e["pid"].get<pid_t>();
  EXPECT_TRUE(ProcAlive(pid));
  RunResult table = Oci({"ps"});
  EXPECT_THAT(table.out, AllOf(HasSubstr(name), HasSubstr("running"))) << table;

  std::string log;
  EXPECT_TRUE(WaitUntil(
      [&] {
        log = Oci({"logs", name}).out;
        return log.find("to-stderr") != std::string::npos;
      },
      10))
      << "logs: " << log;
  EXPECT_THAT(log, HasSubstr("started\n"));

  r = Oci({"exec", name, "--", "cat", "/proc/1/cmdline"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(r.out.empty()) << r;
  r = Oci({"exec", name, "--", "/bin/sh", "-c", "exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r;

  r = Oci({"inspect", name});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json inspect = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(inspect.is_array() && inspect.size() == 1) << r;
  EXPECT_EQ(inspect[0]["id"], id) << r;
  EXPECT_EQ(inspect[0]["name"], name) << r;
  EXPECT_EQ(inspect[0]["status"], "running") << r;
  EXPECT_EQ(inspect[0]["pid"], pid) << r;

  // rm of a running container needs -f.
  r = Oci({"rm", name});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_TRUE(ProcAlive(pid)) << "rm without -f touched the container";
  EXPECT_EQ(PsEntry(name, false)["status"], "running");

  double t0 = MonotonicNow();
  r = Oci({"stop", "-t", "1", name});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_LT(MonotonicNow() - t0, 5) << "stop -t 1 took too long";
  EXPECT_FALSE(ProcAlive(pid));
  EXPECT_TRUE(PsEntry(name, false).is_null()) << "ps without -a lists a stopped container";
  // The monitor records the exit; poll for it.
  Json stopped;
  EXPECT_TRUE(WaitUntil(
      [&] {
        stopped = PsEntry(name, true);
        return stopped.is_object() && stopped.contains("exit");
      },
      10))
      << "ps -a: " << stopped;
  EXPECT_EQ(stopped["status"], "stopped") << stopped;
  EXPECT_EQ(stopped["pid"], 0) << stopped;
  const Json& ex = stopped["exit"];
  bool by_term = (ex["kind"] == "signaled" && ex["signal"] == SIGTERM) ||
                 (ex["kind"] == "exited" && ex["code"] == 128 + SIGTERM);
  EXPECT_TRUE(by_term) << "exit not SIGTERM: " << stopped;
  table = Oci({"ps", "-a"});
  EXPECT_THAT(table.out, HasSubstr(name)) << table;

  r = Oci({"rm", name});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(PsEntry(name, true).is_null());
  RunResult logs = Oci({"logs", name});
  EXPECT_EQ(logs.exit_code, 125) << logs;
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

TEST_F(PersonTest, MissingCommandFailsWith127) {
  RunResult r = RunDetached({"--name", Id("missing")}, {"/no/such/command"});
  EXPECT_EQ(r.exit_code, 127) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_THAT(r.err, HasSubstr("/no/such/command")) << r;
  EXPECT_THAT(RootEntries(), IsEmpty());
  EXPECT_THAT(CgroupDirs("nucleus", Id("missing")), IsEmpty());
  EXPECT_TRUE(WaitUntil([] { return ChildProcesses().empty(); }, 5))
      << "left behind: " << ::testing::PrintToString(ChildProcesses());
}

// A container that ends by itself is listed with its exit code; --rm removes it.
TEST_F(PersonTest, ExitCodeAndRm) {
  const std::string name = Id("exits");
  RunResult r = RunDetached({"--name", name}, {"/bin/sh", "-c", "exit 9"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json e;
  EXPECT_TRUE(WaitUntil(
      [&] {
        e = PsEntry(name, true);
        return e.is_object() && e.contains("exit");
      },
      10))
      << e;
  EXPECT_EQ(e["status"], "stopped") << e;
  EXPECT_EQ(e["exit"]["kind"], "exited") << e;
  EXPECT_EQ(e["exit"]["code"], 9) << e;
  // stop of a stopped container is fine (docker's).
  r = Oci({"stop", name});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = Oci({"rm", name});
  EXPECT_EQ(r.exit_code, 0) << r;

  const std::string gone = Id("gone");
  r = RunDetached({"--name", gone, "--rm"}, {"/bin/true"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(WaitUntil([&] { return RootEntries().empty(); }, 10))
      << "--rm left the entry; ps -a: " << Oci({"ps", "-a"}).out;
}

// rm -f of a running container kills and removes it.
TEST_F(PersonTest, ForceRmRunning) {
  const std::string name = Id("forced");
  RunResult r = RunDetached({"--name", name}, {"sleep", "100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const std::string id = SplitLines(r.out).empty() ? "" : SplitLines(r.out)[0];
  EXPECT_TRUE(CgroupExistsOrNoCgroups("nucleus", id));
  Json e = PsEntry(name, false);
  ASSERT_TRUE(e.is_object());
  pid_t pid = e["pid"].get<pid_t>();
  r = Oci({"rm", "-f", name});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(ProcAlive(pid));
  EXPECT_TRUE(PsEntry(name, true).is_null());
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  // The monitor notices and exits without re-creating the entry.
  EXPECT_TRUE(WaitUntil([] { return ChildProcesses().empty(); }, 5))
      << "left behind: " << ::testing::PrintToString(ChildProcesses());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
