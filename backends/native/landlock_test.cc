#include "backends/native/landlock.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/landlock/access.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

namespace ll = ::nucleus::landlock;
using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kWritable = ll::kFsReadExec | ll::kFsWrite;

ContainerSpec BaseSpec() {
  ContainerSpec spec;
  spec.process.args = {"/bin/true"};
  spec.readonly_rootfs = true;  // the host-root default
  return spec;
}

const LandlockRule* Find(const LandlockPlan& plan, const std::string& path) {
  for (const LandlockRule& r : plan.rules) {
    if (r.path == path) return &r;
  }
  return nullptr;
}

std::vector<std::string> Paths(const LandlockPlan& plan) {
  std::vector<std::string> out;
  for (const LandlockRule& r : plan.rules) out.push_back(r.path);
  return out;
}

TEST(LandlockPlanTest, DefaultRulesOnHostRoot) {
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(BaseSpec(), 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->enabled);
  EXPECT_THAT(plan->warnings, IsEmpty());
  EXPECT_EQ(plan->handled_fs, ll::kFsAll);
  EXPECT_EQ(plan->handled_net, 0u) << "network handled only when asked";
  EXPECT_EQ(plan->scoped, ll::kScopeAbstractUnixSocket | ll::kScopeSignal);
  EXPECT_THAT(Paths(*plan),
              ElementsAre("/", "/tmp", "/dev/shm", "/dev/null", "/dev/zero", "/dev/full",
                          "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx", "/dev/pts"));
  const LandlockRule* root = Find(*plan, "/");
  EXPECT_EQ(root->access, ll::kFsReadExec) << ll::FsAccessNames(root->access);
  EXPECT_FALSE(root->optional);
  EXPECT_EQ(Find(*plan, "/tmp")->access, kWritable);
  EXPECT_TRUE(Find(*plan, "/tmp")->optional);
  EXPECT_EQ(Find(*plan, "/dev/null")->access,
            ll::kFsReadFile | ll::kFsWriteFile | ll::kFsTruncate | ll::kFsIoctlDev);
  EXPECT_TRUE(plan->stdio_rules);
}

TEST(LandlockPlanTest, WritableMountsGetWriteRights) {
  ContainerSpec spec = BaseSpec();
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/rw", "/data", false});
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/ro", "/ro", true});
  spec.mounts.push_back({MountSpec::Type::kTmpfs, "", "/scratch", false});
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_NE(Find(*plan, "/data"), nullptr);
  EXPECT_EQ(Find(*plan, "/data")->access, kWritable);
  ASSERT_NE(Find(*plan, "/scratch"), nullptr);
  EXPECT_EQ(Find(*plan, "/scratch")->access, kWritable);
  EXPECT_EQ(Find(*plan, "/ro"), nullptr) << "a read-only bind gets nothing beyond '/'";
  EXPECT_EQ(Find(*plan, "/")->access, ll::kFsReadExec);
}

TEST(LandlockPlanTest, WritableRootfsMakesRootWritable) {
  ContainerSpec spec = BaseSpec();
  spec.rootfs = "/srv/rootfs";
  spec.readonly_rootfs = false;
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Find(*plan, "/")->access, kWritable);

  spec.readonly_rootfs = true;  // --read-only
  plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(Find(*plan, "/")->access, ll::kFsReadExec);
}

TEST(LandlockPlanTest, CustomPolicyReplacesDefaults) {
  ContainerSpec spec = BaseSpec();
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/rw", "/data", false});
  spec.landlock.custom_policy = true;
  spec.landlock.paths = {{"/", ll::kFsReadExec}, {"/tmp", ll::kFsAll}};
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Paths(*plan), ElementsAre("/", "/tmp"));
  for (const LandlockRule& r : plan->rules) EXPECT_FALSE(r.optional) << r.path;
}

TEST(LandlockPlanTest, NetworkHandledOnlyWhenAsked) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.restrict_tcp_bind = true;
  spec.landlock.tcp_bind = {8080};
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->handled_net, ll::kNetBindTcp);
  EXPECT_THAT(plan->bind_ports, ElementsAre(8080));
  EXPECT_THAT(plan->connect_ports, IsEmpty());

  spec.landlock.restrict_tcp_connect = true;  // with no ports: no connect at all
  plan = PlanLandlock(spec, 4);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->handled_net, ll::kNetBindTcp | ll::kNetConnectTcp);
}

uint64_t AccessOf(const LandlockPlan& plan, const std::string& path) {
  uint64_t access = 0;
  for (const LandlockRule& r : plan.rules) {
    if (r.path == path) access |= r.access;
  }
  return access;
}

// nucleus run's default root with a --rw bind, a --tmpfs, an allowed socket (--socket) and
// one bind below /tmp.
ContainerSpec SocketSpec() {
  ContainerSpec spec = BaseSpec();
  spec.root_entries.push_back({});
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/rw", "/data", false});
  spec.mounts.push_back({MountSpec::Type::kTmpfs, "", "/scratch", false});
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/x.sock", "/run/x.sock", true});
  spec.mounts.push_back({MountSpec::Type::kBind, "/host/in", "/tmp/in", true});
  spec.landlock.unix_sockets = {"/run/x.sock"};
  return spec;
}

TEST(LandlockPlanTest, Abi9RefusesOutsideSocketsButTheAllowedAndTheContainersOwn) {
  EXPECT_EQ(ll::HandledFsForAbi(8) & ll::kFsResolveUnix, 0u);
  EXPECT_EQ(ll::kFsAll & ll::kFsResolveUnix, 0u) << "no shorthand grants it";
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(SocketSpec(), 9);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings, IsEmpty());
  EXPECT_EQ(plan->handled_fs, ll::kFsAll | ll::kFsResolveUnix);
  const LandlockRule* sock = nullptr;
  for (const LandlockRule& r : plan->rules) {
    if (r.path == "/run/x.sock" && (r.access & ll::kFsResolveUnix)) sock = &r;
  }
  ASSERT_NE(sock, nullptr);
  EXPECT_FALSE(sock->optional) << "an allowed socket that is missing fails the container";
  for (const char* own : {"/scratch", "/dev/shm", "/var/tmp", "/run"}) {
    EXPECT_NE(AccessOf(*plan, own) & ll::kFsResolveUnix, 0u) << own;
  }
  // The host's: the --rw bind, "/", and /tmp with a host bind below it.
  for (const char* host : {"/data", "/", "/tmp", "/tmp/in"}) {
    EXPECT_EQ(AccessOf(*plan, host) & ll::kFsResolveUnix, 0u) << host;
  }
}

TEST(LandlockPlanTest, BelowAbi9HostSocketsInBindsAreAGap) {
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(SocketSpec(), 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings,
              ElementsAre(HasSubstr("cannot refuse connecting to the host's unix sockets "
                                    "inside the binds (resolve_unix, needs 9")));
  for (const LandlockRule& r : plan->rules) EXPECT_EQ(r.access & ll::kFsResolveUnix, 0u);
  ContainerSpec strict = SocketSpec();
  strict.landlock.mode = LandlockSpec::Mode::kStrict;
  EXPECT_THAT(PlanLandlock(strict, 7),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("resolve_unix, needs 9")));
  // No host bind, no gap: only the allowed socket and nucleus's own mounts.
  ContainerSpec own = BaseSpec();
  own.mounts.push_back({MountSpec::Type::kBind, "/host/x.sock", "/run/x.sock", true});
  own.landlock.unix_sockets = {"/run/x.sock"};
  plan = PlanLandlock(own, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings, IsEmpty());
  ContainerSpec host = BaseSpec();
  host.host_root = true;
  plan = PlanLandlock(host, 8);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings, ElementsAre(HasSubstr("resolve_unix")));
}

TEST(LandlockPlanTest, ScopesFollowTheSpec) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.scope_abstract_unix_socket = false;
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 6);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->scoped, ll::kScopeSignal);
}

// ---- ABI downgrades ----

TEST(LandlockPlanTest, Abi5BestEffortWarnsAboutScoping) {
  ContainerSpec spec = BaseSpec();
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 5);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->enabled);
  EXPECT_EQ(plan->handled_fs, ll::kFsAll);
  EXPECT_EQ(plan->scoped, 0u);
  EXPECT_THAT(plan->warnings,
              ElementsAre("landlock: kernel ABI 5 cannot scope abstract unix sockets (needs 6)",
                          "landlock: kernel ABI 5 cannot scope signals (needs 6)"));
}

TEST(LandlockPlanTest, Abi3BestEffortDropsIoctlDevAndNet) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.restrict_tcp_connect = true;
  spec.landlock.tcp_connect = {443};
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 3);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->handled_fs, ll::kFsAll & ~ll::kFsIoctlDev);
  EXPECT_EQ(plan->handled_net, 0u);
  EXPECT_THAT(plan->connect_ports, IsEmpty());
  EXPECT_THAT(plan->warnings,
              ElementsAre("landlock: kernel ABI 3 cannot restrict TCP connect (needs 4)",
                          "landlock: kernel ABI 3 cannot restrict ioctl on devices (ioctl_dev, "
                          "needs 5)",
                          "landlock: kernel ABI 3 cannot scope abstract unix sockets (needs 6)",
                          "landlock: kernel ABI 3 cannot scope signals (needs 6)"));
  // Rules never carry a right the ruleset does not handle (the kernel would say EINVAL).
  for (const LandlockRule& r : plan->rules) {
    EXPECT_EQ(r.access & ~plan->handled_fs, 0u) << r.path;
  }
  EXPECT_EQ(Find(*plan, "/dev/null")->access, ll::kFsReadFile | ll::kFsWriteFile | ll::kFsTruncate);
}

TEST(LandlockPlanTest, Abi1BestEffort) {
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(BaseSpec(), 1);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->enabled);
  EXPECT_EQ(plan->handled_fs & (ll::kFsRefer | ll::kFsTruncate | ll::kFsIoctlDev), 0u);
  EXPECT_THAT(plan->warnings,
              ElementsAre("landlock: kernel ABI 1 cannot restrict truncate (needs 3)",
                          "landlock: kernel ABI 1 cannot restrict ioctl on devices (ioctl_dev, "
                          "needs 5)",
                          "landlock: kernel ABI 1 cannot scope abstract unix sockets (needs 6)",
                          "landlock: kernel ABI 1 cannot scope signals (needs 6)",
                          HasSubstr("(refer, needs 2)")));
  for (const LandlockRule& r : plan->rules) {
    EXPECT_EQ(r.access & ~plan->handled_fs, 0u) << r.path;
  }
}

TEST(LandlockPlanTest, StrictFailsWithOneLineNamingEveryGap) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.mode = LandlockSpec::Mode::kStrict;
  EXPECT_THAT(PlanLandlock(spec, 5),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--landlock=strict: kernel Landlock ABI 5 cannot scope abstract unix "
                       "sockets (needs 6), scope signals (needs 6)"));
  spec.landlock.restrict_tcp_bind = true;
  EXPECT_THAT(PlanLandlock(spec, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "--landlock=strict: kernel Landlock ABI 3 cannot restrict TCP bind "
                       "(needs 4), restrict ioctl on devices (ioctl_dev, needs 5), scope "
                       "abstract unix sockets (needs 6), scope signals (needs 6)"));
  EXPECT_THAT(PlanLandlock(spec, 0), StatusIs(absl::StatusCode::kInvalidArgument,
                                              HasSubstr("this kernel has no Landlock")));
}

TEST(LandlockPlanTest, StrictPassesWhenEverythingAskedIsEnforceable) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.mode = LandlockSpec::Mode::kStrict;
  spec.landlock.restrict_tcp_bind = true;
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 6);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings, IsEmpty());
  // Scoping turned off by the policy is not a gap on ABI 5.
  spec.landlock.scope_abstract_unix_socket = false;
  spec.landlock.scope_signal = false;
  spec.landlock.restrict_tcp_bind = false;
  plan = PlanLandlock(spec, 5);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->warnings, IsEmpty());
}

TEST(LandlockPlanTest, NoLandlockBestEffortWarnsAndDisables) {
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(BaseSpec(), 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->enabled);
  EXPECT_THAT(plan->warnings,
              ElementsAre("landlock: not supported by this kernel: the container runs without "
                          "Landlock"));
}

TEST(LandlockPlanTest, OffDoesNothing) {
  ContainerSpec spec = BaseSpec();
  spec.landlock.mode = LandlockSpec::Mode::kOff;
  absl::StatusOr<LandlockPlan> plan = PlanLandlock(spec, 7);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->enabled);
  EXPECT_THAT(plan->rules, IsEmpty());
  EXPECT_THAT(plan->warnings, IsEmpty());  // warned by the front end that chose it (flags.cc)
}

TEST(LandlockPlanTest, DetectReportsThisKernel) {
  // Whatever the host has; never negative.
  EXPECT_GE(DetectLandlockAbiFromParent(), 0);
}

}  // namespace
}  // namespace nucleus
