// `nucleus run` with bad input: exit status 125, exactly one line on stderr that starts with
// "nucleus: " and names the bad input, the workload never runs, and nothing is left behind
// (the fixture checks mounts, cgroups, /run/nucleus and processes after every test).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The contract for every refused run. `names` must all appear in the message.
void ExpectRefused(const RunResult& r, const std::vector<std::string>& names) {
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_EQ(r.out, "") << "the workload ran (or nucleus printed to stdout)" << r;
  std::vector<std::string> lines = r.ErrLines();
  ASSERT_EQ(lines.size(), 1u) << "stderr must be exactly one line" << r;
  EXPECT_FALSE(r.err.empty() || r.err.back() != '\n') << "the line is not terminated" << r;
  EXPECT_THAT(lines[0], StartsWith("nucleus: ")) << r;
  for (const std::string& name : names) {
    EXPECT_THAT(Lower(lines[0]), HasSubstr(Lower(name)))
        << "the message does not name '" << name << "'" << r;
  }
}

class BadInputTest : public ContainerTest {};

TEST_F(BadInputTest, UnknownFlag) {
  RunResult r = RunNucleus({"--bogus-flag", "--", ProbePath(), "facts"});
  ExpectRefused(r, {"--bogus-flag"});
}

TEST_F(BadInputTest, UnknownFlagWithValue) {
  RunResult r = RunNucleus({"--no-such-option=1", "--", ProbePath(), "facts"});
  ExpectRefused(r, {"--no-such-option"});
}

TEST_F(BadInputTest, MissingCommand) { ExpectRefused(RunNucleus({}), {"command"}); }

TEST_F(BadInputTest, MissingCommandAfterDoubleDash) {
  ExpectRefused(RunNucleus({"--hostname", "x", "--"}), {"command"});
}

TEST_F(BadInputTest, FlagMissingItsValue) {
  ExpectRefused(RunNucleus({"--hostname"}), {"--hostname"});
}

TEST_F(BadInputTest, BadUser) {
  RunResult r = RunNucleus({"--user", "abc:", "--", ProbePath(), "facts"});
  ExpectRefused(r, {"--user", "abc:"});
}

TEST_F(BadInputTest, BadCapability) {
  RunResult r = RunNucleus({"--cap-add", "NOT_A_CAP", "--", ProbePath(), "facts"});
  ExpectRefused(r, {"--cap-add", "NOT_A_CAP"});
}

TEST_F(BadInputTest, NonexistentRootfs) {
  std::string rootfs = "/nonexistent/" + UniqueName("nucleus-it-rootfs");
  RunResult r = RunNucleus({"--rootfs", rootfs, "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {rootfs});
}

TEST_F(BadInputTest, RootfsIsAFile) {
  RunResult r = RunNucleus({"--rootfs", "/etc/passwd", "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {"/etc/passwd"});
}

TEST_F(BadInputTest, RoOfMissingPath) {
  std::string path = "/nonexistent/" + UniqueName("nucleus-it-ro");
  RunResult r = RunNucleus({"--ro", path, "--", ProbePath(), "facts"});
  ExpectRefused(r, {path});
}

TEST_F(BadInputTest, RwOfMissingPathWithDestination) {
  std::string path = "/nonexistent/" + UniqueName("nucleus-it-rw");
  RunResult r = RunNucleus({"--rw", path + ":/mnt", "--", ProbePath(), "facts"});
  ExpectRefused(r, {path});
}

TEST_F(BadInputTest, DestinationWithDotDot) {
  std::string src = TestTmpDir();
  ExpectRefused(RunNucleus({"--ro", src + ":/mnt/../../etc", "--", ProbePath(), "facts"}), {".."});
  ExpectRefused(RunNucleus({"--tmpfs", "/mnt/../../etc", "--", ProbePath(), "facts"}), {".."});
}

TEST_F(BadInputTest, RelativeDestination) {
  ExpectRefused(RunNucleus({"--tmpfs", "relative/dir", "--", ProbePath(), "facts"}),
                {"relative/dir"});
}

TEST_F(BadInputTest, MissingMountPointOnReadOnlyHostRoot) {
  // --host-root is the host's own /, read-only: a mount point cannot be created in it.
  std::string dest = "/" + UniqueName("nucleus-it-no-such-dir");
  RunResult r = RunNucleus({"--host-root", "--tmpfs", dest, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 125) << r;
  EXPECT_EQ(r.out, "") << r;
  std::vector<std::string> lines = r.ErrLines();
  ASSERT_EQ(lines.size(), 2u) << "the --host-root warning, then the error" << r;
  EXPECT_THAT(lines[0], HasSubstr("--host-root")) << r;
  EXPECT_THAT(lines[1], HasSubstr(dest)) << r;
  EXPECT_FALSE(PathExists(dest)) << "a directory was created on the host's root";
}

TEST_F(BadInputTest, SensitiveBindSourcesNeedTheirFlag) {
  for (const std::string& src :
       {"/", "/etc", "/root", "/run", "/var/run", "/proc/1", "/sys/kernel", "/dev", "/boot"}) {
    RunResult r = RunNucleus({"--ro", src + ":/mnt/x", "--", "/bin/true"});
    ExpectRefused(r, {"--ro", src, "--allow-sensitive-bind"});
  }
  RunResult rw = RunNucleus({"--rw", "/etc:/mnt/x", "--", "/bin/true"});
  ExpectRefused(rw, {"--rw", "/etc"});
  RunResult allowed =
      RunNucleus({"--allow-sensitive-bind", "--ro", "/etc:/mnt/x", "--", "/bin/true"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed;
}

TEST_F(BadInputTest, BadSecrets) {
  ExpectRefused(RunNucleus({"--secret", "/nonexistent/token", "--", "/bin/true"}),
                {"--secret", "/nonexistent/token"});
  ExpectRefused(RunNucleus({"--secret", "/usr", "--", "/bin/true"}), {"--secret", "/usr"});
  ExpectRefused(RunNucleus({"--secret", "cred:db", "--", "/bin/true"}),
                {"--secret", "cred:db", "CREDENTIALS_DIRECTORY"});
  // A FIFO must not hang the start.
  std::string fifo = UniqueName("/tmp/nucleus-secret") + ".fifo";  // short: names get quoted whole
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
  ExpectRefused(RunNucleus({"--secret", fifo, "--", "/bin/true"}), {"--secret", fifo});
  unlink(fifo.c_str());
}

TEST_F(BadInputTest, HostRootAndRootfsAreOneOrTheOther) {
  ExpectRefused(RunNucleus({"--host-root", "--rootfs", "/usr", "--", "/bin/true"}),
                {"--host-root", "--rootfs"});
}

TEST_F(BadInputTest, BadTmpfsSize) {
  RunResult r = RunNucleus({"--tmpfs", "/mnt:size=lots", "--", ProbePath(), "facts"});
  ExpectRefused(r, {"--tmpfs"});
}

TEST_F(BadInputTest, BadEnvFile) {
  std::string path = "/nonexistent/" + UniqueName("nucleus-it-env");
  ExpectRefused(RunNucleus({"--env-file", path, "--", ProbePath(), "env"}), {path});
}

// A copy of the busybox rootfs with symlinks that point out of it; a mount through them must
// be refused before anything is created or mounted on the host.
class SymlinkEscapeTest : public ContainerTest {
 protected:
  void SetUp() override {
    ContainerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    rootfs_ = UnpackRootfs(UniqueName("escape-rootfs"));
    if (HasFailure()) return;
    host_target_ = TestTmpDir() + "/" + UniqueName("escape-target");
    ASSERT_EQ(mkdir(host_target_.c_str(), 0755), 0);
    // Absolute: naively joined with the rootfs it is the host's own directory.
    ASSERT_EQ(symlink(host_target_.c_str(), (rootfs_ + "/evil").c_str()), 0);
    ASSERT_EQ(symlink("/etc", (rootfs_ + "/evil_etc").c_str()), 0);
    // Relative, climbing out with "..".
    std::string up;
    for (int i = 0; i < 32; ++i) up += "../";
    ASSERT_EQ(symlink((up + host_target_.substr(1)).c_str(), (rootfs_ + "/evil_up").c_str()), 0);
  }

  // The host directory the symlinks point at is untouched: still empty.
  void ExpectHostTargetUntouched() {
    RunResult ls = RunCommand({"/bin/ls", "-A", host_target_});
    EXPECT_EQ(ls.exit_code, 0) << ls;
    EXPECT_EQ(ls.out, "") << "something was created on the host through the symlink" << ls;
  }

  std::string rootfs_;
  std::string host_target_;
};

TEST_F(SymlinkEscapeTest, AbsoluteSymlinkToHostDir) {
  RunResult r =
      RunNucleus({"--rootfs", rootfs_, "--tmpfs", "/evil/x", "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {"/evil/x", "symlink"});
  ExpectHostTargetUntouched();
}

TEST_F(SymlinkEscapeTest, AbsoluteSymlinkToEtc) {
  std::string name = UniqueName("nucleus-it-escape");
  RunResult r = RunNucleus(
      {"--rootfs", rootfs_, "--tmpfs", "/evil_etc/" + name, "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {"/evil_etc/" + name, "symlink"});
  EXPECT_FALSE(PathExists("/etc/" + name)) << "created on the host's /etc";
  if (PathExists("/etc/" + name)) rmdir(("/etc/" + name).c_str());
}

TEST_F(SymlinkEscapeTest, DotDotSymlinkToHostDir) {
  RunResult r =
      RunNucleus({"--rootfs", rootfs_, "--tmpfs", "/evil_up/x", "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {"/evil_up/x", "symlink"});
  ExpectHostTargetUntouched();
}

TEST_F(SymlinkEscapeTest, BindThroughSymlink) {
  std::string src = TestTmpDir() + "/" + UniqueName("bind-src");
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  RunResult r = RunNucleus(
      {"--rootfs", rootfs_, "--rw", src + ":/evil_up/data", "--", "/bin/sh", "-c", "echo ran"});
  ExpectRefused(r, {"/evil_up/data", "symlink"});
  ExpectHostTargetUntouched();
}

}  // namespace
}  // namespace testing
}  // namespace nucleus
