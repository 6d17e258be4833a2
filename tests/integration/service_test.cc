// Service containers: restart policies (`run -d --restart`, `--health-on-failure restart`),
// the sd_notify relay to a systemd-style notify socket, readiness in the foreground, and
// that a pid reused after the container died is never signalled.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/procfs.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

class ServiceTest : public ContainerTest {
 protected:
  void TearDown() override {  // the monitors are reparented to this test: reap them
    ReapChildren(5);
    ContainerTest::TearDown();
  }
  // Polls `inspect` until pred holds (10 s at most).
  bool InspectUntil(const std::string& id, const std::function<bool(const Json&)>& pred) {
    for (int i = 0; i < 200; ++i) {
      Json st = InspectContainer(id);
      if (!st.is_null() && pred(st)) return true;
      usleep(50 * 1000);
    }
    return false;
  }
};

// A systemd-style notify socket that the test binds under /run and removes again.
class NotifyListener {
 public:
  NotifyListener() {
    char tmpl[] = "/run/nucleus-service-test-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path_.c_str());
    if (bind(fd_, reinterpret_cast<struct sockaddr*>(&a), sizeof(a)) != 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~NotifyListener() {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }
  // Every datagram that arrives within timeout_ms of the previous one.
  std::vector<std::string> Receive(int timeout_ms) {
    std::vector<std::string> got;
    for (;;) {
      struct pollfd p = {fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms) <= 0) return got;
      char buf[8192];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n < 0) return got;
      got.emplace_back(buf, n);
    }
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

// A workload that sends the given datagrams to $NOTIFY_SOCKET, 100 ms apart (python3 of the
// host root, which the default rootfs is).
std::vector<std::string> SendNotifications(const std::vector<std::string>& datagrams) {
  std::string py =
      "import os, socket, sys, time\n"
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
      "for d in sys.argv[1:]:\n"
      "    s.sendto(d.encode().replace(b'\\\\n', b'\\n'), os.environ['NOTIFY_SOCKET'])\n"
      "    time.sleep(0.1)\n";
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", py};
  argv.insert(argv.end(), datagrams.begin(), datagrams.end());
  return argv;
}

TEST_F(ServiceTest, RelaysTheWorkloadsNotificationsToTheNotifySocket) {
  NotifyListener systemd;
  ASSERT_TRUE(systemd.ok()) << "cannot bind a notify socket under /run";
  std::vector<std::string> run = {"run", "--user", "1000", "--"};
  for (const std::string& a :
       SendNotifications({"READY=1\\nSTATUS=serving\\nMAINPID=1", "not a notification",
                          "WATCHDOG=1", "STOPPING=1\\nX_CUSTOM=1"})) {
    run.push_back(a);
  }
  RunOptions opts;
  opts.set_env = {"NOTIFY_SOCKET=" + systemd.path()};
  RunResult r = Nucleus(run, opts);
  EXPECT_EQ(r.exit_code, 0) << r;
  // Only what the bridge relays, re-serialised, one datagram per wake-up; MAINPID, unknown
  // keys and the malformed datagram never reach systemd.
  std::vector<std::string> got = systemd.Receive(500);
  EXPECT_THAT(got, ::testing::ElementsAre("READY=1\nSTATUS=serving", "WATCHDOG=1", "STOPPING=1"))
      << r;
  EXPECT_THAT(r.err, HasSubstr("sd_notify: refused: pid ")) << r;
  EXPECT_THAT(r.err, HasSubstr("'not a notification' is not KEY=VALUE")) << r;
}

TEST_F(ServiceTest, HostileNotifySocketValuesAreRefused) {
  NotifyListener systemd;
  ASSERT_TRUE(systemd.ok());
  std::string link = systemd.dir() + "/link.sock";
  ASSERT_EQ(symlink(systemd.path().c_str(), link.c_str()), 0);
  for (const std::string& bad :
       {std::string("/tmp/notify.sock"), std::string("/run/../tmp/notify.sock"),
        std::string("relative.sock"), std::string("vsock:2:9999"), link}) {
    RunOptions opts;
    opts.set_env = {"NOTIFY_SOCKET=" + bad};
    RunResult ok = Nucleus(
        {"run", "--", "/usr/bin/python3", "-c", "import os; print(os.environ['NOTIFY_SOCKET'])"},
        opts);
    // The run goes on without relaying, says so in one line, and the container never sees
    // the host's value.
    EXPECT_EQ(ok.exit_code, 0) << ok;
    EXPECT_THAT(ok.err, HasSubstr("NOTIFY_SOCKET")) << ok;
    EXPECT_THAT(ok.err, HasSubstr("not relaying sd_notify")) << ok;
    EXPECT_EQ(ok.out, "/run/nucleus/notify.sock\n") << ok;
  }
  EXPECT_TRUE(systemd.Receive(100).empty());  // nothing went through the symlink
  unlink(link.c_str());
}

TEST_F(ServiceTest, ReadinessSdNotifyGatesRunDetached) {
  std::vector<std::string> run = {"run", "-d",      "--name", "sdn-ready", "--readiness-sd-notify",
                                  "--",  "/bin/sh", "-c"};
  run.push_back(
      "sleep 0.5; /usr/bin/python3 -c \"import os, socket; "
      "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', "
      "os.environ['NOTIFY_SOCKET'])\"; sleep 100");
  RunResult r = Nucleus(run);
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = InspectContainer("sdn-ready");
  EXPECT_EQ(st["ready"], true) << st.dump();
  EXPECT_EQ(st["status"], "running") << st.dump();
  EXPECT_EQ(Nucleus({"rm", "-f", "sdn-ready"}).exit_code, 0);

  // Never says READY=1: run -d fails with the reason and the container is gone.
  RunResult never =
      Nucleus({"run", "-d", "--name", "sdn-never", "--readiness-sd-notify", "--readiness-retries",
               "3", "--readiness-interval", "100ms", "--", "sleep", "100"});
  EXPECT_EQ(never.exit_code, 125) << never;
  EXPECT_THAT(never.err, HasSubstr("no READY=1 on $NOTIFY_SOCKET within 300ms")) << never;
  EXPECT_TRUE(InspectUntil("sdn-never", [](const Json& j) { return j["status"] == "stopped"; }));
  EXPECT_EQ(Nucleus({"rm", "sdn-never"}).exit_code, 0);
}

TEST_F(ServiceTest, ForegroundReadinessTellsSystemdReady) {
  NotifyListener systemd;
  ASSERT_TRUE(systemd.ok());
  RunOptions opts;
  opts.set_env = {"NOTIFY_SOCKET=" + systemd.path()};
  RunResult r = Nucleus({"run", "--readiness-exec", "test -e /tmp/up", "--readiness-interval",
                         "100ms", "--", "/bin/sh", "-c", "sleep 0.5; touch /tmp/up; sleep 1"},
                        opts);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(systemd.Receive(200), ::testing::ElementsAre("READY=1")) << r;

  RunResult never = Nucleus({"run", "--readiness-exec", "false", "--readiness-retries", "2",
                             "--readiness-interval", "100ms", "--", "sleep", "100"},
                            opts);
  EXPECT_EQ(never.exit_code, 125) << never;
  EXPECT_THAT(never.err, HasSubstr("readiness: not ready after 2 attempts")) << never;
  EXPECT_TRUE(systemd.Receive(100).empty());
}

TEST_F(ServiceTest, OnFailureRestartsAtMostMaxTimes) {
  std::string audit = TestTmpDir() + "/restart-audit.log";
  unlink(audit.c_str());
  RunResult r = Nucleus({"--audit-log", audit, "run", "-d", "--name", "restart-max", "--restart",
                         "on-failure:2", "--", "/bin/sh", "-c", "echo run; exit 3"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_TRUE(InspectUntil("restart-max", [](const Json& j) {
    return j["restartCount"] == 2 && j["status"] == "stopped";
  })) << InspectContainer("restart-max").dump();
  usleep(1000 * 1000);  // the backoff would be 400 ms: no third restart comes
  Json st = InspectContainer("restart-max");
  EXPECT_EQ(st["restartCount"], 2) << st.dump();
  EXPECT_EQ(st["exit"]["code"], 3) << st.dump();
  EXPECT_EQ(Nucleus({"logs", "restart-max"}).out, "run\nrun\nrun\n");
  RunResult log = RunCommand({"/bin/cat", audit});
  int restarted = 0;
  for (const std::string& line : SplitLines(log.out)) {
    Json j = Json::parse(line, nullptr, false);
    if (j["event"] == "restarted") {
      ++restarted;
      EXPECT_EQ(j["detail"]["after"], "exited 3") << line;
    }
  }
  EXPECT_EQ(restarted, 2) << log.out;
  EXPECT_EQ(Nucleus({"rm", "restart-max"}).exit_code, 0);
  unlink(audit.c_str());

  // A clean exit is not a failure.
  r = Nucleus({"run", "-d", "--name", "restart-clean", "--restart", "on-failure", "--", "true"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_TRUE(
      InspectUntil("restart-clean", [](const Json& j) { return j["status"] == "stopped"; }));
  usleep(300 * 1000);
  EXPECT_EQ(InspectContainer("restart-clean")["restartCount"], 0);
  EXPECT_EQ(Nucleus({"rm", "restart-clean"}).exit_code, 0);
}

TEST_F(ServiceTest, AlwaysRestartsUntilStopped) {
  RunResult r = Nucleus({"run", "-d", "--name", "restart-always", "--restart", "always", "--",
                         "/bin/sh", "-c", "sleep 0.1"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_TRUE(InspectUntil("restart-always", [](const Json& j) { return j["restartCount"] >= 2; }));
  EXPECT_EQ(Nucleus({"stop", "restart-always"}).exit_code, 0);
  Json st = InspectContainer("restart-always");
  const int count = st["restartCount"];
  EXPECT_EQ(st["stopRequested"], true) << st.dump();
  usleep(1500 * 1000);  // longer than any backoff so far
  st = InspectContainer("restart-always");
  EXPECT_EQ(st["restartCount"], count) << st.dump();
  EXPECT_EQ(st["status"], "stopped") << st.dump();
  EXPECT_EQ(Nucleus({"rm", "restart-always"}).exit_code, 0);
}

TEST_F(ServiceTest, UnhealthyIsRestarted) {
  // Healthy while /tmp/sick is absent; each run makes it sick after 0.3 s (a fresh /tmp each
  // run), so each run is killed after exactly 2 failures and started again.
  RunResult r =
      Nucleus({"run", "-d", "--name", "health-restart", "--health-cmd", "test ! -e /tmp/sick",
               "--health-interval", "100ms", "--health-retries", "2", "--health-on-failure",
               "restart", "--", "/bin/sh", "-c", "sleep 0.3; touch /tmp/sick; sleep 100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(InspectUntil("health-restart", [](const Json& j) { return j["restartCount"] >= 2; }))
      << InspectContainer("health-restart").dump();
  EXPECT_EQ(Nucleus({"rm", "-f", "health-restart"}).exit_code, 0);
}

// The container died and its pid now belongs to someone else (simulated: the entry names a
// live process of ours with the dead container's start time). Nothing may signal it.
TEST_F(ServiceTest, ReusedPidIsNeverSignalled) {
  RunResult r = Nucleus({"run", "-d", "--name", "reused", "--", "sleep", "100"});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_EQ(Nucleus({"stop", "-t", "1", "reused"}).exit_code, 0);
  Subprocess decoy;
  std::string error;
  ASSERT_TRUE(decoy.Start({"/bin/sleep", "100"}, {}, &error)) << error;
  // Forge the entry: running, with the decoy's pid, but the container's start time.
  std::string path = "/run/nucleus/reused/state.json";
  std::optional<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.has_value());
  Json st = Json::parse(*text);
  ASSERT_NE(st["pidStartTime"], 0);
  st["status"] = "running";
  st["pid"] = decoy.pid();
  st.erase("exit");
  st.erase("stopRequested");
  WriteFile(path, st.dump());

  EXPECT_THAT(Nucleus({"ps", "-a"}).out, HasSubstr("stopped"));
  RunResult kill = Nucleus({"kill", "reused", "TERM"});
  EXPECT_NE(kill.exit_code, 0) << kill;
  EXPECT_THAT(kill.err, HasSubstr("not running")) << kill;
  EXPECT_EQ(Nucleus({"stop", "reused"}).exit_code, 0);
  EXPECT_NE(Nucleus({"exec", "reused", "true"}).exit_code, 0);
  EXPECT_EQ(Nucleus({"rm", "-f", "reused"}).exit_code, 0);
  // Still alive, never signalled.
  absl::StatusOr<ProcStat> ps = ReadProcStat(decoy.pid());
  ASSERT_TRUE(ps.ok());
  EXPECT_NE(ps->state, 'Z');
  EXPECT_EQ(::kill(decoy.pid(), 0), 0);
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
