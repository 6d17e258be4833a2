#include "runtime/spec/oci_config.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runtime/landlock/access.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::StartsWith;
using Json = nlohmann::json;
using StringPair = std::pair<std::string, std::string>;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
const char kBundle[] = "/b";

// `runc spec` (runc 1.1), verbatim.
const char kRuncSpec[] = R"json({
	"ociVersion": "1.0.2-dev",
	"process": {
		"terminal": true,
		"user": {
			"uid": 0,
			"gid": 0
		},
		"args": [
			"sh"
		],
		"env": [
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"TERM=xterm"
		],
		"cwd": "/",
		"capabilities": {
			"bounding": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"effective": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"permitted": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			],
			"ambient": [
				"CAP_AUDIT_WRITE",
				"CAP_KILL",
				"CAP_NET_BIND_SERVICE"
			]
		},
		"rlimits": [
			{
				"type": "RLIMIT_NOFILE",
				"hard": 1024,
				"soft": 1024
			}
		],
		"noNewPrivileges": true
	},
	"root": {
		"path": "rootfs",
		"readonly": true
	},
	"hostname": "runc",
	"mounts": [
		{
			"destination": "/proc",
			"type": "proc",
			"source": "proc"
		},
		{
			"destination": "/dev",
			"type": "tmpfs",
			"source": "tmpfs",
			"options": [
				"nosuid",
				"strictatime",
				"mode=755",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/pts",
			"type": "devpts",
			"source": "devpts",
			"options": [
				"nosuid",
				"noexec",
				"newinstance",
				"ptmxmode=0666",
				"mode=0620",
				"gid=5"
			]
		},
		{
			"destination": "/dev/shm",
			"type": "tmpfs",
			"source": "shm",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"mode=1777",
				"size=65536k"
			]
		},
		{
			"destination": "/dev/mqueue",
			"type": "mqueue",
			"source": "mqueue",
			"options": [
				"nosuid",
				"noexec",
				"nodev"
			]
		},
		{
			"destination": "/sys",
			"type": "sysfs",
			"source": "sysfs",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"ro"
			]
		},
		{
			"destination": "/sys/fs/cgroup",
			"type": "cgroup",
			"source": "cgroup",
			"options": [
				"nosuid",
				"noexec",
				"nodev",
				"relatime",
				"ro"
			]
		}
	],
	"linux": {
		"resources": {
			"devices": [
				{
					"allow": false,
					"access": "rwm"
				}
			]
		},
		"namespaces": [
			{
				"type": "pid"
			},
			{
				"type": "network"
			},
			{
				"type": "ipc"
			},
			{
				"type": "uts"
			},
			{
				"type": "mount"
			},
			{
				"type": "cgroup"
			}
		],
		"maskedPaths": [
			"/proc/acpi",
			"/proc/asound",
			"/proc/kcore",
			"/proc/keys",
			"/proc/latency_stats",
			"/proc/timer_list",
			"/proc/timer_stats",
			"/proc/sched_debug",
			"/sys/firmware",
			"/proc/scsi"
		],
		"readonlyPaths": [
			"/proc/bus",
			"/proc/fs",
			"/proc/irq",
			"/proc/sys",
			"/proc/sysrq-trigger"
		]
	}
}
)json";

// What podman 4 hands its runtime for `podman run --memory 512m --cpus 1.5 ...`, trimmed.
const char kPodman[] = R"json({
  "ociVersion": "1.1.0+dev",
  "process": {
    "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [1000, 10]},
    "args": ["/usr/bin/python3", "-m", "http.server", "8080"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=podman", "HOME=/home/app", "HOSTNAME=web1", "LD_LIBRARY_PATH=/opt/lib"],
    "cwd": "/srv/www",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"],
      "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"],
      "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"],
      "inheritable": []
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576},
      {"type": "RLIMIT_NPROC", "hard": 4194304, "soft": 4194304}
    ],
    "oomScoreAdj": 100,
    "apparmorProfile": "containers-default-0.50.1",
    "selinuxLabel": ""
  },
  "root": {"path": "/var/lib/containers/storage/overlay/3f0e4b/merged"},
  "hostname": "web1",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/etc/hostname", "type": "bind", "source": "/run/containers/storage/overlay-containers/3f0e4b/userdata/hostname", "options": ["bind", "rprivate"]},
    {"destination": "/etc/resolv.conf", "type": "bind", "source": "/run/containers/storage/overlay-containers/3f0e4b/userdata/resolv.conf", "options": ["bind", "rprivate"]},
    {"destination": "/etc/hosts", "type": "bind", "source": "/run/containers/storage/overlay-containers/3f0e4b/userdata/hosts", "options": ["bind", "rprivate"]},
    {"destination": "/dev/shm", "type": "bind", "source": "/var/lib/containers/storage/overlay-containers/3f0e4b/userdata/shm", "options": ["bind", "rprivate", "nosuid", "noexec", "nodev"]},
    {"destination": "/run/.containerenv", "type": "bind", "source": "/run/containers/storage/overlay-containers/3f0e4b/userdata/.containerenv", "options": ["bind", "rprivate"]},
    {"destination": "/srv/www", "type": "bind", "source": "/home/user/site", "options": ["rbind", "ro", "rprivate", "nosuid", "nodev"]},
    {"destination": "/srv/cache", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup", "size=128m", "mode=0700", "uid=1000"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["rprivate", "nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "hooks": {
    "prestart": [
      {"path": "/usr/libexec/podman/netavark", "args": ["netavark", "setup"], "env": ["NETAVARK_LOG=info"], "timeout": 30}
    ],
    "createRuntime": [
      {"path": "/usr/bin/nvidia-container-runtime-hook", "args": ["nvidia-container-runtime-hook", "prestart"]}
    ],
    "poststop": [
      {"path": "/usr/bin/podman", "args": ["/usr/bin/podman", "--root", "/var/lib/containers/storage", "container", "cleanup", "3f0e4b"]}
    ]
  },
  "annotations": {
    "io.container.manager": "libpod",
    "io.podman.annotations.autoremove": "FALSE",
    "org.opencontainers.image.stopSignal": "15",
    "run.nucleus.init": "true",
    "run.nucleus.landlock": "best-effort"
  },
  "linux": {
    "sysctl": {"net.ipv4.ping_group_range": "0 0", "kernel.shmmax": "68719476736"},
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
        {"allow": true, "type": "c", "major": 136, "access": "rwm"},
        {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824, "swappiness": 0},
      "cpu": {"shares": 512, "quota": 150000, "period": 100000, "cpus": "0-3", "mems": "0"},
      "pids": {"limit": 2048},
      "blockIO": {"weight": 300},
      "hugepageLimits": []
    },
    "cgroupsPath": "machine.slice:libpod:3f0e4b",
    "namespaces": [
      {"type": "pid"},
      {"type": "network", "path": "/run/netns/netns-1b2c3d"},
      {"type": "ipc"},
      {"type": "uts"},
      {"type": "mount"},
      {"type": "cgroup"}
    ],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 38,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [
        {"names": ["bdflush", "io_pgetevents", "kexec_file_load", "kexec_load", "migrate_pages", "move_pages", "nfsservctl", "nice", "oldfstat", "perf_event_open", "pivot_root", "sysfs", "vm86", "vm86old"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        {"names": ["accept", "accept4", "access", "brk", "close", "execve", "exit", "exit_group", "futex", "mmap", "openat", "read", "write", "not_a_syscall"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}], "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["mount", "umount2", "unshare"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}}
      ]
    },
    "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block"],
    "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    "devices": [
      {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"path": "/dev/sda", "type": "b", "major": 8, "minor": 0}
    ],
    "rootfsPropagation": "rprivate",
    "mountLabel": ""
  }
}
)json";

// containerd's CRI plugin, cgroupfs driver: a pause container joining a CNI netns.
const char kKubernetesCgroupfs[] =
    R"json({"ociVersion":"1.1.0","process":{"user":{"uid":65532,"gid":65532},"args":["/pause"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/","capabilities":{"bounding":["CAP_CHOWN","CAP_NET_RAW"],"effective":["CAP_CHOWN","CAP_NET_RAW"],"permitted":["CAP_CHOWN","CAP_NET_RAW"]},"noNewPrivileges":true,"oomScoreAdj":-998},"root":{"path":"/run/containerd/io.containerd.runtime.v2.task/k8s.io/abc/rootfs","readonly":true},"mounts":[{"destination":"/proc","type":"proc","source":"proc","options":["nosuid","noexec","nodev"]},{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},{"destination":"/dev/shm","type":"bind","source":"/run/containerd/io.containerd.grpc.v1.cri/sandboxes/abc/shm","options":["rbind","ro","nosuid","nodev","noexec"]},{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]},{"destination":"/sys/fs/cgroup","type":"cgroup2","source":"cgroup","options":["nosuid","noexec","nodev","relatime","ro"]},{"destination":"/var/run/secrets/kubernetes.io/serviceaccount","type":"bind","source":"/var/lib/kubelet/pods/1234/volumes/kubernetes.io~projected/kube-api-access-xyz","options":["rbind","rprivate","ro"]}],"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"abc"},"linux":{"sysctl":{"net.ipv4.ip_unprivileged_port_start":"0"},"resources":{"devices":[{"allow":false,"access":"rwm"}],"cpu":{"shares":2}},"cgroupsPath":"/kubepods/besteffort/pod1234-5678/abcdef0123456789","namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-1234-5678"}],"seccomp":{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]},"maskedPaths":["/proc/acpi","/proc/kcore"],"readonlyPaths":["/proc/bus","/proc/sys"]}})json";

// systemd cgroup driver, a user namespace, relative bind sources, -1 "unlimited" resources.
const char kSystemdUserns[] =
    R"json({"ociVersion":"1.0.2","process":{"user":{"uid":0,"gid":0},"args":["nginx","-g","daemon off;"],"cwd":"/","capabilities":{"bounding":["CAP_NET_BIND_SERVICE"],"effective":["CAP_NET_BIND_SERVICE"],"permitted":["CAP_NET_BIND_SERVICE"],"inheritable":["CAP_NET_BIND_SERVICE"],"ambient":[]},"rlimits":[{"type":"RLIMIT_CORE","soft":0,"hard":18446744073709551615}]},"root":{"path":"rootfs"},"mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/data","source":"volumes/data","options":["rbind","rw"]},{"destination":"/cfg","type":"none","source":"./cfg/../cfg","options":["bind","ro","suid","dev","exec"]}],"linux":{"uidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"gidMappings":[{"containerID":0,"hostID":100000,"size":65536}],"cgroupsPath":"kubepods-burstable-pod1234_5678.slice:cri-containerd:0123abcd","namespaces":[{"type":"pid"},{"type":"mount"},{"type":"user"},{"type":"uts"},{"type":"time"}],"resources":{"memory":{"limit":-1,"swap":-1},"cpu":{"quota":-1,"period":0},"pids":{"limit":-1}},"sysctl":{"kernel/hostname":"n1"}},"hooks":{"createContainer":[{"path":"/usr/local/bin/hook","timeout":5}],"startContainer":[{"path":"/bin/true"}],"poststart":[{"path":"/bin/true","args":["true"]}]}})json";

// nucleus's own annotations.
const char kLandlock[] =
    R"json({"ociVersion":"1.1.0","process":{"args":["agent","--task","t"],"cwd":"/work","capabilities":{}},"root":{"path":"/srv/rootfs","readonly":true},"mounts":[{"destination":"/work","type":"bind","source":"/srv/work","options":["rbind","nosuid","nodev"]},{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1g"]}],"linux":{"namespaces":[{"type":"mount"},{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"}],"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace","bpf"],"action":"SCMP_ACT_ERRNO"},{"name":"keyctl","action":"SCMP_ACT_KILL_PROCESS"}]}},"annotations":{"run.nucleus.init":"true","run.nucleus.landlock":"strict","run.nucleus.landlock.policy":"{\"paths\":[{\"path\":\"/usr\",\"access\":\"rx\"},{\"path\":\"/work\",\"access\":[\"ro\",\"write_file\",\"make_reg\"]}],\"tcp_connect\":[443,80],\"scope\":[\"signal\"]}"}})json";

absl::StatusOr<OciConfig> Parse(absl::string_view text) { return ParseOciConfig(text, kBundle); }
absl::StatusOr<OciConfig> ParseJson(const Json& j) { return ParseOciConfig(j.dump(), kBundle); }

Json Minimal() {
  return Json::parse(R"({"ociVersion": "1.0.2",
                         "process": {"args": ["/bin/true"], "cwd": "/"},
                         "root": {"path": "rootfs"},
                         "linux": {"namespaces": [{"type": "mount"}]}})");
}

const MountSpec* FindMount(const ContainerSpec& spec, const std::string& dst) {
  for (const MountSpec& m : spec.mounts) {
    if (m.destination == dst) return &m;
  }
  return nullptr;
}

// The round-trip property the fuzz target checks, for one input.
void ExpectRoundTrip(absl::string_view text) {
  ASSERT_OK_AND_ASSIGN(OciConfig first, Parse(text));
  const std::string j1 = ToOciConfigJson(first.spec);
  ASSERT_OK_AND_ASSIGN(OciConfig second, Parse(j1));
  EXPECT_EQ(ToOciConfigJson(second.spec), j1);
}

TEST(OciConfigTest, RuncSpecFieldByField) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, Parse(kRuncSpec));
  EXPECT_THAT(config.warnings, IsEmpty());
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.id, "");
  EXPECT_EQ(s.bundle, "/b");
  EXPECT_EQ(s.rootfs, "/b/rootfs");
  EXPECT_TRUE(s.readonly_rootfs);
  EXPECT_EQ(s.hostname, "runc");
  EXPECT_FALSE(s.default_filesystems);
  EXPECT_FALSE(s.init);
  EXPECT_EQ(s.landlock.mode, LandlockSpec::Mode::kOff);
  EXPECT_FALSE(s.landlock.custom_policy);
  EXPECT_FALSE(s.seccomp.has_value());

  const ProcessSpec& p = s.process;
  EXPECT_TRUE(p.terminal);
  EXPECT_EQ(p.uid, 0u);
  EXPECT_EQ(p.gid, 0u);
  EXPECT_THAT(p.additional_gids, IsEmpty());
  EXPECT_THAT(p.args, ElementsAre("sh"));
  EXPECT_THAT(p.env,
              ElementsAre("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "TERM=xterm"));
  EXPECT_EQ(p.cwd, "/");
  EXPECT_THAT(p.capabilities, ElementsAre(CAP_KILL, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE));
  ASSERT_THAT(p.rlimits, SizeIs(1));
  EXPECT_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(p.rlimits[0].name, "nofile");
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[0].hard, 1024u);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_FALSE(p.oom_score_adj.has_value());

  ASSERT_THAT(s.mounts, SizeIs(7));
  const MountSpec& proc = s.mounts[0];
  EXPECT_EQ(proc.type, MountSpec::Type::kProc);
  EXPECT_EQ(proc.destination, "/proc");
  EXPECT_FALSE(proc.read_only);
  EXPECT_FALSE(proc.nosuid);
  EXPECT_FALSE(proc.nodev);
  EXPECT_FALSE(proc.noexec);
  EXPECT_THAT(proc.fs_options, IsEmpty());
  const MountSpec& dev = s.mounts[1];
  EXPECT_EQ(dev.type, MountSpec::Type::kTmpfs);
  EXPECT_EQ(dev.tmpfs_mode, 0755u);
  EXPECT_EQ(dev.tmpfs_size, 64u << 20);
  EXPECT_TRUE(dev.nosuid);
  EXPECT_FALSE(dev.nodev);
  EXPECT_THAT(dev.fs_options, IsEmpty());  // strictatime is accepted and ignored
  const MountSpec& pts = s.mounts[2];
  EXPECT_EQ(pts.type, MountSpec::Type::kDevpts);
  EXPECT_TRUE(pts.nosuid);
  EXPECT_TRUE(pts.noexec);
  EXPECT_THAT(pts.fs_options, ElementsAre("newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));
  const MountSpec& shm = s.mounts[3];
  EXPECT_EQ(shm.tmpfs_mode, 01777u);
  EXPECT_TRUE(shm.nodev);
  EXPECT_EQ(s.mounts[4].type, MountSpec::Type::kMqueue);
  const MountSpec& sys = s.mounts[5];
  EXPECT_EQ(sys.type, MountSpec::Type::kSysfs);
  EXPECT_TRUE(sys.read_only);
  const MountSpec& cg = s.mounts[6];
  EXPECT_EQ(cg.type, MountSpec::Type::kCgroup);
  EXPECT_TRUE(cg.read_only);
  EXPECT_THAT(cg.fs_options, IsEmpty());

  const NamespaceSpec& ns = s.namespaces;
  EXPECT_TRUE(ns.pid && ns.net && ns.ipc && ns.uts && ns.mount && ns.cgroup);
  EXPECT_FALSE(ns.user);
  EXPECT_FALSE(ns.time);
  EXPECT_EQ(ns.net_path, "");
  EXPECT_THAT(s.uid_mappings, IsEmpty());
  EXPECT_THAT(s.resources.device_allow, IsEmpty());
  EXPECT_FALSE(s.resources.HasLimits());
  EXPECT_EQ(s.cgroup_parent, "nucleus");
  EXPECT_EQ(s.cgroup_name, "");
  EXPECT_THAT(s.masked_paths, SizeIs(10));
  EXPECT_THAT(s.masked_paths, Contains("/proc/kcore"));
  EXPECT_THAT(s.readonly_paths, ElementsAre("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                            "/proc/sysrq-trigger"));
  EXPECT_THAT(s.sysctl, IsEmpty());
  EXPECT_THAT(s.devices, IsEmpty());
  EXPECT_TRUE(s.hooks.empty());
  EXPECT_THAT(s.annotations, IsEmpty());
  EXPECT_EQ(s.rootfs_propagation, "");
}

TEST(OciConfigTest, PodmanConfig) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, Parse(kPodman));
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.rootfs, "/var/lib/containers/storage/overlay/3f0e4b/merged");
  EXPECT_FALSE(s.readonly_rootfs);
  EXPECT_EQ(s.process.uid, 1000u);
  EXPECT_THAT(s.process.additional_gids, ElementsAre(1000u, 10u));
  EXPECT_EQ(s.process.cwd, "/srv/www");
  EXPECT_THAT(s.process.env, Contains("LD_LIBRARY_PATH=/opt/lib"));  // kept as given
  EXPECT_THAT(s.process.capabilities, SizeIs(11));
  EXPECT_THAT(s.process.rlimits, SizeIs(2));
  EXPECT_EQ(s.process.oom_score_adj, 100);
  EXPECT_FALSE(s.process.no_new_privileges);  // OCI default
  EXPECT_FALSE(s.process.terminal);

  ASSERT_THAT(s.mounts, SizeIs(13));
  const MountSpec* hosts = FindMount(s, "/etc/hosts");
  ASSERT_NE(hosts, nullptr);
  EXPECT_EQ(hosts->type, MountSpec::Type::kBind);
  EXPECT_FALSE(hosts->recursive);
  EXPECT_FALSE(hosts->read_only);
  EXPECT_FALSE(hosts->nosuid);
  EXPECT_EQ(hosts->source, "/run/containers/storage/overlay-containers/3f0e4b/userdata/hosts");
  const MountSpec* www = FindMount(s, "/srv/www");
  ASSERT_NE(www, nullptr);
  EXPECT_TRUE(www->recursive);
  EXPECT_TRUE(www->read_only);
  EXPECT_TRUE(www->nosuid);
  EXPECT_TRUE(www->nodev);
  EXPECT_FALSE(www->noexec);
  const MountSpec* cache = FindMount(s, "/srv/cache");
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->type, MountSpec::Type::kTmpfs);
  EXPECT_EQ(cache->tmpfs_size, 128u << 20);
  EXPECT_EQ(cache->tmpfs_mode, 0700u);
  EXPECT_THAT(cache->fs_options, ElementsAre("uid=1000"));

  EXPECT_THAT(s.hooks.prestart, SizeIs(1));
  EXPECT_EQ(s.hooks.prestart[0].path, "/usr/libexec/podman/netavark");
  EXPECT_THAT(s.hooks.prestart[0].args, ElementsAre("netavark", "setup"));
  EXPECT_THAT(s.hooks.prestart[0].env, ElementsAre("NETAVARK_LOG=info"));
  EXPECT_EQ(s.hooks.prestart[0].timeout_seconds, 30);
  EXPECT_THAT(s.hooks.create_runtime, SizeIs(1));
  EXPECT_EQ(s.hooks.create_runtime[0].timeout_seconds, 0);
  EXPECT_THAT(s.hooks.poststop, SizeIs(1));

  EXPECT_THAT(s.annotations, ElementsAre(Pair("io.container.manager", "libpod"),
                                         Pair("io.podman.annotations.autoremove", "FALSE"),
                                         Pair("org.opencontainers.image.stopSignal", "15")));
  EXPECT_TRUE(s.init);
  EXPECT_EQ(s.landlock.mode, LandlockSpec::Mode::kBestEffort);
  EXPECT_FALSE(s.landlock.custom_policy);

  EXPECT_THAT(s.sysctl, ElementsAre(Pair("kernel.shmmax", "68719476736"),
                                    Pair("net.ipv4.ping_group_range", "0 0")));
  const ResourcesSpec& r = s.resources;
  EXPECT_EQ(r.memory, 536870912u);
  EXPECT_EQ(r.memory_reservation, 268435456u);
  EXPECT_EQ(r.memory_swap, 1073741824);
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_quota_us, 150000u);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpuset_cpus, "0-3");
  EXPECT_EQ(r.cpuset_mems, "0");
  EXPECT_EQ(r.pids_limit, 2048);
  EXPECT_EQ(r.blkio_weight, 300);
  ASSERT_THAT(r.device_allow, SizeIs(3));
  EXPECT_EQ(r.device_allow[0].type, 'c');
  EXPECT_EQ(r.device_allow[0].major, 1);
  EXPECT_EQ(r.device_allow[0].minor, 3);
  EXPECT_EQ(r.device_allow[1].minor, -1);
  EXPECT_EQ(r.device_allow[2].type, 'b');
  EXPECT_EQ(r.device_allow[2].access, "r");

  EXPECT_EQ(s.cgroup_parent, "machine.slice");
  EXPECT_EQ(s.cgroup_name, "libpod-3f0e4b.scope");
  EXPECT_TRUE(s.namespaces.net);
  EXPECT_EQ(s.namespaces.net_path, "/run/netns/netns-1b2c3d");
  EXPECT_FALSE(s.namespaces.user);

  ASSERT_TRUE(s.seccomp.has_value());
  EXPECT_EQ(s.seccomp->default_action, SeccompAction::kErrno);
  EXPECT_EQ(s.seccomp->default_errno_ret, 38u);
  EXPECT_THAT(s.seccomp->architectures, SizeIs(3));
  // mount/unshare need CAP_SYS_ADMIN (not kept); clone's excludes apply; one unknown name.
  EXPECT_THAT(s.seccomp->syscalls, SizeIs(5));
  EXPECT_EQ(s.rootfs_propagation, "rprivate");
  ASSERT_THAT(s.devices, SizeIs(2));
  EXPECT_EQ(s.devices[0].path, "/dev/fuse");
  EXPECT_EQ(s.devices[0].major, 10);
  EXPECT_EQ(s.devices[0].minor, 229);
  EXPECT_EQ(s.devices[0].file_mode, 0666u);
  EXPECT_EQ(s.devices[1].type, 'b');
  EXPECT_EQ(s.devices[1].file_mode, 0666u);  // the default

  EXPECT_THAT(config.warnings,
              Contains("process.apparmorProfile: AppArmor is not supported; ignored"));
  EXPECT_THAT(config.warnings, Contains(HasSubstr("mounts[11].options[4]: 'tmpcopyup'")));
  EXPECT_THAT(config.warnings, Contains(HasSubstr("linux.seccomp: syscalls[1].names[13]: "
                                                  "'not_a_syscall'")));
  // inheritable [] is not worth a warning; an empty ambient set for uid 1000 is.
  EXPECT_THAT(config.warnings, Not(Contains(StartsWith("process.capabilities.inheritable"))));
  EXPECT_THAT(config.warnings, Contains(StartsWith("process.capabilities.ambient: empty, but "
                                                   "nucleus raises")));
  EXPECT_THAT(config.warnings,
              Contains("linux.resources.memory.swappiness: not supported; ignored"));
  for (const std::string& w : config.warnings) {
    EXPECT_THAT(w, Not(HasSubstr("\n")));
    EXPECT_THAT(w, Not(StartsWith("config.json")));
  }
}

TEST(OciConfigTest, KubernetesCgroupfs) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, Parse(kKubernetesCgroupfs));
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.cgroup_parent, "kubepods/besteffort/pod1234-5678");
  EXPECT_EQ(s.cgroup_name, "abcdef0123456789");
  EXPECT_EQ(s.process.oom_score_adj, -998);
  EXPECT_EQ(s.namespaces.net_path, "/var/run/netns/cni-1234-5678");
  EXPECT_FALSE(s.namespaces.cgroup);
  EXPECT_THAT(s.sysctl, ElementsAre(Pair("net.ipv4.ip_unprivileged_port_start", "0")));
  const MountSpec* cg = FindMount(s, "/sys/fs/cgroup");
  ASSERT_NE(cg, nullptr);
  EXPECT_EQ(cg->type, MountSpec::Type::kCgroup);  // cgroup2
  EXPECT_EQ(s.resources.cpu_shares, 2u);
}

TEST(OciConfigTest, SystemdCgroupsUserNamespaceAndRelativeSources) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, Parse(kSystemdUserns));
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.cgroup_parent,
            "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234_5678.slice");
  EXPECT_EQ(s.cgroup_name, "cri-containerd-0123abcd.scope");
  EXPECT_TRUE(s.namespaces.user);
  EXPECT_TRUE(s.namespaces.time);
  EXPECT_FALSE(s.namespaces.net);
  ASSERT_THAT(s.uid_mappings, SizeIs(1));
  EXPECT_EQ(s.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(s.uid_mappings[0].size, 65536u);
  EXPECT_THAT(s.gid_mappings, SizeIs(1));
  EXPECT_EQ(s.rootfs, "/b/rootfs");
  const MountSpec* data = FindMount(s, "/data");
  ASSERT_NE(data, nullptr);
  EXPECT_EQ(data->type, MountSpec::Type::kBind);  // no type, "rbind" option
  EXPECT_EQ(data->source, "/b/volumes/data");
  EXPECT_TRUE(data->recursive);
  const MountSpec* cfg = FindMount(s, "/cfg");
  ASSERT_NE(cfg, nullptr);
  EXPECT_EQ(cfg->type, MountSpec::Type::kBind);  // type "none" with "bind"
  EXPECT_EQ(cfg->source, "/b/cfg");
  EXPECT_FALSE(cfg->recursive);
  EXPECT_TRUE(cfg->read_only);
  EXPECT_FALSE(cfg->nosuid);
  EXPECT_FALSE(cfg->nodev);
  EXPECT_FALSE(cfg->noexec);
  EXPECT_FALSE(s.resources.memory.has_value());
  EXPECT_EQ(s.resources.memory_swap, -1);
  EXPECT_FALSE(s.resources.cpu_quota_us.has_value());
  EXPECT_EQ(s.resources.cpu_period_us, 100000u);
  EXPECT_FALSE(s.resources.pids_limit.has_value());
  EXPECT_THAT(s.sysctl, ElementsAre(Pair("kernel/hostname", "n1")));
  ASSERT_THAT(s.process.rlimits, SizeIs(1));
  EXPECT_EQ(s.process.rlimits[0].resource, RLIMIT_CORE);
  EXPECT_EQ(s.process.rlimits[0].hard, RLIM_INFINITY);
  EXPECT_THAT(s.hooks.create_container, SizeIs(1));
  EXPECT_EQ(s.hooks.create_container[0].timeout_seconds, 5);
  EXPECT_THAT(s.hooks.start_container, SizeIs(1));
  EXPECT_THAT(s.hooks.poststart, SizeIs(1));
  // inheritable equals the one set, ambient is [] and the user is root: nothing to say.
  EXPECT_THAT(config.warnings, Not(Contains(StartsWith("process.capabilities"))));
}

TEST(OciConfigTest, NucleusAnnotations) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, Parse(kLandlock));
  const ContainerSpec& s = config.spec;
  EXPECT_TRUE(s.init);
  EXPECT_THAT(s.annotations, IsEmpty());  // nucleus's own are consumed
  const LandlockSpec& ll = s.landlock;
  EXPECT_EQ(ll.mode, LandlockSpec::Mode::kStrict);
  EXPECT_TRUE(ll.custom_policy);
  ASSERT_THAT(ll.paths, SizeIs(2));
  EXPECT_EQ(ll.paths[0].path, "/usr");
  EXPECT_EQ(ll.paths[0].access, landlock::kFsReadExec);
  EXPECT_EQ(ll.paths[1].access, landlock::kFsRead | landlock::kFsWriteFile | landlock::kFsMakeReg);
  EXPECT_TRUE(ll.restrict_tcp_connect);
  EXPECT_THAT(ll.tcp_connect, ElementsAre(80, 443));
  EXPECT_FALSE(ll.restrict_tcp_bind);
  EXPECT_FALSE(ll.scope_abstract_unix_socket);
  EXPECT_TRUE(ll.scope_signal);
  EXPECT_THAT(s.process.capabilities, IsEmpty());
  ASSERT_TRUE(s.seccomp.has_value());
  EXPECT_EQ(s.seccomp->default_action, SeccompAction::kAllow);
  ASSERT_THAT(s.seccomp->syscalls, SizeIs(2));
  EXPECT_EQ(s.seccomp->syscalls[1].action, SeccompAction::kKillProcess);
  const MountSpec* tmp = FindMount(s, "/tmp");
  ASSERT_NE(tmp, nullptr);
  EXPECT_EQ(tmp->tmpfs_size, 1u << 30);
  EXPECT_EQ(tmp->tmpfs_mode, 01777u);  // the kernel's tmpfs default when no mode= is given
}

TEST(OciConfigTest, BackendAnnotations) {
  Json j = Minimal();
  j["annotations"] = {{"run.nucleus.backend", "gvisor"},
                      {"run.nucleus.gvisor.platform", "ptrace"},
                      {"run.nucleus.gvisor.network", "sandbox"},
                      {"user.key", "v"}};
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.backend, ContainerSpec::BackendKind::kGvisor);
  EXPECT_EQ(s.gvisor_platform, "ptrace");
  EXPECT_EQ(s.gvisor_network, "sandbox");
  EXPECT_THAT(s.annotations, ElementsAre(Pair("user.key", "v")));  // nucleus's are consumed
  EXPECT_THAT(config.warnings, Not(Contains(HasSubstr("gvisor"))));
  // Written back, and read the same again.
  Json out = Json::parse(ToOciConfigJson(s));
  EXPECT_EQ(out["annotations"]["run.nucleus.backend"], "gvisor");
  EXPECT_EQ(out["annotations"]["run.nucleus.gvisor.platform"], "ptrace");
  EXPECT_EQ(out["annotations"]["run.nucleus.gvisor.network"], "sandbox");
  ExpectRoundTrip(j.dump());
  ASSERT_OK_AND_ASSIGN(OciConfig again, Parse(ToOciConfigJson(s)));
  EXPECT_EQ(again.spec.backend, ContainerSpec::BackendKind::kGvisor);
  EXPECT_EQ(again.spec.gvisor_platform, "ptrace");
  EXPECT_EQ(again.spec.gvisor_network, "sandbox");
}

TEST(OciConfigTest, BackendAnnotationsAtTheirDefaultsAreNotWritten) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(Minimal()));
  EXPECT_EQ(config.spec.backend, ContainerSpec::BackendKind::kNative);
  EXPECT_EQ(config.spec.gvisor_platform, "auto");
  EXPECT_EQ(config.spec.gvisor_network, "none");
  Json out = Json::parse(ToOciConfigJson(config.spec));
  EXPECT_FALSE(out["annotations"].contains("run.nucleus.backend"));
  EXPECT_FALSE(out["annotations"].contains("run.nucleus.gvisor.platform"));
  EXPECT_FALSE(out["annotations"].contains("run.nucleus.gvisor.network"));
  // auto is kept as asked (the lifecycle resolves it).
  config.spec.backend = ContainerSpec::BackendKind::kAuto;
  out = Json::parse(ToOciConfigJson(config.spec));
  EXPECT_EQ(out["annotations"]["run.nucleus.backend"], "auto");
}

TEST(OciConfigTest, GvisorAnnotationsWithTheNativeBackendAreWarned) {
  Json j = Minimal();
  j["annotations"] = {{"run.nucleus.gvisor.network", "host"}};
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  EXPECT_EQ(config.spec.gvisor_network, "host");
  EXPECT_THAT(config.warnings,
              Contains(HasSubstr("annotations['run.nucleus.gvisor.network']: has no effect")));
}

TEST(OciConfigTest, OciDefaultsForAbsentFields) {
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(Minimal()));
  const ContainerSpec& s = config.spec;
  EXPECT_EQ(s.rootfs, "/b/rootfs");
  EXPECT_FALSE(s.readonly_rootfs);
  EXPECT_FALSE(s.process.no_new_privileges);
  EXPECT_FALSE(s.process.terminal);
  EXPECT_THAT(s.process.env, IsEmpty());
  EXPECT_THAT(s.process.capabilities, IsEmpty());
  EXPECT_FALSE(s.init);
  EXPECT_EQ(s.landlock.mode, LandlockSpec::Mode::kOff);
  EXPECT_FALSE(s.seccomp.has_value());
  EXPECT_FALSE(s.namespaces.pid || s.namespaces.net || s.namespaces.ipc || s.namespaces.uts ||
               s.namespaces.cgroup || s.namespaces.user || s.namespaces.time);
  EXPECT_TRUE(s.namespaces.mount);
  EXPECT_THAT(s.masked_paths, IsEmpty());  // runc adds no defaults either
  EXPECT_THAT(s.readonly_paths, IsEmpty());
  EXPECT_THAT(s.mounts, IsEmpty());
  EXPECT_FALSE(s.default_filesystems);
  EXPECT_EQ(s.hostname, "");
  EXPECT_THAT(config.warnings, ElementsAre(StartsWith("process.capabilities: absent")));
}

TEST(OciConfigTest, NullsAreAbsentAndUnknownFieldsIgnored) {
  Json j = Minimal();
  j["process"]["user"] = nullptr;
  j["process"]["env"] = nullptr;
  j["process"]["future"] = {{"x", {1, 2, 3}}};
  j["root"]["readonly"] = nullptr;
  j["mounts"] = nullptr;
  j["linux"]["resources"] = nullptr;
  j["linux"]["seccomp"] = nullptr;
  j["linux"]["somethingNew"] = "x";
  j["vm"] = {{"hypervisor", {{"path", "/x"}}}};
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  EXPECT_FALSE(config.spec.seccomp.has_value());
}

TEST(OciConfigTest, Warnings) {
  Json j = Minimal();
  j["process"]["apparmorProfile"] = "docker-default";
  j["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0";
  j["process"]["user"]["umask"] = 18;  // ignored silently
  j["process"]["capabilities"] = {{"bounding", {"CAP_CHOWN", "CAP_KILL"}},
                                  {"effective", {"CAP_CHOWN"}},
                                  {"permitted", {"CAP_CHOWN"}},
                                  {"ambient", Json::array()}};
  j["domainname"] = "example.com";
  j["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0";
  j["linux"]["resources"] = {{"unified", {{"memory.high", "1G"}}},
                             {"hugepageLimits", Json::array()},
                             {"cpu", {{"realtimeRuntime", 1000}}}};
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  EXPECT_THAT(config.spec.process.capabilities, ElementsAre(CAP_CHOWN));
  EXPECT_THAT(config.warnings,
              ElementsAre(StartsWith("process.capabilities.bounding: differs"),
                          "process.apparmorProfile: AppArmor is not supported; ignored",
                          "process.selinuxLabel: SELinux is not supported; ignored",
                          "domainname: not supported; ignored",
                          "linux.resources.cpu.realtimeRuntime: not supported; ignored",
                          "linux.resources.unified: not supported; ignored",
                          "linux.mountLabel: SELinux is not supported; ignored"));
}

TEST(OciConfigTest, MountOptions) {
  Json j = Minimal();
  j["mounts"] = Json::parse(R"([
    {"destination": "/a", "type": "bind", "source": "/host/a"},
    {"destination": "/b", "type": "bind", "source": "/host/b", "options": ["rbind", "bind"]},
    {"destination": "/c", "source": "rel/../c", "options": ["bind", "ro", "rw", "nosuid", "suid"]},
    {"destination": "//d/./e/", "type": "tmpfs", "options": ["size=3g", "mode=01700", "nr_inodes=1k"]},
    {"destination": "/f", "type": "tmpfs", "options": ["size=4096"]},
    {"destination": "/proc", "type": "proc", "source": "whatever", "options": ["hidepid=2", "noexec"]}
  ])");
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  const std::vector<MountSpec>& m = config.spec.mounts;
  ASSERT_THAT(m, SizeIs(6));
  EXPECT_FALSE(m[0].recursive);
  EXPECT_EQ(m[0].source, "/host/a");
  EXPECT_TRUE(m[1].recursive);
  EXPECT_EQ(m[2].source, "/b/c");
  EXPECT_FALSE(m[2].read_only);  // the last of ro/rw wins
  EXPECT_FALSE(m[2].nosuid);
  EXPECT_EQ(m[3].destination, "/d/e");
  EXPECT_EQ(m[3].tmpfs_size, 3ull << 30);
  EXPECT_EQ(m[3].tmpfs_mode, 01700u);
  EXPECT_THAT(m[3].fs_options, ElementsAre("nr_inodes=1k"));
  EXPECT_EQ(m[4].tmpfs_size, 4096u);
  EXPECT_EQ(m[5].type, MountSpec::Type::kProc);
  EXPECT_TRUE(m[5].noexec);
  EXPECT_THAT(m[5].fs_options, ElementsAre("hidepid=2"));
  // A new filesystem keeps its source (the kernel shows it in /proc/mounts); none stays "".
  EXPECT_EQ(m[5].source, "whatever");
  EXPECT_EQ(m[3].source, "");
  EXPECT_THAT(config.warnings, Not(Contains(HasSubstr("mounts["))));
}

// The spec's rootfsPropagation values include "unbindable" (the OCI suite sets it).
TEST(OciConfigTest, RootfsPropagationTakesEverySpecValue) {
  for (const char* p : {"private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable",
                        "runbindable"}) {
    Json j = Minimal();
    j["linux"]["rootfsPropagation"] = p;
    ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
    EXPECT_EQ(config.spec.rootfs_propagation, p);
  }
}

// A FIFO needs no major/minor; given (the OCI suite gives 8:3), they are dropped.
TEST(OciConfigTest, FifoDevicesHaveNoDeviceNumber) {
  Json j = Minimal();
  j["linux"]["devices"] = Json::parse(R"([
    {"path": "/dev/p1", "type": "p"},
    {"path": "/dev/p2", "type": "p", "major": 8, "minor": 3, "fileMode": 432}
  ])");
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  const std::vector<DeviceSpec>& d = config.spec.devices;
  ASSERT_THAT(d, SizeIs(2));
  EXPECT_EQ(d[0].type, 'p');
  EXPECT_EQ(d[1].type, 'p');
  EXPECT_EQ(d[1].major, 0);
  EXPECT_EQ(d[1].minor, 0);
  EXPECT_EQ(d[1].file_mode, 0660u);
}

// The OCI validation suite's "mounts" program gives binds tmpfs options (mode=, size=): as
// runc, nucleus ignores them with a warning instead of refusing the config.
TEST(OciConfigTest, FilesystemOptionsOnABindAreIgnoredWithAWarning) {
  Json j = Minimal();
  j["mounts"] = Json::parse(R"([
    {"destination": "/x", "source": "/etc", "options": ["nosuid", "strictatime", "mode=755", "size=1k", "bind"]}
  ])");
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  ASSERT_THAT(config.spec.mounts, SizeIs(1));
  EXPECT_TRUE(config.spec.mounts[0].nosuid);
  EXPECT_THAT(config.spec.mounts[0].fs_options, IsEmpty());
  EXPECT_THAT(config.warnings,
              Contains(HasSubstr("mounts[0].options[2]: 'mode=755' means nothing for a bind "
                                 "mount; ignored")));
  EXPECT_THAT(config.warnings, Contains(HasSubstr("mounts[0].options[3]: 'size=1k'")));
}

TEST(OciConfigTest, DeviceRulesInOrder) {
  Json j = Minimal();
  j["linux"]["resources"]["devices"] = Json::parse(R"([
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"},
    {"allow": false, "type": "a", "major": -1, "minor": -1},
    {"allow": true, "major": 10, "access": "m"},
    {"allow": true, "type": "b", "minor": 0, "access": "mrw"}
  ])");
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  const auto& d = config.spec.resources.device_allow;
  ASSERT_THAT(d, SizeIs(2));  // the deny-all cleared the first
  EXPECT_EQ(d[0].type, 'a');
  EXPECT_EQ(d[0].major, 10);
  EXPECT_EQ(d[0].minor, -1);
  EXPECT_EQ(d[0].access, "m");
  EXPECT_EQ(d[1].type, 'b');
  EXPECT_EQ(d[1].major, -1);
  EXPECT_EQ(d[1].minor, 0);
  EXPECT_EQ(d[1].access, "mrw");
}

TEST(OciConfigTest, CgroupsPathForms) {
  struct Case {
    const char* path;
    const char* parent;
    const char* name;
  };
  const Case cases[] = {
      {"", "nucleus", ""},
      {"/a/b/c", "a/b", "c"},
      {"a/b/c", "a/b", "c"},
      {"//a/./b//c/", "a/b", "c"},
      {"c", "nucleus", "c"},
      {"/c", "/", "c"},  // the spec: below each hierarchy's root
      {"//c/", "/", "c"},
      {"system.slice:docker:abc", "system.slice", "docker-abc.scope"},
      {":docker:abc", "system.slice", "docker-abc.scope"},
      {"a-b-c.slice:p:n", "a.slice/a-b.slice/a-b-c.slice", "p-n.scope"},
      {"machine.slice::n", "machine.slice", "n.scope"},
  };
  for (const Case& c : cases) {
    Json j = Minimal();
    j["linux"]["cgroupsPath"] = c.path;
    ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
    EXPECT_EQ(config.spec.cgroup_parent, c.parent) << c.path;
    EXPECT_EQ(config.spec.cgroup_name, c.name) << c.path;
  }
  Json j = Minimal();
  j["linux"]["cgroupsPath"] = "-.slice:p:n";
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  EXPECT_EQ(config.spec.cgroup_parent, "system.slice");
  EXPECT_THAT(config.warnings, Contains(HasSubstr("'-.slice' is not supported")));
}

TEST(OciConfigTest, SysctlNeedsItsNamespace) {
  Json j = Minimal();
  j["linux"]["namespaces"] = Json::parse(
      R"([{"type": "mount"}, {"type": "ipc"}, {"type": "network", "path": "/run/netns/x"},
          {"type": "uts"}])");
  j["linux"]["sysctl"] = {{"net.core.somaxconn", "1024"},
                          {"fs.mqueue.msg_max", "20"},
                          {"kernel.sem", "250 32000 32 128"},
                          {"kernel.domainname", "example"},
                          {"net/ipv4/conf/eth0.100/forwarding", "1"}};
  ASSERT_OK_AND_ASSIGN(OciConfig config, ParseJson(j));
  EXPECT_THAT(
      config.spec.sysctl,
      ElementsAre(Pair("fs.mqueue.msg_max", "20"), Pair("kernel.domainname", "example"),
                  Pair("kernel.sem", "250 32000 32 128"), Pair("net.core.somaxconn", "1024"),
                  Pair("net/ipv4/conf/eth0.100/forwarding", "1")));
}

// Every error: InvalidArgument, one line, "config.json: " + the JSON path + the value.
TEST(OciConfigTest, Errors) {
  struct Case {
    std::function<void(Json&)> edit;
    const char* message;  // expected substring, starting at the JSON path
  };
  const std::vector<Case> cases = {
      {[](Json& j) { j.erase("ociVersion"); }, "ociVersion: is missing"},
      {[](Json& j) { j["ociVersion"] = "2.0.0"; }, "ociVersion: '2.0.0' is not a 1.x"},
      {[](Json& j) { j["ociVersion"] = 1; }, "ociVersion: expected a string, got 1"},
      {[](Json& j) { j.erase("process"); }, "process: is missing"},
      {[](Json& j) { j["process"] = "x"; }, "process: expected an object, got 'x'"},
      {[](Json& j) { j["process"]["args"] = Json::array(); }, "process.args: is empty"},
      {[](Json& j) { j["process"]["args"] = "sh"; }, "process.args: expected an array, got 'sh'"},
      {[](Json& j) {
         j["process"]["args"] = {"sh", 5};
       },
       "process.args[1]: expected a string, got 5"},
      {[](Json& j) { j["process"]["args"] = {std::string("s\0h", 3)}; },
       "process.args[0]: 's\\000h' contains a NUL byte"},
      {[](Json& j) {
         j["process"]["env"] = {"A=1", "FOO"};
       },
       "process.env[1]: 'FOO' is not KEY=VALUE"},
      {[](Json& j) { j["process"]["env"] = {"=x"}; }, "process.env[0]: '=x' is not KEY=VALUE"},
      {[](Json& j) { j["process"].erase("cwd"); }, "process.cwd: is missing"},
      {[](Json& j) { j["process"]["cwd"] = "rel"; }, "process.cwd: 'rel' is not an absolute path"},
      {[](Json& j) { j["process"]["cwd"] = "/a/../b"; }, "process.cwd: '/a/../b' contains a '..'"},
      {[](Json& j) { j["process"]["user"]["uid"] = -1; },
       "process.user.uid: -1 is not a uid (0..4294967294)"},
      {[](Json& j) { j["process"]["user"]["uid"] = 4294967295u; },
       "process.user.uid: 4294967295 is not a uid"},
      {[](Json& j) { j["process"]["user"]["uid"] = 1.5; }, "process.user.uid: 1.5 is not a uid"},
      {[](Json& j) { j["process"]["user"]["gid"] = "0"; },
       "process.user.gid: expected an integer, got '0'"},
      {[](Json& j) {
         j["process"]["user"]["additionalGids"] = {1, -5};
       },
       "process.user.additionalGids[1]: -5 is not a gid"},
      {[](Json& j) { j["process"]["terminal"] = "yes"; },
       "process.terminal: expected true or false, got 'yes'"},
      {[](Json& j) {
         j["process"]["capabilities"]["effective"] = {"CAP_CHOWN", "CAP_FOO"};
       },
       "process.capabilities.effective[1]: 'CAP_FOO' is not a capability"},
      {[](Json& j) { j["process"]["capabilities"]["bounding"] = {"CAP_5"}; },
       "process.capabilities.bounding[0]: 'CAP_5' is not a capability"},
      {[](Json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_FOO"}, {"soft", 1}, {"hard", 1}}};
       },
       "process.rlimits[0].type: 'RLIMIT_FOO' is not an rlimit type"},
      {[](Json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 9}, {"hard", 1}}};
       },
       "process.rlimits[0]: soft limit 9 is above hard limit 1"},
      {[](Json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}},
                                    {{"type", "RLIMIT_NOFILE"}, {"soft", 1}, {"hard", 1}}};
       },
       "process.rlimits[1].type: 'RLIMIT_NOFILE' is listed twice"},
      {[](Json& j) {
         j["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1}}};
       },
       "process.rlimits[0].hard: is missing"},
      {[](Json& j) { j["process"]["oomScoreAdj"] = 1001; },
       "process.oomScoreAdj: 1001 is not an OOM score adjustment"},
      {[](Json& j) { j.erase("root"); }, "root: is missing"},
      {[](Json& j) {
         j["root"] = {{"readonly", true}};
       },
       "root.path: is missing"},
      {[](Json& j) { j["root"]["readonly"] = "yes"; }, "root.readonly: expected true or false"},
      {[](Json& j) {
         j["hostname"] = "bad host";
         j["linux"]["namespaces"].push_back({{"type", "uts"}});
       },
       "hostname: 'bad host' is not a hostname"},
      {[](Json& j) { j["hostname"] = "web"; }, "hostname: 'web' needs a uts namespace"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "rel/x"}, {"type", "tmpfs"}}};
       },
       "mounts[0].destination: 'rel/x' is not an absolute path"},
      {[](Json& j) {
         j["mounts"] = {{{"type", "tmpfs"}}};
       },
       "mounts[0].destination: is missing"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/"}, {"type", "tmpfs"}}};
       },
       "mounts[0].destination: '/' would cover the container's root"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "tmpfs"}},
                        {{"destination", "/y"}, {"type", "overlay"}, {"source", "overlay"}}};
       },
       "mounts[1].type: 'overlay' is not a supported mount type"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"source", "/h"}}};
       },
       "mounts[0].type: '' is not a supported mount type"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "proc"}, {"source", "a b"}}};
       },
       "mounts[0].source: 'a b' is not a filesystem source"},
      {[](Json& j) {
         j["mounts"] = {
             {{"destination", "/x"}, {"type", "tmpfs"}, {"source", std::string(257, 's')}}};
       },
       "mounts[0].source: 'sssssssssssssss"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "bind"}}};
       },
       "mounts[0].source: is missing"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "tmpfs"}, {"options", {"size=50%"}}}};
       },
       "mounts[0].options[0]: 'size=50%' is not a tmpfs size"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "tmpfs"}, {"options", {"mode=999"}}}};
       },
       "mounts[0].options[0]: 'mode=999' is not a mode"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"}, {"type", "tmpfs"}, {"options", {"uid=0,gid=0"}}}};
       },
       "mounts[0].options[0]: 'uid=0,gid=0' is not a mount option"},
      {[](Json& j) {
         j["mounts"] = {{{"destination", "/x"},
                         {"type", "bind"},
                         {"source", "/h"},
                         {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}}}};
       },
       "mounts[0].uidMappings: idmapped mounts are not supported"},
      {[](Json& j) {
         j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "pid"}}, {{"type", "foo"}}};
       },
       "linux.namespaces[2].type: 'foo' is not a namespace type"},
      {[](Json& j) {
         j["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "mount"}}};
       },
       "linux.namespaces[1].type: 'mount' is listed twice"},
      {[](Json& j) {
         j["linux"]["namespaces"] = {{{"type", "pid"}}};
       },
       "linux.namespaces: nucleus needs a mount namespace"},
      {[](Json& j) { j.erase("linux"); }, "linux.namespaces: nucleus needs a mount namespace"},
      {[](Json& j) {
         j["linux"]["namespaces"] = {{{"type", "mount"}, {"path", "proc/1/ns/mnt"}}};
       },
       "linux.namespaces[0].path: 'proc/1/ns/mnt' is not an absolute path"},
      {[](Json& j) {
         j["linux"]["namespaces"].push_back({{"type", "user"}});
       },
       "linux.uidMappings: a new user namespace needs uid mappings"},
      {[](Json& j) {
         j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
       },
       "linux.uidMappings: needs a user namespace"},
      {[](Json& j) {
         j["linux"]["namespaces"].push_back({{"type", "user"}});
         j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 0}}};
       },
       "linux.uidMappings[0].size: 0 is not a mapping size"},
      {[](Json& j) {
         j["linux"]["namespaces"].push_back({{"type", "user"}});
         j["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
         j["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
         j["process"]["user"]["uid"] = 5;
       },
       "process.user.uid: 5 is not mapped in linux.uidMappings"},
      {[](Json& j) { j["linux"]["resources"]["memory"]["limit"] = -2; },
       "linux.resources.memory.limit: -2 is not a memory limit"},
      {[](Json& j) {
         j["linux"]["resources"]["memory"] = {{"limit", 1 << 30}, {"swap", 1 << 20}};
       },
       "linux.resources.memory.swap: is memory plus swap, so it cannot be below "
       "linux.resources.memory.limit"},
      {[](Json& j) {
         j["linux"]["resources"]["memory"] = {{"swap", 1 << 30}};
       },
       "linux.resources.memory.swap: needs linux.resources.memory.limit"},
      {[](Json& j) {
         j["linux"]["resources"]["memory"] = {{"limit", 1 << 20}};
       },
       "linux.resources.memory.limit: 1048576 is below the minimum, 6 MiB (6291456)"},
      {[](Json& j) { j["linux"]["resources"]["cpu"]["shares"] = 1; },
       "linux.resources.cpu.shares: 1 is not a CPU share count"},
      {[](Json& j) { j["linux"]["resources"]["cpu"]["quota"] = 10; },
       "linux.resources.cpu.quota: 10 is not a CFS quota"},
      {[](Json& j) { j["linux"]["resources"]["cpu"]["period"] = 10; },
       "linux.resources.cpu.period: 10 is not a CFS period"},
      {[](Json& j) { j["linux"]["resources"]["cpu"]["cpus"] = "0-a"; },
       "linux.resources.cpu.cpus: '0-a' is not a CPU list"},
      {[](Json& j) { j["linux"]["resources"]["pids"]["limit"] = 5000000; },
       "linux.resources.pids.limit: 5000000 is not a process limit"},
      {[](Json& j) { j["linux"]["resources"]["blockIO"]["weight"] = 5; },
       "linux.resources.blockIO.weight: 5 is not an I/O weight"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {
             {{"allow", false}, {"access", "rwm"}},
             {{"allow", false}, {"type", "c"}, {"major", 1}, {"access", "rwm"}}};
       },
       "linux.resources.devices[1]: only a deny-all rule is supported among deny rules"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {{{"allow", false}, {"access", "r"}}};
       },
       "linux.resources.devices[0]: only a deny-all rule is supported among deny rules"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {{{"allow", true}, {"type", "c"}, {"access", "rwx"}}};
       },
       "linux.resources.devices[0].access: 'rwx' is not a device access"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {{{"allow", true}, {"type", "p"}, {"access", "r"}}};
       },
       "linux.resources.devices[0].type: 'p' is not a device type (a, c, b)"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {{{"allow", true}, {"type", "c"}}};
       },
       "linux.resources.devices[0].access: is missing"},
      {[](Json& j) {
         j["linux"]["resources"]["devices"] = {{{"type", "c"}}};
       },
       "linux.resources.devices[0].allow: is missing"},
      {[](Json& j) { j["linux"]["cgroupsPath"] = "/a/../b"; },
       "linux.cgroupsPath: '/a/../b' contains a '..' component"},
      {[](Json& j) { j["linux"]["cgroupsPath"] = "/a/b/c!"; },
       "linux.cgroupsPath: '/a/b/c!': the group name 'c!' is not a container name"},
      {[](Json& j) { j["linux"]["cgroupsPath"] = "/a b/c"; },
       "linux.cgroupsPath: 'a b' has a character outside"},
      {[](Json& j) { j["linux"]["cgroupsPath"] = "docker:p:n"; },
       "linux.cgroupsPath: 'docker:p:n' does not start with a systemd slice"},
      {[](Json& j) { j["linux"]["cgroupsPath"] = "a--b.slice:p:n"; },
       "linux.cgroupsPath: 'a--b.slice:p:n' does not start with a systemd slice"},
      {[](Json& j) {
         j["linux"]["seccomp"] = {{"defaultAction", "SCMP_ACT_FOO"}};
       },
       "linux.seccomp: defaultAction: 'SCMP_ACT_FOO' is not a seccomp action"},
      {[](Json& j) {
         j["linux"]["seccomp"] = {
             {"defaultAction", "SCMP_ACT_ALLOW"},
             {"syscalls", {{{"names", {"read"}}, {"action", "SCMP_ACT_FOO"}}}}};
       },
       "linux.seccomp: syscalls[0].action: 'SCMP_ACT_FOO' is not a seccomp action"},
      {[](Json& j) {
         j["linux"]["seccomp"] = {{"syscalls", Json::array()}};
       },
       "linux.seccomp: defaultAction: is missing"},
      {[](Json& j) { j["linux"]["seccomp"] = "unconfined"; },
       "linux.seccomp: expected an object, got 'unconfined'"},
      {[](Json& j) {
         j["linux"]["maskedPaths"] = {"/proc/kcore", "proc/keys"};
       },
       "linux.maskedPaths[1]: 'proc/keys' is not an absolute path"},
      {[](Json& j) { j["linux"]["readonlyPaths"] = {"/proc/../sys"}; },
       "linux.readonlyPaths[0]: '/proc/../sys' contains a '..' component"},
      {[](Json& j) {
         j["linux"]["namespaces"].push_back({{"type", "ipc"}});
         j["linux"]["sysctl"] = {{"vm.swappiness", "10"}};
       },
       "linux.sysctl['vm.swappiness']: not a namespaced sysctl"},
      {[](Json& j) {
         j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
       },
       "linux.sysctl['net.ipv4.ip_forward']: needs a network namespace"},
      {[](Json& j) {
         j["linux"]["sysctl"] = {{"kernel.shmmax", "1"}};
       },
       "linux.sysctl['kernel.shmmax']: needs an ipc namespace"},
      {[](Json& j) {
         j["linux"]["namespaces"].push_back({{"type", "network"}});
         j["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1\n2"}};
       },
       "linux.sysctl['net.ipv4.ip_forward']: '1\\n2' is not a sysctl value"},
      {[](Json& j) {
         j["linux"]["sysctl"] = {{"net..x", "1"}};
       },
       "linux.sysctl['net..x']: is not a sysctl name"},
      {[](Json& j) { j["linux"]["rootfsPropagation"] = "bogus"; },
       "linux.rootfsPropagation: 'bogus' is not a propagation"},
      {[](Json& j) {
         j["linux"]["devices"] = {{{"path", "/etc/x"}, {"type", "c"}, {"major", 1}, {"minor", 3}}};
       },
       "linux.devices[0].path: '/etc/x' is not under /dev"},
      {[](Json& j) {
         j["linux"]["devices"] = {{{"path", "/dev/fifo"}, {"type", "s"}}};
       },
       "linux.devices[0].type: 's' is not a device type (c, b, u, p)"},
      {[](Json& j) {
         j["linux"]["devices"] = {{{"path", "/dev/x"}, {"type", "c"}, {"major", -1}, {"minor", 3}}};
       },
       "linux.devices[0].major: -1 is not a device number"},
      {[](Json& j) {
         j["linux"]["devices"] = {
             {{"path", "/dev/x"}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"fileMode", 65535}}};
       },
       "linux.devices[0].fileMode: 65535 is not a permission mode"},
      {[](Json& j) {
         j["hooks"]["prestart"] = {{{"path", "hook"}}};
       },
       "hooks.prestart[0].path: 'hook' is not an absolute path"},
      {[](Json& j) {
         j["hooks"]["poststop"] = {{{"path", "/h"}, {"timeout", 0}}};
       },
       "hooks.poststop[0].timeout: 0 is not a timeout"},
      {[](Json& j) {
         j["hooks"]["createRuntime"] = {{{"path", "/h"}, {"env", {"X"}}}};
       },
       "hooks.createRuntime[0].env[0]: 'X' is not KEY=VALUE"},
      {[](Json& j) {
         j["annotations"] = {{"a", 1}};
       },
       "annotations['a']: expected a string, got 1"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.landlock", "maybe"}};
       },
       "annotations['run.nucleus.landlock']: 'maybe' is not off, best-effort or strict"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.init", "yes"}};
       },
       "annotations['run.nucleus.init']: 'yes' is not true or false"},
      {[](Json& j) {
         j["annotations"] = {
             {"run.nucleus.landlock.policy", R"({"paths": [{"path": "/x", "access": "wrte"}]})"}};
       },
       "annotations['run.nucleus.landlock.policy']: paths[0].access: 'wrte' is not a Landlock "
       "access right"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.landlok", "strict"}};
       },
       "annotations['run.nucleus.landlok']: is not a nucleus annotation"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.backend", "kata"}};
       },
       "annotations['run.nucleus.backend']: 'kata' is not native, gvisor or auto"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.gvisor.platform", "xen"}};
       },
       "annotations['run.nucleus.gvisor.platform']: 'xen' is not auto, kvm, systrap or ptrace"},
      {[](Json& j) {
         j["annotations"] = {{"run.nucleus.gvisor.network", "bridge"}};
       },
       "annotations['run.nucleus.gvisor.network']: 'bridge' is not none, sandbox or host"},
  };
  ASSERT_GE(cases.size(), 25u);
  for (size_t i = 0; i < cases.size(); ++i) {
    Json j = Minimal();
    cases[i].edit(j);
    absl::StatusOr<OciConfig> parsed = ParseJson(j);
    EXPECT_THAT(parsed, StatusIs(kInvalid, HasSubstr(cases[i].message)))
        << "case " << i << ": " << j.dump();
    if (!parsed.ok()) {
      EXPECT_THAT(std::string(parsed.status().message()),
                  StartsWith(absl::StrCat("config.json: ", cases[i].message)))
          << "case " << i;
      EXPECT_THAT(std::string(parsed.status().message()), Not(HasSubstr("\n")));
    }
  }
}

TEST(OciConfigTest, TextLevelErrors) {
  EXPECT_THAT(Parse("{\"ociVersion\": "),
              StatusIs(kInvalid, StartsWith("config.json: not JSON: ")));
  EXPECT_THAT(Parse("[]"), StatusIs(kInvalid, Eq("config.json: expected an object at the top "
                                                 "level, got an array")));
  EXPECT_THAT(Parse(std::string(100, '[') + std::string(100, ']')),
              StatusIs(kInvalid, Eq("config.json: nested deeper than 32 levels")));
  EXPECT_THAT(Parse(std::string(kMaxOciConfigBytes + 1, ' ')),
              StatusIs(kInvalid, Eq("config.json: 4194305 bytes, more than 4194304")));
  EXPECT_THAT(ParseOciConfig(Minimal().dump(), "relative/bundle"),
              StatusIs(kInvalid, HasSubstr("bundle: 'relative/bundle' is not an absolute path")));
}

TEST(OciConfigTest, RoundTripIsIdempotent) {
  for (const char* text : {kRuncSpec, kPodman, kKubernetesCgroupfs, kSystemdUserns, kLandlock}) {
    SCOPED_TRACE(text);
    ExpectRoundTrip(text);
  }
  ExpectRoundTrip(Minimal().dump());
}

TEST(OciConfigTest, RoundTripKeepsTheSpec) {
  ASSERT_OK_AND_ASSIGN(OciConfig first, Parse(kPodman));
  ASSERT_OK_AND_ASSIGN(OciConfig second, Parse(ToOciConfigJson(first.spec)));
  const ContainerSpec& a = first.spec;
  const ContainerSpec& b = second.spec;
  EXPECT_EQ(b.process.capabilities, a.process.capabilities);
  EXPECT_EQ(b.process.env, a.process.env);
  EXPECT_EQ(b.mounts.size(), a.mounts.size());
  for (size_t i = 0; i < a.mounts.size() && i < b.mounts.size(); ++i) {
    EXPECT_EQ(b.mounts[i].destination, a.mounts[i].destination);
    EXPECT_EQ(b.mounts[i].type, a.mounts[i].type);
    EXPECT_EQ(b.mounts[i].read_only, a.mounts[i].read_only);
    EXPECT_EQ(b.mounts[i].recursive, a.mounts[i].recursive);
    EXPECT_EQ(b.mounts[i].tmpfs_size, a.mounts[i].tmpfs_size);
    EXPECT_EQ(b.mounts[i].tmpfs_mode, a.mounts[i].tmpfs_mode);
    EXPECT_EQ(b.mounts[i].fs_options, a.mounts[i].fs_options);
  }
  EXPECT_EQ(b.cgroup_parent, a.cgroup_parent);
  EXPECT_EQ(b.cgroup_name, a.cgroup_name);
  EXPECT_EQ(b.annotations, a.annotations);
  EXPECT_EQ(b.sysctl, a.sysctl);
  EXPECT_EQ(b.init, a.init);
  EXPECT_EQ(b.landlock.mode, a.landlock.mode);
  ASSERT_TRUE(b.seccomp.has_value());
  EXPECT_EQ(b.seccomp->syscalls.size(), a.seccomp->syscalls.size());
  EXPECT_EQ(b.seccomp->default_errno_ret, 38u);
  // The second parse has nothing left to warn about but what nucleus cannot express.
  EXPECT_THAT(second.warnings, Not(Contains(HasSubstr("not_a_syscall"))));
  EXPECT_THAT(second.warnings, Not(Contains(HasSubstr("apparmor"))));
}

// A spec as `nucleus run` makes it: nucleus's own filesystems first, seccomp in log-only
// mode, a custom Landlock policy, a cgroup named after the id.
TEST(OciConfigTest, WriterForAFlagsSpec) {
  ContainerSpec spec;
  spec.id = "web";
  spec.process.args = {"/bin/sh", "-c", "echo hi"};
  spec.process.env = {"PATH=/bin"};
  spec.process.capabilities = {CAP_CHOWN, CAP_NET_ADMIN};
  spec.process.rlimits = {{RLIMIT_NOFILE, "nofile", 1024, 4096}};
  spec.readonly_rootfs = true;
  MountSpec data;
  data.source = "/srv/data";
  data.destination = "/data";
  spec.mounts.push_back(data);
  spec.masked_paths = DefaultMaskedPaths();
  spec.readonly_paths = DefaultReadonlyPaths();
  spec.resources.memory = 64 << 20;
  spec.resources.cpu_weight = 100;
  spec.resources.device_allow.push_back({'c', 10, 200, "rw"});
  SeccompSpec seccomp;
  seccomp.default_action = SeccompAction::kErrno;
  SeccompRule allow;
  allow.names = {"read", "write"};
  seccomp.syscalls.push_back(allow);
  SeccompRule deny;
  deny.names = {"mkdir"};
  deny.action = SeccompAction::kErrno;
  deny.errno_ret = 13;
  deny.args.push_back({1, 8, 0, SeccompArg::Op::kMaskedEqual});
  seccomp.syscalls.push_back(deny);
  seccomp.log_only = true;
  spec.seccomp = seccomp;
  spec.landlock.custom_policy = true;
  spec.landlock.paths = {{"/usr", landlock::kFsReadExec},
                         {"/data", landlock::kFsRead | landlock::kFsWriteFile}};
  spec.landlock.restrict_tcp_bind = true;
  spec.landlock.tcp_bind = {8080};
  spec.landlock.unix_sockets = {"/run/app.sock"};

  const std::string j1 = ToOciConfigJson(spec);
  Json j = Json::parse(j1);
  EXPECT_EQ(j["ociVersion"], "1.0.2");
  EXPECT_EQ(j["root"]["path"], "/");
  EXPECT_EQ(j["root"]["readonly"], true);
  EXPECT_EQ(j["process"]["capabilities"]["bounding"], Json({"CAP_CHOWN", "CAP_NET_ADMIN"}));
  EXPECT_EQ(j["process"]["capabilities"]["ambient"], j["process"]["capabilities"]["bounding"]);
  EXPECT_EQ(j["process"]["rlimits"][0]["type"], "RLIMIT_NOFILE");
  EXPECT_EQ(j["process"]["noNewPrivileges"], true);
  ASSERT_EQ(j["mounts"].size(), 7u);
  EXPECT_EQ(j["mounts"][0]["destination"], "/proc");
  EXPECT_EQ(j["mounts"][2]["options"], Json({"nosuid", "strictatime", "mode=755", "size=65536k"}));
  EXPECT_EQ(j["mounts"][5]["destination"], "/tmp");
  EXPECT_EQ(j["mounts"][6]["options"], Json({"rbind", "ro", "nosuid", "nodev"}));
  EXPECT_EQ(j["linux"]["cgroupsPath"], "/nucleus/web");
  EXPECT_EQ(j["linux"]["resources"]["devices"][0], Json({{"allow", false}, {"access", "rwm"}}));
  EXPECT_EQ(j["linux"]["resources"]["devices"][1]["major"], 10);
  EXPECT_EQ(j["linux"]["resources"]["cpu"]["shares"], 2597);  // CpuWeightToShares(100)
  EXPECT_EQ(j["linux"]["resources"]["memory"]["limit"], 64 << 20);
  EXPECT_EQ(j["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_LOG");
  EXPECT_EQ(j["linux"]["seccomp"]["syscalls"][1]["action"], "SCMP_ACT_LOG");
  EXPECT_EQ(j["linux"]["seccomp"]["syscalls"][1]["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(j["linux"]["namespaces"].size(), 6u);  // pid network ipc uts mount cgroup
  EXPECT_EQ(j["annotations"]["run.nucleus.init"], "true");
  EXPECT_EQ(j["annotations"]["run.nucleus.landlock"], "best-effort");
  EXPECT_EQ(j["annotations"]["run.nucleus.landlock.policy"],
            R"({"paths":[{"path":"/usr","access":"rx"},{"path":"/data","access":)"
            R"(["read_file","read_dir","write_file"]}],"tcp_bind":[8080],)"
            R"("unix_sockets":["/run/app.sock"]})");

  // Read back: nucleus's filesystems become ordinary mounts, everything else stays.
  ASSERT_OK_AND_ASSIGN(OciConfig back, ParseOciConfig(j1, "/state/web"));
  const ContainerSpec& s = back.spec;
  EXPECT_FALSE(s.default_filesystems);
  ASSERT_THAT(s.mounts, SizeIs(7));
  EXPECT_EQ(s.mounts[2].tmpfs_size, 64u << 20);
  EXPECT_EQ(s.mounts[2].tmpfs_mode, 0755u);
  EXPECT_EQ(s.mounts[6].source, "/srv/data");
  EXPECT_TRUE(s.mounts[6].read_only);
  EXPECT_EQ(s.rootfs, "/");
  EXPECT_EQ(s.cgroup_parent, "nucleus");
  EXPECT_EQ(s.cgroup_name, "web");
  EXPECT_TRUE(s.init);
  EXPECT_EQ(s.landlock.mode, LandlockSpec::Mode::kBestEffort);
  EXPECT_TRUE(s.landlock.custom_policy);
  EXPECT_THAT(s.landlock.tcp_bind, ElementsAre(8080));
  EXPECT_THAT(s.landlock.unix_sockets, ElementsAre("/run/app.sock"));  // `nucleus exec` too
  EXPECT_EQ(s.process.capabilities, spec.process.capabilities);
  EXPECT_EQ(s.masked_paths, spec.masked_paths);
  EXPECT_EQ(s.resources.memory, spec.resources.memory);
  ASSERT_TRUE(s.seccomp.has_value());
  EXPECT_EQ(s.seccomp->default_action, SeccompAction::kLog);
  EXPECT_EQ(s.seccomp->syscalls[1].args[0].value, 8u);
  EXPECT_EQ(ToOciConfigJson(s), ToOciConfigJson(ParseOciConfig(ToOciConfigJson(s), "/x")->spec));
}

// ---- LoadOciBundle ----

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmp = ::testing::TempDir();
    while (tmp.size() > 1 && tmp.back() == '/') tmp.pop_back();
    std::string tmpl = tmp + "/oci_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    config_ = dir_ + "/config.json";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  void Write(const std::string& path, const std::string& text) {
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
  }
  std::string dir_;
  std::string config_;
};

TEST_F(BundleTest, Loads) {
  Write(config_, kRuncSpec);
  ASSERT_OK_AND_ASSIGN(OciConfig config, LoadOciBundle(dir_));
  EXPECT_EQ(config.spec.bundle, dir_);
  EXPECT_EQ(config.spec.rootfs, dir_ + "/rootfs");
  EXPECT_THAT(config.spec.process.args, ElementsAre("sh"));
}

TEST_F(BundleTest, MissingFile) {
  EXPECT_THAT(LoadOciBundle(dir_),
              StatusIs(absl::StatusCode::kNotFound, Eq(config_ + ": No such file or directory")));
}

TEST_F(BundleTest, SymlinkRefused) {
  const std::string real = dir_ + "/real.json";
  Write(real, kRuncSpec);
  ASSERT_EQ(symlink(real.c_str(), config_.c_str()), 0);
  EXPECT_THAT(LoadOciBundle(dir_),
              StatusIs(kInvalid, Eq(config_ + ": is a symbolic link (refused)")));
}

TEST_F(BundleTest, TooLarge) {
  Write(config_, std::string(kMaxOciConfigBytes + 1, ' '));
  EXPECT_THAT(LoadOciBundle(dir_),
              StatusIs(kInvalid, Eq(config_ + ": 4194305 bytes, more than 4194304")));
}

TEST_F(BundleTest, NotARegularFile) {
  ASSERT_EQ(mkfifo(config_.c_str(), 0600), 0);
  EXPECT_THAT(LoadOciBundle(dir_), StatusIs(kInvalid, Eq(config_ + ": not a regular file")));
}

TEST_F(BundleTest, ParseErrorsNameTheFile) {
  Json j = Minimal();
  j["process"]["user"]["uid"] = -1;
  Write(config_, j.dump());
  EXPECT_THAT(LoadOciBundle(dir_),
              StatusIs(kInvalid, Eq(config_ + ": process.user.uid: -1 is not a uid "
                                              "(0..4294967294)")));
}

// `update --resources FILE`: what containerd's shim sends (a linux.resources object) applied
// onto the container's limits; errors and warnings name the path inside the object.
TEST(OciResourcesTest, ContainerdUpdateMergesOntoTheCurrentLimits) {
  ResourcesSpec base;
  base.memory = 32 << 20;
  base.pids_limit = 10;
  std::vector<std::string> warnings;
  ASSERT_OK_AND_ASSIGN(
      ResourcesSpec r,
      ParseOciResources(R"({"memory":{"limit":67108864,"kernel":1},"cpu":{"shares":512,)"
                        R"("quota":50000,"period":100000,"cpus":"0"},"blockIO":{"weight":300}})",
                        base, &warnings));
  EXPECT_EQ(r.memory, uint64_t{64} << 20);
  EXPECT_EQ(r.pids_limit, 10) << "absent: kept";
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_quota_us, 50000u);
  EXPECT_EQ(r.cpu_period_us, 100000u);
  EXPECT_EQ(r.cpuset_cpus, "0");
  EXPECT_EQ(r.blkio_weight, 300);
  EXPECT_THAT(warnings, ElementsAre("memory.kernel: not supported; ignored"));
}

TEST(OciResourcesTest, BadInputNamesThePath) {
  ResourcesSpec base;
  EXPECT_THAT(ParseOciResources(R"({"memory":{"limit":"x"}})", base, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memory.limit: expected")));
  EXPECT_THAT(ParseOciResources("{", base, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not JSON")));
  EXPECT_THAT(ParseOciResources("[]", base, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected an object")));
  EXPECT_THAT(ParseOciResources(R"({"cpu":{"cpus":"9-1"}})", base, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cpu.cpus")));
  EXPECT_THAT(ParseOciResources(R"({"memory":{"swap":1}})", base, nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("memory.swap")));
}

}  // namespace
}  // namespace nucleus
