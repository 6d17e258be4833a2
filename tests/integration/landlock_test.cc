// Landlock in real containers (native backend): the default rules, custom policies, TCP port
// rules, signal scoping and the modes. Each "denied" case is paired with a run that differs
// only in Landlock, so the test proves Landlock, not a mount, made the difference.
//
// Signal scoping across the container boundary cannot be observed from inside: every
// process outside the container's Landlock domain is also outside its PID namespace (kill
// gives ESRCH first). The tests check what can be seen: the init and the workload share one
// domain (kill(1) works, and SignalTest in run_test.cc shows the init's forwarding works), and
// a nested domain with LANDLOCK_SCOPE_SIGNAL cannot signal out of itself.
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
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
using ::testing::Not;

std::string WritePolicy(const std::string& json) {
  std::string path = TestTmpDir() + "/" + UniqueName("policy") + ".json";
  WriteFile(path, json);
  return path;
}

class LandlockTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    abi_ = HostLandlockAbi();
    if (abi_ < 1) GTEST_SKIP() << "this kernel has no Landlock";
  }

  // nucleus run FLAGS -- PROBE ARGS, on the host root.
  RunResult RunProbe(const std::vector<std::string>& flags, const std::vector<std::string>& args) {
    std::vector<std::string> all = flags;
    all.push_back("--");
    all.push_back(ProbePath());
    all.insert(all.end(), args.begin(), args.end());
    return RunNucleus(all);
  }

  // A fresh writable copy of the busybox rootfs, with the probe bound at /probe.
  RunResult RunInRootfs(const std::vector<std::string>& flags,
                        const std::vector<std::string>& args) {
    if (rootfs_.empty()) rootfs_ = UnpackRootfs(UniqueName("ll-rootfs"));
    std::vector<std::string> all = {"--rootfs", rootfs_, "--ro", ProbePath() + ":/probe"};
    all.insert(all.end(), flags.begin(), flags.end());
    all.push_back("--");
    all.push_back("/probe");
    all.insert(all.end(), args.begin(), args.end());
    return RunNucleus(all);
  }

  int abi_ = 0;
  std::string rootfs_;
};

// ---- filesystem ----

TEST_F(LandlockTest, PolicyDeniesWriteThatTheMountAllows) {
  const std::string policy = WritePolicy(R"({"paths": [
      {"path": "/", "access": "rx"},
      {"path": "/tmp", "access": "rw"}]})");
  RunResult denied = RunInRootfs({"--landlock-policy", policy}, {"write", "/etc/x"});
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(denied.Facts()["write"], "EACCES") << denied;
  EXPECT_FALSE(PathExists(rootfs_ + "/etc/x"));
  RunResult tmp = RunInRootfs({"--landlock-policy", policy}, {"write", "/tmp/x"});
  EXPECT_EQ(tmp.Facts()["write"], "ok") << tmp;

  // The same run without Landlock: the writable rootfs lets the write through.
  RunResult off = RunInRootfs({"--landlock=off", "--landlock-policy", policy}, {"write", "/etc/x"});
  EXPECT_EQ(off.exit_code, 0) << off;
  EXPECT_EQ(off.Facts()["write"], "ok") << off;
  EXPECT_THAT(off.err, HasSubstr("nucleus: warning: landlock: disabled (--landlock=off)")) << off;
  EXPECT_TRUE(PathExists(rootfs_ + "/etc/x"));
  unlink((rootfs_ + "/etc/x").c_str());
}

TEST_F(LandlockTest, DefaultRulesLetTheWritableMountsWrite) {
  std::string dir = MakeHostDir("ll-rw", kContainerRootOnHost);
  RunResult rw = RunProbe({"--rw", dir}, {"write", dir + "/f"});
  EXPECT_EQ(rw.Facts()["write"], "ok") << rw;
  EXPECT_TRUE(PathExists(dir + "/f"));
  RunResult tmp = RunProbe({}, {"write", "/tmp/f"});
  EXPECT_EQ(tmp.Facts()["write"], "ok") << tmp;
  RunResult shm = RunProbe({}, {"write", "/dev/shm/f"});
  EXPECT_EQ(shm.Facts()["write"], "ok") << shm;
  RunResult tmpfs = RunProbe({"--tmpfs", "/mnt"}, {"write", "/mnt/f"});
  EXPECT_EQ(tmpfs.Facts()["write"], "ok") << tmpfs;
  // /dev/null: write with O_TRUNC (truncate right) through a shell redirection.
  RunResult null = RunNucleus({"--", "/bin/sh", "-c", "echo x >/dev/null && echo null=ok"});
  EXPECT_EQ(null.exit_code, 0) << null;
  EXPECT_THAT(null.out, HasSubstr("null=ok")) << null;
  EXPECT_THAT(null.err, Not(HasSubstr("warning"))) << "ABI " << abi_ << null;
}

TEST_F(LandlockTest, DefaultRulesDenyWritesToAWritableRootfsOnlyWhenReadOnly) {
  // A writable --rootfs is writable under the default rules too (documented choice)...
  RunResult rw = RunInRootfs({}, {"write", "/etc/default-rules"});
  EXPECT_EQ(rw.Facts()["write"], "ok") << rw;
  unlink((rootfs_ + "/etc/default-rules").c_str());
  // ...and a read-only one is refused (by the mount first: EROFS).
  RunResult ro = RunInRootfs({"--read-only"}, {"write", "/etc/default-rules"});
  EXPECT_EQ(ro.Facts()["write"], "EROFS") << ro;
}

TEST_F(LandlockTest, ShellWorksUnderDefaultRulesInRootfs) {
  if (rootfs_.empty()) rootfs_ = UnpackRootfs(UniqueName("ll-rootfs"));
  RunResult r = RunNucleus({"--rootfs", rootfs_, "--", "/bin/sh", "-c",
                            "echo hi >/tmp/a && cat /tmp/a && ls / >/dev/null && echo e >&2"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hi\n") << r;
}

// ---- network (ABI 4) ----

TEST_F(LandlockTest, AllowTcpBindAllowsExactlyThosePorts) {
  if (abi_ < 4) GTEST_SKIP() << "Landlock ABI " << abi_ << " has no network rules";
  RunResult allowed = RunProbe({"--allow-tcp-bind", "8080"}, {"tcp-bind", "8080"});
  EXPECT_EQ(allowed.Facts()["tcp_bind"], "ok") << allowed;
  RunResult other = RunProbe({"--allow-tcp-bind", "8080"}, {"tcp-bind", "8081"});
  EXPECT_EQ(other.Facts()["tcp_bind"], "EACCES") << other;
  RunResult unrestricted = RunProbe({}, {"tcp-bind", "8081"});
  EXPECT_EQ(unrestricted.Facts()["tcp_bind"], "ok") << unrestricted;
}

TEST_F(LandlockTest, AllowTcpConnectAllowsExactlyThosePorts) {
  if (abi_ < 4) GTEST_SKIP() << "Landlock ABI " << abi_ << " has no network rules";
  // Nothing listens: an allowed connect reaches the stack and is refused by it.
  RunResult allowed = RunProbe({"--allow-tcp-connect", "443,8443"}, {"tcp-connect", "8443"});
  EXPECT_EQ(allowed.Facts()["tcp_connect"], "ECONNREFUSED") << allowed;
  RunResult other = RunProbe({"--allow-tcp-connect", "443,8443"}, {"tcp-connect", "8444"});
  EXPECT_EQ(other.Facts()["tcp_connect"], "EACCES") << other;
  // The policy file's ports and the flag's add up.
  const std::string policy = WritePolicy(R"({"tcp_connect": [9000]})");
  RunResult merged = RunProbe({"--landlock-policy", policy, "--allow-tcp-connect", "443"},
                              {"tcp-connect", "9000"});
  EXPECT_EQ(merged.Facts()["tcp_connect"], "ECONNREFUSED") << merged;
}

// ---- scoping (ABI 6) ----

TEST_F(LandlockTest, SignalScoping) {
  if (abi_ < 6) GTEST_SKIP() << "Landlock ABI " << abi_ << " has no scoping";
  RunResult r = RunProbe({}, {"signal-scope"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["kill_init"], "ok") << "the init and the workload share one domain" << r;
  EXPECT_EQ(f["kill_sibling"], "ok") << r;
  EXPECT_EQ(f["nested_kill_outer"], "EPERM") << r;
  EXPECT_EQ(f["nested_kill_self"], "ok") << r;
}

// ---- modes and errors ----

TEST_F(LandlockTest, StrictRunsOnThisKernel) {
  if (abi_ < 6) GTEST_SKIP() << "the defaults need ABI 6 for --landlock=strict";
  // No host bind (the shell is the default root's).
  RunResult r = RunNucleus(
      {"--landlock=strict", "--", "/bin/sh", "-c", "echo x > /tmp/strict && echo write=ok"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_THAT(r.err, Not(HasSubstr("warning"))) << r;
  // The probe's directory is a bind: below ABI 9 the sockets it could hold are a gap.
  RunResult bound = RunProbe({"--landlock=strict"}, {"write", "/tmp/strict"});
  if (abi_ >= 9) {
    EXPECT_EQ(bound.exit_code, 0) << bound;
  } else {
    EXPECT_EQ(bound.exit_code, 125) << bound;
    EXPECT_THAT(bound.err, HasSubstr("(resolve_unix, needs 9")) << bound;
    EXPECT_THAT(bound.out, Not(HasSubstr("write="))) << bound;
  }
}

// ---- pathname unix sockets of the host ----

// A host directory with two listening sockets: root.sock (0660, the host's root's, like
// docker.sock or containerd.sock) and open.sock (0666, like a D-Bus bus). Under /tmp, not
// $TEST_TMPDIR: sun_path holds 108 bytes.
class HostSocketTest : public LandlockTest {
 protected:
  void SetUp() override {
    LandlockTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char dir[] = "/tmp/nucleus-sockets-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr) << strerror(errno);
    dir_ = dir;
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
    root_fd_ = Listen(dir_ + "/root.sock", 0660);
    open_fd_ = Listen(dir_ + "/open.sock", 0666);
  }
  void TearDown() override {
    for (int fd : {root_fd_, open_fd_}) {
      if (fd >= 0) close(fd);
    }
    if (!dir_.empty()) {
      unlink((dir_ + "/root.sock").c_str());
      unlink((dir_ + "/open.sock").c_str());
      rmdir(dir_.c_str());
    }
    LandlockTest::TearDown();
  }
  int Listen(const std::string& path, mode_t mode) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd, 0) << strerror(errno);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    EXPECT_EQ(bind(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof(addr)), 0)
        << path << ": " << strerror(errno);
    EXPECT_EQ(chmod(path.c_str(), mode), 0) << strerror(errno);
    EXPECT_EQ(listen(fd, 64), 0) << strerror(errno);
    return fd;
  }
  // The probe's connect(2) verdict for `path` in a container with `flags`.
  std::string Connect(std::vector<std::string> flags, const std::string& path,
                      RunResult* out = nullptr) {
    RunResult r = RunProbe(flags, {"unix-connect", path});
    if (out != nullptr) *out = r;
    std::string verdict = r.Facts()["connect"];
    return verdict.empty() ? "no verdict: " + r.err : verdict;
  }
  std::string dir_;
  int root_fd_ = -1;
  int open_fd_ = -1;
};

// The control: with the host's ids and no Landlock, both sockets answer through a --ro bind
// (a read-only bind does not stop connect(2)).
TEST_F(HostSocketTest, ReachableWithHostIdsAndNoLandlock) {
  const std::vector<std::string> flags = {"--userns=host", "--landlock=off", "--ro",
                                          dir_ + ":/sock"};
  EXPECT_EQ(Connect(flags, "/sock/root.sock"), "ok");
  EXPECT_EQ(Connect(flags, "/sock/open.sock"), "ok");
}

// The default container: the host root's socket is refused by the kernel's permission check
// (the container's root is host uid 100000); a socket anyone may use is refused by Landlock
// where the kernel has resolve_unix (ABI 9), and is the warned-about gap below it.
TEST_F(HostSocketTest, RefusedInTheDefaultContainer) {
  const std::vector<std::string> flags = {"--ro", dir_ + ":/sock"};
  EXPECT_EQ(Connect(flags, "/sock/root.sock"), "EACCES");
  RunResult r;
  if (abi_ >= 9) {
    EXPECT_EQ(Connect(flags, "/sock/open.sock", &r), "EACCES") << r;
    EXPECT_EQ(Connect({"--userns=host", "--ro", dir_ + ":/sock"}, "/sock/root.sock"), "EACCES")
        << "Landlock, not the ids, refuses it";
  } else {
    EXPECT_EQ(Connect(flags, "/sock/open.sock", &r), "ok") << r;
    EXPECT_THAT(r.err, HasSubstr("cannot refuse connecting to the host's unix sockets inside "
                                 "the binds (resolve_unix, needs 9"))
        << r;
  }
}

// --socket: the one socket asked for, at its own path in the container, and no other.
TEST_F(HostSocketTest, SocketFlagAllowsExactlyThatSocket) {
  EXPECT_EQ(Connect({"--socket", dir_ + "/open.sock:/run/app.sock"}, "/run/app.sock"), "ok");
  // The mode still decides: the host root's socket needs the host's ids.
  RunResult warned;
  EXPECT_EQ(Connect({"--socket", dir_ + "/root.sock:/run/app.sock"}, "/run/app.sock", &warned),
            "EACCES");
  EXPECT_THAT(warned.err, HasSubstr("(host uid 100000) may not connect")) << warned;
  EXPECT_EQ(
      Connect({"--userns=host", "--socket", dir_ + "/root.sock:/run/app.sock"}, "/run/app.sock"),
      "ok");
  if (abi_ >= 9) {
    // Its neighbour in the same host directory, bound too, stays refused.
    EXPECT_EQ(Connect({"--userns=host", "--socket", dir_ + "/root.sock:/run/app.sock", "--ro",
                       dir_ + ":/sock"},
                      "/sock/open.sock"),
              "EACCES");
  }
}

// A socket the workload makes itself (in /tmp) is its own to use, on every ABI.
TEST_F(HostSocketTest, TheContainersOwnSocketsWork) {
  RunResult r = RunNucleus({"--", "/usr/bin/python3", "-c",
                            "import socket\n"
                            "s = socket.socket(socket.AF_UNIX); s.bind('/tmp/own.sock'); "
                            "s.listen(1)\n"
                            "c = socket.socket(socket.AF_UNIX); c.connect('/tmp/own.sock'); "
                            "print('own=ok')"});
  if (r.exit_code == 127) GTEST_SKIP() << "no python3 on this host";
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("own=ok")) << r;
}

TEST_F(LandlockTest, BadPolicyIs125NamingFileAndJsonPath) {
  const std::string policy = WritePolicy(
      R"({"paths": [{"path": "/", "access": "rx"}, {"path": "/tmp", "access": ["wrte"]}]})");
  RunResult r = RunProbe({"--landlock-policy", policy}, {"facts"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("--landlock-policy " + policy +
                               ": paths[1].access[0]: 'wrte' is not a Landlock access right"))
      << r;
  EXPECT_THAT(r.out, Not(HasSubstr("pid="))) << "the workload must not run" << r;
}

TEST_F(LandlockTest, MissingPolicyPathIs125) {
  const std::string policy = WritePolicy(
      R"({"paths": [{"path": "/", "access": "rx"}, {"path": "/no/such/dir", "access": "rw"}]})");
  RunResult r = RunProbe({"--landlock-policy", policy}, {"facts"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.err, HasSubstr("/no/such/dir")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("pid="))) << r;
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
