// `nucleus run` end to end: real containers, checked from the inside with the probe
// (tests/testcases/probe.c) and from the outside by the harness (nothing left behind).
//
// Two roots: the default (the host's "/" read-only, where the probe's own absolute path is
// visible) and the busybox rootfs from //tests:rootfs_tar with the probe bound at /probe.
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr unsigned long long kNetBindService = 1ULL << 10;

// nucleus run FLAGS -- PROBE ARGS
RunResult RunProbe(const std::vector<std::string>& flags, const std::vector<std::string>& args,
                   const RunOptions& options = {}) {
  std::vector<std::string> all = flags;
  all.push_back("--");
  all.push_back(ProbePath());
  all.insert(all.end(), args.begin(), args.end());
  return RunNucleus(all, options);
}

std::set<std::string> ToSet(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// A fresh empty directory under $TEST_TMPDIR.
class RunTest : public ContainerTest {};

// ---------------------------------------------------------------------------------------
// PID namespace and init

TEST_F(RunTest, InitIsPid1AndWorkloadIsItsChild) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["comm"], "probe") << r;
  EXPECT_NE(f["pid"], "1") << "the workload must not be PID 1 when the init runs" << r;
  EXPECT_EQ(f["ppid"], "1") << "the workload's parent is the init" << r;
  EXPECT_NE(f["pid1_comm"], "probe") << r;
  EXPECT_THAT(f["pid1_comm"], Not(HasSubstr("missing"))) << r;
}

// /proc/1/cmdline is readable by every process in the container: the init (a fork of
// nucleus) must not show nucleus's host command line (binary path, flags, paths).
TEST_F(RunTest, InitDoesNotShowTheHostCommandLine) {
  const std::string secret_flag = "--hostname=cmdline-leak-check";
  RunResult r = RunNucleus({secret_flag, "--", "/bin/sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("nucleus-init")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr(secret_flag))) << r;
  EXPECT_THAT(r.out, Not(HasSubstr(NucleusPath()))) << r;
}

TEST_F(RunTest, NoInitMakesWorkloadPid1) {
  RunResult r = RunProbe({"--no-init"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["pid"], "1") << r;
  EXPECT_EQ(f["pid1_comm"], "probe") << r;
  EXPECT_EQ(f["nprocs_visible"], "1") << r;
}

TEST_F(RunTest, OnlyContainerProcessesVisible) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  int n = atoi(r.Facts()["nprocs_visible"].c_str());
  EXPECT_GE(n, 2) << "init and probe" << r;
  EXPECT_LE(n, 3) << "host processes are visible" << r;
}

TEST_F(RunTest, OrphanedZombiesAreReaped) {
  RunResult r = RunProbe({}, {"orphans", "5"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["zombies"], "0") << "the init must reap reparented orphans" << r;
}

// ---------------------------------------------------------------------------------------
// UTS namespace

TEST_F(RunTest, HostnameIsPrivate) {
  char host[256] = {0};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  RunResult r = RunProbe({"--hostname", "box"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["hostname"], "box") << r;
  char after[256] = {0};
  ASSERT_EQ(gethostname(after, sizeof(after) - 1), 0);
  EXPECT_STREQ(after, host) << "the host's hostname changed";
}

TEST_F(RunTest, DefaultHostnameIsNotTheHosts) {
  char host[256] = {0};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.Facts()["hostname"], "") << r;
  EXPECT_NE(r.Facts()["hostname"], host) << r;
}

// ---------------------------------------------------------------------------------------
// Identity

// nucleus itself runs with extra host supplementary groups; none of them may leak.
RunOptions WithHostGroups() {
  RunOptions o;
  o.supplementary_groups = std::vector<gid_t>{0, 4242, 4343};
  return o;
}

TEST_F(RunTest, RootHasNoHostSupplementaryGroups) {
  RunResult r = RunProbe({"--user", "0"}, {"facts"}, WithHostGroups());
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["uid"], "0") << r;
  EXPECT_EQ(f["gid"], "0") << r;
  EXPECT_THAT(f["groups"], AnyOf("", "0")) << "setgroups() did not replace the host's groups" << r;
}

TEST_F(RunTest, DefaultUserHasNoHostSupplementaryGroups) {
  RunResult r = RunProbe({}, {"facts"}, WithHostGroups());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.Facts()["groups"], AnyOf("", "0")) << r;
}

// ---------------------------------------------------------------------------------------
// Capabilities, no_new_privs, seccomp

TEST_F(RunTest, AllCapabilitiesDroppedByDefault) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  for (const char* key : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
    std::optional<unsigned long long> v = ParseHex(f[key]);
    ASSERT_TRUE(v.has_value()) << key << "=" << f[key] << r;
    EXPECT_EQ(*v, 0u) << key << r;
  }
}

TEST_F(RunTest, CapAddKeepsExactlyThatCapability) {
  RunResult r = RunProbe({"--cap-add", "NET_BIND_SERVICE"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  for (const char* key : {"CapBnd", "CapEff", "CapPrm"}) {
    std::optional<unsigned long long> v = ParseHex(f[key]);
    ASSERT_TRUE(v.has_value()) << key << "=" << f[key] << r;
    EXPECT_EQ(*v, kNetBindService) << key << " (root keeps exactly CAP_NET_BIND_SERVICE)" << r;
  }
}

TEST_F(RunTest, NoNewPrivsIsSet) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["NoNewPrivs"], "1") << r;
}

// ---------------------------------------------------------------------------------------
// /proc, /dev and the host root

TEST_F(RunTest, ProcKcoreIsMasked) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["kcore_readable"], "no") << r;
  EXPECT_THAT(f["kcore_size"], AnyOf("0", "missing")) << r;
}

// The OCI masked paths that this host's /proc really has must read as empty or be refused.
TEST_F(RunTest, MaskedProcFilesRevealNothing) {
  int checked = 0;
  for (const char* path : {"/proc/timer_list", "/proc/keys", "/proc/sched_debug",
                           "/proc/latency_stats", "/proc/kcore"}) {
    std::optional<std::string> host = ReadFile(path);
    if (!host || host->empty()) continue;  // nothing to hide on this host
    ++checked;
    RunResult r = RunProbe({}, {"read", path});
    KeyValues f = r.Facts();
    if (f["read"] == "ok") {
      EXPECT_EQ(f["data"], "") << path << " is not masked" << r;
    } else {
      EXPECT_THAT(f["read"], AnyOf("EACCES", "EPERM", "ENOENT")) << path << r;
    }
  }
  if (checked == 0) GTEST_SKIP() << "this host has none of the masked /proc files";
}

TEST_F(RunTest, ProcSysAndSysrqAreReadOnly) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["proc_sys_writable"], "no") << r;
  EXPECT_THAT(f["proc_sys_writable_err"], AnyOf("EROFS", "EACCES", "EPERM")) << r;
  EXPECT_EQ(f["sysrq_writable"], "no") << r;
}

TEST_F(RunTest, DefaultRootIsReadOnly) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["root_writable"], "no") << r;
  EXPECT_EQ(f["root_writable_err"], "EROFS") << r;
  // Somewhere the test itself can write on the host is not even there.
  std::string target = TestTmpDir() + "/" + UniqueName("host-root-write");
  RunResult w = RunProbe({}, {"write", target});
  EXPECT_EQ(w.Facts()["write"], "ENOENT") << w;
  EXPECT_FALSE(PathExists(target)) << "the container wrote to the host's disk";
}

TEST_F(RunTest, HostRootIsReadOnly) {
  std::string target = TestTmpDir() + "/" + UniqueName("host-root-write");
  // --userns=host: the test's tree is below /root (0700), out of the mapped root's reach.
  RunResult w = RunNucleus({"--host-root", "--userns=host", "--", ProbePath(), "write", target});
  EXPECT_EQ(w.Facts()["write"], "EROFS") << w;
  EXPECT_THAT(w.err, HasSubstr("--host-root: the container sees the host's whole /")) << w;
  EXPECT_FALSE(PathExists(target)) << "the container wrote to the host's disk";
}

// --secret: the bytes appear at DEST (and by default under /run/secrets), mode 0400, owned by
// the workload's user, on a read-only, noexec, in-memory mount.
TEST_F(RunTest, SecretIsAReadOnlyInMemoryFileOfTheWorkload) {
  const std::string name = UniqueName("secret");
  const std::string src = TestTmpDir() + "/" + name;
  WriteFile(src, "s3cret-" + name);
  ASSERT_EQ(chmod(src.c_str(), 0600), 0) << strerror(errno);
  RunResult r = RunNucleus(
      {"--user", "1000:1000", "--secret", src + ":/home/app/token", "--secret", src, "--",
       "/bin/sh", "-c",
       "stat -c 'mode=%a owner=%u:%g' /home/app/token; echo; cat /home/app/token; echo; "
       "cat /run/secrets/" +
           name +
           "; echo; grep ' /home/app/token ' /proc/self/mountinfo; "
           "echo x > /home/app/token && echo WROTE; cp /bin/true /home/app/token 2>/dev/null && "
           "echo COPIED; true"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("mode=400 owner=1000:1000")) << r;
  EXPECT_THAT(r.out, HasSubstr("\ns3cret-" + name + "\ns3cret-" + name + "\n")) << r;
  std::string mount_line;
  for (const std::string& line : SplitLines(r.out)) {
    if (line.find(" /home/app/token ") != std::string::npos) mount_line = line;
  }
  EXPECT_THAT(mount_line, HasSubstr(" ro,nosuid,nodev,noexec")) << r;
  EXPECT_THAT(mount_line, HasSubstr(" - tmpfs ")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("WROTE"))) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("COPIED"))) << r;
}

// The secret's bytes never reach the container's state (config.json, state.json), inspect,
// or the host's disk anywhere under the state directory; exec sees the file.
TEST_F(RunTest, SecretIsNeverInInspectOrTheStateDirectory) {
  const std::string name = UniqueName("secret-d");
  const std::string src = TestTmpDir() + "/" + name;
  const std::string bytes = "never-on-disk-" + name;
  WriteFile(src, bytes);
  RunResult up = Nucleus({"run", "-d", "--name", name, "--secret", src, "--", "/bin/sleep", "300"});
  ASSERT_EQ(up.exit_code, 0) << up;
  RunResult ex = Nucleus({"exec", name, "/bin/cat", "/run/secrets/" + name});
  EXPECT_EQ(ex.out, bytes) << ex;
  RunResult inspect = Nucleus({"inspect", name});
  EXPECT_EQ(inspect.exit_code, 0) << inspect;
  EXPECT_THAT(inspect.out, Not(HasSubstr(bytes))) << inspect;
  RunResult grep = RunCommand({"/bin/grep", "-rlF", bytes, "/run/nucleus/" + name});
  EXPECT_EQ(grep.exit_code, 1) << "the secret is on disk: " << grep;
  RunResult rm = Nucleus({"rm", "-f", name});
  EXPECT_EQ(rm.exit_code, 0) << rm;
  ReapChildren(2);
}

// A project as an agent gets it: code, plus what it must not see (.git, .env, a key,
// node_modules) and a symlink aimed at the host's /etc/shadow.
std::string MakeProject(const std::string& name) {
  std::string p = TestTmpDir() + "/" + UniqueName(name);
  for (const char* d : {"", "/src", "/.git", "/node_modules"}) {
    EXPECT_EQ(mkdir((p + d).c_str(), 0755), 0) << p << d << ": " << strerror(errno);
  }
  WriteFile(p + "/README", "readme\n");
  WriteFile(p + "/src/a.py", "print(1)\n");
  WriteFile(p + "/.git/HEAD", "ref: refs/heads/main\n");
  WriteFile(p + "/.env", "TOKEN=leak\n");
  WriteFile(p + "/id.key", "KEY\n");
  WriteFile(p + "/node_modules/x.js", "x\n");
  EXPECT_EQ(symlink("/etc/shadow", (p + "/link").c_str()), 0) << strerror(errno);
  return p;
}

// --context: a private, writable, noexec copy at /workspace (the start directory) without
// the default excludes; the symlink is copied as a link and leads nowhere; the host's tree
// is never written.
TEST_F(RunTest, ContextCopyIsAPrivateWorkspaceWithoutSecrets) {
  std::string p = MakeProject("ctx-copy");
  RunResult r =
      RunNucleus({"--context", p, "--", "/bin/sh", "-c",
                  "pwd; cat README src/a.py; for f in .git .env id.key node_modules; do "
                  "test -e $f && echo LEAK $f; done; cat link >/dev/null 2>&1 || echo link-dead; "
                  "echo changed > README; echo new > new.txt; cat README; cp /bin/true t; ./t; "
                  "echo exec=$?"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("/workspace\nreadme\nprint(1)\n")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("LEAK"))) << r;
  EXPECT_THAT(r.out, HasSubstr("link-dead\nchanged\nexec=126\n")) << r;
  EXPECT_EQ(ReadFile(p + "/README").value_or(""), "readme\n") << "the host's tree was written";
  EXPECT_FALSE(PathExists(p + "/new.txt"));
}

// --context-manifest records what was copied; --verify-context refuses (125, naming the
// file) a tree that differs from it, and leaves nothing behind.
TEST_F(RunTest, ContextVerifyRefusesATamperedTree) {
  std::string p = MakeProject("ctx-verify");
  std::string manifest = TestTmpDir() + "/" + UniqueName("manifest");
  RunResult made = RunNucleus({"--context", p, "--context-manifest", manifest, "--", "/bin/true"});
  ASSERT_EQ(made.exit_code, 0) << made;
  std::string text = ReadFile(manifest).value_or("");
  EXPECT_THAT(text, HasSubstr("  ./README\n")) << text;
  EXPECT_THAT(text, HasSubstr("  ./src/a.py\n")) << text;
  EXPECT_THAT(text, Not(HasSubstr(".env"))) << text;
  RunResult same = RunNucleus({"--context", p, "--verify-context", manifest, "--", "/bin/true"});
  EXPECT_EQ(same.exit_code, 0) << same;
  WriteFile(p + "/src/a.py", "import os; os.system('curl evil')\n");
  RunResult tampered =
      RunNucleus({"--context", p, "--verify-context", manifest, "--", "/bin/echo", "started"});
  EXPECT_EQ(tampered.exit_code, 125) << tampered;
  EXPECT_THAT(tampered.err, HasSubstr("'src/a.py': sha256 differs")) << tampered;
  EXPECT_THAT(tampered.out, Not(HasSubstr("started"))) << tampered;
}

// --context-mode bind: the directory itself (writes reach the host), the excluded entries
// masked: an empty read-only directory, /dev/null for files.
TEST_F(RunTest, ContextBindMasksTheExcludedEntries) {
  std::string p = MakeProject("ctx-bind");
  // Writes reach the host as the container root's host uid: the directory must be its.
  ASSERT_EQ(chown(p.c_str(), kContainerRootOnHost, kContainerRootOnHost), 0) << strerror(errno);
  RunResult r =
      RunNucleus({"--context", p, "--context-mode", "bind", "--", "/bin/sh", "-c",
                  "cat .env id.key; echo; ls -A .git node_modules; echo from-container > out.txt"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("TOKEN"))) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("KEY"))) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("HEAD"))) << r;
  EXPECT_EQ(ReadFile(p + "/out.txt").value_or(""), "from-container\n");
  EXPECT_EQ(ReadFile(p + "/.env").value_or(""), "TOKEN=leak\n") << "the mask is not a write";
}

// --userns as root: binds below a directory the mapped root could not traverse (Bazel's
// output base is under /root, 0700) still work, because nucleus captures them before the
// container's user namespace exists; what the container writes into a --rw bind belongs to
// the mapped range on the host (container root = host uid 100000).
TEST_F(RunTest, UserNamespaceBindsBelowAPrivateDirectoryAndWritesAsTheMappedRange) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  std::string dir = TestTmpDir() + "/" + UniqueName("userns-bind");
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mkdir((dir + "/rw").c_str(), 0777), 0) << strerror(errno);
  chmod((dir + "/rw").c_str(), 0777);
  WriteFile(dir + "/f", "readable\n");
  RunResult r = RunNucleus({"--userns", "--ro", dir, "--rw", dir + "/rw", "--", "/bin/sh", "-c",
                            "cat " + dir + "/f; echo made > " + dir + "/rw/out; id -u"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "readable\n0\n") << r;
  struct stat st;
  ASSERT_EQ(stat((dir + "/rw/out").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_uid, 100000u) << "the file belongs to the mapped range on the host";
}

TEST_F(RunTest, TmpIsWritableAndPrivate) {
  std::string name = "/tmp/" + UniqueName("nucleus-it-private-tmp");
  RunResult r = RunProbe({}, {"write", name});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_FALSE(PathExists(name)) << "the container's /tmp is the host's";
  RunResult facts = RunProbe({}, {"facts"});
  EXPECT_EQ(facts.Facts()["tmp_writable"], "yes") << facts;
}

TEST_F(RunTest, DevIsMinimal) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::set<std::string> dev = ToSet(SplitCommas(r.Facts()["dev"]));
  for (const char* needed : {"null", "zero", "full", "random", "urandom", "tty"}) {
    EXPECT_TRUE(dev.count(needed)) << "/dev/" << needed << " missing" << r;
  }
  for (const char* host_only : {"mem", "kmem", "port", "kmsg", "sda", "vda", "nvme0", "loop0",
                                "loop-control", "fuse", "userfaultfd", "console", "tty0"}) {
    EXPECT_FALSE(dev.count(host_only)) << "host device /dev/" << host_only << " visible" << r;
  }
}

// ---------------------------------------------------------------------------------------
// Environment

TEST_F(RunTest, LdPreloadFlagIsRefusedWithWarning) {
  RunResult r = RunProbe({"--env", "LD_PRELOAD=/x"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["env_LD_PRELOAD"], "absent") << r;
  EXPECT_THAT(r.err, HasSubstr("LD_PRELOAD")) << "no warning on stderr" << r;
}

TEST_F(RunTest, LdPreloadFromNucleusEnvironmentNeverArrives) {
  RunOptions o;
  o.set_env = {"LD_PRELOAD=/nonexistent/nucleus-it-preload.so"};
  RunResult r = RunProbe({}, {"facts"}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["env_LD_PRELOAD"], "absent") << r;
}

TEST_F(RunTest, EnvAndEnvFileReachWorkload) {
  std::string env_file = TestTmpDir() + "/" + UniqueName("env-file");
  ASSERT_NO_FATAL_FAILURE(WriteFile(env_file, "# a comment\nB=2\n\nC=three words\n"));
  RunResult r = RunProbe({"--env", "A=1", "--env-file", env_file}, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> env = SplitLines(r.out);
  EXPECT_THAT(env, Contains("A=1")) << r;
  EXPECT_THAT(env, Contains("B=2")) << r;
  EXPECT_THAT(env, Contains("C=three words")) << r;
}

TEST_F(RunTest, DefaultEnvironmentIsClean) {
  RunOptions o;
  o.set_env = {"NUCLEUS_IT_HOST_SECRET=leaked"};
  RunResult r = RunProbe({}, {"env"}, o);
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> env = SplitLines(r.out);
  for (const std::string& var : env) {
    std::string key = var.substr(0, var.find('='));
    EXPECT_THAT(key, Not(AnyOf("NUCLEUS_IT_HOST_SECRET", "TEST_SRCDIR", "TEST_TMPDIR",
                               "RUNFILES_DIR", "LD_PRELOAD", "LD_LIBRARY_PATH")))
        << "host variable leaked into the container" << r;
  }
  EXPECT_LE(env.size(), 10u) << "the default environment is not minimal" << r;
}

// ---------------------------------------------------------------------------------------
// Exit status

TEST_F(RunTest, ExitCodesPropagate) {
  for (int code : {0, 3, 255}) {
    RunResult r = RunProbe({}, {"exit", std::to_string(code)});
    EXPECT_EQ(r.exit_code, code) << r;
  }
}

TEST_F(RunTest, DeathBySignalIs128PlusSignal) {
  for (int sig : {SIGKILL, SIGTERM}) {
    RunResult r = RunProbe({}, {"kill-self", std::to_string(sig)});
    EXPECT_EQ(r.exit_code, 128 + sig) << r;
  }
}

TEST_F(RunTest, MissingCommandIs127) {
  RunResult abs = RunNucleus({"--", "/nonexistent/nucleus-it-command"});
  EXPECT_EQ(abs.exit_code, 127) << abs;
  EXPECT_FALSE(abs.err.empty()) << "no message" << abs;
  RunResult path = RunNucleus({"--", "nucleus-it-no-such-command"});
  EXPECT_EQ(path.exit_code, 127) << path;
}

TEST_F(RunTest, NotExecutableIs126) {
  RunResult r = RunNucleus({"--", "/etc/passwd"});
  EXPECT_EQ(r.exit_code, 126) << r;
  EXPECT_FALSE(r.err.empty()) << "no message" << r;
}

// ---------------------------------------------------------------------------------------
// Signals: sent to the nucleus process, they reach the workload (through the init)

struct SignalCase {
  int sig;
  const char* name;
  bool init;
};

class SignalTest : public ContainerTest, public ::testing::WithParamInterface<SignalCase> {};

TEST_P(SignalTest, ForwardedToWorkload) {
  const SignalCase& c = GetParam();
  std::vector<std::string> argv = {NucleusPath(), "run"};
  if (!c.init) argv.push_back("--no-init");
  argv.insert(argv.end(), {"--", ProbePath(), "wait-signal"});
  Subprocess p;
  std::string error;
  ASSERT_TRUE(p.Start(argv, RunOptions(), &error)) << error;
  bool ready = p.WaitForStdout("ready\n", 20);
  if (!ready) {
    RunResult r = p.Finish(5);
    FAIL() << "the probe never printed ready" << r;
  }
  ASSERT_EQ(kill(p.pid(), c.sig), 0) << strerror(errno);
  RunResult r = p.Finish(20);
  EXPECT_EQ(r.exit_code, 100 + c.sig) << r;
  EXPECT_EQ(r.Facts()["got"], c.name) << r;
}

INSTANTIATE_TEST_SUITE_P(
    Signals, SignalTest,
    ::testing::Values(SignalCase{SIGTERM, "SIGTERM", true}, SignalCase{SIGINT, "SIGINT", true},
                      SignalCase{SIGHUP, "SIGHUP", true}, SignalCase{SIGQUIT, "SIGQUIT", true},
                      SignalCase{SIGUSR1, "SIGUSR1", true}, SignalCase{SIGUSR2, "SIGUSR2", true},
                      SignalCase{SIGTERM, "SIGTERM", false}),
    [](const ::testing::TestParamInfo<SignalCase>& info) {
      return std::string(info.param.name + 3) + (info.param.init ? "" : "_NoInit");
    });

// ---------------------------------------------------------------------------------------
// Mounts on the host root

// The container's root is host uid 100000: it writes where that uid may, and what it makes
// belongs to that uid on the host, never to the host's root.
TEST_F(RunTest, RwBindIsWritableAndVisibleOnHost) {
  std::string dir = MakeHostDir("rw", kContainerRootOnHost);
  RunResult r = RunProbe({"--rw", dir}, {"write", dir + "/from-container"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_EQ(ReadFile(dir + "/from-container").value_or("<missing>"), "probe\n");
  struct stat st;
  ASSERT_EQ(stat((dir + "/from-container").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_uid, kContainerRootOnHost);
  EXPECT_EQ(st.st_gid, kContainerRootOnHost);
  // A directory of the host's root (0755) is not the container root's to write.
  std::string roots = MakeHostDir("rw-root-owned");
  RunResult denied = RunProbe({"--rw", roots}, {"write", roots + "/from-container"});
  EXPECT_EQ(denied.Facts()["write"], "EACCES") << denied;
  EXPECT_FALSE(PathExists(roots + "/from-container"));
}

// --userns=host: the old identity, for who needs it: the host's root, without capabilities.
// --userns=keep-id --user U:G: U and G are the same ids on the host, so the files are U's.
TEST_F(RunTest, UsernsHostAndKeepIdChooseWhoseFilesTheWritesAre) {
  std::string roots = MakeHostDir("rw-host-ids");
  RunResult host = RunProbe({"--userns=host", "--rw", roots}, {"write", roots + "/f"});
  ASSERT_EQ(host.Facts()["write"], "ok") << host;
  struct stat st;
  ASSERT_EQ(stat((roots + "/f").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_uid, 0u);
  // At /data: uid 1000 cannot traverse the default root's /root (0700) to the test's tree.
  std::string users = MakeHostDir("rw-keep-id", 1000);
  RunResult keep = RunNucleus({"--userns=keep-id", "--user", "1000:1000", "--rw", users + ":/data",
                               "--", "/bin/sh", "-c", "echo x > /data/f"});
  ASSERT_EQ(keep.exit_code, 0) << keep;
  ASSERT_EQ(stat((users + "/f").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  RunResult ids = RunNucleus(
      {"--userns=keep-id", "--user", "1000:1000", "--", "/bin/cat", "/proc/self/uid_map"});
  ASSERT_EQ(ids.exit_code, 0) << ids;
  EXPECT_THAT(ids.out, ContainsRegex("1000 +1000 +1\n")) << ids;
  EXPECT_THAT(ids.out, ContainsRegex("0 +100000 +1000\n")) << ids;
}

// --host-root shows the host's tree, but under the default user namespace the host's root-only
// files stay the host root's: the shadow file is there and cannot be read.
TEST_F(RunTest, HostRootStillHidesRootOnlyFilesFromTheMappedRoot) {
  RunResult r = RunNucleus({"--host-root", "--", "/bin/sh", "-c",
                            "test -e /etc/shadow && echo present; cat /etc/shadow; "
                            "ls /root; echo done"});
  EXPECT_THAT(r.out, HasSubstr("present")) << r;
  EXPECT_THAT(r.err, HasSubstr("/etc/shadow: Permission denied")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("root:"))) << r;
  EXPECT_THAT(r.out, HasSubstr("done")) << r;
}

TEST_F(RunTest, RoBindIsReadableButNotWritable) {
  std::string dir = MakeHostDir("ro");
  ASSERT_NO_FATAL_FAILURE(WriteFile(dir + "/existing", "host data\n"));
  RunResult read = RunProbe({"--ro", dir}, {"read", dir + "/existing"});
  ASSERT_EQ(read.exit_code, 0) << read;
  EXPECT_EQ(read.Facts()["data"], "host data") << read;
  RunResult write = RunProbe({"--ro", dir}, {"write", dir + "/from-container"});
  EXPECT_EQ(write.Facts()["write"], "EROFS") << write;
  EXPECT_FALSE(PathExists(dir + "/from-container"));
}

TEST_F(RunTest, TmpfsIsWritableAndBounded) {
  // /mnt exists on the host; the default root is read-only, so the mount point must exist.
  RunResult small = RunProbe({"--tmpfs", "/mnt:size=1m"}, {"write", "/mnt/small", "4096"});
  ASSERT_EQ(small.exit_code, 0) << small;
  EXPECT_EQ(small.Facts()["write"], "ok") << small;
  RunResult big = RunProbe({"--tmpfs", "/mnt:size=1m"}, {"write", "/mnt/big", "2097152"});
  EXPECT_EQ(big.Facts()["write"], "ENOSPC") << big;
  EXPECT_LE(atoll(big.Facts()["written"].c_str()), 1 << 20) << big;
}

// ---------------------------------------------------------------------------------------
// Network

TEST_F(RunTest, OnlyLoopbackAndItIsUp) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["netdevs"], "lo") << r;
  EXPECT_EQ(r.Facts()["lo_up"], "yes") << r;
  RunResult lb = RunProbe({}, {"loopback"});
  EXPECT_EQ(lb.exit_code, 0) << lb;
  EXPECT_EQ(lb.Facts()["loopback"], "ok") << lb;
}

// ---------------------------------------------------------------------------------------
// The busybox rootfs (--rootfs), with the probe bound at /probe

class RootfsTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    static std::string* rootfs = nullptr;
    if (rootfs == nullptr) {
      std::string dir = UnpackRootfs("busybox-rootfs");
      if (HasFailure()) return;
      rootfs = new std::string(dir);
    }
    rootfs_ = *rootfs;
  }

  // nucleus run --rootfs ROOTFS --ro PROBE:/probe FLAGS -- /probe ARGS
  RunResult Probe(const std::vector<std::string>& flags, const std::vector<std::string>& args,
                  const RunOptions& options = {}) {
    std::vector<std::string> all = {"--rootfs", rootfs_, "--ro", ProbePath() + ":/probe"};
    all.insert(all.end(), flags.begin(), flags.end());
    all.push_back("--");
    all.push_back("/probe");
    all.insert(all.end(), args.begin(), args.end());
    return RunNucleus(all, options);
  }

  std::string rootfs_;
};

TEST_F(RootfsTest, ShellRuns) {
  RunResult r = RunNucleus({"--rootfs", rootfs_, "--", "/bin/sh", "-c", "echo hi"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "hi\n") << r;
}

TEST_F(RootfsTest, PathLookupFindsBusyboxApplets) {
  RunResult r = RunNucleus({"--rootfs", rootfs_, "--", "sh", "-c", "exit 7"});
  EXPECT_EQ(r.exit_code, 7) << r;
}

TEST_F(RootfsTest, IsolationHoldsInRootfs) {
  RunResult r = Probe({"--hostname", "bb"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_NE(f["pid"], "1") << r;
  EXPECT_LE(atoi(f["nprocs_visible"].c_str()), 3) << r;
  EXPECT_EQ(f["hostname"], "bb") << r;
  EXPECT_EQ(ParseHex(f["CapEff"]).value_or(~0ULL), 0u) << r;
  EXPECT_EQ(ParseHex(f["CapBnd"]).value_or(~0ULL), 0u) << r;
  EXPECT_EQ(f["NoNewPrivs"], "1") << r;
  EXPECT_EQ(f["netdevs"], "lo") << r;
  EXPECT_EQ(f["tmp_writable"], "yes") << r;
  EXPECT_EQ(f["proc_sys_writable"], "no") << r;
  EXPECT_EQ(f["kcore_readable"], "no") << r;
}

TEST_F(RootfsTest, ReadOnlyRootfs) {
  RunResult r = Probe({"--read-only"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["root_writable"], "no") << r;
  EXPECT_EQ(r.Facts()["root_writable_err"], "EROFS") << r;
  EXPECT_EQ(r.Facts()["tmp_writable"], "yes") << "/tmp stays writable under --read-only" << r;
}

TEST_F(RootfsTest, WritableRootfsByDefault) {
  RunResult r = Probe({}, {"write", "/written-by-container"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_EQ(ReadFile(rootfs_ + "/written-by-container").value_or("<missing>"), "probe\n");
  unlink((rootfs_ + "/written-by-container").c_str());
}

TEST_F(RootfsTest, RwBindWithDestination) {
  std::string dir = MakeHostDir("rw-dest", kContainerRootOnHost);
  RunResult r = Probe({"--rw", dir + ":/data"}, {"write", "/data/from-container"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_EQ(ReadFile(dir + "/from-container").value_or("<missing>"), "probe\n");
}

TEST_F(RootfsTest, RoBindWithDestination) {
  std::string dir = MakeHostDir("ro-dest");
  RunResult r = Probe({"--ro", dir + ":/data"}, {"write", "/data/from-container"});
  EXPECT_EQ(r.Facts()["write"], "EROFS") << r;
  EXPECT_FALSE(PathExists(dir + "/from-container"));
}

TEST_F(RootfsTest, RwBindStaysWritableUnderReadOnlyRoot) {
  std::string dir = MakeHostDir("rw-ro-root", kContainerRootOnHost);
  RunResult r = Probe({"--read-only", "--rw", dir + ":/data"}, {"write", "/data/f"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["write"], "ok") << r;
  EXPECT_TRUE(PathExists(dir + "/f"));
}

TEST_F(RootfsTest, TmpfsWritableAndBounded) {
  RunResult small = Probe({"--tmpfs", "/scratch:size=1m"}, {"write", "/scratch/small", "4096"});
  ASSERT_EQ(small.exit_code, 0) << small;
  EXPECT_EQ(small.Facts()["write"], "ok") << small;
  RunResult big = Probe({"--tmpfs", "/scratch:size=1m"}, {"write", "/scratch/big", "2097152"});
  EXPECT_EQ(big.Facts()["write"], "ENOSPC") << big;
}

// Non-root identities run on the rootfs: on the host root the probe lives under /root (0700),
// which uid 1000 cannot traverse; bound at /probe it can run.
TEST_F(RootfsTest, UserGroupAndAdditionalGroups) {
  RunResult r = Probe({"--user", "1000:1000", "--group-add", "2000"}, {"facts"}, WithHostGroups());
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["uid"], "1000") << r;
  EXPECT_EQ(f["euid"], "1000") << r;
  EXPECT_EQ(f["gid"], "1000") << r;
  EXPECT_EQ(f["egid"], "1000") << r;
  std::vector<std::string> groups = SplitCommas(f["groups"]);
  EXPECT_THAT(groups, Contains("2000")) << r;
  for (const std::string& g : groups) {
    EXPECT_THAT(g, AnyOf("1000", "2000")) << "host supplementary group leaked" << r;
  }
}

TEST_F(RootfsTest, CapAddForNonRootStaysInBoundingSet) {
  RunResult r = Probe({"--user", "1000:1000", "--cap-add", "NET_BIND_SERVICE"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::optional<unsigned long long> bnd = ParseHex(r.Facts()["CapBnd"]);
  ASSERT_TRUE(bnd.has_value()) << r;
  EXPECT_EQ(*bnd, kNetBindService) << r;
  std::optional<unsigned long long> eff = ParseHex(r.Facts()["CapEff"]);
  ASSERT_TRUE(eff.has_value()) << r;
  EXPECT_EQ(*eff & ~kNetBindService, 0u) << "more than the added capability" << r;
}

TEST_F(RootfsTest, UserFromRootfs) {
  RunResult r = RunNucleus(
      {"--rootfs", rootfs_, "--user", "1000:1000", "--group-add", "2000", "--", "/bin/id"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("uid=1000(app)")) << r;
  EXPECT_THAT(r.out, HasSubstr("gid=1000(app)")) << r;
  EXPECT_THAT(r.out, HasSubstr("2000(extra)")) << r;
}

TEST_F(RootfsTest, ExitCodesForMissingAndNonExecutable) {
  RunResult missing = RunNucleus({"--rootfs", rootfs_, "--", "/nonexistent"});
  EXPECT_EQ(missing.exit_code, 127) << missing;
  RunResult not_exec = RunNucleus({"--rootfs", rootfs_, "--", "/etc/passwd"});
  EXPECT_EQ(not_exec.exit_code, 126) << not_exec;
}

TEST_F(RootfsTest, OrphansReapedInRootfs) {
  RunResult r = Probe({}, {"orphans", "5"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["zombies"], "0") << r;
}

// ---------------------------------------------------------------------------------------
// Seccomp (runtime/seccomp, backends/native/seccomp)

// Seccomp_filters of this test process: nucleus and the container inherit them (a nested
// run, e.g. inside another container, starts above 0).
int HostSeccompFilters() {
  std::optional<std::string> status = ReadFile("/proc/self/status");
  if (!status) return -1;
  for (const std::string& line : SplitLines(*status)) {
    if (line.rfind("Seccomp_filters:", 0) == 0) return std::stoi(line.substr(16));
  }
  return -1;
}

std::string SeccompProfileFile(const std::string& name, const std::string& json) {
  std::string path = TestTmpDir() + "/" + UniqueName(name) + ".json";
  WriteFile(path, json);
  return path;
}

constexpr char kDenyMkdirProfile[] = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]
})";

TEST_F(RunTest, SeccompFilterIsOnByDefault) {
  RunResult r = RunProbe({}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  KeyValues f = r.Facts();
  EXPECT_EQ(f["Seccomp"], "2") << "filter mode" << r;
  const int host = HostSeccompFilters();
  ASSERT_GE(host, 0);
  // Exactly one filter of ours: the container's, not also the init's (installed after fork).
  EXPECT_EQ(f["Seccomp_filters"], std::to_string(host + 1)) << r;
  EXPECT_THAT(r.err, Not(HasSubstr("seccomp"))) << r;
}

TEST_F(RunTest, InitRunsUnderItsOwnFilter) {
  RunResult r = RunNucleus({"--", "/bin/grep", "Seccomp", "/proc/1/status"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("Seccomp:\t2")) << r;
  EXPECT_THAT(r.out, HasSubstr("Seccomp_filters:\t" + std::to_string(HostSeccompFilters() + 1)))
      << r;
}

TEST_F(RunTest, SeccompUnconfinedHasNoFilterAndWarns) {
  RunResult r = RunProbe({"--seccomp=unconfined"}, {"facts"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.Facts()["Seccomp_filters"], std::to_string(HostSeccompFilters())) << r;
  if (HostSeccompFilters() == 0) EXPECT_EQ(r.Facts()["Seccomp"], "0") << r;
  EXPECT_THAT(r.ErrLines(), Contains("nucleus: warning: seccomp disabled (--seccomp=unconfined)"))
      << r;
}

TEST_F(RunTest, SeccompBadProfileIs125WithOneLineNamingFileAndPath) {
  std::string path = SeccompProfileFile("bad-profile", R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                   {"names": ["rmdir"], "action": "SCMP_ACT_FOO"}]})");
  RunResult r = RunProbe({"--seccomp-profile", path}, {"facts"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_THAT(r.out, IsEmpty()) << r;
  ASSERT_EQ(r.ErrLines().size(), 1u) << r;
  EXPECT_THAT(r.ErrLines()[0], HasSubstr("--seccomp-profile " + path +
                                         ": syscalls[1].action: 'SCMP_ACT_FOO' is not a seccomp "
                                         "action"))
      << r;
  RunResult missing = RunProbe({"--seccomp-profile", path + ".missing"}, {"facts"});
  EXPECT_EQ(missing.exit_code, 125) << missing;
  EXPECT_THAT(missing.err, HasSubstr(path + ".missing: No such file or directory")) << missing;
}

TEST_F(RunTest, SeccompProfileDenyingMkdirUsesItsErrno) {
  std::string path = SeccompProfileFile("deny-mkdir", kDenyMkdirProfile);
  RunResult r = RunNucleus({"--seccomp-profile", path, "--", "/bin/mkdir", "/tmp/d"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_THAT(r.err, HasSubstr("Permission denied")) << "errnoRet 13 = EACCES" << r;
  // Everything else is allowed by that profile.
  RunResult write = RunProbe({"--seccomp-profile", path}, {"write", "/tmp/f"});
  EXPECT_EQ(write.exit_code, 0) << write;
}

TEST_F(RunTest, SeccompLogLetsADeniedCallThrough) {
  std::string path = SeccompProfileFile("deny-mkdir-log", kDenyMkdirProfile);
  RunResult r =
      RunNucleus({"--seccomp-profile", path, "--seccomp-log", "--", "/bin/mkdir", "/tmp/d"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.err, HasSubstr("log-only")) << r;
}

TEST_F(RunTest, DefaultProfileDeniesUnshareWithEpermAndTheProgramGoesOn) {
  if (!PathExists("/usr/bin/unshare")) GTEST_SKIP() << "no /usr/bin/unshare on this host";
  RunResult r = RunNucleus({"--", "/bin/sh", "-c", "/usr/bin/unshare -U /bin/true; echo after=$?"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("after=1")) << r;
  EXPECT_THAT(r.err, HasSubstr("Operation not permitted")) << r;
  // --seccomp-log: the same call reaches the kernel (which allows an unprivileged user
  // namespace here).
  RunResult logged = RunNucleus({"--seccomp-log", "--", "/usr/bin/unshare", "-U", "/bin/true"});
  EXPECT_THAT(logged.err, Not(HasSubstr("Operation not permitted"))) << logged;
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
