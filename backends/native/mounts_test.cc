// The OCI mount model (ContainerSpec::default_filesystems == false): the plan built in the
// parent (pure, any user), and real containers on a busybox rootfs through the native
// backend (root; skipped with the reason otherwise). Each shell check exits with its own
// code, so a failure says which one broke.
#include "backends/native/mounts.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/native/landlock.h"
#include "backends/native/native_backend.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/landlock/access.h"
#include "runtime/util/status_matchers.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

MountSpec Fs(MountSpec::Type type, const std::string& dst, std::vector<std::string> options,
             bool read_only = false) {
  MountSpec m;
  m.type = type;
  m.destination = dst;
  m.read_only = read_only;
  m.nosuid = true;
  m.nodev = true;
  m.noexec = true;
  m.fs_options = std::move(options);
  return m;
}

MountSpec Bind(const std::string& src, const std::string& dst, bool read_only) {
  MountSpec m;
  m.type = MountSpec::Type::kBind;
  m.source = src;
  m.destination = dst;
  m.read_only = read_only;
  return m;
}

// runc's default mount list (`runc spec`), as config.json gives it, with the attribute words
// already turned into MountSpec flags except a few left in fs_options (as a parser might).
std::vector<MountSpec> OciDefaultMounts() {
  std::vector<MountSpec> m;
  m.push_back(Fs(MountSpec::Type::kProc, "/proc", {}));
  MountSpec dev = Fs(MountSpec::Type::kTmpfs, "/dev", {"strictatime", "mode=755", "size=65536k"});
  dev.nodev = false;
  dev.noexec = false;
  m.push_back(dev);
  MountSpec pts = Fs(MountSpec::Type::kDevpts, "/dev/pts",
                     {"newinstance", "ptmxmode=0666", "mode=0620", "gid=5"});
  pts.nodev = false;
  m.push_back(pts);
  m.push_back(Fs(MountSpec::Type::kTmpfs, "/dev/shm", {"mode=1777", "size=65536k"}));
  m.push_back(Fs(MountSpec::Type::kMqueue, "/dev/mqueue", {}));
  m.push_back(Fs(MountSpec::Type::kSysfs, "/sys", {}, /*read_only=*/true));
  m.push_back(Fs(MountSpec::Type::kCgroup, "/sys/fs/cgroup", {"relatime"}, /*read_only=*/true));
  return m;
}

ContainerSpec OciSpec(const std::string& rootfs, const std::string& script) {
  // Unique: the cgroup is named after the id, and test runs may overlap.
  static int serial = 0;
  ContainerSpec spec;
  spec.id = "mounts-test-" + std::to_string(getpid()) + "-" + std::to_string(++serial);
  spec.hostname = "mounts-test";
  spec.rootfs = rootfs;
  spec.default_filesystems = false;
  spec.process.args = {"/bin/sh", "-c", script};
  spec.process.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  spec.mounts = OciDefaultMounts();
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  return spec;
}

const MountOp* FindOp(const MountPlan& plan, const std::string& dst) {
  for (const MountOp& op : plan.mounts) {
    if (op.target_abs == dst) return &op;
  }
  return nullptr;
}

std::vector<std::string> ParamTexts(const MountOp& op) {
  std::vector<std::string> out;
  for (const FsParam& p : op.params) out.push_back(p.flag ? p.key : p.key + "=" + p.value);
  return out;
}

// ---- the plan (no root needed) ----

TEST(PlanMountsTest, SplitsFsOptionsAndAttributesInTheParent) {
  ContainerSpec spec = OciSpec("/", "true");
  spec.rootfs.clear();  // host root: no rootfs needed for planning
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, /*host_cgroup2=*/true));
  EXPECT_FALSE(plan.default_filesystems);
  EXPECT_THAT(plan.warnings, IsEmpty());

  const MountOp* pts = FindOp(plan, "/dev/pts");
  ASSERT_NE(pts, nullptr);
  EXPECT_EQ(pts->kind, MountOp::Kind::kNewFs);
  EXPECT_STREQ(pts->fstype, "devpts");
  EXPECT_THAT(ParamTexts(*pts),
              ::testing::ElementsAre("newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
  ASSERT_THAT(pts->params, SizeIs(4));
  EXPECT_TRUE(pts->params[0].flag);  // FSCONFIG_SET_FLAG
  EXPECT_FALSE(pts->params[1].flag);
  EXPECT_EQ(pts->params[1].what, "/dev/pts: ptmxmode=0666");
  EXPECT_EQ(pts->attr_set, uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC});
  EXPECT_FALSE(pts->read_only);

  const MountOp* dev = FindOp(plan, "/dev");
  ASSERT_NE(dev, nullptr);
  EXPECT_STREQ(dev->fstype, "tmpfs");
  EXPECT_TRUE(dev->populate_dev);
  // tmpfs_mode first, the spec's own options after it (the later one wins in tmpfs).
  EXPECT_THAT(ParamTexts(*dev), ::testing::ElementsAre("mode=1777", "mode=755", "size=65536k"));
  EXPECT_EQ(dev->attr_set, uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_STRICTATIME});

  const MountOp* sys = FindOp(plan, "/sys");
  ASSERT_NE(sys, nullptr);
  EXPECT_TRUE(sys->read_only);
  EXPECT_EQ(sys->attr_set,
            uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC});
  EXPECT_TRUE(FindOp(plan, "/proc")->is_proc);
  EXPECT_FALSE(FindOp(plan, "/dev/shm")->populate_dev);

  const MountOp* cg = FindOp(plan, "/sys/fs/cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_STREQ(cg->fstype, "cgroup2");
  EXPECT_THAT(cg->params, IsEmpty());  // "relatime" is an attribute, not a cgroup2 option
}

TEST(PlanMountsTest, ANewFilesystemsSourceIsItsFirstParameter) {
  ContainerSpec spec = OciSpec("", "true");
  for (MountSpec& m : spec.mounts) {
    if (m.destination == "/proc") m.source = "proc";
    if (m.destination == "/dev/pts") m.source = "devpts";
    if (m.destination == "/sys/fs/cgroup") m.source = "cgroup";
  }
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, /*host_cgroup2=*/false));
  EXPECT_THAT(ParamTexts(*FindOp(plan, "/proc")), ::testing::ElementsAre("source=proc"));
  EXPECT_THAT(ParamTexts(*FindOp(plan, "/dev/pts")),
              ::testing::ElementsAre("source=devpts", "newinstance", "ptmxmode=0666", "mode=0620",
                                     "gid=5"));
  // No source: the kernel's "none", as before.
  EXPECT_THAT(ParamTexts(*FindOp(plan, "/dev/shm")),
              ::testing::ElementsAre("mode=1777", "mode=1777", "size=65536k"));
  // The v1 stand-in for cgroup is a tmpfs: it does not borrow the name "cgroup".
  EXPECT_THAT(ParamTexts(*FindOp(plan, "/sys/fs/cgroup")), ::testing::ElementsAre("mode=555"));
}

TEST(PlanMountsTest, CgroupOnAV1HostIsAReadOnlyPlaceholderWithAWarning) {
  ContainerSpec spec = OciSpec("", "true");
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, /*host_cgroup2=*/false));
  const MountOp* cg = FindOp(plan, "/sys/fs/cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_STREQ(cg->fstype, "tmpfs");
  EXPECT_TRUE(cg->read_only);
  EXPECT_TRUE(cg->attr_set & MOUNT_ATTR_RDONLY);
  ASSERT_THAT(plan.warnings, SizeIs(1));
  EXPECT_THAT(plan.warnings[0], HasSubstr("mount /sys/fs/cgroup: the host has no cgroup v2"));
}

TEST(PlanMountsTest, BindsTakeTheirAttributesAndRecursionFromTheSpec) {
  ContainerSpec spec;
  spec.default_filesystems = false;
  MountSpec flat = Bind("/etc", "/flat", true);
  flat.recursive = false;
  flat.nosuid = false;
  flat.nodev = false;
  spec.mounts.push_back(flat);
  MountSpec rw = Bind("/etc", "/rw", false);
  rw.noexec = true;
  rw.fs_options = {"noatime", "rbind", "rshared"};
  spec.mounts.push_back(rw);
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, false));
  ASSERT_THAT(plan.mounts, SizeIs(2));
  EXPECT_FALSE(plan.mounts[0].recursive);
  EXPECT_EQ(plan.mounts[0].attr_set, uint64_t{MOUNT_ATTR_RDONLY});
  EXPECT_TRUE(plan.mounts[1].recursive);
  EXPECT_EQ(plan.mounts[1].attr_set, uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                              MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOATIME});
  EXPECT_EQ(plan.mounts[1].attr_clr, uint64_t{MOUNT_ATTR__ATIME});
  ASSERT_THAT(plan.warnings, SizeIs(1));
  EXPECT_THAT(plan.warnings[0], HasSubstr("propagation option 'rshared' ignored"));
}

TEST(PlanMountsTest, DefaultFilesystemsPlanIsTheOldOne) {
  // What `nucleus run --ro /etc:/e --tmpfs /t:size=1m` builds.
  ContainerSpec spec;
  spec.mounts.push_back(Bind("/etc", "/e", true));
  MountSpec t;
  t.type = MountSpec::Type::kTmpfs;
  t.destination = "/t";
  t.read_only = false;
  t.tmpfs_size = 1 << 20;
  t.tmpfs_mode = 0700;
  spec.mounts.push_back(t);
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, false));
  EXPECT_TRUE(plan.default_filesystems);
  EXPECT_EQ(plan.initial_propagation, static_cast<unsigned long>(MS_REC | MS_PRIVATE));
  EXPECT_EQ(plan.rootfs_propagation, 0ul);
  ASSERT_THAT(plan.mounts, SizeIs(2));
  EXPECT_EQ(plan.mounts[0].attr_set,
            uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV});
  EXPECT_TRUE(plan.mounts[0].recursive);
  EXPECT_STREQ(plan.mounts[1].fstype, "tmpfs");
  EXPECT_THAT(ParamTexts(plan.mounts[1]), ::testing::ElementsAre("mode=700", "size=1048576"));
  EXPECT_EQ(plan.mounts[1].attr_set, uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV});
  EXPECT_FALSE(plan.mounts[1].populate_dev);
  EXPECT_THAT(plan.warnings, IsEmpty());
}

TEST(PlanMountsTest, RejectsBadDevicesSysctlsAndPropagation) {
  auto plan_with = [](auto edit) {
    ContainerSpec spec;
    spec.default_filesystems = false;
    spec.rootfs = "/";
    edit(spec);
    return PlanMounts(spec, false).status();
  };
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.devices.push_back({"/etc/x", 'c', 1, 3});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("under /dev")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.devices.push_back({"/dev/../x", 'c', 1, 3});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("under /dev")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.devices.push_back({"/dev/f", 'x', 0, 0});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown type 'x'")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.sysctl.push_back({"kernel.panic", "1"});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("sysctl 'kernel.panic': not namespaced")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.namespaces.net = false;
                s.sysctl.push_back({"net.ipv4.ip_forward", "1"});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("network namespace")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.sysctl.push_back({"net..x", "1"});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a valid key")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.namespaces.net_path = "/proc/self/ns/net";  // nucleus's own: the host's
                s.sysctl.push_back({"net.ipv4.ip_forward", "1"});
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is the host's")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) { s.rootfs_propagation = "sideways"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("rootfs_propagation")));
  EXPECT_THAT(plan_with([](ContainerSpec& s) {
                s.rootfs.clear();
                s.rootfs_propagation = "rshared";
              }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a rootfs")));
  ASSERT_OK(plan_with([](ContainerSpec& s) {
    s.rootfs_propagation = "rslave";
    s.sysctl.push_back({"net.ipv4.conf.eth0/100.forwarding", "1"});
  }));
  ContainerSpec spec;
  spec.rootfs = "/";
  spec.sysctl.push_back({"net.ipv4.conf.eth0/100.forwarding", "1"});
  spec.rootfs_propagation = "rslave";
  ASSERT_OK_AND_ASSIGN(MountPlan plan, PlanMounts(spec, false));
  ASSERT_THAT(plan.sysctls, SizeIs(1));
  EXPECT_EQ(plan.sysctls[0].path, "sys/net/ipv4/conf/eth0.100/forwarding");
  EXPECT_EQ(plan.initial_propagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
  EXPECT_EQ(plan.rootfs_propagation, static_cast<unsigned long>(MS_REC | MS_SLAVE));
}

bool HasRule(const LandlockPlan& plan, const std::string& path, uint64_t access) {
  return std::any_of(plan.rules.begin(), plan.rules.end(), [&](const LandlockRule& r) {
    return r.path == path && (r.access & access) == access;
  });
}

TEST(PlanMountsTest, LandlockWritablePathsFollowTheOciMounts) {
  ContainerSpec spec = OciSpec("/somewhere", "true");
  spec.readonly_rootfs = true;
  spec.mounts.push_back(Bind("/host/rw", "/data", false));
  spec.mounts.push_back(Bind("/host/ro", "/ro", true));
  spec.devices.push_back({"/dev/myfull", 'c', 1, 7});
  ASSERT_OK_AND_ASSIGN(LandlockPlan plan, PlanLandlock(spec, 7));
  const uint64_t write = landlock::kFsWriteFile;
  for (const char* p : {"/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/data"}) {
    EXPECT_TRUE(HasRule(plan, p, write)) << p;
  }
  for (const char* p : {"/tmp", "/proc", "/sys", "/sys/fs/cgroup", "/ro"}) {
    EXPECT_FALSE(HasRule(plan, p, write)) << p;
  }
  EXPECT_FALSE(HasRule(plan, "/", write));
  EXPECT_TRUE(HasRule(plan, "/dev/myfull", write));

  // nucleus run keeps its /tmp and /dev/shm.
  ContainerSpec run;
  ASSERT_OK_AND_ASSIGN(LandlockPlan def, PlanLandlock(run, 7));
  EXPECT_TRUE(HasRule(def, "/tmp", write));
  EXPECT_TRUE(HasRule(def, "/dev/shm", write));
}

// ---- real containers (root) ----

class OciMountsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::ContainerSkipReason().empty()) return;
    rootfs_ = new std::string(testing::UnpackRootfs("mounts-test-rootfs"));
  }
  static void TearDownTestSuite() {
    delete rootfs_;
    rootfs_ = nullptr;
  }
  void SetUp() override {
    const std::string& reason = testing::ContainerSkipReason();
    if (!reason.empty()) GTEST_SKIP() << reason;
    ASSERT_NE(rootfs_, nullptr);
    ASSERT_EQ(access((*rootfs_ + "/bin/sh").c_str(), X_OK), 0) << "no busybox rootfs";
  }
  // Runs the spec to completion and returns its exit status (-1: it did not run).
  static int Run(const ContainerSpec& spec) {
    NativeBackend backend;
    auto c = backend.Create(spec);
    EXPECT_OK(c.status());
    if (!c.ok()) return -1;
    EXPECT_OK((*c)->Start());
    auto info = (*c)->Wait();
    EXPECT_OK(info.status());
    EXPECT_OK((*c)->Destroy());
    return info.ok() ? info->ExitStatus() : -1;
  }
  static absl::Status CreateStatus(const ContainerSpec& spec) {
    NativeBackend backend;
    auto c = backend.Create(spec);
    if (c.ok()) (void)(*c)->Destroy();
    return c.status();
  }
  static std::string TempDir(const std::string& name) {
    std::string dir = testing::TestTmpDir() + "/" + name + "-XXXXXX";
    EXPECT_NE(mkdtemp(dir.data()), nullptr);
    return dir;
  }
  static std::string* rootfs_;
};

std::string* OciMountsTest::rootfs_ = nullptr;

// The file system type mounted at $1, from the container's own mountinfo.
constexpr char kFsTypeFn[] =
    "fstype() { awk -v m=\"$1\" '$5==m{for(i=6;i<=NF;i++) if($i==\"-\"){t=$(i+1)}} "
    "END{print t}' /proc/self/mountinfo; };"
    "opts() { awk -v m=\"$1\" '$5==m{o=$NF} END{print o}' /proc/self/mountinfo; };";

TEST_F(OciMountsTest, RuncDefaultMountListGivesAWorkingContainer) {
  ContainerSpec spec = OciSpec(*rootfs_,
                               std::string(kFsTypeFn) +
                                   "test -e /proc/self/status || exit 10;"
                                   "test \"$(fstype /proc)\" = proc || exit 11;"
                                   "echo hi > /dev/null || exit 12;"
                                   "test -c /dev/null -a -c /dev/zero || exit 13;"
                                   "test \"$(fstype /dev/pts)\" = devpts || exit 14;"
                                   "opts /dev/pts | grep -q 'gid=5' || exit 15;"
                                   "opts /dev/pts | grep -q 'ptmxmode=666' || exit 16;"
                                   "test \"$(readlink /dev/ptmx)\" = pts/ptmx || exit 17;"
                                   "test \"$(readlink /dev/fd)\" = /proc/self/fd || exit 18;"
                                   "test \"$(fstype /dev/mqueue)\" = mqueue || exit 19;"
                                   "test \"$(fstype /dev/shm)\" = tmpfs || exit 20;"
                                   "touch /dev/shm/x || exit 21;"
                                   "test \"$(fstype /sys)\" = sysfs || exit 22;"
                                   "touch /sys/x 2>/dev/null && exit 23;"
                                   "test -d /sys/fs/cgroup || exit 24;"
                                   "mkdir /sys/fs/cgroup/x 2>/dev/null && exit 25;"
                                   "test -s /proc/kcore && exit 26;"
                                   "echo 1 > /proc/sys/kernel/domainname 2>/dev/null && exit 27;"
                                   "test \"$(fstype /tmp)\" = '' || exit 28;"  // not nucleus's
                                   "exit 0");
  EXPECT_EQ(Run(spec), 0);
}

// config.json's "source" of a new filesystem is what /proc/mounts shows (runc does the same;
// the OCI validation suite and tools such as findmnt look for it).
TEST_F(OciMountsTest, NewFilesystemsCarryTheSpecsSource) {
  ContainerSpec spec =
      OciSpec(*rootfs_,
              "src() { awk -v m=\"$1\" '$5==m{for(i=6;i<=NF;i++) if($i==\"-\"){s=$(i+2)}} "
              "END{print s}' /proc/self/mountinfo; };"
              "test \"$(src /proc)\" = proc || exit 10;"
              "test \"$(src /dev/pts)\" = devpts || exit 11;"
              "test \"$(src /scratch)\" = scratchfs || exit 12;"
              "test \"$(src /dev/shm)\" = none || exit 13;"
              "exit 0");
  for (MountSpec& m : spec.mounts) {
    if (m.destination == "/proc") m.source = "proc";
    if (m.destination == "/dev/pts") m.source = "devpts";
  }
  MountSpec scratch = Fs(MountSpec::Type::kTmpfs, "/scratch", {});
  scratch.source = "scratchfs";
  spec.mounts.push_back(scratch);
  EXPECT_EQ(Run(spec), 0);
}

// mountinfo lists the mounts in config.json's order, binds among new filesystems too (the
// binds' trees are captured before anything is mounted; on Linux >= 6.8 the list is in mount
// ID order, so they are cloned again when attached).
TEST_F(OciMountsTest, MountinfoFollowsTheSpecsOrder) {
  const std::string data = TempDir("order");
  ContainerSpec spec = OciSpec(
      *rootfs_,
      "order=$(awk '$5==\"/m1\"||$5==\"/m2\"||$5==\"/m3\"||$5==\"/m4\"{printf \"%s \", $5}' "
      "/proc/self/mountinfo);"
      "test \"$order\" = '/m1 /m2 /m3 /m4 ' || { echo \"order: $order\" >&2; exit 10; };"
      "exit 0");
  spec.mounts.push_back(Fs(MountSpec::Type::kTmpfs, "/m1", {}));
  MountSpec b = Fs(MountSpec::Type::kBind, "/m2", {});
  b.source = data;
  spec.mounts.push_back(b);
  spec.mounts.push_back(Fs(MountSpec::Type::kTmpfs, "/m3", {}));
  b.destination = "/m4";
  b.recursive = false;
  spec.mounts.push_back(b);
  EXPECT_EQ(Run(spec), 0);
}

TEST_F(OciMountsTest, NoexecBindRefusesExecutionWhileATmpfsAllowsIt) {
  const std::string data = TempDir("noexec");
  ContainerSpec spec = OciSpec(*rootfs_,
                               "printf '#!/bin/sh\\nexit 0\\n' > /data/s && chmod 755 /data/s "
                               "|| exit 10;"
                               "/data/s; test $? = 126 || exit 11;"
                               "cp /data/s /scratch/s || exit 12;"
                               "/scratch/s || exit 13;"
                               "exit 0");
  MountSpec rw = Bind(data, "/data", false);
  rw.noexec = true;
  spec.mounts.push_back(rw);
  MountSpec scratch = Fs(MountSpec::Type::kTmpfs, "/scratch", {});
  scratch.noexec = false;
  spec.mounts.push_back(scratch);
  EXPECT_EQ(Run(spec), 0);
  EXPECT_EQ(access((data + "/s").c_str(), F_OK), 0);  // written through to the host
}

TEST_F(OciMountsTest, ReadOnlyNonRecursiveBindLeavesSubmountsOut) {
  // A host directory with a submount, in a private mount namespace of a forked child (the
  // container's namespace is copied from it).
  const std::string src = TempDir("flat");
  ASSERT_EQ(mkdir((src + "/sub").c_str(), 0755), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) ||
        mount("tmpfs", (src + "/sub").c_str(), "tmpfs", 0, nullptr) != 0) {
      _exit(90);
    }
    int fd = open((src + "/sub/marker").c_str(), O_CREAT | O_WRONLY, 0644);
    if (fd < 0) _exit(91);
    close(fd);
    ContainerSpec spec = OciSpec(*rootfs_,
                                 "test -e /rec/sub/marker || exit 10;"
                                 "test -d /flat/sub || exit 11;"
                                 "test -e /flat/sub/marker && exit 12;"
                                 "touch /flat/x 2>/dev/null && exit 13;"
                                 "touch /rec/sub/y 2>/dev/null && exit 14;"
                                 "exit 0");
    MountSpec flat = Bind(src, "/flat", true);
    flat.recursive = false;
    spec.mounts.push_back(flat);
    spec.mounts.push_back(Bind(src, "/rec", true));
    NativeBackend backend;
    auto c = backend.Create(spec);
    if (!c.ok()) {
      fprintf(stderr, "create: %s\n", c.status().ToString().c_str());
      _exit(92);
    }
    if (!(*c)->Start().ok()) _exit(93);
    auto info = (*c)->Wait();
    _exit(info.ok() ? info->ExitStatus() : 94);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(access((src + "/flat").c_str(), F_OK), 0);
}

TEST_F(OciMountsTest, DevicesFromTheSpec) {
  ContainerSpec spec = OciSpec(*rootfs_,
                               "test -c /dev/myfull || exit 10;"
                               "test \"$(stat -c '%a %u %g %t %T' /dev/myfull)\" = "
                               "'640 0 5 1 7' || exit 11;"
                               "test \"$(head -c 3 /dev/myfull | od -An -tx1 | tr -d ' ')\" = "
                               "000000 || exit 12;"
                               "echo x 2>/tmp/err >/dev/myfull && exit 13;"
                               "grep -q 'No space left' /tmp/err || exit 14;"
                               "test -c /dev/zero || exit 15;"
                               "head -c 1 /dev/zero >/dev/null || exit 16;"
                               "test -c /dev/sub/dir/null2 || exit 17;"
                               "exit 0");
  spec.devices.push_back({"/dev/myfull", 'c', 1, 7, 0640, 0, 5});  // no host node: mknod
  spec.devices.push_back({"/dev/zero", 'c', 1, 5, 0666, 0, 0});    // the host's: a bind
  spec.devices.push_back({"/dev/sub/dir/null2", 'c', 1, 3, 0666, 0, 0});
  EXPECT_EQ(Run(spec), 0);
}

// linux.devices type "p": a FIFO made in the container's /dev (no device number, never a
// bind of the host's), with the spec's mode and owner; it works as a pipe.
TEST_F(OciMountsTest, FifoDeviceIsANamedPipe) {
  ContainerSpec spec = OciSpec(*rootfs_,
                               "test -p /dev/myfifo || exit 10;"
                               "test \"$(stat -c '%a %u %g' /dev/myfifo)\" = '620 0 5' || exit 11;"
                               "(echo hello > /dev/myfifo &);"
                               "test \"$(head -n 1 /dev/myfifo)\" = hello || exit 12;"
                               "exit 0");
  spec.devices.push_back({"/dev/myfifo", 'p', 0, 0, 0620, 0, 5});
  EXPECT_EQ(Run(spec), 0);
}

TEST_F(OciMountsTest, DeviceMismatchingAnExistingNodeIsRefused) {
  ContainerSpec spec = OciSpec(*rootfs_, "true");
  // /dev/null is already there (a bind of the host's 1:3); 1:7 is another device.
  spec.devices.push_back({"/dev/null", 'c', 1, 7, 0666, 0, 0});
  EXPECT_THAT(CreateStatus(spec), StatusIs(absl::StatusCode::kFailedPrecondition,
                                           HasSubstr("'/dev/null': exists and is not")));
}

TEST_F(OciMountsTest, SysctlIsWrittenInTheContainersNamespaces) {
  ContainerSpec spec = OciSpec(*rootfs_,
                               "test \"$(cat /proc/sys/kernel/shmmax)\" = 123456789 || exit 10;"
                               "test \"$(cat /proc/sys/kernel/msgmax)\" = 4242 || exit 11;"
                               "exit 0");
  spec.sysctl = {{"kernel.shmmax", "123456789"}, {"kernel.msgmax", "4242"}};
  EXPECT_EQ(Run(spec), 0);
  // Without a proc mount of its own: a private instance is used.
  spec.mounts.erase(spec.mounts.begin());
  spec.process.args = {"/bin/sh", "-c", "test ! -e /proc/self"};
  EXPECT_EQ(Run(spec), 0);
  // The host's value is untouched (the IPC namespace is the container's).
  std::string host;
  {
    FILE* f = fopen("/proc/sys/kernel/shmmax", "r");
    ASSERT_NE(f, nullptr);
    char buf[64] = {};
    ASSERT_NE(fgets(buf, sizeof(buf), f), nullptr);
    fclose(f);
    host = buf;
  }
  EXPECT_NE(host, "123456789\n");
}

TEST_F(OciMountsTest, SysctlErrorNamesTheKey) {
  ContainerSpec spec = OciSpec(*rootfs_, "true");
  spec.sysctl = {{"net.ipv4.conf.nucleus-nope0.forwarding", "1"}};
  EXPECT_THAT(CreateStatus(spec),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("sysctl net.ipv4.conf.nucleus-nope0.forwarding: No such file")));
}

TEST_F(OciMountsTest, RootfsPropagation) {
  ContainerSpec spec = OciSpec(*rootfs_, "true");
  spec.rootfs_propagation = "rslave";
  EXPECT_EQ(Run(spec), 0);
  spec.rootfs_propagation = "rshared";
  spec.process.args = {"/bin/sh", "-c",
                       "awk '$5==\"/\"' /proc/self/mountinfo | grep -q 'shared:' || exit 10"};
  EXPECT_EQ(Run(spec), 0);
  spec.rootfs_propagation = "private";
  spec.process.args = {"/bin/sh", "-c",
                       "awk '$5==\"/\"' /proc/self/mountinfo | grep -q 'shared:' && exit 10;"
                       "exit 0"};
  EXPECT_EQ(Run(spec), 0);
  spec.rootfs_propagation = "unbindable";
  spec.process.args = {"/bin/sh", "-c",
                       "awk '$5==\"/\"' /proc/self/mountinfo | grep -q ' unbindable ' || exit 10"};
  EXPECT_EQ(Run(spec), 0);
}

TEST_F(OciMountsTest, ReadOnlyRootfsKeepsTheWritableMountsWritable) {
  const std::string data = TempDir("rw");
  ContainerSpec spec = OciSpec(*rootfs_,
                               "touch /nucleus-probe 2>/dev/null && exit 10;"
                               "touch /tmp/x 2>/dev/null && exit 11;"  // /tmp is the rootfs's
                               "touch /dev/shm/x || exit 12;"
                               "touch /data/x || exit 13;"
                               "touch /ro/x 2>/dev/null && exit 14;"
                               "echo hi >/dev/null || exit 15;"
                               "touch /sys/x 2>/dev/null && exit 16;"
                               "exit 0");
  spec.readonly_rootfs = true;
  spec.mounts.push_back(Bind(data, "/data", false));
  spec.mounts.push_back(Bind(data, "/ro", true));
  EXPECT_EQ(Run(spec), 0);
  EXPECT_EQ(access((data + "/x").c_str(), F_OK), 0);
  EXPECT_NE(access((*rootfs_ + "/nucleus-probe").c_str(), F_OK), 0);
}

TEST_F(OciMountsTest, DestinationThroughASymlinkOutOfTheRootfsIsRefused) {
  const std::string outside = TempDir("outside");
  const std::string abs_link = *rootfs_ + "/escape-abs";
  const std::string rel_link = *rootfs_ + "/escape-rel";
  unlink(abs_link.c_str());
  unlink(rel_link.c_str());
  ASSERT_EQ(symlink(outside.c_str(), abs_link.c_str()), 0);
  ASSERT_EQ(symlink("../../../../../../../..", rel_link.c_str()), 0);
  for (MountSpec::Type type :
       {MountSpec::Type::kProc, MountSpec::Type::kMqueue, MountSpec::Type::kTmpfs,
        MountSpec::Type::kDevpts, MountSpec::Type::kSysfs, MountSpec::Type::kCgroup}) {
    for (const char* dst : {"/escape-abs/new", "/escape-rel/tmp/nucleus-escape-new"}) {
      ContainerSpec spec = OciSpec(*rootfs_, "true");
      spec.mounts.push_back(Fs(type, dst, {}));
      EXPECT_THAT(CreateStatus(spec), StatusIs(absl::StatusCode::kFailedPrecondition,
                                               HasSubstr("leads out of the root filesystem")))
          << dst << " type " << static_cast<int>(type);
    }
  }
  EXPECT_NE(access((outside + "/new").c_str(), F_OK), 0);
  EXPECT_NE(access("/tmp/nucleus-escape-new", F_OK), 0);
  unlink(abs_link.c_str());
  unlink(rel_link.c_str());
}

TEST_F(OciMountsTest, SysfsInAUserNamespaceWithoutItsOwnNetworkNamespaceSaysWhy) {
  ContainerSpec spec = OciSpec(*rootfs_, "true");
  spec.mounts = {Fs(MountSpec::Type::kSysfs, "/sys", {}, true)};
  spec.masked_paths.clear();
  spec.readonly_paths.clear();
  spec.namespaces.user = true;
  spec.namespaces.net = false;
  // Root maps to root: the rootfs lies under $TEST_TMPDIR, which may be private to root.
  spec.uid_mappings = {{0, 0, 65536}};
  spec.gid_mappings = {{0, 0, 65536}};
  EXPECT_THAT(CreateStatus(spec),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("sysfs needs the container's own network namespace")));
}

// The cgroup2 path of a kCgroup mount, driven directly (PlanMounts(spec) picks it only on a
// v2 host; fsopen("cgroup2") works on v1 and hybrid hosts too): SetUpFilesystemInChild in a
// forked child's own mount namespace, checked with statfs after the pivot.
TEST_F(OciMountsTest, CgroupMountIsCgroup2WhereTheHostIsV2) {
  ContainerSpec spec = OciSpec(*rootfs_, "true");
  auto plan = PlanMounts(spec, /*host_cgroup2=*/true);
  ASSERT_OK(plan.status());
  EXPECT_THAT(plan->warnings, IsEmpty());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC) != 0) _exit(90);
    StepError e = SetUpFilesystemInChild(*plan);
    if (e.failed()) {
      fprintf(stderr, "%s(%s): %s\n", e.step, e.detail, strerror(e.err));
      _exit(91);
    }
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) != 0) _exit(92);
    if (static_cast<unsigned long>(fs.f_type) != CGROUP2_SUPER_MAGIC) _exit(93);
    if (access("/sys/fs/cgroup/cgroup.procs", F_OK) != 0) _exit(94);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(OciMountsTest, DefaultFilesystemsOnARootfsAreUnchanged) {
  ContainerSpec spec = OciSpec(*rootfs_, std::string(kFsTypeFn) +
                                             "test \"$(fstype /proc)\" = proc || exit 10;"
                                             "test \"$(fstype /sys)\" = sysfs || exit 11;"
                                             "touch /sys/x 2>/dev/null && exit 12;"
                                             "test \"$(fstype /dev)\" = tmpfs || exit 13;"
                                             "test \"$(fstype /dev/pts)\" = devpts || exit 14;"
                                             "test \"$(fstype /dev/shm)\" = tmpfs || exit 15;"
                                             "test \"$(fstype /tmp)\" = tmpfs || exit 16;"
                                             "touch /tmp/x /dev/shm/x || exit 17;"
                                             "echo hi >/dev/null || exit 18;"
                                             "test \"$(readlink /dev/ptmx)\" = pts/ptmx || exit 19;"
                                             "test -e /dev/mqueue && exit 20;"
                                             "touch /nucleus-probe 2>/dev/null && exit 21;"
                                             "exit 0");
  spec.default_filesystems = true;
  spec.readonly_rootfs = true;
  spec.mounts.clear();
  EXPECT_EQ(Run(spec), 0);
}

}  // namespace
}  // namespace nucleus
