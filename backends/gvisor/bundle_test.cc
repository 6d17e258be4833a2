#include "backends/gvisor/bundle.h"

#include <sys/stat.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/spec/flags.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using Json = nlohmann::json;

// What `nucleus run --backend gvisor [flags] -- /bin/true` makes, as root.
ContainerSpec RunSpec(std::vector<std::string> flags = {}) {
  flags.insert(flags.begin(), {"--backend", "gvisor"});
  flags.push_back("--");
  flags.push_back("/bin/true");
  absl::StatusOr<RunRequest> req = ParseRunArgs(flags, HostDefaults{});
  EXPECT_OK(req.status());
  ContainerSpec spec = req.ok() ? req->spec : ContainerSpec();
  EXPECT_FALSE(spec.namespaces.user);  // the default one is native-only
  return spec;
}

Json ConfigOf(const ContainerSpec& spec, const GvisorConfigOptions& options = {}) {
  absl::StatusOr<GvisorConfig> c = GvisorConfigJson(spec, options);
  EXPECT_OK(c.status());
  return c.ok() ? Json::parse(c->json) : Json();
}

std::vector<std::string> Destinations(const Json& config) {
  std::vector<std::string> out;
  for (const Json& m : config["mounts"]) out.push_back(m["destination"]);
  return out;
}

TEST(GvisorConfigTest, DefaultRunIsTheHostRootReadOnlyWithPrivateFilesystems) {
  Json c = ConfigOf(RunSpec());
  EXPECT_EQ(c["root"]["path"], "/");
  EXPECT_EQ(c["root"]["readonly"], true);
  std::vector<std::string> dst = Destinations(c);
  for (const char* d : {"/proc", "/sys", "/dev", "/dev/pts", "/dev/shm", "/tmp"}) {
    EXPECT_THAT(dst, Contains(d));
  }
  EXPECT_EQ(c["process"]["args"], Json::array({"/bin/true"}));
  EXPECT_EQ(c["process"]["terminal"], false);
  EXPECT_EQ(c["process"]["noNewPrivileges"], true);
  EXPECT_TRUE(c["process"]["capabilities"]["bounding"].empty());
  // The profile goes to runsc (--oci-seccomp); limits and hooks do not.
  EXPECT_TRUE(c["linux"].contains("seccomp"));
  EXPECT_FALSE(c["linux"].contains("resources"));
  EXPECT_FALSE(c["linux"].contains("cgroupsPath"));
  EXPECT_FALSE(c.contains("hooks"));
  for (auto it = c["annotations"].begin(); it != c["annotations"].end(); ++it) {
    EXPECT_THAT(it.key(), Not(HasSubstr("run.nucleus.")));
  }
}

TEST(GvisorConfigTest, LandlockBestEffortIsAWarningNeverSilent) {
  absl::StatusOr<GvisorConfig> c = GvisorConfigJson(RunSpec(), {});
  ASSERT_OK(c.status());
  EXPECT_THAT(c->warnings, Contains(HasSubstr("landlock: not applied under gVisor")));
  ContainerSpec off = RunSpec({"--landlock=off"});
  c = GvisorConfigJson(off, {});
  ASSERT_OK(c.status());
  EXPECT_THAT(c->warnings, IsEmpty());
}

TEST(GvisorConfigTest, SeccompWithoutOciSeccompIsDroppedWithAWarning) {
  GvisorConfigOptions o;
  o.oci_seccomp = false;
  ContainerSpec spec = RunSpec({"--landlock=off"});
  absl::StatusOr<GvisorConfig> c = GvisorConfigJson(spec, o);
  ASSERT_OK(c.status());
  EXPECT_FALSE(Json::parse(c->json)["linux"].contains("seccomp"));
  EXPECT_THAT(c->warnings, Contains(HasSubstr("no --oci-seccomp")));
}

TEST(GvisorConfigTest, DeviceNodesAreDeniedAheadOfTheProfile) {
  GvisorConfigOptions o;
  o.oci_seccomp = true;
  Json rules = ConfigOf(RunSpec({"--landlock=off"}), o)["linux"]["seccomp"]["syscalls"];
  ASSERT_GE(rules.size(), 4u);
  // First (runsc takes the first rule that matches): mknod(at) of S_IFCHR and S_IFBLK nodes.
  std::vector<std::string> seen;
  for (size_t i = 0; i < 4; ++i) {
    const Json& r = rules[i];
    EXPECT_EQ(r["action"], "SCMP_ACT_ERRNO") << r.dump();
    ASSERT_EQ(r["args"].size(), 1u) << r.dump();
    EXPECT_EQ(r["args"][0]["op"], "SCMP_CMP_MASKED_EQ") << r.dump();
    EXPECT_EQ(r["args"][0]["value"], S_IFMT) << r.dump();
    EXPECT_EQ(r["args"][0]["index"], r["names"][0] == "mknod" ? 1 : 2) << r.dump();
    seen.push_back(absl::StrCat(r["names"][0].get<std::string>(), ":",
                                r["args"][0]["valueTwo"].get<uint64_t>()));
  }
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre(
                        absl::StrCat("mknod:", S_IFCHR), absl::StrCat("mknodat:", S_IFCHR),
                        absl::StrCat("mknod:", S_IFBLK), absl::StrCat("mknodat:", S_IFBLK)));
  // --seccomp-log denies nothing, this included.
  Json logged = ConfigOf(RunSpec({"--landlock=off", "--seccomp-log"}), o);
  EXPECT_NE(logged["linux"]["seccomp"]["syscalls"][0]["args"].size(), 1u);
}

TEST(GvisorConfigTest, ProcessFieldsCarryOver) {
  ContainerSpec spec = RunSpec({"--user", "1000:1000", "--env", "A=b", "--workdir", "/tmp",
                                "--ulimit", "nofile=100:200", "--cap-add", "NET_BIND_SERVICE"});
  Json p = ConfigOf(spec)["process"];
  EXPECT_EQ(p["user"]["uid"], 1000);
  EXPECT_EQ(p["user"]["gid"], 1000);
  EXPECT_THAT(p["env"].get<std::vector<std::string>>(), Contains("A=b"));
  EXPECT_EQ(p["cwd"], "/tmp");
  EXPECT_EQ(p["rlimits"][0]["type"], "RLIMIT_NOFILE");
  EXPECT_EQ(p["rlimits"][0]["soft"], 100);
  EXPECT_THAT(p["capabilities"]["effective"].get<std::vector<std::string>>(),
              Contains("CAP_NET_BIND_SERVICE"));
}

TEST(GvisorConfigTest, RootfsAndBindMounts) {
  ContainerSpec spec = RunSpec({"--landlock=off"});
  spec.rootfs = "/srv/rootfs";
  spec.readonly_rootfs = false;
  MountSpec m;
  m.source = "/srv/data";
  m.destination = "/data";
  m.read_only = false;
  spec.mounts.push_back(m);
  Json c = ConfigOf(spec);
  EXPECT_EQ(c["root"]["path"], "/srv/rootfs");
  EXPECT_EQ(c["root"]["readonly"], false);
  const Json& last = c["mounts"].back();
  EXPECT_EQ(last["destination"], "/data");
  EXPECT_EQ(last["source"], "/srv/data");
  EXPECT_EQ(last["type"], "bind");
}

TEST(GvisorConfigTest, NetworkHostDropsTheNetworkNamespace) {
  ContainerSpec spec = RunSpec({"--landlock=off"});
  spec.gvisor_network = "host";
  Json host = ConfigOf(spec);
  bool has_net = false;
  for (const Json& n : host["linux"]["namespaces"]) has_net |= n["type"] == "network";
  EXPECT_FALSE(has_net);
  spec.gvisor_network = "none";
  Json none = ConfigOf(spec);
  has_net = false;
  for (const Json& n : none["linux"]["namespaces"]) has_net |= n["type"] == "network";
  EXPECT_TRUE(has_net);
}

TEST(GvisorConfigTest, RefusedFieldsNameTheField) {
  struct Case {
    const char* field;
    void (*change)(ContainerSpec&);
  };
  const Case cases[] = {
      {"process.terminal", [](ContainerSpec& s) { s.process.terminal = true; }},
      {"linux.namespaces[pid].path",
       [](ContainerSpec& s) { s.namespaces.pid_path = "/proc/1/ns/pid"; }},
      {"linux.namespaces[network].path",
       [](ContainerSpec& s) { s.namespaces.net_path = "/run/netns/x"; }},
      {"linux.devices",
       [](ContainerSpec& s) {
         s.devices.push_back({"/dev/sda", 'b', 8, 0});
       }},
      {"hooks.createContainer",
       [](ContainerSpec& s) { s.hooks.create_container.push_back({"/bin/true"}); }},
      {"hooks.startContainer",
       [](ContainerSpec& s) { s.hooks.start_container.push_back({"/bin/true"}); }},
      {"landlock strict", [](ContainerSpec& s) { s.landlock.mode = LandlockSpec::Mode::kStrict; }},
      {"linux.maskedPaths", [](ContainerSpec& s) { s.masked_paths.push_back("/etc/shadow"); }},
      {"linux.readonlyPaths", [](ContainerSpec& s) { s.readonly_paths.push_back("/etc"); }},
      {"gvisor platform", [](ContainerSpec& s) { s.gvisor_platform = "xen"; }},
      {"gvisor network", [](ContainerSpec& s) { s.gvisor_network = "bridge"; }},
      {"gvisor network sandbox",
       [](ContainerSpec& s) {
         s.gvisor_network = "sandbox";
         s.namespaces.net = false;
       }},
  };
  for (const Case& c : cases) {
    ContainerSpec spec = RunSpec();
    c.change(spec);
    EXPECT_THAT(GvisorConfigJson(spec, {}),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.field)))
        << c.field;
  }
}

TEST(GvisorConfigTest, NetworkSandboxMayJoinANetworkNamespace) {
  ContainerSpec spec = RunSpec({"--landlock=off"});
  spec.gvisor_network = "sandbox";
  spec.namespaces.net_path = "/run/netns/cni-1";
  Json c = ConfigOf(spec);
  bool joined = false;
  for (const Json& n : c["linux"]["namespaces"]) {
    joined |= n["type"] == "network" && n.value("path", "") == "/run/netns/cni-1";
  }
  EXPECT_TRUE(joined);
}

TEST(GvisorConfigTest, WarnedFields) {
  ContainerSpec spec = RunSpec({"--landlock=off"});
  spec.namespaces.user = true;
  spec.uid_mappings = {{0, 100000, 65536}};
  spec.gid_mappings = {{0, 100000, 65536}};
  spec.namespaces.time = true;
  spec.rootfs_propagation = "rslave";
  spec.resources.device_allow.push_back({'c', 10, 200, "rwm"});
  spec.sysctl.push_back({"net.ipv4.ping_group_range", "0 0"});
  absl::StatusOr<GvisorConfig> c = GvisorConfigJson(spec, {});
  ASSERT_OK(c.status());
  EXPECT_THAT(c->warnings, Contains(HasSubstr("user namespace")));
  EXPECT_THAT(c->warnings, Contains(HasSubstr("time namespace")));
  EXPECT_THAT(c->warnings, Contains(HasSubstr("rootfsPropagation rslave")));
  EXPECT_THAT(c->warnings, Contains(HasSubstr("linux.resources.devices")));
  EXPECT_THAT(c->warnings, Contains(HasSubstr("linux.sysctl[net.ipv4.ping_group_range]")));
  Json j = Json::parse(c->json);
  EXPECT_FALSE(j["linux"].contains("sysctl"));
  EXPECT_FALSE(j["linux"].contains("uidMappings"));
  for (const Json& n : j["linux"]["namespaces"]) {
    EXPECT_NE(n["type"], "user");
    EXPECT_NE(n["type"], "time");
  }
  // A rootless caller's user namespace is runsc --rootless's business: no warning.
  GvisorConfigOptions rootless;
  rootless.root_caller = false;
  spec.namespaces.time = false;
  c = GvisorConfigJson(spec, rootless);
  ASSERT_OK(c.status());
  EXPECT_THAT(c->warnings, Not(Contains(HasSubstr("user namespace"))));
}

TEST(GvisorConfigTest, DefaultMaskedPathsUnderProcAndSysAreAccepted) {
  ContainerSpec spec = RunSpec();
  ASSERT_FALSE(spec.masked_paths.empty());
  EXPECT_OK(GvisorConfigJson(spec, {}).status());
}

TEST(GvisorConfigTest, GateHooksAreCarried) {
  GvisorConfigOptions o;
  o.prestart = {GatePrestartHook(42, 5, 6)};
  o.poststart = {GatePoststartHook(42, 5)};
  ContainerSpec spec = RunSpec({"--landlock=off"});
  spec.hooks.poststop.push_back({"/usr/bin/user-hook"});  // the lifecycle's, not runsc's
  Json c = ConfigOf(spec, o);
  ASSERT_EQ(c["hooks"]["prestart"].size(), 1u);
  EXPECT_EQ(c["hooks"]["prestart"][0]["path"], "/bin/sh");
  const std::vector<std::string> args = c["hooks"]["prestart"][0]["args"];
  EXPECT_THAT(args, Contains("/proc/42/fd/5"));
  EXPECT_THAT(args, Contains("/proc/42/fd/6"));
  EXPECT_EQ(c["hooks"]["poststart"].size(), 1u);
  EXPECT_FALSE(c["hooks"].contains("poststop"));
}

TEST(GvisorProcessJsonTest, ExecProcess) {
  ContainerSpec spec = RunSpec({"--user", "1000:1000"});
  spec.process.args = {"/bin/sh", "-c", "echo hi"};
  absl::StatusOr<std::string> text = GvisorProcessJson(spec);
  ASSERT_OK(text.status());
  Json p = Json::parse(*text);
  EXPECT_EQ(p["args"][2], "echo hi");
  EXPECT_EQ(p["user"]["uid"], 1000);
  EXPECT_EQ(p["terminal"], false);
  spec.process.terminal = true;
  EXPECT_THAT(GvisorProcessJson(spec),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("process.terminal")));
}

TEST(PidFromStateJsonTest, Parses) {
  absl::StatusOr<pid_t> pid = PidFromStateJson(
      R"({"ociVersion":"1.0.2-dev","id":"t4","status":"created","pid":4711,"bundle":"b2"})");
  ASSERT_OK(pid.status());
  EXPECT_EQ(*pid, 4711);
  EXPECT_THAT(PidFromStateJson("{}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pid")));
  EXPECT_THAT(PidFromStateJson("not json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pid")));
  EXPECT_THAT(PidFromStateJson(R"({"pid":-3})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("pid")));
}

}  // namespace
}  // namespace nucleus
