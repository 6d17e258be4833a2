// The gVisor backend driven through the Backend interface, without the CLI: real sandboxes
// under runsc (needs root and runsc; skips otherwise), checked through exit statuses and
// files the workload writes into a bind-mounted host directory. Its own leftover check looks
// only at what these tests made (their ids, state directories and cgroup parent), so it does
// not collide with other containers running on the host.
#include "backends/gvisor/gvisor_backend.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "backends/gvisor/runsc.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kCgroupParent[] = "gvtest";

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool DirEmptyOrMissing(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return true;
  bool empty = true;
  while (struct dirent* e = ::readdir(d)) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = false;
  }
  ::closedir(d);
  return empty;
}

// Processes whose command line mentions `id` (runsc's own processes carry the id).
std::vector<std::string> ProcessesMentioning(const std::string& id) {
  std::vector<std::string> out;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return out;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string cmdline = ReadAll(absl::StrCat("/proc/", e->d_name, "/cmdline"));
    for (char& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (absl::StrContains(cmdline, id) && absl::StrContains(cmdline, "runsc")) {
      out.push_back(absl::StrCat(e->d_name, ": ", cmdline));
    }
  }
  ::closedir(d);
  return out;
}

class GvisorBackendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "needs root (runsc creates namespaces and cgroups)";
      return;
    }
    absl::StatusOr<RunscInfo> info = ProbeRunsc();
    if (!info.ok()) {
      skip_ = absl::StrCat("runsc cannot be used: ", info.status().message());
      return;
    }
    rootfs_ = nucleus::testing::UnpackRootfs("gvisor-rootfs");
  }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_FALSE(rootfs_.empty());
    const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
    id_ = absl::StrCat("gvt-", t->name(), "-", ::getpid());
    for (char& c : id_) {
      if (c == '/') c = '-';
    }
    base_ = absl::StrCat(nucleus::testing::TestTmpDir(), "/", id_);
    state_dir_ = base_ + "/state";
    out_dir_ = base_ + "/out";
    ASSERT_EQ(::mkdir(base_.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(state_dir_.c_str(), 0700), 0);
    ASSERT_EQ(::mkdir(out_dir_.c_str(), 0777), 0);
  }

  void TearDown() override {
    if (!skip_.empty()) return;
    // Nothing of these tests may be left: no runsc process, no runsc state, no cgroup.
    EXPECT_THAT(ProcessesMentioning(id_), ::testing::IsEmpty());
    EXPECT_TRUE(DirEmptyOrMissing(state_dir_ + "/runsc")) << state_dir_;
    EXPECT_FALSE(Exists(state_dir_ + "/bundle")) << state_dir_;
    for (const char* h : {"memory", "pids", "cpu", "unified"}) {
      std::string cg = absl::StrCat("/sys/fs/cgroup/", h, "/", kCgroupParent, "/", id_);
      EXPECT_FALSE(Exists(cg)) << cg;
    }
  }

  ContainerSpec Spec(const std::string& script) const {
    ContainerSpec spec;
    spec.id = id_;
    spec.hostname = "gvtest";
    spec.rootfs = rootfs_;
    spec.readonly_rootfs = true;
    spec.process.args = {"/bin/sh", "-c", script};
    spec.process.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
    spec.masked_paths = DefaultMaskedPaths();
    spec.readonly_paths = DefaultReadonlyPaths();
    spec.landlock.mode = LandlockSpec::Mode::kOff;
    spec.cgroup_parent = kCgroupParent;
    spec.backend = ContainerSpec::BackendKind::kGvisor;
    MountSpec out;
    out.source = out_dir_;
    out.destination = "/out";
    out.read_only = false;
    spec.mounts.push_back(out);
    return spec;
  }

  CreateOptions Options(bool detached = false) const {
    CreateOptions o;
    o.state_dir = state_dir_;
    o.detached = detached;
    return o;
  }

  // Create, Start, Wait, Destroy.
  ExitInfo Run(const ContainerSpec& spec) {
    absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(spec, Options());
    EXPECT_OK(c.status());
    if (!c.ok()) return ExitInfo();
    EXPECT_GT((*c)->pid(), 0);
    EXPECT_OK((*c)->Start());
    absl::StatusOr<ExitInfo> info = (*c)->Wait();
    EXPECT_OK(info.status());
    EXPECT_OK((*c)->Destroy());
    return info.ok() ? *info : ExitInfo();
  }

  static std::string skip_;
  static std::string rootfs_;
  GvisorBackend backend_;
  std::string id_, base_, state_dir_, out_dir_;
};

std::string GvisorBackendTest::skip_;
std::string GvisorBackendTest::rootfs_;

TEST_F(GvisorBackendTest, TheWorkloadSeesGvisorsKernel) {
  ExitInfo info = Run(Spec("cat /proc/version > /out/version; uname -r > /out/release"));
  EXPECT_EQ(info.ExitStatus(), 0) << info.Describe();
  struct utsname host;
  ASSERT_EQ(uname(&host), 0);
  std::string release = ReadAll(out_dir_ + "/release");
  EXPECT_FALSE(release.empty());
  EXPECT_THAT(release, ::testing::Not(HasSubstr(host.release)));
  EXPECT_THAT(ReadAll(out_dir_ + "/version"), ::testing::Not(HasSubstr(host.release)));
}

TEST_F(GvisorBackendTest, ExitCodePropagates) {
  ExitInfo info = Run(Spec("exit 3"));
  EXPECT_EQ(info.kind, ExitInfo::Kind::kExited);
  EXPECT_EQ(info.code, 3);
}

TEST_F(GvisorBackendTest, KillReachesTheWorkload) {
  absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(Spec("exec sleep 30"), Options());
  ASSERT_OK(c.status());
  ASSERT_OK((*c)->Start());
  ASSERT_OK((*c)->Kill(SIGTERM));
  absl::StatusOr<ExitInfo> info = (*c)->Wait();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->kind, ExitInfo::Kind::kSignaled) << info->Describe();
  EXPECT_EQ(info->signal, SIGTERM);
  EXPECT_OK((*c)->Destroy());
}

TEST_F(GvisorBackendTest, WaitFdBecomesReadableAtTheEnd) {
  absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(Spec("exit 0"), Options());
  ASSERT_OK(c.status());
  ASSERT_OK((*c)->Start());
  struct pollfd p = {(*c)->wait_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 20000), 1);
  EXPECT_OK((*c)->Wait().status());
  EXPECT_OK((*c)->Destroy());
}

TEST_F(GvisorBackendTest, DestroyBeforeStartNeverRunsTheWorkload) {
  absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(Spec("touch /out/ran"), Options());
  ASSERT_OK(c.status());
  EXPECT_GT((*c)->pid(), 0);
  EXPECT_OK((*c)->Destroy());
  EXPECT_FALSE(Exists(out_dir_ + "/ran"));
}

TEST_F(GvisorBackendTest, MissingCommandFailsStartWith127) {
  ContainerSpec spec = Spec("");
  spec.process.args = {"/nope"};
  absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(spec, Options());
  ASSERT_OK(c.status());
  absl::Status started = (*c)->Start();
  EXPECT_THAT(started, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/nope")));
  absl::StatusOr<ExitInfo> info = (*c)->Wait();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->ExitStatus(), 127);
  EXPECT_OK((*c)->Destroy());
}

TEST_F(GvisorBackendTest, LimitsHoldOnTheSandboxCgroup) {
  ContainerSpec spec = Spec("exec sleep 30");
  spec.resources.memory = 256ull << 20;
  spec.resources.pids_limit = 256;
  absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(spec, Options());
  ASSERT_OK(c.status());
  const std::string mem = absl::StrCat("/sys/fs/cgroup/memory/", kCgroupParent, "/", id_);
  const std::string pids = absl::StrCat("/sys/fs/cgroup/pids/", kCgroupParent, "/", id_);
  EXPECT_EQ(ReadAll(mem + "/memory.limit_in_bytes"), absl::StrCat(256ull << 20, "\n"));
  EXPECT_EQ(ReadAll(pids + "/pids.max"), "256\n");
  // The sandbox (the sentry) is in the group.
  EXPECT_THAT(ReadAll(mem + "/cgroup.procs"), HasSubstr(absl::StrCat((*c)->pid(), "\n")));
  EXPECT_FALSE((*c)->cgroup_paths().empty());
  ASSERT_OK((*c)->Start());
  ASSERT_OK((*c)->Kill(SIGKILL));
  EXPECT_OK((*c)->Wait().status());
  EXPECT_OK((*c)->Destroy());
}

TEST_F(GvisorBackendTest, MemoryLimitKillsTheSandbox) {
  // 40 MiB of tmpfs data in a 32 MiB sandbox: gVisor's memory is charged to the sandbox.
  ContainerSpec spec = Spec("dd if=/dev/zero of=/tmp/fill bs=1M count=64; echo survived > /out/x");
  spec.resources.memory = 32ull << 20;
  spec.resources.memory_swap = 32ll << 20;
  ExitInfo info = Run(spec);
  EXPECT_EQ(info.kind, ExitInfo::Kind::kOom) << info.Describe();
  EXPECT_FALSE(Exists(out_dir_ + "/x"));
}

TEST_F(GvisorBackendTest, ExecRunsInTheSameSandbox) {
  absl::StatusOr<std::unique_ptr<Container>> c =
      backend_.Create(Spec("echo first > /tmp/marker; exec sleep 30"), Options());
  ASSERT_OK(c.status());
  ASSERT_OK((*c)->Start());
  absl::StatusOr<UniqueFd> pidfd(
      UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, (*c)->pid(), 0))));
  ContainerSpec spec = Spec("");
  ContainerRef ref;
  ref.spec = &spec;
  ref.state_dir = state_dir_;
  ref.pid = (*c)->pid();
  ref.pidfd = pidfd->get();
  // The first process may not have written the marker yet.
  ContainerSpec exec_spec = spec;
  exec_spec.process.args = {"/bin/sh", "-c",
                            "for i in 1 2 3 4 5 6 7 8 9 10; do test -f /tmp/marker && break; "
                            "sleep 0.2; done; cat /tmp/marker > /out/seen; exit 4"};
  absl::StatusOr<std::unique_ptr<Container>> e = backend_.Exec(exec_spec, ref, false);
  ASSERT_OK(e.status());
  ASSERT_OK((*e)->Start());
  absl::StatusOr<ExitInfo> info = (*e)->Wait();
  ASSERT_OK(info.status());
  EXPECT_EQ(info->ExitStatus(), 4);
  EXPECT_OK((*e)->Destroy());
  EXPECT_EQ(ReadAll(out_dir_ + "/seen"), "first\n");
  // A command that does not exist: Start says so.
  exec_spec.process.args = {"/nope"};
  e = backend_.Exec(exec_spec, ref, false);
  ASSERT_OK(e.status());
  EXPECT_THAT((*e)->Start(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/nope")));
  EXPECT_OK((*e)->Destroy());
  ASSERT_OK((*c)->Kill(SIGKILL));
  EXPECT_OK((*c)->Wait().status());
  EXPECT_OK((*c)->Destroy());
}

TEST_F(GvisorBackendTest, DetachedCreateStartSignalRemove) {
  ContainerSpec spec = Spec("touch /out/started; exec sleep 30");
  pid_t pid = 0;
  {
    absl::StatusOr<std::unique_ptr<Container>> c = backend_.Create(spec, Options(true));
    ASSERT_OK(c.status());
    pid = (*c)->pid();
    ASSERT_GT(pid, 0);
    ASSERT_OK((*c)->Detach());
  }  // the Container is gone; the sandbox waits at runsc's gate
  EXPECT_FALSE(Exists(out_dir_ + "/started"));
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  ASSERT_TRUE(pidfd.valid());
  ContainerRef ref;
  ref.spec = &spec;
  ref.state_dir = state_dir_;
  ref.pid = pid;
  ref.pidfd = pidfd.get();
  int code = 0;
  ASSERT_OK(backend_.StartCreated(ref, &code));
  for (int i = 0; i < 100 && !Exists(out_dir_ + "/started"); ++i) usleep(50000);
  EXPECT_TRUE(Exists(out_dir_ + "/started"));
  ASSERT_OK(backend_.Signal(ref, SIGTERM, /*all=*/false));
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  EXPECT_EQ(poll(&p, 1, 20000), 1) << "the sandbox did not end after SIGTERM";
  nucleus::testing::ReapChildren(2);
  ASSERT_OK(backend_.Remove(ref));
  ASSERT_OK(backend_.Remove(ref));  // idempotent
  // The lifecycle removes the cgroup of a detached container (DeleteContainer).
  for (const char* h : {"memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "devices", "freezer",
                        "unified", "systemd"}) {
    (void)rmdir(absl::StrCat("/sys/fs/cgroup/", h, "/", kCgroupParent, "/", id_).c_str());
    (void)rmdir(absl::StrCat("/sys/fs/cgroup/", h, "/", kCgroupParent).c_str());
  }
}

TEST_F(GvisorBackendTest, SpecsGvisorCannotRunAreRefused) {
  ContainerSpec spec = Spec("true");
  spec.process.terminal = true;
  EXPECT_THAT(backend_.Create(spec, Options()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("process.terminal")));
  EXPECT_TRUE(DirEmptyOrMissing(state_dir_));
}

}  // namespace
}  // namespace nucleus
