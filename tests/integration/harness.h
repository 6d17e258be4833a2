// Test harness for the integration tests: runs `nucleus run ...` as a real subprocess, parses
// the probe's key=value output, and checks that a run leaves nothing behind on the host.
//
//   class MyTest : public nucleus::testing::ContainerTest {};   // skips when not root, and
//   TEST_F(MyTest, Hostname) {                                   // checks for leftovers after
//     RunResult r = RunNucleus({"--hostname", "box", "--", ProbePath(), "facts"});
//     ASSERT_EQ(r.exit_code, 0) << r;
//     EXPECT_EQ(r.Facts()["hostname"], "box");
//   }
//
// Not thread-safe; tests run one container at a time. The process becomes a child subreaper
// (ContainerTest::SetUpTestSuite) so that anything a run leaks is reparented to the test,
// where the leftover check sees it.
#ifndef NUCLEUS_TESTS_INTEGRATION_HARNESS_H_
#define NUCLEUS_TESTS_INTEGRATION_HARNESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace nucleus {
namespace testing {

// ---- runfiles ----

// $TEST_SRCDIR/nucleus/<rel> (falls back to $RUNFILES_DIR).
std::string Runfile(const std::string& rel);
// Canonical (symlink-free) host paths of the data dependencies.
std::string NucleusPath();
std::string ProbePath();
std::string RootfsTarPath();
// $TEST_TMPDIR (or /tmp).
std::string TestTmpDir();
// The running kernel's Landlock ABI (0: none).
int HostLandlockAbi();
// "prefix-PID-N", N counting up in this process: names no other test or run shares.
std::string UniqueName(const std::string& prefix);
// The host uid and gid of the container's root under `nucleus run`'s default user namespace
// as root (container ids 0-65535 are host ids 100000-165535).
inline constexpr uid_t kContainerRootOnHost = 100000;
// A fresh 0755 directory TestTmpDir()/UniqueName(prefix), owned by `owner` (and the group of
// the same number): kContainerRootOnHost for one the default container's root may write.
std::string MakeHostDir(const std::string& prefix, uid_t owner = 0);
// The default root holds the host's programs, not the test's: for `nucleus ... run [FLAGS]
// -- /abs/path/prog ...` without --rootfs or --host-root, where prog exists on the host and
// is not under /usr, /bin, /sbin, /lib* or /etc, inserts `--ro /abs/path` after `run`.
// Subprocess::Start (and so RunCommand, RunNucleus, Nucleus) applies it to every command line.
std::vector<std::string> WithTestProgramBound(const std::vector<std::string>& argv);

// ---- key=value output ----

using KeyValues = std::map<std::string, std::string>;
// Lines "key=value" (split at the first '='); other lines are ignored; the last key wins.
KeyValues ParseKeyValues(const std::string& text);
// "a,b,c" -> {a, b, c}; "" -> {}.
std::vector<std::string> SplitCommas(const std::string& s);
// Lines of text, without the newlines.
std::vector<std::string> SplitLines(const std::string& text);
// Parses a hex capability mask ("0000000000000400"); nullopt when it is not hex.
std::optional<unsigned long long> ParseHex(const std::string& s);

// ---- subprocesses ----

struct RunOptions {
  // Added to (or replacing) variables of the test's own environment for the nucleus process.
  std::vector<std::string> set_env;
  // Removed from it.
  std::vector<std::string> unset_env;
  // When set, the nucleus process runs with exactly these supplementary groups (the test
  // gives nucleus extra host groups to check that they do not leak into the container).
  std::optional<std::vector<gid_t>> supplementary_groups;
  // Seconds before the process is killed with SIGKILL (and the result marked timed_out).
  double timeout_s = 30;
};

// The environment a subprocess gets: this process's, without options.unset_env, with
// options.set_env added (replacing variables of the same name).
std::vector<std::string> ChildEnvironment(const RunOptions& options);

struct RunResult {
  std::vector<std::string> argv;
  int exit_code = -1;   // WEXITSTATUS, or -1 when killed by a signal
  int term_signal = 0;  // WTERMSIG when killed by a signal
  bool timed_out = false;
  // The process exited but something else kept its stdout/stderr open (a leaked process).
  bool pipes_held_open = false;
  std::string out;
  std::string err;

  KeyValues Facts() const { return ParseKeyValues(out); }
  std::vector<std::string> ErrLines() const { return SplitLines(err); }
};
// For assertion messages: the command, how it ended, stdout and stderr.
std::ostream& operator<<(std::ostream& os, const RunResult& r);

// A running child process with its stdout and stderr captured through pipes.
class Subprocess {
 public:
  Subprocess() = default;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // Kills (SIGKILL) and reaps the process if it is still running.
  ~Subprocess();

  // Forks and execs argv[0] (an absolute path). Returns false (with *error) when it cannot.
  bool Start(const std::vector<std::string>& argv, const RunOptions& options, std::string* error);
  pid_t pid() const { return pid_; }

  // Reads output until stdout contains `needle`, the process exits, or timeout_s passes.
  bool WaitForStdout(const std::string& needle, double timeout_s);
  // Waits for exit (SIGKILL after timeout_s), drains the pipes, and returns the result.
  RunResult Finish(double timeout_s);

 private:
  // One poll round: reads what is available; false when both pipes are at EOF.
  bool Pump(int timeout_ms);
  void ReapIfExited(bool block);

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool exited_ = false;
  int wstatus_ = 0;
  std::string out_;
  std::string err_;
};

// `nucleus run ARGS...`, to completion.
RunResult RunNucleus(const std::vector<std::string>& run_args, const RunOptions& options = {});
// `nucleus ARGS...`: any subcommand (ps, inspect, stop, ...), to completion.
RunResult Nucleus(std::vector<std::string> args, const RunOptions& options = {});
// `nucleus inspect REF`: the container's object, or null when inspect fails.
nlohmann::json InspectContainer(const std::string& ref);
// Why `--backend gvisor` cannot run on this host (the `backend.gvisor` line of `nucleus
// check`), or "" when it can: tests of the gVisor backend skip with it.
std::string GvisorSkipReason();
// Any command (absolute path), to completion. For tar, helpers and the like.
RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// ---- host state ----

// What a container run could leave behind on the host.
struct HostSnapshot {
  std::set<std::string> mounts;      // lines of /proc/self/mountinfo
  std::set<std::string> cgroups;     // dirs under /sys/fs/cgroup (depth <= 4) with "nucleus"
  std::set<std::string> run_state;   // entries under /run/nucleus (depth <= 4)
  std::set<std::string> empty_dirs;  // the subset of run_state that are empty directories
  std::string hostname;

  static HostSnapshot Take();
};

// Describes everything `after` has that `before` had not (or lost), one item a line; empty
// when nothing was left behind. Tolerated: the parent cgroup directories named exactly
// "nucleus" / "nucleus.slice" and empty directories under /run/nucleus (a state-root
// skeleton), which legitimately outlive a run.
std::string DescribeLeftovers(const HostSnapshot& before, const HostSnapshot& after);

// Processes whose parent is this test process (with the subreaper flag set, that is every
// leaked descendant), as "pid comm state" lines. Zombies included.
std::vector<std::string> ChildProcesses();
// Kills and reaps every child process (after a failure, so one leak does not fail the next
// test too).
void KillAndReapChildren();

// ---- environment checks ----

// Empty when containers can run here; otherwise why not (not root, no namespaces, ...).
const std::string& ContainerSkipReason();

// Unpacks //tests:rootfs_tar into a fresh directory under $TEST_TMPDIR; returns its path.
// Failures are gtest failures (check with ASSERT_NO_FATAL_FAILURE / HasFatalFailure()).
std::string UnpackRootfs(const std::string& name);

// Writes `content` to path (creating parents), failing the test on error.
void WriteFile(const std::string& path, const std::string& content);
// Reads a whole file; nullopt when it cannot be opened.
std::optional<std::string> ReadFile(const std::string& path);
// The number a file starts with (a cgroup value, a counter); -1 when missing or not a number.
long ReadNumber(const std::string& path);
bool PathExists(const std::string& path);

// Reaps the children of this process (a subreaper: `run -d` monitors, podman's conmon and
// the like are reparented to it when their parent exits) until none is left, or timeout_s
// passed with some still running. Call it before the leftover check sees them.
void ReapChildren(double timeout_s = 5);

// Base fixture for tests that start containers: skips with the reason when containers cannot
// run here, snapshots the host before each test and fails it when the test left anything
// behind (mounts, cgroups, /run/nucleus state, child processes, a changed host hostname).
class ContainerTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();

 protected:
  void SetUp() override;
  void TearDown() override;

 private:
  bool checking_ = false;
  HostSnapshot before_;
};

}  // namespace testing
}  // namespace nucleus

#endif  // NUCLEUS_TESTS_INTEGRATION_HARNESS_H_
