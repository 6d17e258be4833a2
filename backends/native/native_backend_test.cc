// The native backend driven through the Backend interface, without the CLI: real
// containers (needs root), checked through their exit status and output.
#include "backends/native/native_backend.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

ContainerSpec ShellSpec(const std::string& script) {
  ContainerSpec spec;
  spec.id = "backend-test";
  spec.hostname = "backend-test";
  spec.process.args = {"/bin/sh", "-c", script};
  spec.process.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  spec.readonly_rootfs = true;
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  return spec;
}

class NativeBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to create namespaces";
  }
  // Runs the spec to completion and returns its exit status.
  int Run(const ContainerSpec& spec) {
    auto c = backend_.Create(spec);
    EXPECT_OK(c.status());
    if (!c.ok()) return -1;
    EXPECT_OK((*c)->Start());
    auto info = (*c)->Wait();
    EXPECT_OK(info.status());
    EXPECT_OK((*c)->Destroy());
    return info.ok() ? info->ExitStatus() : -1;
  }
  NativeBackend backend_;
};

TEST_F(NativeBackendTest, ExitStatusPropagates) {
  EXPECT_EQ(Run(ShellSpec("exit 0")), 0);
  EXPECT_EQ(Run(ShellSpec("exit 7")), 7);
  EXPECT_EQ(Run(ShellSpec("kill -TERM $$")), 128 + SIGTERM);
}

TEST_F(NativeBackendTest, IsolationFromInside) {
  // Each check exits with a distinct code so a failure says which one broke.
  EXPECT_EQ(Run(ShellSpec("test \"$(hostname)\" = backend-test || exit 10;"
                          "test \"$(cat /proc/1/comm)\" != sh || exit 11;"
                          "touch /nucleus-probe 2>/dev/null && exit 12;"
                          "touch /tmp/x || exit 13;"
                          "test -s /proc/kcore && exit 14;"
                          "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && exit 15;"
                          "grep -q '^NoNewPrivs:.1' /proc/self/status || exit 16;"
                          "grep -q '^CapEff:.0000000000000000' /proc/self/status || exit 17;"
                          "grep -q '^CapBnd:.0000000000000000' /proc/self/status || exit 18;"
                          "test -c /dev/null || exit 19;"
                          "exit 0")),
            0);
}

TEST_F(NativeBackendTest, UserNamespaceMapsRootToAnUnprivilegedHostId) {
  ContainerSpec spec = ShellSpec(
      "test \"$(id -u)\" = 0 || exit 10;"
      "grep -q '^ *0 *100000 *65536$' /proc/self/uid_map || exit 11;"
      "grep -q '^ *0 *100000 *65536$' /proc/self/gid_map || exit 12;"
      "touch /tmp/x || exit 13;"
      "exit 0");
  spec.namespaces.user = true;
  spec.uid_mappings = {{0, 100000, 65536}};
  spec.gid_mappings = {{0, 100000, 65536}};
  EXPECT_EQ(Run(spec), 0);
}

TEST_F(NativeBackendTest, RootlessContainerFromAnUnprivilegedUser) {
  // Drop to nobody in a forked child, then create a container there: a user namespace maps
  // container root to nobody, and everything else must work without host privilege.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(90);
    }
    ContainerSpec spec = ShellSpec(
        "test \"$(id -u)\" = 0 || exit 10;"
        "grep -q '^ *0 *65534 *1$' /proc/self/uid_map || exit 11;"
        "touch /tmp/x || exit 12;"
        "test \"$(hostname)\" = backend-test || exit 13;"
        "test -s /proc/kcore && exit 14;"
        "exit 0");
    spec.namespaces.user = true;
    spec.uid_mappings = {{0, 65534, 1}};
    spec.gid_mappings = {{0, 65534, 1}};
    NativeBackend backend;
    auto c = backend.Create(spec);
    if (!c.ok()) {
      fprintf(stderr, "create: %s\n", c.status().ToString().c_str());
      _exit(91);
    }
    if (!(*c)->Start().ok()) _exit(92);
    auto info = (*c)->Wait();
    _exit(info.ok() ? info->ExitStatus() : 93);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(NativeBackendTest, TimeNamespaceOnRequest) {
  ContainerSpec spec = ShellSpec("test \"$(readlink /proc/self/ns/time)\" != \"$HOST_TIMENS\"");
  char host_ns[64] = {};
  ASSERT_GT(readlink("/proc/self/ns/time", host_ns, sizeof(host_ns) - 1), 0);
  spec.process.env.push_back(std::string("HOST_TIMENS=") + host_ns);
  spec.namespaces.time = true;
  EXPECT_EQ(Run(spec), 0);
  spec.namespaces.time = false;
  EXPECT_EQ(Run(spec), 1);
}

TEST_F(NativeBackendTest, ExecFailuresAre126And127) {
  ContainerSpec spec = ShellSpec("");
  spec.process.args = {"no-such-command-anywhere"};
  auto c = backend_.Create(spec);
  ASSERT_OK(c.status());
  EXPECT_THAT((*c)->Start(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("executable file not found")));
  auto info = (*c)->Wait();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->ExitStatus(), 127);

  spec.process.args = {"/etc/hostname"};
  c = backend_.Create(spec);
  ASSERT_OK(c.status());
  // Not executable: EACCES or ENOEXEC depending on its mode bits; 126 either way.
  EXPECT_THAT((*c)->Start().message(), HasSubstr("exec(/etc/hostname)"));
  info = (*c)->Wait();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->ExitStatus(), 126);
}

TEST_F(NativeBackendTest, HostRootIsNeverWrittenForMountPoints) {
  ContainerSpec spec = ShellSpec("true");
  spec.mounts.push_back({MountSpec::Type::kTmpfs, "", "/nucleus-no-such-dir", false});
  auto c = backend_.Create(spec);
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kPermissionDenied,
                                   HasSubstr("(/nucleus-no-such-dir): Read-only file system")));
  EXPECT_NE(access("/nucleus-no-such-dir", F_OK), 0);
}

TEST_F(NativeBackendTest, SetupFailureNamesTheStep) {
  ContainerSpec spec = ShellSpec("true");
  spec.process.cwd = "/no/such/dir";
  auto c = backend_.Create(spec);
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("chdir(/no/such/dir)")));
}

TEST_F(NativeBackendTest, DestroyBeforeStartNeverRunsWorkload) {
  char dir[] = "/tmp/nucleus-backend-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  // /tmp is the container's own tmpfs, so the mount point can be created there.
  ContainerSpec spec = ShellSpec("touch /tmp/out/ran");
  spec.mounts.push_back({MountSpec::Type::kBind, dir, "/tmp/out", false});
  {
    auto c = backend_.Create(spec);
    ASSERT_OK(c.status());
    EXPECT_OK((*c)->Destroy());
  }
  std::string ran = std::string(dir) + "/ran";
  EXPECT_NE(access(ran.c_str(), F_OK), 0);
  // And started, it does run.
  EXPECT_EQ(Run(spec), 0);
  EXPECT_EQ(access(ran.c_str(), F_OK), 0);
  unlink(ran.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace nucleus
