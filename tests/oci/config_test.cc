// config.json conformance: what the container's first process gets from the bundle (user,
// capabilities, rlimits, env, root, mounts, masked and read-only paths, namespaces joined by
// path, sysctl, cgroup resources), read back from inside with `exec` or from the host.
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"
#include "tests/oci/oci_harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string NsLink(pid_t pid, const char* ns) {
  char buf[128] = {0};
  std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, n) : "";
}

// "Key:\tvalue" lines of /proc/PID/status.
std::string StatusField(const std::string& status, const std::string& key) {
  for (const std::string& line : SplitLines(status)) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      size_t start = v.find_first_not_of(" \t");
      return start == std::string::npos ? "" : v.substr(start);
    }
  }
  return "<missing>";
}

class ConfigTest : public OciTest {
 protected:
  // create + start; returns the first process's pid (0 on failure).
  pid_t CreateStart(const Bundle& b, const std::string& id) {
    RunResult r = Oci({"create", "--bundle", b.dir, id});
    EXPECT_EQ(r.exit_code, 0) << r;
    if (r.exit_code != 0) return 0;
    r = Oci({"start", id});
    EXPECT_EQ(r.exit_code, 0) << r;
    Json st = StateOf(id);
    return st.is_object() && st["pid"].is_number_integer() ? st["pid"].get<pid_t>() : 0;
  }
  // exec as root; stdout (failures are test failures).
  std::string Exec(const std::string& id, const std::string& script) {
    RunResult r = Oci({"exec", "--user", "0:0", id, "/bin/sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }
  void ForceDelete(const std::string& id) {
    RunResult r = Oci({"delete", "--force", id});
    EXPECT_EQ(r.exit_code, 0) << r;
  }
};

// process.user (uid, gid, additionalGids), capabilities, rlimits, noNewPrivileges, as the
// kernel reports them for the container's first process.
TEST_F(ConfigTest, ProcessIdentityAndPrivileges) {
  const std::string id = Id("ident");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["process"]["user"] = {{"uid", 1000}, {"gid", 1000}, {"additionalGids", {10, 20}}};
  b.config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 512}}};
  b.Write();
  pid_t pid = CreateStart(b, id);
  ASSERT_GT(pid, 0);
  std::string status = ReadFile("/proc/" + std::to_string(pid) + "/status").value_or("");
  EXPECT_EQ(StatusField(status, "Uid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(StatusField(status, "Gid"), "1000\t1000\t1000\t1000");
  EXPECT_EQ(StatusField(status, "Groups"), "10 20 ");
  // A non-root uid keeps only the ambient set in its effective set: CAP_AUDIT_WRITE (29),
  // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), as with runc.
  EXPECT_EQ(StatusField(status, "CapBnd"), "0000000020000420");
  EXPECT_EQ(StatusField(status, "CapEff"), "0000000020000420");
  EXPECT_EQ(StatusField(status, "CapAmb"), "0000000020000420");
  EXPECT_EQ(StatusField(status, "NoNewPrivs"), "1");
  std::string limits = ReadFile("/proc/" + std::to_string(pid) + "/limits").value_or("");
  bool found = false;
  for (const std::string& line : SplitLines(limits)) {
    if (line.rfind("Max open files", 0) != 0) continue;
    found = true;
    EXPECT_THAT(line, ::testing::MatchesRegex("Max open files +512 +1024 +files *")) << line;
  }
  EXPECT_TRUE(found) << limits;
  ForceDelete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// process.env as given; nothing of the runtime's own environment leaks in.
TEST_F(ConfigTest, EnvironmentAndCwd) {
  const std::string id = Id("env");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["process"]["env"] = {"PATH=/bin:/usr/bin", "GREETING=hello world", "EMPTY="};
  b.config["process"]["cwd"] = "/etc";
  b.Write();
  pid_t pid = CreateStart(b, id);
  ASSERT_GT(pid, 0);
  std::string environ = ReadFile("/proc/" + std::to_string(pid) + "/environ").value_or("");
  std::vector<std::string> vars;
  size_t start = 0;
  while (start < environ.size()) {
    size_t end = environ.find('\0', start);
    if (end == std::string::npos) end = environ.size();
    vars.push_back(environ.substr(start, end - start));
    start = end + 1;
  }
  EXPECT_THAT(vars, Contains("PATH=/bin:/usr/bin"));
  EXPECT_THAT(vars, Contains("GREETING=hello world"));
  EXPECT_THAT(vars, Contains("EMPTY="));
  for (const std::string& v : vars) {
    std::string key = v.substr(0, v.find('='));
    EXPECT_THAT(key, Not(::testing::AnyOf("TEST_TMPDIR", "TEST_SRCDIR", "RUNFILES_DIR", "TERM")))
        << "the runtime's environment leaked into the container: " << v;
  }
  char cwd[256] = {0};
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/cwd").c_str(), cwd, sizeof(cwd) - 1);
  EXPECT_GT(n, 0);
  // Seen from the host, outside the container's root: the path below that root.
  EXPECT_THAT(std::string(cwd), ::testing::EndsWith("/etc"));
  ForceDelete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// root.readonly, mounts in the listed order (a bind inside an earlier tmpfs), mount options.
TEST_F(ConfigTest, RootAndMounts) {
  const std::string id = Id("mounts");
  std::string host = MakeDir("data");
  WriteFile(host + "/hello", "from the host\n");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["mounts"].push_back({{"destination", "/tmp/data"},
                                {"type", "bind"},
                                {"source", host},
                                {"options", {"rbind", "ro"}}});
  b.config["mounts"].push_back({{"destination", "/tmp/scratch"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"size=1m", "mode=700", "noexec"}}});
  b.Write();
  ASSERT_GT(CreateStart(b, id), 0);
  std::string out = Exec(id,
                         "cat /tmp/data/hello; "
                         "touch /rootfile 2>/dev/null && echo root-writable || echo root-ro; "
                         "touch /tmp/data/x 2>/dev/null && echo data-writable || echo data-ro; "
                         "touch /tmp/w && echo tmp-writable; "
                         "stat -c %a /tmp/scratch; "
                         "grep ' /tmp/scratch ' /proc/self/mountinfo | grep -c noexec");
  EXPECT_EQ(out, "from the host\nroot-ro\ndata-ro\ntmp-writable\n700\n1\n");
  EXPECT_FALSE(PathExists(host + "/x"));
  ForceDelete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// linux.maskedPaths / readonlyPaths as runc's spec lists them.
TEST_F(ConfigTest, MaskedAndReadonlyPaths) {
  const std::string id = Id("masked");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["linux"]["maskedPaths"].push_back("/etc/secret");
  b.config["linux"]["readonlyPaths"].push_back("/tmp/ro");
  b.config["mounts"].push_back({{"destination", "/tmp/ro"},
                                {"type", "tmpfs"},
                                {"source", "tmpfs"},
                                {"options", {"size=1m"}}});
  b.Write();
  ASSERT_GT(CreateStart(b, id), 0);
  std::string out =
      Exec(id,
           "wc -c < /proc/keys; ls -A /sys/firmware | wc -l; "
           "echo x > /proc/sys/kernel/hostname 2>/dev/null && echo sys-writable || echo sys-ro; "
           "echo x > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable || echo sysrq-ro; "
           "test -e /etc/secret && echo secret-exists || echo secret-absent; "
           "touch /tmp/ro/x 2>/dev/null && echo tmpro-writable || echo tmpro-ro; hostname");
  // A masked path that does not exist in the rootfs is skipped (runc's behaviour).
  EXPECT_EQ(out, "0\n0\nsys-ro\nsysrq-ro\nsecret-absent\ntmpro-ro\noci-box\n");
  ForceDelete(id);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// linux.namespaces[].path joins an existing namespace (a pod's shared network, IPC and UTS
// namespaces, as Kubernetes sandboxes do); linux.sysctl applies in the new one.
TEST_F(ConfigTest, JoinNamespacesByPathAndSysctl) {
  const std::string pod = Id("pod"), app = Id("app");
  Bundle pb = MakeBundle({"sleep", "100"}, "pod");
  pb.config["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  pb.Write();
  pid_t pod_pid = CreateStart(pb, pod);
  ASSERT_GT(pod_pid, 0);
  EXPECT_EQ(Exec(pod, "cat /proc/sys/net/ipv4/ip_forward"), "1\n");

  Bundle ab = MakeBundle({"sleep", "100"}, "app");
  std::string proc = "/proc/" + std::to_string(pod_pid) + "/ns/";
  ab.config["linux"]["namespaces"] = {{{"type", "pid"}},
                                      {{"type", "mount"}},
                                      {{"type", "network"}, {"path", proc + "net"}},
                                      {{"type", "ipc"}, {"path", proc + "ipc"}},
                                      {{"type", "uts"}, {"path", proc + "uts"}}};
  ab.config.erase("hostname");
  ab.Write();
  pid_t app_pid = CreateStart(ab, app);
  ASSERT_GT(app_pid, 0);
  for (const char* ns : {"net", "ipc", "uts"}) {
    EXPECT_EQ(NsLink(app_pid, ns), NsLink(pod_pid, ns)) << ns;
  }
  for (const char* ns : {"pid", "mnt"}) {
    EXPECT_NE(NsLink(app_pid, ns), NsLink(pod_pid, ns)) << ns;
  }
  EXPECT_EQ(Exec(app, "hostname"), "oci-box\n") << "the pod's UTS namespace";
  ForceDelete(app);
  // The joined namespaces belong to the pod: it runs on.
  EXPECT_EQ(StatusOf(pod), "running");
  ForceDelete(pod);
  EXPECT_THAT(RootEntries(), IsEmpty());
}

// linux.resources land in the container's cgroup (v1 and v2 file names).
TEST_F(ConfigTest, CgroupResources) {
  if (!HostHasController("memory") || !HostHasController("pids")) {
    GTEST_SKIP() << "this host has no memory or no pids cgroup controller";
  }
  const std::string id = Id("resources");
  Bundle b = MakeBundle({"sleep", "100"});
  b.config["linux"]["resources"]["memory"] = {{"limit", 64 << 20}};
  b.config["linux"]["resources"]["pids"] = {{"limit", 42}};
  b.Write();
  ASSERT_GT(CreateStart(b, id), 0);
  bool memory_seen = false, pids_seen = false;
  for (const std::string& dir : CgroupDirs("nucleus", id)) {
    if (std::optional<std::string> v = ReadFile(dir + "/memory.limit_in_bytes")) {
      memory_seen = true;
      EXPECT_EQ(*v, std::to_string(64 << 20) + "\n") << dir;
    }
    if (std::optional<std::string> v = ReadFile(dir + "/memory.max")) {
      memory_seen = true;
      EXPECT_EQ(*v, std::to_string(64 << 20) + "\n") << dir;
    }
    if (std::optional<std::string> v = ReadFile(dir + "/pids.max")) {
      pids_seen = true;
      EXPECT_EQ(*v, "42\n") << dir;
    }
  }
  EXPECT_TRUE(memory_seen) << "no memory controller file for nucleus/" << id;
  EXPECT_TRUE(pids_seen) << "no pids controller file for nucleus/" << id;
  ForceDelete(id);
  EXPECT_THAT(CgroupDirs("nucleus", id), IsEmpty());
  EXPECT_THAT(RootEntries(), IsEmpty());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
