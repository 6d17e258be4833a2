// One container's cgroup(s): created under PARENT/NAME in every hierarchy nucleus uses, with
// the limits applied, the processes placed, statistics read, and everything killed and
// removed at the end.
//
// One interface, three implementations chosen by the host's layout (layout.h):
//   v2      one directory in the unified hierarchy. Controllers are enabled in
//           cgroup.subtree_control from the root down to PARENT (only those missing there:
//           memory, pids, cpu, io always when offered; cpuset when asked). The process joins
//           at birth: clone3(CLONE_INTO_CGROUP, clone_into_fd()). Devices: a BPF program.
//           Kill: cgroup.kill.
//   v1      one directory per mounted hierarchy of memory, cpu, cpuacct, cpuset, pids, blkio,
//           devices, freezer (co-mounted ones share it). New cpuset groups get their parent's
//           cpus/mems. The parent writes the child's pid to each cgroup.procs (AddProcess)
//           before the child may run anything of the workload. Devices: devices.deny "a" then
//           devices.allow. Kill: freeze, SIGKILL every pid, thaw, wait until empty.
//   hybrid  v1 for the controllers, plus a group in the cgroup2 hierarchy (joined at birth
//           with CLONE_INTO_CGROUP; its cgroup.kill kills everything at once, and any controller
//           that lives on the v2 side, like the device BPF program when v1 has no devices
//           controller, is applied there).
//
// Ownership (RAII): the object returned by CreateCgroup owns the directories it made; its
// destructor, and a Create that fails half-way, kill what is inside and remove them. It holds
// flock(LOCK_EX) on every directory while it lives: `nucleus gc` treats a group whose lock it
// can take as abandoned (the nucleus that made it is gone, gc.h). OpenCgroup returns a view of
// an existing group that owns nothing: its destructor removes nothing. The PARENT levels a
// Create had to make are the owner's too: removed after the group when they are empty (a
// level still holding another container's group stays; CreateCgroup retries when a level
// vanishes under it). Levels that existed before are never removed, except those of the
// default parent "nucleus", which is nucleus's own: the last container out removes it.
//
// Parent side only; not thread-safe. Errors name the file and the flag: "--cpuset-cpus:
// write(/sys/fs/cgroup/cpuset/nucleus/web/cpuset.cpus, '99'): Invalid argument".
//
//   CgroupConfig config{.parent = "nucleus", .name = spec.id, .resources = spec.resources,
//                       .devices = DefaultDeviceRules()};
//   ASSIGN_OR_RETURN(std::unique_ptr<Cgroup> cg, CreateCgroup(hierarchies, config));
//   ASSIGN_OR_RETURN(ThreadInCgroup stay, cg->EnterCallingThread());  // v1: born there too
//   pid = clone3(... CLONE_INTO_CGROUP, cg->clone_into_fd() ...);
//   RETURN_IF_ERROR(stay.Leave());
//   (or, for a process that already runs: RETURN_IF_ERROR(cg->AddProcess(pid, false)))
//   ... wait ...
//   if (*cg->OomKills() > 0) ...;
//   RETURN_IF_ERROR(cg->KillAndRemove());
#ifndef NUCLEUS_RUNTIME_CGROUP_CGROUP_H_
#define NUCLEUS_RUNTIME_CGROUP_CGROUP_H_

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/limits.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

struct CgroupStats {
  std::optional<uint64_t> memory_current;  // bytes
  std::optional<uint64_t> memory_peak;     // bytes (v2: memory.peak, Linux 5.19+)
  std::optional<uint64_t> memory_limit;    // bytes; nullopt: unlimited or unknown
  std::optional<uint64_t> cpu_usage_ns;    // total CPU time of every process, ever
  std::optional<uint64_t> pids_current;
  std::optional<uint64_t> pids_limit;  // nullopt: unlimited or unknown
  std::optional<uint64_t> io_read_bytes;
  std::optional<uint64_t> io_write_bytes;
  std::optional<uint64_t> oom_kills;  // processes the OOM killer killed in the group
};

// The calling thread's stay in a container's v1 groups (Cgroup::EnterCallingThread). While it
// lasts, a process the thread clones is born in every one of them. Leave() (or the destructor)
// moves the thread back to the groups it came from (the hierarchy's root when that one is
// gone) and restores its CPU affinity, which entering a cpuset group resets. Must be left by
// the thread that entered. Move-only; an empty one (v2, a fake tree) does nothing.
class ThreadInCgroup {
 public:
  ThreadInCgroup() = default;
  ThreadInCgroup(ThreadInCgroup&& o) noexcept { *this = std::move(o); }
  ThreadInCgroup& operator=(ThreadInCgroup&& o) noexcept;
  ThreadInCgroup(const ThreadInCgroup&) = delete;
  ThreadInCgroup& operator=(const ThreadInCgroup&) = delete;
  ~ThreadInCgroup();

  // Whether the thread is in any group now.
  bool entered() const { return !home_.empty(); }
  // Moves the thread back; idempotent. An error means it is still in one of the groups.
  absl::Status Leave();

  // One v1 group to enter: the hierarchy's mount point, the group's directory below it, and
  // the controllers the hierarchy holds (to find the thread's own group there).
  struct Group {
    std::string mount;
    std::string dir;
    std::vector<std::string> controllers;
  };
  // What EnterCallingThread does, for these groups. self_cgroup: the thread's own groups
  // (/proc/thread-self/cgroup; a test passes another file). All or nothing: on an error the
  // thread is back where it was.
  static absl::StatusOr<ThreadInCgroup> Enter(
      const std::vector<Group>& groups,
      const std::string& self_cgroup = "/proc/thread-self/cgroup");

 private:
  struct Home {
    std::string tasks;       // MOUNT/ORIGINAL/tasks: where the thread came from
    std::string root_tasks;  // MOUNT/tasks: where it goes when that one is gone
  };
  std::vector<Home> home_;  // one per hierarchy entered
  bool has_affinity_ = false;
  cpu_set_t affinity_;
};

// The v1 controllers nucleus places containers in (sorted), and whether every container's
// group is made in one's hierarchy or only for a limit on it (cpu, cpuset). `nucleus check`
// reports these, so that it says what the backends do.
const std::vector<std::string>& V1ControllersUsed();
bool V1ControllerAlwaysUsed(absl::string_view controller);

class Cgroup {
 public:
  virtual ~Cgroup() = default;
  // "v2", "v1", "hybrid".
  virtual const char* kind() const = 0;
  // The group's directories, one per hierarchy.
  virtual std::vector<std::string> paths() const = 0;
  // A directory fd in the v2 hierarchy for clone3(CLONE_INTO_CGROUP); -1 when none.
  virtual int clone_into_fd() const = 0;
  // Moves pid (a whole process) into the group in every hierarchy; the v2 one is skipped when
  // joined_by_clone (clone3 put it there).
  virtual absl::Status AddProcess(pid_t pid, bool joined_by_clone) = 0;
  // v1 (hybrid: its v1 side): moves the calling thread alone into the group in every
  // hierarchy (it writes "0" to each `tasks` file), so that a process it clones next is born
  // there, as CLONE_INTO_CGROUP does on v2, and needs no AddProcess. The reason is time: the
  // kernel moves another process (a pid written to cgroup.procs) behind the threadgroup lock,
  // whose first writer of a while waits for an RCU grace period (5-10 ms on a 2-core VM),
  // while a thread moving itself alone ("0" to `tasks`) skips that lock on current kernels
  // (60 us against 5 ms measured on 6.18; a kernel that still takes it is no slower than
  // AddProcess). Keep the stay short: until the thread leaves, this
  // process is listed in the group's cgroup.procs. Fails (having moved nothing) when the
  // thread's own groups cannot be read or the kernel refuses a move (a real-time thread and
  // a cpu group without an RT budget, ...): the caller then falls back to AddProcess. v2 and
  // fake trees: an empty stay.
  virtual absl::StatusOr<ThreadInCgroup> EnterCallingThread() = 0;
  // Every pid in the group (any hierarchy), host pid namespace.
  virtual absl::StatusOr<std::vector<pid_t>> Processes() const = 0;
  // What can be read; a field whose file is missing stays nullopt.
  virtual CgroupStats Stats() const = 0;
  // The OOM killer's kills in the group (v2 memory.events oom_kill, v1 memory.oom_control
  // oom_kill); 0 without a memory controller.
  virtual absl::StatusOr<uint64_t> OomKills() const = 0;
  // The memory limit applied (bytes), for messages; nullopt: none.
  virtual std::optional<uint64_t> memory_limit() const = 0;
  // flock(LOCK_EX|LOCK_NB) on every directory: true when all were taken (no nucleus holds
  // the group), false when one is held by another process.
  virtual absl::StatusOr<bool> TryLock() = 0;
  // Freezes (true) or thaws (false) every process in the group: v1 freezer.state
  // FROZEN/THAWED, v2 cgroup.freeze 1/0 (hybrid: the v1 freezer when one is mounted, else the
  // v2 group). Returns once the kernel reports it done (v1 freezer.state reads FROZEN, not
  // FREEZING; v2 cgroup.events "frozen 1"), polling until `timeout`: DeadlineExceeded when it
  // does not settle (a freeze is undone first: a half-frozen group is thawed again).
  // FailedPrecondition when the group has no freezer (v1 without the freezer hierarchy).
  virtual absl::Status Freeze(bool frozen, absl::Duration timeout) = 0;
  // Whether the group is frozen now (v1 FREEZING counts as not yet).
  virtual absl::StatusOr<bool> Frozen() const = 0;
  // Applies the limits r sets to the existing group (`nucleus update`), with the same files
  // and values as CreateCgroup (limits.h); limits r leaves unset are not touched. A write the
  // kernel refuses is retried once after the others (v1 wants memory.limit_in_bytes <=
  // memory.memsw.limit_in_bytes at every step, so raising both needs memsw first). Errors
  // name the flag and file; FailedPrecondition when the group lacks a controller r needs.
  virtual absl::Status Update(const ResourcesSpec& r) = 0;
  // Gives up ownership (a detached container outlives the nucleus that created it): the
  // destructor no longer removes the group. KillAndRemove still does, when called.
  virtual void Disown() = 0;
  // Kills every process in the group, waits (up to ~5 s) until it is empty, and removes its
  // directories (never PARENT; for the default parent "nucleus", its empty levels go too,
  // also from a view OpenCgroup returned). Idempotent.
  virtual absl::Status KillAndRemove() = 0;
};

struct CgroupConfig {
  std::string parent = "nucleus";
  std::string name;
  ResourcesSpec resources;
  // Allowed devices; empty: device access is not restricted.
  std::vector<DeviceRule> devices;
  // v2: load and attach the device BPF program (a fake tree cannot take one).
  bool device_bpf = true;
};

// Makes the group in every hierarchy and applies the limits. Fails (removing whatever it made)
// when the group already exists ("a container named NAME is running?"), a controller a flag
// needs is missing, or the kernel refuses a value.
absl::StatusOr<std::unique_ptr<Cgroup>> CreateCgroup(const CgroupHierarchies& h,
                                                     const CgroupConfig& config);
// An existing group (in any hierarchy that has it); NotFound when none has it. Owns nothing.
absl::StatusOr<std::unique_ptr<Cgroup>> OpenCgroup(const CgroupHierarchies& h,
                                                   const std::string& parent,
                                                   const std::string& name);
// Names of the groups under PARENT in any hierarchy, sorted.
std::vector<std::string> ListCgroups(const CgroupHierarchies& h, const std::string& parent);

// --cgroup-parent: a relative path of 1..16 components of [A-Za-z0-9_.:@-], none "." or "..",
// at most 255 bytes; a leading '/' is dropped. Returns the clean path.
absl::StatusOr<std::string> ValidateCgroupParent(absl::string_view parent, absl::string_view flag);
// The parent that names the root of each hierarchy: a group directly below it (config.json's
// absolute cgroupsPath "/NAME", which the spec places relative to the cgroup mount point).
// Accepted by CreateCgroup and OpenCgroup only: ValidateCgroupParent (--cgroup-parent, gc)
// refuses it, so nothing lists or collects the host's top-level groups.
inline constexpr char kCgroupRootParent[] = "/";
// A group name (a container id): [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 bytes.
absl::Status ValidateCgroupName(absl::string_view name);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_CGROUP_H_
