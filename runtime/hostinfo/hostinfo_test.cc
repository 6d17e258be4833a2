#include "runtime/hostinfo/hostinfo.h"

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nucleus {
namespace {

using ::testing::HasSubstr;

// This build machine: v1 controllers, name=systemd, and a v2 "unified" mount holding hugetlb.
constexpr char kHybridMountinfo[] =
    "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

// Debian 12 / Fedora / Ubuntu 22.04+: pure v2.
constexpr char kV2Mountinfo[] =
    "24 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "26 24 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "27 26 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// Old CentOS 7 style: v1 only, a controller pair mounted together.
constexpr char kV1Mountinfo[] =
    "25 18 0:21 / /sys/fs/cgroup/systemd rw - cgroup cgroup "
    "rw,xattr,release_agent=/x,name=systemd\n"
    "28 18 0:24 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
    "29 18 0:25 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
    "30 18 0:26 / /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio\n";

// The layer's parse of the text (its own tests: runtime/cgroup), with the v2 root's
// controllers as given.
CgroupHierarchies Layout(const char* mountinfo, std::set<std::string> v2_controllers = {}) {
  absl::StatusOr<CgroupHierarchies> h = ParseCgroupHierarchies(mountinfo, "/nonexistent");
  EXPECT_TRUE(h.ok()) << h.status();
  CgroupHierarchies out = h.ok() ? *h : CgroupHierarchies{};
  // Paths as on the host, not under the fake root (which only keeps the files unread).
  if (!out.v2_root.empty()) out.v2_root = out.v2_root.substr(strlen("/nonexistent"));
  out.v2_controllers = std::move(v2_controllers);
  return out;
}

TEST(DescribeCgroup, HybridListsBothHierarchies) {
  HostFeature f = DescribeCgroup(Layout(kHybridMountinfo, {"hugetlb"}));
  EXPECT_EQ(f.name, "cgroup");
  EXPECT_EQ(f.status, ProbeStatus::kDegraded);
  EXPECT_EQ(f.detail,
            "hybrid: v1 controllers cpu cpuacct memory pids; v2 at /sys/fs/cgroup/unified "
            "holds: hugetlb; named v1: systemd; nucleus uses: v1 cpuacct memory pids (cpu for "
            "their limits), no v2 group (none of its controllers is there); born in its v1 "
            "groups (the cloning thread enters them)");
}

TEST(DescribeCgroup, HybridWithEmptyUnified) {
  HostFeature f = DescribeCgroup(Layout(kHybridMountinfo));
  EXPECT_THAT(f.detail, HasSubstr("holds: none"));
  // A controller only the cgroup2 side has gets a v2 group.
  HostFeature io = DescribeCgroup(Layout(kHybridMountinfo, {"io", "hugetlb"}));
  EXPECT_THAT(io.detail, HasSubstr(", v2 io;"));
}

TEST(DescribeCgroup, V2AndV1AndNone) {
  HostFeature v2 = DescribeCgroup(Layout(kV2Mountinfo, {"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_EQ(v2.status, ProbeStatus::kOk);
  EXPECT_EQ(v2.detail,
            "v2 unified at /sys/fs/cgroup; controllers: cpu cpuset io memory pids; nucleus uses: "
            "cpu cpuset io memory pids, joins at clone (CLONE_INTO_CGROUP), devices by BPF, "
            "cgroup.kill");

  HostFeature v1 = DescribeCgroup(Layout(kV1Mountinfo));
  EXPECT_EQ(v1.status, ProbeStatus::kDegraded);
  EXPECT_THAT(v1.detail, HasSubstr("v1 only: controllers cpu cpuacct memory net_cls net_prio"));

  EXPECT_EQ(DescribeCgroup(CgroupHierarchies{}).status, ProbeStatus::kMissing);
}

TEST(DescribeUserNamespaces, Cases) {
  EXPECT_EQ(DescribeUserNamespaces(false, std::nullopt, 100, std::nullopt).status,
            ProbeStatus::kMissing);
  EXPECT_EQ(DescribeUserNamespaces(true, 1, 0, std::nullopt).status, ProbeStatus::kMissing);

  HostFeature debian_off = DescribeUserNamespaces(true, 0, 1000, std::nullopt);
  EXPECT_EQ(debian_off.status, ProbeStatus::kDegraded);
  EXPECT_THAT(debian_off.detail, HasSubstr("unprivileged_userns_clone=0"));

  HostFeature ubuntu = DescribeUserNamespaces(true, 1, 1000, 1);
  EXPECT_EQ(ubuntu.status, ProbeStatus::kDegraded);
  EXPECT_THAT(ubuntu.detail, HasSubstr("apparmor_restrict_unprivileged_userns=1"));

  HostFeature ok = DescribeUserNamespaces(true, std::nullopt, 96365, std::nullopt);
  EXPECT_EQ(ok.status, ProbeStatus::kOk);
  EXPECT_EQ(ok.detail, "unprivileged allowed; max_user_namespaces=96365");
}

TEST(DescribeSeccomp, Cases) {
  const std::string all = "kill_process kill_thread trap errno user_notif trace log allow\n";
  HostFeature ok = DescribeSeccomp(0, 0, all);
  EXPECT_EQ(ok.status, ProbeStatus::kOk);
  EXPECT_THAT(ok.detail, HasSubstr("this process: unfiltered"));

  HostFeature nested = DescribeSeccomp(2, 0, all);
  EXPECT_EQ(nested.status, ProbeStatus::kOk);
  EXPECT_THAT(nested.detail, HasSubstr("already filtered (mode 2"));

  HostFeature old = DescribeSeccomp(0, 0, std::string("kill trap errno trace allow\n"));
  EXPECT_EQ(old.status, ProbeStatus::kDegraded);
  EXPECT_THAT(old.detail, HasSubstr("lack kill_process log user_notif"));
  HostFeature no_log = DescribeSeccomp(0, 0, std::string("kill_process errno user_notif allow"));
  EXPECT_EQ(no_log.status, ProbeStatus::kDegraded);
  EXPECT_THAT(no_log.detail, HasSubstr("lack log;"));

  EXPECT_EQ(DescribeSeccomp(0, 0, std::nullopt).status, ProbeStatus::kDegraded);
  EXPECT_EQ(DescribeSeccomp(-1, EINVAL, std::nullopt).status, ProbeStatus::kMissing);
}

TEST(DescribeLandlock, Cases) {
  HostFeature ok = DescribeLandlock(9, 0);
  EXPECT_EQ(ok.status, ProbeStatus::kOk);
  EXPECT_EQ(ok.detail,
            "ABI 9: fs, refer, truncate, tcp bind/connect, ioctl_dev, scoping (abstract unix "
            "sockets, signals), audit logging, unix socket connect (resolve_unix)");
  HostFeature v7 = DescribeLandlock(7, 0);
  EXPECT_EQ(v7.status, ProbeStatus::kDegraded);
  EXPECT_THAT(v7.detail, HasSubstr("audit logging; lacks resolve_unix (9)"));
  HostFeature v3 = DescribeLandlock(3, 0);
  EXPECT_EQ(v3.status, ProbeStatus::kDegraded);
  EXPECT_EQ(v3.detail,
            "ABI 3: fs, refer, truncate; lacks tcp bind/connect (4), ioctl_dev (5), scoping (6): "
            "--landlock=strict refuses the defaults");
  HostFeature enosys = DescribeLandlock(-1, ENOSYS);
  EXPECT_EQ(enosys.status, ProbeStatus::kMissing);
  EXPECT_THAT(enosys.detail, HasSubstr("not supported"));
  EXPECT_THAT(DescribeLandlock(-1, EOPNOTSUPP).detail, HasSubstr("lsm="));
  EXPECT_EQ(DescribeLandlock(-1, EPERM).status, ProbeStatus::kDegraded);
}

HostReport SampleReport() {
  HostReport r;
  r.features = {{"namespace.pid", ProbeStatus::kOk, "/proc/self/ns/pid"},
                {"cgroup", ProbeStatus::kDegraded, "hybrid"},
                {"runsc", ProbeStatus::kMissing, "runsc not in PATH"}};
  return r;
}

TEST(ToText, AlignedTable) {
  EXPECT_EQ(ToText(SampleReport()),
            "FEATURE        STATUS    DETAIL\n"
            "namespace.pid  ok        /proc/self/ns/pid\n"
            "cgroup         degraded  hybrid\n"
            "runsc          missing   runsc not in PATH\n"
            "\n"
            "3 features: 1 ok, 1 degraded, 1 missing\n");
}

TEST(ToJson, Shape) {
  nlohmann::ordered_json j = ToJson(SampleReport());
  ASSERT_EQ(j["features"].size(), 3u);
  EXPECT_EQ(j["features"][1]["name"], "cgroup");
  EXPECT_EQ(j["features"][1]["status"], "degraded");
  EXPECT_EQ(j["features"][1]["detail"], "hybrid");
  EXPECT_EQ(j["summary"]["ok"], 1);
  EXPECT_EQ(j["summary"]["missing"], 1);
}

TEST(HostReport, Find) {
  HostReport r = SampleReport();
  ASSERT_NE(r.Find("cgroup"), nullptr);
  EXPECT_EQ(r.Find("cgroup")->detail, "hybrid");
  EXPECT_EQ(r.Find("nope"), nullptr);
}

// The live probe: whatever the host has, every feature is there once, with a one-line detail.
TEST(ProbeHost, EveryFeatureOnceWithOneLineDetail) {
  HostReport report = ProbeHost();
  std::set<std::string> names;
  for (const HostFeature& f : report.features) {
    EXPECT_TRUE(names.insert(f.name).second) << f.name;
    EXPECT_FALSE(f.detail.empty()) << f.name;
    EXPECT_EQ(f.detail.find('\n'), std::string::npos) << f.name << ": " << f.detail;
  }
  for (const char* want : {"namespace.pid", "namespace.mount", "namespace.uts", "namespace.ipc",
                           "namespace.net", "namespace.cgroup", "namespace.user", "namespace.time",
                           "cgroup", "seccomp", "landlock", "no_new_privs", "pidfd", "mount_api"}) {
    EXPECT_NE(report.Find(want), nullptr) << want;
  }
  // runsc is the gvisor backend's to describe (cli/check.cc).
  EXPECT_EQ(report.Find("runsc"), nullptr);
  // Every Linux nucleus runs on has these.
  EXPECT_EQ(report.Find("namespace.mount")->status, ProbeStatus::kOk);
  EXPECT_EQ(report.Find("no_new_privs")->status, ProbeStatus::kOk);
}

}  // namespace
}  // namespace nucleus
