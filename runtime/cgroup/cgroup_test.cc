// Layout detection and the v2, v1 and hybrid cgroups on fake cgroupfs trees: plain directories
// in a temp dir whose "control files" are created by nucleus's writes (fake_fs), so every
// limit's file and value can be read back. Real groups: tests/integration/cgroup_test.cc.
#include "runtime/cgroup/cgroup.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/cgroup/gc.h"
#include "runtime/cgroup/layout.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kV2Mountinfo[] =
    "25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// This build host: v1 controllers, cgroup2 at /sys/fs/cgroup/unified (holding hugetlb).
constexpr char kHybridMountinfo[] =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

// Pure v1 with cpu and cpuacct co-mounted (CentOS 7 style), and a bind of a subtree that
// must be ignored.
constexpr char kV1Mountinfo[] =
    "30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "35 30 0:32 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
    "33 30 0:30 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset\n"
    "37 30 0:34 / /sys/fs/cgroup/blkio rw - cgroup cgroup rw,blkio\n"
    "50 30 0:31 /docker/abc /mnt/memory-bind rw - cgroup cgroup rw,memory\n";

std::string TempDir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/cgtree.XXXXXX";
  char* d = mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

void Write(const std::string& path, const std::string& text) {
  std::string dir = path.substr(0, path.rfind('/'));
  std::string cmd = "mkdir -p '" + dir + "'";
  ASSERT_EQ(system(cmd.c_str()), 0);
  std::ofstream(path) << text;
}

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// ---- layout ----

TEST(Layout, V2) {
  std::string root = TempDir();
  Write(root + "/sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
  ASSERT_OK_AND_ASSIGN(CgroupHierarchies h, ParseCgroupHierarchies(kV2Mountinfo, root));
  EXPECT_EQ(h.kind, CgroupHierarchies::Kind::kV2);
  EXPECT_STREQ(h.KindName(), "v2");
  EXPECT_EQ(h.v2_root, root + "/sys/fs/cgroup");
  EXPECT_THAT(h.v2_controllers,
              UnorderedElementsAre("cpuset", "cpu", "io", "memory", "hugetlb", "pids"));
  EXPECT_TRUE(h.v1_mounts.empty());
  EXPECT_TRUE(h.OnV2("memory"));
}

TEST(Layout, Hybrid) {
  std::string root = TempDir();
  Write(root + "/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n");
  ASSERT_OK_AND_ASSIGN(CgroupHierarchies h, ParseCgroupHierarchies(kHybridMountinfo, root));
  EXPECT_EQ(h.kind, CgroupHierarchies::Kind::kHybrid);
  EXPECT_EQ(h.v2_root, root + "/sys/fs/cgroup/unified");
  EXPECT_THAT(h.v2_controllers, ElementsAre("hugetlb"));
  ASSERT_NE(h.V1Mount("memory"), nullptr);
  EXPECT_EQ(*h.V1Mount("memory"), root + "/sys/fs/cgroup/memory");
  EXPECT_EQ(*h.V1Mount("cpuacct"), root + "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(h.V1Mount("systemd"), nullptr) << "named hierarchies are not controllers";
  EXPECT_THAT(h.v1_named, ElementsAre("systemd"));
  EXPECT_EQ(h.v1_mounts.size(), 8u);
}

TEST(Layout, V1CoMountedAndSubtreeBindIgnored) {
  ASSERT_OK_AND_ASSIGN(CgroupHierarchies h, ParseCgroupHierarchies(kV1Mountinfo, "/x"));
  EXPECT_EQ(h.kind, CgroupHierarchies::Kind::kV1);
  EXPECT_EQ(*h.V1Mount("cpu"), "/x/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(*h.V1Mount("cpuacct"), "/x/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(*h.V1Mount("memory"), "/x/sys/fs/cgroup/memory");
  EXPECT_TRUE(h.v2_root.empty());
}

TEST(Layout, NoneAndMalformed) {
  ASSERT_OK_AND_ASSIGN(CgroupHierarchies h,
                       ParseCgroupHierarchies("22 1 0:21 / /proc rw - proc proc rw\n"));
  EXPECT_EQ(h.kind, CgroupHierarchies::Kind::kNone);
  EXPECT_FALSE(ParseCgroupHierarchies("garbage\n").ok());
}

TEST(Layout, ThisHostParses) {
  ASSERT_OK_AND_ASSIGN(CgroupHierarchies h, DetectCgroupHierarchies());
  (void)h;  // any layout; the parse must not fail on the real file
}

// ---- v2 ----

class FakeV2 : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir();
    cg_ = root_ + "/sys/fs/cgroup";
    Write(cg_ + "/cgroup.controllers", "cpuset cpu io memory pids\n");
    Write(cg_ + "/cgroup.subtree_control", "memory pids\n");
    ASSERT_OK_AND_ASSIGN(h_, ParseCgroupHierarchies(kV2Mountinfo, root_));
    h_.fake_fs = true;
  }
  CgroupConfig Config(const std::string& name) {
    CgroupConfig c;
    c.name = name;
    c.devices = DefaultDeviceRules();
    c.device_bpf = false;
    return c;
  }
  std::string root_, cg_;
  CgroupHierarchies h_;
};

TEST_F(FakeV2, EveryLimitLandsInItsFile) {
  CgroupConfig c = Config("web");
  c.resources.memory = 32 << 20;
  c.resources.memory_reservation = 8 << 20;
  c.resources.cpu_quota_us = 50000;
  c.resources.cpu_weight = 200;
  c.resources.cpuset_cpus = "0-1";
  c.resources.cpuset_mems = "0";
  c.resources.pids_limit = 32;
  c.resources.blkio_weight = 1000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  const std::string d = cg_ + "/nucleus/web";
  EXPECT_STREQ(g->kind(), "v2");
  EXPECT_THAT(g->paths(), ElementsAre(d));
  EXPECT_GE(g->clone_into_fd(), 0);
  EXPECT_EQ(Read(d + "/memory.max"), "33554432");
  EXPECT_EQ(Read(d + "/memory.swap.max"), "33554432");
  EXPECT_EQ(Read(d + "/memory.low"), "8388608");
  EXPECT_EQ(Read(d + "/cpu.max"), "50000 100000");
  EXPECT_EQ(Read(d + "/cpu.weight"), "200");
  EXPECT_EQ(Read(d + "/cpuset.cpus"), "0-1");
  EXPECT_EQ(Read(d + "/cpuset.mems"), "0");
  EXPECT_EQ(Read(d + "/pids.max"), "32");
  EXPECT_EQ(Read(d + "/io.weight"), "default 10000");
  // Controllers enabled from the root down to the parent, the root's existing ones kept.
  EXPECT_THAT(Read(cg_ + "/cgroup.subtree_control"), HasSubstr("cpuset"));
  EXPECT_THAT(Read(cg_ + "/cgroup.subtree_control"), HasSubstr("memory"));
  EXPECT_EQ(Read(cg_ + "/nucleus/cgroup.subtree_control"), "cpu cpuset io memory pids");
  EXPECT_EQ(g->memory_limit(), uint64_t{32} << 20);
  ASSERT_OK(g->KillAndRemove());
  EXPECT_FALSE(Exists(d));
  EXPECT_TRUE(Exists(cg_ + "/nucleus")) << "the parent is shared and stays";
  ASSERT_OK(g->KillAndRemove()) << "idempotent";
}

// config.json's absolute cgroupsPath "/NAME": a group directly below the root, controllers
// enabled at the root, nothing above it made or removed.
TEST_F(FakeV2, RootParentIsAGroupBelowTheRoot) {
  CgroupConfig c = Config("top");
  c.parent = kCgroupRootParent;
  c.resources.pids_limit = 7;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_EQ(Read(cg_ + "/top/pids.max"), "7");
  EXPECT_FALSE(Exists(cg_ + "/nucleus"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> view, OpenCgroup(h_, kCgroupRootParent, "top"));
  ASSERT_OK(g->KillAndRemove());
  EXPECT_FALSE(Exists(cg_ + "/top"));
  EXPECT_TRUE(Exists(cg_ + "/cgroup.controllers")) << "the root stays";
}

TEST_F(FakeV2, DestructorRemoves) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("a")));
    EXPECT_TRUE(Exists(cg_ + "/nucleus/a"));
  }
  EXPECT_FALSE(Exists(cg_ + "/nucleus/a"));
}

TEST_F(FakeV2, ExistingGroupIsAnErrorAndUntouched) {
  Write(cg_ + "/nucleus/b/cgroup.procs", "");
  EXPECT_THAT(CreateCgroup(h_, Config("b")).status(),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  EXPECT_TRUE(Exists(cg_ + "/nucleus/b"));
}

TEST_F(FakeV2, MissingControllerFailsBeforeMkdir) {
  Write(cg_ + "/cgroup.controllers", "memory pids\n");
  ASSERT_OK_AND_ASSIGN(h_, ParseCgroupHierarchies(kV2Mountinfo, root_));
  h_.fake_fs = true;
  CgroupConfig c = Config("c");
  c.resources.cpuset_cpus = "0";
  EXPECT_THAT(CreateCgroup(h_, c).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("--cpuset-cpus: the cpuset controller is not available")));
  EXPECT_FALSE(Exists(cg_ + "/nucleus/c"));
}

TEST_F(FakeV2, StatsAndOom) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("s")));
  const std::string d = cg_ + "/nucleus/s";
  Write(d + "/memory.current", "1048576\n");
  Write(d + "/memory.peak", "2097152\n");
  Write(d + "/memory.max", "max\n");
  Write(d + "/cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n");
  Write(d + "/pids.current", "3\n");
  Write(d + "/pids.max", "32\n");
  Write(d + "/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n");
  Write(d + "/memory.events", "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n");
  CgroupStats s = g->Stats();
  EXPECT_EQ(s.memory_current, 1048576u);
  EXPECT_EQ(s.memory_peak, 2097152u);
  EXPECT_FALSE(s.memory_limit.has_value());
  EXPECT_EQ(s.cpu_usage_ns, 1500000u);
  EXPECT_EQ(s.pids_current, 3u);
  EXPECT_EQ(s.pids_limit, 32u);
  EXPECT_EQ(s.io_read_bytes, 10u);
  EXPECT_EQ(s.io_write_bytes, 20u);
  EXPECT_EQ(s.oom_kills, 1u);
  ASSERT_OK_AND_ASSIGN(uint64_t kills, g->OomKills());
  EXPECT_EQ(kills, 1u);
  ASSERT_OK(g->AddProcess(4242, /*joined_by_clone=*/false));
  EXPECT_EQ(Read(d + "/cgroup.procs"), "4242");
}

TEST_F(FakeV2, OpenListAndGc) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> live, CreateCgroup(h_, Config("live")));
  Write(cg_ + "/nucleus/stale/cgroup.procs", "");
  EXPECT_THAT(ListCgroups(h_, "nucleus"), ElementsAre("live", "stale"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> view, OpenCgroup(h_, "nucleus", "live"));
  ASSERT_OK_AND_ASSIGN(bool free, view->TryLock());
  EXPECT_FALSE(free) << "the creator holds the lock";
  view.reset();
  EXPECT_TRUE(Exists(cg_ + "/nucleus/live")) << "a view's destructor removes nothing";
  EXPECT_THAT(OpenCgroup(h_, "nucleus", "nope").status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_FALSE(OpenCgroup(h_, "nucleus", "..").ok());

  ASSERT_OK_AND_ASSIGN(GcReport r, CollectGarbageCgroups(h_, "nucleus", absl::ZeroDuration()));
  EXPECT_THAT(r.removed, ElementsAre("stale"));
  EXPECT_THAT(r.in_use, ElementsAre("live"));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_FALSE(Exists(cg_ + "/nucleus/stale"));
  EXPECT_TRUE(Exists(cg_ + "/nucleus/live"));
  ASSERT_OK_AND_ASSIGN(GcReport young, CollectGarbageCgroups(h_, "nucleus", absl::Hours(1)));
  EXPECT_TRUE(young.removed.empty());
}

// cgroup v2 freezing (`nucleus pause`, `resume`): cgroup.freeze is written, and the call
// returns only once cgroup.events reports the new state; a group that never reports it is
// thawed again and the call fails at its deadline.
TEST_F(FakeV2, FreezeWaitsForCgroupEvents) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("f")));
  const std::string d = cg_ + "/nucleus/f";
  // The kernel's report, as a real v2 group would have it once frozen.
  Write(d + "/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_OK(g->Freeze(true, absl::Seconds(1)));
  EXPECT_EQ(Read(d + "/cgroup.freeze"), "1");
  ASSERT_OK_AND_ASSIGN(bool frozen, g->Frozen());
  EXPECT_TRUE(frozen);
  Write(d + "/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_OK(g->Freeze(false, absl::Seconds(1)));
  EXPECT_EQ(Read(d + "/cgroup.freeze"), "0");
  ASSERT_OK_AND_ASSIGN(frozen, g->Frozen());
  EXPECT_FALSE(frozen);
}

TEST_F(FakeV2, FreezeThatNeverSettlesIsThawedAndFails) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("stuck")));
  const std::string d = cg_ + "/nucleus/stuck";
  Write(d + "/cgroup.events", "populated 1\nfrozen 0\n");
  EXPECT_THAT(g->Freeze(true, absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("not frozen after 50ms")));
  EXPECT_EQ(Read(d + "/cgroup.freeze"), "0") << "a half-done freeze is undone";
  // A garbled cgroup.events is an error naming the file, not "not frozen".
  Write(d + "/cgroup.events", "frozen x\n");
  EXPECT_THAT(g->Frozen().status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cgroup.events")));
}

TEST_F(FakeV2, FreezeThroughAnOpenedView) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> owner, CreateCgroup(h_, Config("v")));
  const std::string d = cg_ + "/nucleus/v";
  Write(d + "/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> view, OpenCgroup(h_, "nucleus", "v"));
  ASSERT_OK(view->Freeze(true, absl::Seconds(1)));
  EXPECT_EQ(Read(d + "/cgroup.freeze"), "1");
}

// `nucleus update` on v2: new values in the same files as at creation; unset limits are
// left alone; a controller the group does not have is an error naming the flag.
TEST_F(FakeV2, UpdateRewritesLimits) {
  CgroupConfig c = Config("u");
  c.resources.memory = 32 << 20;
  c.resources.pids_limit = 10;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  const std::string d = cg_ + "/nucleus/u";
  Write(d + "/cgroup.controllers", "cpu io memory pids\n");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> view, OpenCgroup(h_, "nucleus", "u"));
  ResourcesSpec r;
  r.memory = 64 << 20;
  r.cpu_quota_us = 20000;
  r.cpu_period_us = 50000;
  ASSERT_OK(view->Update(r));
  EXPECT_EQ(Read(d + "/memory.max"), "67108864");
  EXPECT_EQ(Read(d + "/memory.swap.max"), "67108864");
  EXPECT_EQ(Read(d + "/cpu.max"), "20000 50000");
  EXPECT_EQ(Read(d + "/pids.max"), "10") << "not part of the update: untouched";
  EXPECT_EQ(view->memory_limit(), uint64_t{64} << 20);
  ResourcesSpec cpuset;
  cpuset.cpuset_cpus = "0";
  EXPECT_THAT(view->Update(cpuset),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("--cpuset-cpus: the cpuset controller is not available")));
  EXPECT_FALSE(Exists(d + "/cpuset.cpus"));
}

// ---- v1 and hybrid ----

class FakeV1 : public ::testing::Test {
 protected:
  void Init(const char* mountinfo) {
    root_ = TempDir();
    cg_ = root_ + "/sys/fs/cgroup";
    Write(cg_ + "/cpuset/cpuset.cpus", "0-1\n");
    Write(cg_ + "/cpuset/cpuset.mems", "0\n");
    Write(cg_ + "/unified/cgroup.controllers", "hugetlb\n");
    ASSERT_OK_AND_ASSIGN(h_, ParseCgroupHierarchies(mountinfo, root_));
    h_.fake_fs = true;
    for (const auto& [c, mount] : h_.v1_mounts) {
      ASSERT_EQ(system(("mkdir -p '" + mount + "'").c_str()), 0);
    }
  }
  CgroupConfig Config(const std::string& name) {
    CgroupConfig c;
    c.name = name;
    c.devices = DefaultDeviceRules();
    c.device_bpf = false;
    return c;
  }
  std::string root_, cg_;
  CgroupHierarchies h_;
};

TEST_F(FakeV1, HybridEveryLimitAndDevices) {
  Init(kHybridMountinfo);
  CgroupConfig c = Config("web");
  c.resources.memory = 32 << 20;
  c.resources.memory_swap = 48 << 20;
  c.resources.memory_reservation = 8 << 20;
  c.resources.cpu_quota_us = 50000;
  c.resources.cpu_shares = 512;
  c.resources.pids_limit = 32;
  c.resources.blkio_weight = 300;
  c.resources.cpuset_cpus = "1";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_STREQ(g->kind(), "hybrid");
  EXPECT_EQ(g->paths().size(), 8u) << "8 v1 controllers; no cgroup2 group: none of ours is there";
  EXPECT_EQ(g->clone_into_fd(), -1);
  EXPECT_EQ(Read(cg_ + "/memory/nucleus/web/memory.limit_in_bytes"), "33554432");
  EXPECT_EQ(Read(cg_ + "/memory/nucleus/web/memory.memsw.limit_in_bytes"), "50331648");
  EXPECT_EQ(Read(cg_ + "/memory/nucleus/web/memory.soft_limit_in_bytes"), "8388608");
  EXPECT_EQ(Read(cg_ + "/cpu/nucleus/web/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(Read(cg_ + "/cpu/nucleus/web/cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(Read(cg_ + "/cpu/nucleus/web/cpu.shares"), "512");
  EXPECT_EQ(Read(cg_ + "/pids/nucleus/web/pids.max"), "32");
  EXPECT_EQ(Read(cg_ + "/blkio/nucleus/web/blkio.weight"), "300");
  // v1 cpuset: a new group inherits cpus/mems so that it can take tasks.
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/cpuset.cpus"), "0-1");
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/web/cpuset.cpus"), "1") << "the limit, after the copy";
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/web/cpuset.mems"), "0");
  // The fake file keeps the last write: the last allow rule (after "deny a").
  EXPECT_EQ(Read(cg_ + "/devices/nucleus/web/devices.deny"), "a");
  EXPECT_EQ(Read(cg_ + "/devices/nucleus/web/devices.allow"), "c 136:* rwm");
  EXPECT_FALSE(Exists(cg_ + "/unified/nucleus"));
  ASSERT_OK(g->AddProcess(4242, /*joined_by_clone=*/false));
  EXPECT_EQ(Read(cg_ + "/freezer/nucleus/web/cgroup.procs"), "4242");
  ASSERT_OK(g->KillAndRemove());
  for (const char* c :
       {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "devices", "freezer", "unified"}) {
    EXPECT_FALSE(Exists(cg_ + "/" + c + "/nucleus/web")) << c;
  }
}

TEST_F(FakeV1, RootParentIsAGroupBelowEachHierarchysRoot) {
  Init(kHybridMountinfo);
  CgroupConfig c = Config("top");
  c.parent = kCgroupRootParent;
  c.resources.pids_limit = 7;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_EQ(Read(cg_ + "/pids/top/pids.max"), "7");
  EXPECT_TRUE(Exists(cg_ + "/memory/top"));
  EXPECT_FALSE(Exists(cg_ + "/pids/nucleus"));
  ASSERT_OK(g->KillAndRemove());
  EXPECT_FALSE(Exists(cg_ + "/pids/top"));
  EXPECT_TRUE(Exists(cg_ + "/pids")) << "the hierarchy's root stays";
}

TEST_F(FakeV1, CoMountedV1SharesOneDirectory) {
  Init(kV1Mountinfo);
  CgroupConfig c = Config("x");
  c.resources.cpu_quota_us = 150000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_STREQ(g->kind(), "v1");
  EXPECT_EQ(g->clone_into_fd(), -1);
  EXPECT_EQ(g->paths().size(), 6u) << "no cpuset group without a cpuset limit";
  EXPECT_FALSE(Exists(cg_ + "/cpuset/nucleus"));
  EXPECT_EQ(Read(cg_ + "/cpu,cpuacct/nucleus/x/cpu.cfs_quota_us"), "150000");
  Write(cg_ + "/cpu,cpuacct/nucleus/x/cpuacct.usage", "123456789\n");
  Write(cg_ + "/memory/nucleus/x/memory.usage_in_bytes", "4096\n");
  Write(cg_ + "/memory/nucleus/x/memory.max_usage_in_bytes", "8192\n");
  Write(cg_ + "/memory/nucleus/x/memory.limit_in_bytes", "9223372036854771712\n");
  Write(cg_ + "/memory/nucleus/x/memory.oom_control",
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  Write(cg_ + "/pids/nucleus/x/pids.current", "5\n");
  Write(cg_ + "/pids/nucleus/x/pids.max", "max\n");
  Write(cg_ + "/blkio/nucleus/x/blkio.throttle.io_service_bytes",
        "8:0 Read 7\n8:0 Write 9\nTotal 16\n");
  CgroupStats s = g->Stats();
  EXPECT_EQ(s.cpu_usage_ns, 123456789u);
  EXPECT_EQ(s.memory_current, 4096u);
  EXPECT_EQ(s.memory_peak, 8192u);
  EXPECT_FALSE(s.memory_limit.has_value()) << "v1's 'unlimited' value";
  EXPECT_EQ(s.pids_current, 5u);
  EXPECT_FALSE(s.pids_limit.has_value());
  EXPECT_EQ(s.io_read_bytes, 7u);
  EXPECT_EQ(s.io_write_bytes, 9u);
  EXPECT_EQ(s.oom_kills, 2u);
}

TEST_F(FakeV1, FailedCreateLeavesNothing) {
  Init(kHybridMountinfo);
  // A write the kernel would refuse: the value's file is a directory here.
  ASSERT_EQ(system(("mkdir -p '" + cg_ + "/pids/nucleus'").c_str()), 0);
  CgroupConfig c = Config("bad");
  c.resources.pids_limit = 32;
  c.resources.memory = 32 << 20;
  // Make pids.max unwritable by creating a directory of that name inside the new group:
  // impossible before mkdir, so use a missing controller instead.
  h_.v1_mounts.erase("pids");
  EXPECT_THAT(CreateCgroup(h_, c).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("--pids-limit: the pids controller is not available")));
  for (const char* ctl : {"memory", "cpu", "cpuset", "devices", "freezer", "unified"}) {
    EXPECT_FALSE(Exists(cg_ + "/" + ctl + "/nucleus/bad")) << ctl;
  }
}

TEST_F(FakeV1, FailedCreateOfATakenNameLeavesTheOtherGroupAlone) {
  Init(kHybridMountinfo);
  CgroupConfig c = Config("taken");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> first, CreateCgroup(h_, c));
  c.resources.cpu_shares = 100;  // a hierarchy the first group is not in, made then removed
  EXPECT_EQ(CreateCgroup(h_, c).status().code(), absl::StatusCode::kAlreadyExists);
  for (const char* h : {"memory", "pids", "devices", "freezer", "cpuacct", "blkio"}) {
    EXPECT_TRUE(Exists(cg_ + "/" + h + "/nucleus/taken")) << h;
  }
  EXPECT_FALSE(Exists(cg_ + "/cpu/nucleus/taken"));
}

TEST_F(FakeV1, V2OnlyControllerInHybridGoesToV2) {
  Init(kHybridMountinfo);
  Write(cg_ + "/unified/cgroup.controllers", "io hugetlb\n");
  ASSERT_OK_AND_ASSIGN(h_, ParseCgroupHierarchies(kHybridMountinfo, root_));
  h_.fake_fs = true;
  h_.v1_mounts.erase("blkio");
  CgroupConfig c = Config("io");
  c.resources.blkio_weight = 1000;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_EQ(Read(cg_ + "/unified/nucleus/io/io.weight"), "default 10000");
  EXPECT_EQ(Read(cg_ + "/unified/nucleus/cgroup.subtree_control"), "io");
}

// v1 freezing: freezer.state FROZEN, read back; on a hybrid host the v1 freezer is used,
// not the cgroup2 group (which holds no controller that matters here).
TEST_F(FakeV1, HybridFreezeUsesV1Freezer) {
  Init(kHybridMountinfo);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("p")));
  ASSERT_OK_AND_ASSIGN(bool frozen, g->Frozen());
  EXPECT_FALSE(frozen) << "no freezer.state yet: not frozen";
  ASSERT_OK(g->Freeze(true, absl::Seconds(1)));
  EXPECT_EQ(Read(cg_ + "/freezer/nucleus/p/freezer.state"), "FROZEN");
  EXPECT_FALSE(Exists(cg_ + "/unified/nucleus/p/cgroup.freeze"));
  ASSERT_OK_AND_ASSIGN(frozen, g->Frozen());
  EXPECT_TRUE(frozen);
  ASSERT_OK(g->Freeze(false, absl::Seconds(1)));
  EXPECT_EQ(Read(cg_ + "/freezer/nucleus/p/freezer.state"), "THAWED");
}

TEST_F(FakeV1, FreezeWithoutFreezerIsAClearError) {
  Init(kV1Mountinfo);
  h_.v1_mounts.erase("freezer");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, Config("nf")));
  EXPECT_THAT(g->Freeze(true, absl::Seconds(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no freezer")));
}

TEST_F(FakeV1, HybridUpdateRewritesV1Limits) {
  Init(kHybridMountinfo);
  CgroupConfig c = Config("up");
  c.resources.memory = 32 << 20;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> g, CreateCgroup(h_, c));
  EXPECT_FALSE(Exists(cg_ + "/cpu/nucleus/up")) << "no cpu limit yet";
  EXPECT_FALSE(Exists(cg_ + "/cpuset/nucleus/up"));
  ASSERT_OK(g->AddProcess(4242, /*joined_by_clone=*/false));
  // Another process (`nucleus update`) opens the group and adds cpu and cpuset limits.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Cgroup> view, OpenCgroup(h_, "nucleus", "up"));
  ResourcesSpec r;
  r.memory = 64 << 20;
  r.memory_swap = 128 << 20;
  r.cpu_shares = 256;
  r.pids_limit = 20;
  r.blkio_weight = 500;
  r.cpuset_cpus = "0";
  ASSERT_OK(view->Update(r));
  EXPECT_EQ(Read(cg_ + "/memory/nucleus/up/memory.limit_in_bytes"), "67108864");
  EXPECT_EQ(Read(cg_ + "/memory/nucleus/up/memory.memsw.limit_in_bytes"), "134217728");
  EXPECT_EQ(Read(cg_ + "/cpu/nucleus/up/cpu.shares"), "256");
  EXPECT_EQ(Read(cg_ + "/pids/nucleus/up/pids.max"), "20");
  EXPECT_EQ(Read(cg_ + "/blkio/nucleus/up/blkio.weight"), "500");
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/up/cpuset.cpus"), "0");
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/up/cpuset.mems"), "0") << "copied: it takes tasks";
  EXPECT_EQ(view->memory_limit(), uint64_t{64} << 20);
  // The groups made for the update hold the container's processes ...
  EXPECT_EQ(Read(cg_ + "/cpu/nucleus/up/cgroup.procs"), "4242");
  EXPECT_EQ(Read(cg_ + "/cpuset/nucleus/up/cgroup.procs"), "4242");
  ASSERT_OK(view->Update(r)) << "a second update finds them";
  view.reset();
  EXPECT_TRUE(Exists(cg_ + "/cpu/nucleus/up")) << "the view does not remove them";
  // ... and go with the container, removed by its owner, which did not make them.
  g.reset();
  for (const char* h : {"cpu", "cpuset", "memory"}) {
    EXPECT_FALSE(Exists(cg_ + "/" + h + "/nucleus/up")) << h;  // (a fake tree keeps levels)
  }
}

// ---- ThreadInCgroup, on plain files standing in for `tasks` ----

class ThreadInCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = TempDir();
    for (const char* f : {"/memory/tasks", "/memory/user.slice/tasks", "/memory/nucleus/c/tasks",
                          "/pids/tasks", "/pids/nucleus/c/tasks"}) {
      Write(root_ + f, "");
    }
    groups_ = {{root_ + "/memory", root_ + "/memory/nucleus/c", {"memory"}},
               {root_ + "/pids", root_ + "/pids/nucleus/c", {"pids"}}};
    self_ = root_ + "/self-cgroup";
    Write(self_, "12:pids:/\n5:memory:/user.slice\n0::/init.scope\n");
  }
  std::string root_, self_;
  std::vector<ThreadInCgroup::Group> groups_;
};

TEST_F(ThreadInCgroupTest, EntersEveryGroupAndLeavesToItsOwn) {
  ASSERT_OK_AND_ASSIGN(ThreadInCgroup stay, ThreadInCgroup::Enter(groups_, self_));
  EXPECT_TRUE(stay.entered());
  EXPECT_EQ(Read(root_ + "/memory/nucleus/c/tasks"), "0");
  EXPECT_EQ(Read(root_ + "/pids/nucleus/c/tasks"), "0");
  EXPECT_EQ(Read(root_ + "/memory/user.slice/tasks"), "") << "not left yet";
  ASSERT_OK(stay.Leave());
  EXPECT_FALSE(stay.entered());
  EXPECT_EQ(Read(root_ + "/memory/user.slice/tasks"), "0") << "its own group, not the root";
  EXPECT_EQ(Read(root_ + "/memory/tasks"), "");
  EXPECT_EQ(Read(root_ + "/pids/tasks"), "0") << "its own group is the root";
  ASSERT_OK(stay.Leave()) << "idempotent";
}

TEST_F(ThreadInCgroupTest, TheDestructorLeaves) {
  {
    ASSERT_OK_AND_ASSIGN(ThreadInCgroup stay, ThreadInCgroup::Enter(groups_, self_));
    ThreadInCgroup moved = std::move(stay);
    EXPECT_FALSE(stay.entered());
    EXPECT_TRUE(moved.entered());
  }
  EXPECT_EQ(Read(root_ + "/memory/user.slice/tasks"), "0");
  EXPECT_EQ(Read(root_ + "/pids/tasks"), "0");
}

TEST_F(ThreadInCgroupTest, GoesToTheRootWhenItsGroupIsGone) {
  Write(self_, "12:pids:/\n5:memory:/gone\n");
  ASSERT_OK_AND_ASSIGN(ThreadInCgroup stay, ThreadInCgroup::Enter(groups_, self_));
  ASSERT_OK(stay.Leave());
  EXPECT_EQ(Read(root_ + "/memory/tasks"), "0");
}

TEST_F(ThreadInCgroupTest, AllOrNothing) {
  ASSERT_EQ(unlink((root_ + "/pids/nucleus/c/tasks").c_str()), 0);
  absl::StatusOr<ThreadInCgroup> stay = ThreadInCgroup::Enter(groups_, self_);
  EXPECT_THAT(stay.status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("pids/nucleus/c")));
  EXPECT_EQ(Read(root_ + "/memory/nucleus/c/tasks"), "0") << "entered first";
  EXPECT_EQ(Read(root_ + "/memory/user.slice/tasks"), "0") << "and left again";
}

TEST_F(ThreadInCgroupTest, UnknownOwnGroupMovesNothing) {
  Write(self_, "5:memory:/user.slice\n0::/\n");
  absl::StatusOr<ThreadInCgroup> stay = ThreadInCgroup::Enter(groups_, self_);
  EXPECT_THAT(stay.status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("(pids)")));
  EXPECT_EQ(Read(root_ + "/memory/nucleus/c/tasks"), "");
  Write(self_, "not a cgroup file");
  EXPECT_FALSE(ThreadInCgroup::Enter(groups_, self_).ok());
  EXPECT_EQ(Read(root_ + "/memory/nucleus/c/tasks"), "");
  ASSERT_OK_AND_ASSIGN(ThreadInCgroup none, ThreadInCgroup::Enter({}, self_));
  EXPECT_FALSE(none.entered());
}

TEST(Validate, ParentAndName) {
  EXPECT_EQ(*ValidateCgroupParent("nucleus", "--cgroup-parent"), "nucleus");
  EXPECT_EQ(*ValidateCgroupParent("/system.slice/nucleus", "--cgroup-parent"),
            "system.slice/nucleus");
  // "/" (kCgroupRootParent) too: --cgroup-parent and gc never name the host's root.
  for (const char* bad : {"", "/", "a/../b", "a//b", "./a", "a b", "a/\n"}) {
    EXPECT_THAT(ValidateCgroupParent(bad, "--cgroup-parent").status(),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cgroup-parent: ")))
        << bad;
  }
  EXPECT_OK(ValidateCgroupName("nucleus-0123abcd"));
  EXPECT_FALSE(ValidateCgroupName("../x").ok());
  EXPECT_FALSE(ValidateCgroupName("").ok());
}

}  // namespace
}  // namespace nucleus
