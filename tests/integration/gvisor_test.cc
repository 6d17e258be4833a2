// `--backend gvisor` through the command line (issue 7): the same nucleus commands, the
// container under runsc. Skipped with the reason where `nucleus check` says gVisor cannot run.
// (backends/gvisor:gvisor_backend_test drives the backend directly.)
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

std::string HostFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class GvisorTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    std::string why = GvisorSkipReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override {
    // runsc leaves its gofer and sandbox to whoever adopts them: here the harness, a
    // subreaper. They are reaped once they exit; a live one is still reported as a leak.
    ReapChildren(1);
    ContainerTest::TearDown();
  }
  RunResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"run", "--backend", "gvisor"});
    return Nucleus(args);
  }
};

TEST_F(GvisorTest, SeesGvisorsKernelNotTheHosts) {
  RunResult r = Run({"--", "/bin/cat", "/proc/version"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out, HostFile("/proc/version")) << r;
  EXPECT_FALSE(r.out.empty());
  // The same command under the native backend sees the host's.
  RunResult native = Nucleus({"run", "--", "/bin/cat", "/proc/version"});
  EXPECT_EQ(native.out, HostFile("/proc/version")) << native;
}

// --context under gVisor: the same private copy at /workspace (a directory of the bundle),
// without the excluded entries; the host's tree is not written.
TEST_F(GvisorTest, ContextCopyIsAPrivateWorkspace) {
  std::string p = TestTmpDir() + "/gv-context";
  ASSERT_EQ(mkdir(p.c_str(), 0755), 0) << strerror(errno);
  WriteFile(p + "/README", "readme\n");
  WriteFile(p + "/.env", "TOKEN=leak\n");
  RunResult r =
      Run({"--context", p, "--", "/bin/sh", "-c",
           "pwd; cat README; test -e .env && echo LEAK; echo new > new.txt; cat new.txt"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "/workspace\nreadme\nnew\n") << r;
  EXPECT_FALSE(PathExists(p + "/new.txt"));
}

// --secret under gVisor: the file at DEST, 0400, the workload's, read-only; staged on the
// host's /dev/shm only while the container exists.
TEST_F(GvisorTest, SecretIsAReadOnlyFileOfTheWorkload) {
  std::string src = TestTmpDir() + "/gv-secret";
  WriteFile(src, "gv-s3cret");
  RunResult r =
      Run({"--user", "1000:1000", "--secret", src + ":/home/app/token", "--", "/bin/sh", "-c",
           // find, not stat: this runsc answers statx with EINVAL.
           "cat /home/app/token; echo; find /home/app/token -perm 0400 -user 1000; "
           "echo x > /home/app/token && echo WROTE; true"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("gv-s3cret\n/home/app/token\n")) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("WROTE"))) << r;
  RunResult staged = RunCommand({"/bin/sh", "-c", "ls -d /dev/shm/nucleus-secrets-* 2>/dev/null"});
  EXPECT_EQ(staged.out, "") << "secrets left on /dev/shm: " << staged;
}

TEST_F(GvisorTest, ExitCodesAndSignalsPropagate) {
  EXPECT_EQ(Run({"--", "/bin/sh", "-c", "exit 3"}).exit_code, 3);
  RunResult killed = Run({"--", "/bin/sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(killed.exit_code, 143) << killed;
  RunResult missing = Run({"--", "/nope"});
  EXPECT_EQ(missing.exit_code, 127) << missing;
}

TEST_F(GvisorTest, MemoryLimitHolds) {
  RunResult r = Run({"--memory", "32m", "--", "/bin/sh", "-c",
                     "dd if=/dev/zero of=/dev/shm/fill bs=1M count=200 2>&1; echo survived"});
  EXPECT_THAT(r.out, Not(HasSubstr("survived"))) << r;
  EXPECT_EQ(r.exit_code, 137) << r;
}

TEST_F(GvisorTest, DetachedLifecycle) {
  RunResult r = Run({"-d", "--name", "gv-svc", "--readiness-exec", "test -e /tmp/up",
                     "--readiness-interval", "200ms", "--", "/bin/sh", "-c",
                     "echo hello; touch /tmp/up; trap 'echo bye; exit 7' TERM; "
                     "while true; do sleep 0.1; done"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Json st = InspectContainer("gv-svc");
  EXPECT_EQ(st["backend"], "gvisor") << st.dump();
  EXPECT_EQ(st["ready"], true) << st.dump();
  EXPECT_THAT(Nucleus({"ps"}).out, HasSubstr("gv-svc"));
  // exec runs in the same sandbox: it sees the first process's /tmp and gVisor's kernel.
  RunResult ex = Nucleus({"exec", "gv-svc", "/bin/sh", "-c", "test -e /tmp/up && exit 9"});
  EXPECT_EQ(ex.exit_code, 9) << ex;
  RunResult stop = Nucleus({"stop", "-t", "5", "gv-svc"});
  EXPECT_EQ(stop.exit_code, 0) << stop;
  st = InspectContainer("gv-svc");
  EXPECT_EQ(st["status"], "stopped") << st.dump();
  EXPECT_EQ(st["exit"]["code"], 7) << st.dump();
  RunResult logs = Nucleus({"logs", "gv-svc"});
  EXPECT_THAT(logs.out, HasSubstr("hello\n")) << logs;
  EXPECT_THAT(logs.out, HasSubstr("bye\n")) << logs;
  EXPECT_EQ(Nucleus({"rm", "gv-svc"}).exit_code, 0);
  EXPECT_NE(Nucleus({"inspect", "gv-svc"}).exit_code, 0);
}

TEST_F(GvisorTest, OciCreateStartKillDelete) {
  std::string bundle = UnpackRootfs("gv-bundle");  // the rootfs tarball, then the bundle in it
  std::string rootfs = bundle;
  Json config = {
      {"ociVersion", "1.0.2"},
      {"root", {{"path", rootfs}, {"readonly", true}}},
      {"process",
       {{"args", {"/bin/sh", "-c", "trap 'exit 5' TERM; while true; do sleep 0.1; done"}},
        {"cwd", "/"},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"env", {"PATH=/bin:/sbin"}}}},
      {"mounts", {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}}}},
      {"linux", {{"namespaces", {{{"type", "pid"}}, {{"type", "mount"}}, {{"type", "network"}}}}}},
      {"annotations", {{"run.nucleus.backend", "gvisor"}}}};
  WriteFile(bundle + "/config.json", config.dump());
  RunResult create = Nucleus({"create", "--bundle", bundle, "gv-oci"});
  ASSERT_EQ(create.exit_code, 0) << create;
  Json st = Json::parse(Nucleus({"state", "gv-oci"}).out, nullptr, false);
  EXPECT_EQ(st["status"], "created") << st.dump();
  EXPECT_EQ(Nucleus({"start", "gv-oci"}).exit_code, 0);
  st = Json::parse(Nucleus({"state", "gv-oci"}).out, nullptr, false);
  EXPECT_EQ(st["status"], "running") << st.dump();
  EXPECT_EQ(Nucleus({"kill", "gv-oci", "TERM"}).exit_code, 0);
  for (int i = 0; i < 100 && st["status"] != "stopped"; ++i) {
    usleep(100 * 1000);
    st = Json::parse(Nucleus({"state", "gv-oci"}).out, nullptr, false);
  }
  EXPECT_EQ(st["status"], "stopped") << st.dump();
  // An engine (conmon) reaps the sandbox it adopted; here the harness is that subreaper. The
  // sandbox may exit a little after the container reads "stopped": until it is reaped, runsc
  // delete sees it alive (a zombie) and times out, so wait for every child to be gone.
  ReapChildren(10);
  RunResult del = Nucleus({"delete", "gv-oci"});
  EXPECT_EQ(del.exit_code, 0) << del;
  EXPECT_NE(Nucleus({"state", "gv-oci"}).exit_code, 0);
}

TEST_F(GvisorTest, WhatCannotCarryOverIsRefused) {
  RunResult tty = Run({"-t", "--", "/bin/true"});
  EXPECT_EQ(tty.exit_code, 125) << tty;
  EXPECT_THAT(tty.err, HasSubstr("terminal")) << tty;
  RunResult strict = Run({"--landlock", "strict", "--", "/bin/true"});
  EXPECT_EQ(strict.exit_code, 125) << strict;
  EXPECT_THAT(strict.err, HasSubstr("landlock")) << strict;
  RunResult tcp = Run({"-d", "--readiness-tcp", "8080", "--", "/bin/true"});
  EXPECT_EQ(tcp.exit_code, 125) << tcp;
  EXPECT_THAT(tcp.err, HasSubstr("use --readiness-exec")) << tcp;
}

// The workload's output goes through the caller's open file: into a file the caller has
// written to, after what is there, and what the caller writes next follows it (gVisor alone
// would write from offset 0 over "before"). Also for stderr, and for input read from a file.
TEST_F(GvisorTest, OutputToAFileKeepsTheCallersOffset) {
  const std::string file = TestTmpDir() + "/gvisor-out.txt";
  const std::string cmd = "{ echo before; " + NucleusPath() +
                          " run --backend gvisor -- /bin/sh -c 'echo out; echo err >&2'; "
                          "echo after; } >" +
                          file + " 2>&1";
  RunResult r = RunCommand({"/bin/sh", "-c", cmd});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = SplitLines(HostFile(file));
  ASSERT_GE(lines.size(), 4u) << HostFile(file);
  EXPECT_EQ(lines.front(), "before") << HostFile(file);
  EXPECT_EQ(lines.back(), "after") << HostFile(file);
  EXPECT_EQ(lines[lines.size() - 3], "out") << HostFile(file);
  EXPECT_EQ(lines[lines.size() - 2], "err") << HostFile(file);
  ::unlink(file.c_str());

  const std::string in = TestTmpDir() + "/gvisor-in.txt";
  std::ofstream(in) << "line1\nline2\n";
  RunResult read = RunCommand({"/bin/sh", "-c",
                               "{ read first; echo \"shell: $first\"; " + NucleusPath() +
                                   " run --backend gvisor -- /bin/cat 2>/dev/null; } <" + in});
  EXPECT_EQ(read.exit_code, 0) << read;
  EXPECT_EQ(read.out, "shell: line1\nline2\n") << read;
  ::unlink(in.c_str());
}

// Pipes (the harness's own stdout) and a terminal are passed through as they are.
TEST_F(GvisorTest, OutputToAPipeAndATerminal) {
  RunResult piped = Run({"--", "/bin/sh", "-c", "echo to-pipe; echo to-err >&2"});
  ASSERT_EQ(piped.exit_code, 0) << piped;
  EXPECT_EQ(piped.out, "to-pipe\n");
  EXPECT_THAT(piped.err, HasSubstr("to-err\n"));
  // util-linux script(1) gives nucleus a pty as stdin, stdout and stderr.
  RunResult tty =
      RunCommand({"/usr/bin/script", "-qec",
                  NucleusPath() + " run --backend gvisor -- /bin/echo on-tty", "/dev/null"});
  ASSERT_EQ(tty.exit_code, 0) << tty;
  EXPECT_THAT(tty.out, HasSubstr("on-tty")) << tty;
}

std::set<std::string> CacheFiles() {
  std::set<std::string> names;
  if (DIR* d = ::opendir("/var/cache/nucleus")) {
    while (struct dirent* e = ::readdir(d)) names.insert(e->d_name);
    ::closedir(d);
  }
  return names;
}

// A host whose /dev/kvm opens but cannot run a guest: the platform's sandbox never comes up.
// Simulated on any host with a stand-in runsc that offers systrap and hangs on it (and is the
// real runsc otherwise). auto proves systrap, kills the hanging proof at its deadline, warns
// and runs on ptrace; the verdict is cached, so the next run is fast; asking for systrap
// explicitly is refused with the reason. Nothing of the hung proof is left.
TEST_F(GvisorTest, APlatformThatHangsIsProvenBrokenAndPassedOver) {
  RunResult which = RunCommand({"/bin/sh", "-c", "command -v runsc"});
  ASSERT_EQ(which.exit_code, 0) << which;
  std::string real = which.out.substr(0, which.out.find('\n'));
  const std::string fake = TestTmpDir() + "/hanging-runsc";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\n"
         "for a in \"$@\"; do\n"
         "  case \"$a\" in\n"
         "    help) echo systrap; echo ptrace; exit 0 ;;\n"
         "    --platform=systrap) exec sleep 600 ;;\n"
         "  esac\n"
         "done\n"
         "exec "
      << real << " \"$@\"\n";
  }
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  const std::set<std::string> caches_before = CacheFiles();
  RunOptions o;
  o.set_env = {"NUCLEUS_RUNSC=" + fake};
  o.timeout_s = 60;
  RunResult first = Nucleus({"run", "--backend", "gvisor", "--", "/bin/echo", "ran"}, o);
  EXPECT_EQ(first.exit_code, 0) << first;
  EXPECT_EQ(first.out, "ran\n") << first;
  EXPECT_THAT(first.err, HasSubstr("systrap failed its proof")) << first;
  EXPECT_THAT(first.err, HasSubstr("did not finish")) << first;
  EXPECT_THAT(first.err, HasSubstr("using ptrace")) << first;

  RunResult again = Nucleus({"run", "--backend", "gvisor", "--", "/bin/echo", "ran"}, o);
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.err, HasSubstr("using ptrace")) << again;

  RunResult asked =
      Nucleus({"run", "--backend", "gvisor", "--gvisor-platform", "systrap", "--", "/bin/true"}, o);
  EXPECT_EQ(asked.exit_code, 125) << asked;
  EXPECT_THAT(asked.err, HasSubstr("gvisor platform systrap: it failed its proof")) << asked;

  RunResult check = Nucleus({"check"}, o);
  EXPECT_THAT(check.out, HasSubstr("platform auto = ptrace (systrap failed its proof")) << check;

  for (const std::string& name : CacheFiles()) {
    if (!caches_before.count(name)) ::unlink(("/var/cache/nucleus/" + name).c_str());
  }
  ::unlink(fake.c_str());
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
