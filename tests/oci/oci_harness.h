// Harness for the OCI lifecycle conformance tests (tests/oci): runs any `nucleus --root R ...`
// command while reaping the test's zombie children, writes OCI bundles (a `runc spec`-like
// config.json over the busybox rootfs), and gives each test a private state root that must
// be empty at the end.
//
//   class LifecycleTest : public nucleus::testing::OciTest {};
//   TEST_F(LifecycleTest, CreateStart) {
//     Bundle b = MakeBundle({"sleep", "100"});
//     RunResult r = Oci({"create", "--bundle", b.dir, Id("c")});
//     ASSERT_EQ(r.exit_code, 0) << r;
//     EXPECT_EQ(StateOf(Id("c"))["status"], "created");
//   }
//
// Why the reaping: the test process is a child subreaper (ContainerTest), so a created
// container's first process, a detached exec and the `run -d` monitor all become its
// children once the nucleus command that started them exits. Their zombies must be reaped
// while nucleus runs: a container's PID 1 cannot finish exiting (and `delete --force`, which
// waits for it, cannot return) until every process of its PID namespace has been reaped.
// Not thread-safe.
#ifndef NUCLEUS_TESTS_OCI_OCI_HARNESS_H_
#define NUCLEUS_TESTS_OCI_OCI_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/harness.h"

namespace nucleus {
namespace testing {

using Json = nlohmann::json;

// Seconds on CLOCK_MONOTONIC.
double MonotonicNow();

// Reaps every zombie child of this process except protected ones; records their wait
// statuses (ReapedStatus). Returns how many it reaped.
int ReapZombies();
// Protected pids are never reaped by this harness: a background Subprocess's own pid, which
// its Finish() reaps.
void Protect(pid_t pid);
void Unprotect(pid_t pid);
// The wait status of a child reaped by ReapZombies / WaitReaped, if it was.
std::optional<int> ReapedStatus(pid_t pid);
// Polls until `pid` (a child of this process) has been reaped, reaping zombies meanwhile.
std::optional<int> WaitReaped(pid_t pid, double timeout_s);

// Runs argv (argv[0] absolute) to completion like RunCommand, reaping zombie children other
// than the command itself (and protected ones) meanwhile. stdout and stderr go through files,
// not pipes: a created container inherits `create`'s stdio (as with runc) and would hold
// pipes open. (pipes_held_open is therefore never set.)
RunResult RunReaping(const std::vector<std::string>& argv, const RunOptions& options = {});

// Polls cond every 20 ms (reaping zombies) until it is true or timeout_s passes.
bool WaitUntil(const std::function<bool()>& cond, double timeout_s);

// A process's state letter from /proc/PID/stat ('R', 'S', 'Z', ...); 0 when gone.
char ProcState(pid_t pid);
// Its parent pid; 0 when gone.
pid_t ProcParent(pid_t pid);
// Alive: exists and not a zombie.
bool ProcAlive(pid_t pid);

// Directories matching the container's cgroup in every hierarchy: /sys/fs/cgroup/*/PARENT/NAME
// and /sys/fs/cgroup/PARENT/NAME (v2).
std::vector<std::string> CgroupDirs(const std::string& parent, const std::string& name);

// Whether this host has a cgroup hierarchy nucleus can use (v1 controllers or v2), and
// whether it has the given controller ("memory", "pids").
bool CgroupsAvailable();
bool HostHasController(const std::string& controller);
// CgroupDirs is non-empty, or the host has no cgroups at all (then nucleus makes none).
bool CgroupExistsOrNoCgroups(const std::string& parent, const std::string& name);

// Entries of a directory (not . and ..); empty when it cannot be read.
std::vector<std::string> DirEntries(const std::string& dir);

// The default config.json, as `runc spec` writes it (without a terminal and with a writable
// /tmp tmpfs over the read-only root): process args/env PATH/cwd /, root rootfs (read-only),
// mounts proc, /dev tmpfs, devpts, /dev/shm, mqueue, sysfs ro, namespaces pid, network, ipc,
// uts, mount, runc's maskedPaths and readonlyPaths.
Json DefaultConfig(const std::string& rootfs, const std::vector<std::string>& args);

struct Bundle {
  std::string dir;  // absolute
  Json config;
  // (Re)writes dir/config.json from config.
  void Write() const;
};

// Base fixture: ContainerTest (skips without root, leftover checks) plus the unpacked rootfs
// (once per binary), a fresh directory per test and a private --root inside it. TearDown fails
// the test if the root still holds containers (and force-deletes them so the host stays
// clean), reaps zombies, then runs ContainerTest's leftover check.
class OciTest : public ContainerTest {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `nucleus --root ROOT args...`, reaping zombies while it runs.
  RunResult Oci(const std::vector<std::string>& args, const RunOptions& options = {});
  // The argv of that command (for Subprocess).
  std::vector<std::string> OciArgv(const std::vector<std::string>& args) const;

  // A container id unique to this test process: PREFIX-PID.
  std::string Id(const std::string& prefix) const;
  // A fresh directory under this test's directory.
  std::string MakeDir(const std::string& name) const;
  // A bundle directory with config.json = DefaultConfig(rootfs, args) (written).
  Bundle MakeBundle(const std::vector<std::string>& args, const std::string& name = "bundle");

  // `state ID` parsed; ADD_FAILURE and null on error.
  Json StateOf(const std::string& id);
  // "status" of `state ID`, or "" when state fails.
  std::string StatusOf(const std::string& id);
  // Polls `state ID` until its status is `status`.
  bool WaitForStatus(const std::string& id, const std::string& status, double timeout_s = 10);
  // Entries of the state root.
  std::vector<std::string> RootEntries() const { return DirEntries(root_); }

  const std::string& rootfs() const { return rootfs_; }
  const std::string& root() const { return root_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string rootfs_;
  std::string dir_;
  std::string root_;
  bool active_ = false;
};

}  // namespace testing
}  // namespace nucleus

#endif  // NUCLEUS_TESTS_OCI_OCI_HARNESS_H_
