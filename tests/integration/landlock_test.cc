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
#include <sys/stat.h>
#include <sys/syscall.h>
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

int HostLandlockAbi() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U /* VERSION */);
  return abi > 0 ? static_cast<int>(abi) : 0;
}

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
  RunResult off =
      RunInRootfs({"--landlock=off", "--landlock-policy", policy}, {"write", "/etc/x"});
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
  RunResult allowed =
      RunProbe({"--allow-tcp-connect", "443,8443"}, {"tcp-connect", "8443"});
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
  RunResult r = RunProbe({"--landlock=strict"}, {"write", "/tmp/strict"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_THAT(r.err, Not(HasSubstr("warning"))) << r;
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
