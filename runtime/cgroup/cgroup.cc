#include "runtime/cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/cgroup/device_bpf.h"
#include "runtime/cgroup/parse.h"
#include "runtime/state/ids.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

constexpr double kEmptyTimeoutS = 5.0;
// v1 reports "no limit" as the largest page-aligned long (9223372036854771712).
constexpr uint64_t kV1Unlimited = uint64_t{1} << 62;

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void SleepMs(int ms) {
  struct timespec ts = {0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::optional<std::string> ReadControl(const std::string& path) {
  absl::StatusOr<std::string> s = ReadFileToString(path, 1 << 20);
  if (!s.ok()) return std::nullopt;
  return *std::move(s);
}

template <typename T>
std::optional<T> Opt(const absl::StatusOr<T>& s) {
  if (!s.ok()) return std::nullopt;
  return *s;
}

// One write() of `value` to DIR/FILE: cgroupfs takes each write as one command.
absl::Status WriteControl(const std::string& path, absl::string_view value, bool fake) {
  int flags = O_WRONLY | O_CLOEXEC | (fake ? O_CREAT | O_TRUNC : 0);
  UniqueFd fd(::open(path.c_str(), flags, 0644));
  if (!fd.valid()) return ErrnoStatus("open", path);
  ssize_t n = RetryEintr([&] { return ::write(fd.get(), value.data(), value.size()); });
  if (n != static_cast<ssize_t>(value.size())) {
    return ErrnoStatus("write", absl::StrCat(path, ", ", Quote(value)), n < 0 ? errno : EIO);
  }
  return absl::OkStatus();
}

// mkdir; EEXIST is fine for a parent, an error for the group itself.
absl::StatusOr<bool> MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) return false;
  return ErrnoStatus("mkdir", path);
}

// rmdir of the parent levels a container made, innermost first; a level another container
// still uses (EBUSY, ENOTEMPTY) or already removed (ENOENT) stays as it is.
void RemoveMadeParents(std::vector<std::string>* levels) {
  for (auto it = levels->rbegin(); it != levels->rend(); ++it) {
    if (::rmdir(it->c_str()) != 0) break;
  }
  levels->clear();
}

absl::Status RemoveDir(const std::string& path, bool fake) {
  if (fake) {  // a plain directory: the "control files" are ours to delete
    if (DIR* d = ::opendir(path.c_str())) {
      while (struct dirent* e = ::readdir(d)) {
        if (e->d_type == DT_REG) (void)::unlink(absl::StrCat(path, "/", e->d_name).c_str());
      }
      ::closedir(d);
    }
  }
  // EBUSY: the last exiting task has not left the group yet (it is still being reaped).
  double deadline = Now() + kEmptyTimeoutS;
  while (::rmdir(path.c_str()) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    if (errno != EBUSY || Now() > deadline) return ErrnoStatus("rmdir", path);
    SleepMs(10);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<pid_t>> ReadPids(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir + "/cgroup.procs"));
  absl::StatusOr<std::vector<pid_t>> pids = ParsePidList(text);
  if (!pids.ok()) return Annotate(pids.status(), dir + "/cgroup.procs");
  return pids;
}

// One directory of the group in one hierarchy.
struct Dir {
  std::string path;
  std::string mount;                     // v1: the hierarchy's mount point
  std::vector<std::string> controllers;  // v1: what this hierarchy holds; v2: enabled ones
  UniqueFd fd;                           // O_DIRECTORY; flocked by the owner
  bool created = false;                  // ours to remove
  // Parent levels (--cgroup-parent's components) this container's Create made, outermost
  // first: removed after `path` when empty, so a lone `nucleus run` leaves no parent behind.
  std::vector<std::string> made_parents;
  bool Has(absl::string_view c) const {
    return std::find(controllers.begin(), controllers.end(), c) != controllers.end();
  }
};

absl::StatusOr<UniqueFd> OpenDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path);
  return fd;
}

absl::StatusOr<bool> TryLockFd(int fd, const std::string& path) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
  if (errno == EWOULDBLOCK) return false;
  return ErrnoStatus("flock", path);
}

absl::Status Apply(const Dir& dir, const CgroupWrite& w, bool fake) {
  std::string file = w.file;
  if (!fake && !Exists(dir.path + "/" + file)) {
    for (const std::string& alt : w.fallback_files) {
      if (Exists(dir.path + "/" + alt)) {
        file = alt;
        break;
      }
    }
    if (!Exists(dir.path + "/" + file)) {
      if (w.optional) return absl::OkStatus();
      return absl::FailedPreconditionError(
          absl::StrCat(w.source, ": ", dir.path, "/", w.file,
                       " does not exist (the kernel does not offer this limit here)"));
    }
  }
  absl::Status st = WriteControl(dir.path + "/" + file, w.value, fake);
  if (!st.ok()) return Annotate(st, w.source);
  return absl::OkStatus();
}

std::string MissingController(absl::string_view flag, absl::string_view controller,
                              absl::string_view where) {
  return absl::StrCat(flag, ": the ", controller, " controller is not available (", where, ")");
}

// Applies writes through `dir_of` (the directory holding a write's controller; nullptr: the
// group lacks it). A refused write is retried once after the rest (ordering constraints
// between files, e.g. v1 memory.limit_in_bytes <= memory.memsw.limit_in_bytes).
absl::Status ApplyUpdate(const std::vector<CgroupWrite>& writes,
                         const std::function<const Dir*(const std::string&)>& dir_of,
                         absl::string_view where, bool fake) {
  std::vector<const CgroupWrite*> failed;
  for (const CgroupWrite& w : writes) {
    const Dir* d = dir_of(w.controller);
    if (d == nullptr) {
      return absl::FailedPreconditionError(MissingController(w.source, w.controller, where));
    }
    if (!Apply(*d, w, fake).ok()) failed.push_back(&w);
  }
  for (const CgroupWrite* w : failed) RETURN_IF_ERROR(Apply(*dir_of(w->controller), *w, fake));
  return absl::OkStatus();
}

// Polls `done` every millisecond until it is true or the deadline passes.
bool PollUntil(const std::function<bool()>& done, absl::Duration timeout) {
  double deadline = Now() + absl::ToDoubleSeconds(timeout);
  for (;;) {
    if (done()) return true;
    if (Now() > deadline) return false;
    SleepMs(1);
  }
}

// ---------------------------------------------------------------------------------------
// v2

class V2Cgroup : public Cgroup {
 public:
  V2Cgroup(bool fake, bool owner) : fake_(fake), owner_(owner) {}
  void set_parent_is_ours(bool ours) { parent_is_ours_ = ours; }  // as V1Cgroup's
  void Disown() override { owner_ = false; }
  ~V2Cgroup() override {
    // a destructor cannot report: owners that care call KillAndRemove first.
    if (owner_) (void)KillAndRemove();
  }

  // Creates ROOT/PARENT/NAME, enabling `wanted` controllers on the way (errors only for
  // `required`), applies the writes and, with rules, the device program.
  absl::Status Create(const std::string& root, const std::string& parent, const std::string& name,
                      const std::set<std::string>& offered, const std::set<std::string>& wanted,
                      const std::set<std::string>& required, const std::vector<CgroupWrite>& writes,
                      const std::vector<DeviceRule>& devices, bool device_bpf) {
    std::set<std::string> avail = offered;
    std::string level = root;
    std::vector<std::string> parts = absl::StrSplit(parent, '/', absl::SkipEmpty());
    for (size_t i = 0; i <= parts.size(); ++i) {
      // Enable at `level` what its children (the next level) need.
      std::string enabled = ReadControl(level + "/cgroup.subtree_control").value_or("");
      std::set<std::string> on;
      for (absl::string_view c :
           absl::StrSplit(enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty())) {
        on.insert(std::string(c));
      }
      std::set<std::string> next;
      for (const std::string& c : wanted) {
        if (!avail.count(c)) continue;
        if (!on.count(c)) {
          absl::Status st = WriteControl(level + "/cgroup.subtree_control", "+" + c, fake_);
          if (!st.ok()) {
            if (required.count(c)) return Annotate(st, "enabling the " + c + " controller");
            continue;
          }
          if (fake_) {  // the fake file holds only the last write: keep the whole set
            on.insert(c);
            RETURN_IF_ERROR(
                WriteControl(level + "/cgroup.subtree_control", absl::StrJoin(on, " "), true));
          }
        }
        next.insert(c);
      }
      avail = next;
      if (i == parts.size()) break;
      level = absl::StrCat(level, "/", parts[i]);
      ASSIGN_OR_RETURN(bool made_level, MakeDir(level));
      if ((made_level || parent_is_ours_) && !fake_) dir_.made_parents.push_back(level);
    }
    for (const std::string& c : required) {
      if (!avail.count(c)) {
        std::string flag;
        for (const CgroupWrite& w : writes) {
          if (w.controller == c) flag = w.source;
        }
        return absl::FailedPreconditionError(MissingController(
            flag, c,
            absl::StrCat("cgroup v2 at ", root, " offers: ", absl::StrJoin(offered, " "))));
      }
    }
    dir_.path = absl::StrCat(level, "/", name);
    ASSIGN_OR_RETURN(bool made, MakeDir(dir_.path));
    if (!made) {
      return absl::AlreadyExistsError(
          absl::StrCat("cgroup ", dir_.path, " already exists (a container named ", Quote(name),
                       " is running? `nucleus gc` removes abandoned ones)"));
    }
    dir_.created = true;
    dir_.controllers.assign(avail.begin(), avail.end());
    ASSIGN_OR_RETURN(dir_.fd, OpenDir(dir_.path));
    ASSIGN_OR_RETURN(bool locked, TryLockFd(dir_.fd.get(), dir_.path));
    if (!locked) return absl::InternalError(absl::StrCat(dir_.path, ": locked by another process"));
    for (const CgroupWrite& w : writes) {
      uint64_t v = 0;
      if (w.file == "memory.max" && absl::SimpleAtoi(w.value, &v)) memory_limit_ = v;
      RETURN_IF_ERROR(Apply(dir_, w, fake_));
    }
    if (!devices.empty() && device_bpf) {
      ASSIGN_OR_RETURN(bpf_prog_, LoadDeviceProgram(AssembleDeviceProgram(devices)));
      absl::Status st = AttachDeviceProgram(dir_.fd.get(), bpf_prog_.get());
      if (!st.ok()) return Annotate(st, dir_.path);
    }
    return absl::OkStatus();
  }

  absl::Status Open(const std::string& path) {
    if (!Exists(path)) return absl::NotFoundError(absl::StrCat("no cgroup ", path));
    dir_.path = path;
    ASSIGN_OR_RETURN(dir_.fd, OpenDir(path));
    dir_.created = true;  // removable by KillAndRemove when asked (gc), never implicitly
    if (parent_is_ours_ && !fake_) dir_.made_parents.push_back(path.substr(0, path.rfind('/')));
    std::string enabled = ReadControl(path + "/cgroup.controllers").value_or("");
    dir_.controllers = absl::StrSplit(enabled, absl::ByAnyChar(" \n"), absl::SkipEmpty());
    if (std::optional<std::string> max = ReadControl(path + "/memory.max")) {
      if (auto v = ParseMaxValue(*max); v.ok() && v->has_value()) memory_limit_ = **v;
    }
    return absl::OkStatus();
  }

  const char* kind() const override { return "v2"; }
  std::vector<std::string> paths() const override { return {dir_.path}; }
  int clone_into_fd() const override { return dir_.fd.get(); }

  absl::StatusOr<ThreadInCgroup> EnterCallingThread() override { return ThreadInCgroup(); }
  absl::Status AddProcess(pid_t pid, bool joined_by_clone) override {
    if (joined_by_clone) return absl::OkStatus();
    return WriteControl(dir_.path + "/cgroup.procs", absl::StrCat(pid), fake_);
  }

  absl::StatusOr<std::vector<pid_t>> Processes() const override {
    if (fake_ && !Exists(dir_.path + "/cgroup.procs")) return std::vector<pid_t>();
    return ReadPids(dir_.path);
  }

  CgroupStats Stats() const override {
    CgroupStats s;
    const std::string& d = dir_.path;
    auto single = [&](const char* f) -> std::optional<uint64_t> {
      std::optional<std::string> t = ReadControl(d + "/" + f);
      return t ? Opt(ParseSingleValue(*t)) : std::nullopt;
    };
    auto max = [&](const char* f) -> std::optional<uint64_t> {
      std::optional<std::string> t = ReadControl(d + "/" + f);
      if (!t) return std::nullopt;
      absl::StatusOr<std::optional<uint64_t>> v = ParseMaxValue(*t);
      return v.ok() ? *v : std::nullopt;
    };
    s.memory_current = single("memory.current");
    s.memory_peak = single("memory.peak");
    s.memory_limit = max("memory.max");
    if (std::optional<std::string> t = ReadControl(d + "/cpu.stat")) {
      if (absl::StatusOr<KeyedValues> kv = ParseKeyedFile(*t); kv.ok() && kv->count("usage_usec")) {
        s.cpu_usage_ns = kv->at("usage_usec") * 1000;
      }
    }
    s.pids_current = single("pids.current");
    s.pids_limit = max("pids.max");
    if (std::optional<std::string> t = ReadControl(d + "/io.stat")) {
      if (absl::StatusOr<IoTotals> io = ParseIoStat(*t); io.ok()) {
        s.io_read_bytes = io->read_bytes;
        s.io_write_bytes = io->write_bytes;
      }
    }
    s.oom_kills = Opt(OomKills());
    return s;
  }

  absl::StatusOr<uint64_t> OomKills() const override {
    std::optional<std::string> t = ReadControl(dir_.path + "/memory.events");
    if (!t) return 0;
    absl::StatusOr<KeyedValues> kv = ParseKeyedFile(*t);
    if (!kv.ok()) return Annotate(kv.status(), dir_.path + "/memory.events");
    return kv->count("oom_kill") ? kv->at("oom_kill") : 0;
  }

  std::optional<uint64_t> memory_limit() const override { return memory_limit_; }

  absl::StatusOr<bool> TryLock() override {
    if (!dir_.fd.valid()) return true;
    return TryLockFd(dir_.fd.get(), dir_.path);
  }

  bool HasController(absl::string_view c) const { return dir_.Has(c); }
  const std::string& path() const { return dir_.path; }

  absl::Status Update(const ResourcesSpec& r) override { return UpdateWrites(V2LimitWrites(r)); }
  absl::Status UpdateWrites(const std::vector<CgroupWrite>& writes) {
    RETURN_IF_ERROR(ApplyUpdate(
        writes, [&](const std::string& c) { return dir_.Has(c) ? &dir_ : nullptr; },
        absl::StrCat("not enabled for ", dir_.path), fake_));
    for (const CgroupWrite& w : writes) {
      uint64_t v = 0;
      if (w.file == "memory.max" && absl::SimpleAtoi(w.value, &v)) memory_limit_ = v;
    }
    return absl::OkStatus();
  }

  // cgroup.freeze (Linux 5.2+); done when cgroup.events says "frozen 1" (or 0).
  absl::Status Freeze(bool frozen, absl::Duration timeout) override {
    const std::string file = dir_.path + "/cgroup.freeze";
    if (!fake_ && !Exists(file)) {
      return absl::FailedPreconditionError(
          absl::StrCat(file, " does not exist (cgroup v2 freezing needs Linux 5.2)"));
    }
    RETURN_IF_ERROR(WriteControl(file, frozen ? "1" : "0", fake_));
    bool settled = PollUntil(
        [&] {
          absl::StatusOr<bool> now = Frozen();
          return now.ok() && *now == frozen;
        },
        timeout);
    if (settled) return absl::OkStatus();
    // best effort: the timeout is the error reported
    if (frozen) (void)WriteControl(file, "0", fake_);
    return absl::DeadlineExceededError(absl::StrCat(
        dir_.path, ": not ", frozen ? "frozen" : "thawed", " after ", absl::FormatDuration(timeout),
        " (cgroup.events)", frozen ? "; thawed again" : ""));
  }

  absl::StatusOr<bool> Frozen() const override {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(dir_.path + "/cgroup.events"));
    absl::StatusOr<KeyedValues> kv = ParseKeyedFile(text);
    if (!kv.ok()) return Annotate(kv.status(), dir_.path + "/cgroup.events");
    return kv->count("frozen") > 0 && kv->at("frozen") == 1;
  }

  // Kills through cgroup.kill (Linux 5.14+), else pid by pid; no removal.
  absl::Status Kill() {
    // A fake tree's cgroup.procs holds whatever a test wrote: never signal those pids.
    if (!dir_.created || !Exists(dir_.path) || fake_) return absl::OkStatus();
    bool has_kill = Exists(dir_.path + "/cgroup.kill");
    if (has_kill) RETURN_IF_ERROR(WriteControl(dir_.path + "/cgroup.kill", "1", false));
    double deadline = Now() + kEmptyTimeoutS;
    for (;;) {
      ASSIGN_OR_RETURN(std::vector<pid_t> pids, Processes());
      if (pids.empty()) return absl::OkStatus();
      if (Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(dir_.path, ": ", pids.size(), " processes survive SIGKILL"));
      }
      if (!has_kill) {
        for (pid_t p : pids) (void)::kill(p, SIGKILL);
      }
      SleepMs(5);
    }
  }

  absl::Status KillAndRemove() override {
    if (!dir_.created) return absl::OkStatus();
    RETURN_IF_ERROR(Kill());
    dir_.fd.Reset();
    bpf_prog_.Reset();
    RETURN_IF_ERROR(RemoveDir(dir_.path, fake_));
    dir_.created = false;
    RemoveMadeParents(&dir_.made_parents);
    return absl::OkStatus();
  }

 private:
  bool fake_;
  bool owner_;
  bool parent_is_ours_ = false;
  Dir dir_;
  UniqueFd bpf_prog_;
  std::optional<uint64_t> memory_limit_;
};

// ---------------------------------------------------------------------------------------
// v1

// The v1 controllers nucleus places containers in.
constexpr const char* kV1Controllers[] = {"memory", "cpu",   "cpuacct", "cpuset",
                                          "pids",   "blkio", "devices", "freezer"};
// The ones every container's group has: limits nucleus always sets (pids, devices), stats
// (memory, cpuacct, blkio) and cleanup (freezer). cpu and cpuset groups are made only for a
// limit on them, at create or by a later Update: each hierarchy costs a mkdir, an open and a
// lock at start and an rmdir at the end (a cpuset one also copies cpus and mems per level),
// about 0.3 ms of a 9 ms start here.
bool AlwaysOnV1(absl::string_view c) { return V1ControllerAlwaysUsed(c); }

// mount point -> the controllers of kV1Controllers it holds (co-mounted ones share one).
std::map<std::string, std::vector<std::string>> V1Mounts(const CgroupHierarchies& h) {
  std::map<std::string, std::vector<std::string>> mounts;
  for (const char* c : kV1Controllers) {
    if (const std::string* m = h.V1Mount(c)) mounts[*m].push_back(c);
  }
  return mounts;
}

class V1Cgroup : public Cgroup {
 public:
  V1Cgroup(bool fake, bool owner) : fake_(fake), owner_(owner) {}
  // The parent levels are nucleus's own (the default parent): removed when empty even if
  // another container made them.
  void set_parent_is_ours(bool ours) { parent_is_ours_ = ours; }
  void Disown() override { owner_ = false; }
  ~V1Cgroup() override {
    // a destructor cannot report: owners that care call KillAndRemove first.
    if (owner_) (void)KillAndRemove();
  }

  absl::Status Create(const CgroupHierarchies& h, const std::string& parent,
                      const std::string& name, const std::vector<CgroupWrite>& writes,
                      const std::vector<DeviceRule>& devices) {
    for (const CgroupWrite& w : writes) {
      if (!h.V1Mount(w.controller)) {
        return absl::FailedPreconditionError(
            MissingController(w.source, w.controller, "no cgroup v1 mount has it"));
      }
    }
    mounts_ = V1Mounts(h);
    parent_ = parent;
    name_ = name;
    for (const auto& [mount, controllers] : mounts_) {
      bool wanted = false;
      for (const std::string& c : controllers) {
        wanted = wanted || AlwaysOnV1(c) ||
                 std::any_of(writes.begin(), writes.end(),
                             [&](const CgroupWrite& w) { return w.controller == c; });
      }
      if (wanted) RETURN_IF_ERROR(MakeGroup(mount, controllers));
    }
    for (const CgroupWrite& w : writes) {
      const Dir* d = Find(w.controller);
      uint64_t v = 0;
      if (w.file == "memory.limit_in_bytes" && absl::SimpleAtoi(w.value, &v)) memory_limit_ = v;
      RETURN_IF_ERROR(Apply(*d, w, fake_));
    }
    if (!devices.empty()) {
      const Dir* d = Find("devices");
      if (d == nullptr) {
        return absl::FailedPreconditionError("device access: no devices controller (cgroup v1)");
      }
      RETURN_IF_ERROR(WriteControl(d->path + "/devices.deny", "a", fake_));
      for (const DeviceRule& r : devices) {
        RETURN_IF_ERROR(WriteControl(d->path + "/devices.allow", r.ToV1(), fake_));
      }
    }
    created_ = true;
    return absl::OkStatus();
  }

  // The directories of an existing group; NotFound when no hierarchy has it.
  absl::Status Open(const CgroupHierarchies& h, const std::string& parent,
                    const std::string& name) {
    mounts_ = V1Mounts(h);
    parent_ = parent;
    name_ = name;
    for (const auto& [mount, controllers] : mounts_) RETURN_IF_ERROR(OpenGroup(mount, controllers));
    if (dirs_.empty()) return absl::NotFoundError(absl::StrCat("no cgroup ", parent, "/", name));
    if (const Dir* m = Find("memory")) {
      if (std::optional<std::string> t = ReadControl(m->path + "/memory.limit_in_bytes")) {
        if (auto v = ParseSingleValue(*t); v.ok() && *v < kV1Unlimited) memory_limit_ = *v;
      }
    }
    return absl::OkStatus();
  }

  const char* kind() const override { return "v1"; }
  std::vector<std::string> paths() const override {
    std::vector<std::string> p;
    for (const Dir& d : dirs_) p.push_back(d.path);
    return p;
  }
  int clone_into_fd() const override { return -1; }

  absl::Status AddProcess(pid_t pid, bool) override {
    for (const Dir& d : dirs_) {
      RETURN_IF_ERROR(WriteControl(d.path + "/cgroup.procs", absl::StrCat(pid), fake_));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ThreadInCgroup> EnterCallingThread() override {
    std::vector<ThreadInCgroup::Group> groups;
    if (fake_) return ThreadInCgroup();
    for (const Dir& d : dirs_) groups.push_back({d.mount, d.path, d.controllers});
    return ThreadInCgroup::Enter(groups);
  }

  absl::StatusOr<std::vector<pid_t>> Processes() const override {
    std::set<pid_t> all;
    for (const Dir& d : dirs_) {
      absl::StatusOr<std::vector<pid_t>> pids = ReadPids(d.path);
      // Removed (by the container's own nucleus, as it ends), or never written (fake tree).
      if (absl::IsNotFound(pids.status())) continue;
      if (!pids.ok()) return pids.status();
      all.insert(pids->begin(), pids->end());
    }
    return std::vector<pid_t>(all.begin(), all.end());
  }

  CgroupStats Stats() const override {
    CgroupStats s;
    auto single = [&](const char* controller, const char* f) -> std::optional<uint64_t> {
      const Dir* d = Find(controller);
      if (d == nullptr) return std::nullopt;
      std::optional<std::string> t = ReadControl(d->path + "/" + f);
      return t ? Opt(ParseSingleValue(*t)) : std::nullopt;
    };
    s.memory_current = single("memory", "memory.usage_in_bytes");
    s.memory_peak = single("memory", "memory.max_usage_in_bytes");
    s.memory_limit = single("memory", "memory.limit_in_bytes");
    if (s.memory_limit && *s.memory_limit >= kV1Unlimited) s.memory_limit.reset();
    s.cpu_usage_ns = single("cpuacct", "cpuacct.usage");
    s.pids_current = single("pids", "pids.current");
    if (const Dir* d = Find("pids")) {
      if (std::optional<std::string> t = ReadControl(d->path + "/pids.max")) {
        absl::StatusOr<std::optional<uint64_t>> v = ParseMaxValue(*t);
        if (v.ok()) s.pids_limit = *v;
      }
    }
    if (const Dir* d = Find("blkio")) {
      std::optional<std::string> t =
          ReadControl(d->path + "/blkio.throttle.io_service_bytes_recursive");
      if (!t) t = ReadControl(d->path + "/blkio.throttle.io_service_bytes");
      if (t) {
        if (absl::StatusOr<IoTotals> io = ParseBlkioBytes(*t); io.ok()) {
          s.io_read_bytes = io->read_bytes;
          s.io_write_bytes = io->write_bytes;
        }
      }
    }
    s.oom_kills = Opt(OomKills());
    return s;
  }

  absl::StatusOr<uint64_t> OomKills() const override {
    const Dir* d = Find("memory");
    if (d == nullptr) return 0;
    std::optional<std::string> t = ReadControl(d->path + "/memory.oom_control");
    if (!t) return 0;
    absl::StatusOr<KeyedValues> kv = ParseKeyedFile(*t);
    if (!kv.ok()) return Annotate(kv.status(), d->path + "/memory.oom_control");
    return kv->count("oom_kill") ? kv->at("oom_kill") : 0;
  }

  std::optional<uint64_t> memory_limit() const override { return memory_limit_; }

  absl::StatusOr<bool> TryLock() override {
    for (Dir& d : dirs_) {
      if (!d.fd.valid()) continue;
      ASSIGN_OR_RETURN(bool ok, TryLockFd(d.fd.get(), d.path));
      if (!ok) return false;
    }
    return true;
  }

  bool HasController(absl::string_view c) const { return Find(c) != nullptr; }

  absl::Status Update(const ResourcesSpec& r) override { return UpdateWrites(V1LimitWrites(r)); }
  absl::Status UpdateWrites(const std::vector<CgroupWrite>& writes) {
    for (const CgroupWrite& w : writes) RETURN_IF_ERROR(Join(w.controller));
    RETURN_IF_ERROR(ApplyUpdate(
        writes, [&](const std::string& c) { return Find(c); },
        "the container's group has no cgroup v1 directory for it", fake_));
    for (const CgroupWrite& w : writes) {
      uint64_t v = 0;
      if (w.file == "memory.limit_in_bytes" && absl::SimpleAtoi(w.value, &v)) memory_limit_ = v;
    }
    return absl::OkStatus();
  }

  // freezer.state: writing FROZEN starts a freeze that the kernel may leave in FREEZING
  // while a task is busy in the kernel; writing FROZEN again retries the stragglers (runc
  // does the same).
  absl::Status Freeze(bool frozen, absl::Duration timeout) override {
    const Dir* d = Find("freezer");
    if (d == nullptr) {
      return absl::FailedPreconditionError(
          "the container's group has no freezer (no cgroup v1 freezer hierarchy is mounted)");
    }
    const std::string file = d->path + "/freezer.state";
    const char* want = frozen ? "FROZEN" : "THAWED";
    bool settled = PollUntil(
        [&] {
          if (!WriteControl(file, want, fake_).ok()) return false;
          return absl::StripAsciiWhitespace(ReadControl(file).value_or("")) == want;
        },
        timeout);
    if (settled) return absl::OkStatus();
    // best effort: the timeout is the error reported
    if (frozen) (void)WriteControl(file, "THAWED", fake_);
    return absl::DeadlineExceededError(
        absl::StrCat(file, ": not ", want, " after ", absl::FormatDuration(timeout),
                     frozen ? " (still FREEZING); thawed again" : ""));
  }

  absl::StatusOr<bool> Frozen() const override {
    const Dir* d = Find("freezer");
    if (d == nullptr) return false;
    if (fake_ && !Exists(d->path + "/freezer.state")) return false;  // never written
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(d->path + "/freezer.state"));
    return absl::StripAsciiWhitespace(text) == "FROZEN";
  }

  // Freeze (so nothing forks while we kill), SIGKILL every pid, thaw (a frozen task cannot
  // die), wait until every hierarchy's group is empty.
  absl::Status Kill() {
    const Dir* freezer = Find("freezer");
    if (freezer != nullptr && (!freezer->created || !Exists(freezer->path))) freezer = nullptr;
    if (fake_) return absl::OkStatus();  // never signal the pids a test wrote
    ASSIGN_OR_RETURN(std::vector<pid_t> pids, Processes());
    if (pids.empty()) return absl::OkStatus();
    if (freezer != nullptr && !fake_) {
      const std::string state = freezer->path + "/freezer.state";
      RETURN_IF_ERROR(WriteControl(state, "FROZEN", false));
      double deadline = Now() + 1.0;
      while (absl::StripAsciiWhitespace(ReadControl(state).value_or("")) != "FROZEN" &&
             Now() < deadline) {
        SleepMs(1);
      }
    }
    double deadline = Now() + kEmptyTimeoutS;
    for (bool thawed = false;;) {
      ASSIGN_OR_RETURN(pids, Processes());
      // Never ourselves: a thread of ours that could not leave the group (ThreadInCgroup)
      // lists this process here.
      for (pid_t p : pids) {
        if (p != ::getpid()) (void)::kill(p, SIGKILL);
      }
      if (!thawed && freezer != nullptr && !fake_) {
        RETURN_IF_ERROR(WriteControl(freezer->path + "/freezer.state", "THAWED", false));
        thawed = true;
      }
      if (pids.empty()) return absl::OkStatus();
      if (Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat(paths()[0], ": ", pids.size(), " processes survive SIGKILL"));
      }
      SleepMs(5);
    }
  }

  absl::Status KillAndRemove() override {
    // Groups a later Update made in other hierarchies (in another process: `nucleus
    // update`) are this container's too; not so after a failed Create, where a group of
    // that name may be another container's.
    if (owner_ && created_) {
      // a group another removed is absent: nothing to adopt
      for (const auto& [mount, controllers] : mounts_) (void)OpenGroup(mount, controllers);
    }
    bool any = false;
    for (const Dir& d : dirs_) any = any || d.created;
    if (!any) return absl::OkStatus();
    RETURN_IF_ERROR(Kill());
    absl::Status first;
    for (Dir& d : dirs_) {
      if (!d.created) continue;
      d.fd.Reset();
      absl::Status st = RemoveDir(d.path, fake_);
      if (st.ok()) {
        d.created = false;
        RemoveMadeParents(&d.made_parents);
      } else if (first.ok()) {
        first = st;
      }
    }
    return first;
  }

 private:
  const Dir* Find(absl::string_view controller) const {
    for (const Dir& d : dirs_) {
      if (d.Has(controller)) return &d;
    }
    return nullptr;
  }

  const std::string* MountOf(absl::string_view controller) const {
    for (const auto& [mount, controllers] : mounts_) {
      if (std::find(controllers.begin(), controllers.end(), controller) != controllers.end()) {
        return &mount;
      }
    }
    return nullptr;
  }
  bool HasDirAt(const std::string& mount) const {
    return std::any_of(dirs_.begin(), dirs_.end(), [&](const Dir& d) { return d.mount == mount; });
  }

  // Makes the group (and its missing parent levels) in one hierarchy, locked, in dirs_.
  absl::Status MakeGroup(const std::string& mount, const std::vector<std::string>& controllers) {
    bool cpuset = std::find(controllers.begin(), controllers.end(), "cpuset") != controllers.end();
    std::string level = mount;
    std::vector<std::string> made_parents;
    for (absl::string_view p : absl::StrSplit(parent_, '/', absl::SkipEmpty())) {
      std::string up = level;
      level = absl::StrCat(level, "/", p);
      ASSIGN_OR_RETURN(bool made, MakeDir(level));
      if ((made || parent_is_ours_) && !fake_) made_parents.push_back(level);
      if (cpuset) RETURN_IF_ERROR(InheritCpuset(up, level));
    }
    Dir dir;
    dir.made_parents = std::move(made_parents);
    dir.mount = mount;
    dir.path = absl::StrCat(level, "/", name_);
    dir.controllers = controllers;
    ASSIGN_OR_RETURN(bool made, MakeDir(dir.path));
    if (!made) {
      return absl::AlreadyExistsError(
          absl::StrCat("cgroup ", dir.path, " already exists (a container named ", Quote(name_),
                       " is running? `nucleus gc` removes abandoned ones)"));
    }
    dir.created = true;
    dirs_.push_back(std::move(dir));
    Dir& d = dirs_.back();
    ASSIGN_OR_RETURN(d.fd, OpenDir(d.path));
    ASSIGN_OR_RETURN(bool locked, TryLockFd(d.fd.get(), d.path));
    if (!locked) return absl::InternalError(absl::StrCat(d.path, ": locked by another process"));
    if (cpuset) RETURN_IF_ERROR(InheritCpuset(level, d.path));
    return absl::OkStatus();
  }

  // Adds the group's directory in one hierarchy to dirs_ when it exists there and is not
  // listed yet.
  absl::Status OpenGroup(const std::string& mount, const std::vector<std::string>& controllers) {
    Dir d;
    d.mount = mount;
    d.path = absl::StrCat(mount, "/", parent_, "/", name_);
    if (HasDirAt(mount)) return absl::OkStatus();
    d.controllers = controllers;
    absl::StatusOr<UniqueFd> fd = OpenDir(d.path);
    // Gone, or removed meanwhile by the container's own nucleus as it ends.
    if (absl::IsNotFound(fd.status())) return absl::OkStatus();
    if (!fd.ok()) return fd.status();
    d.fd = *std::move(fd);
    d.created = true;  // removable when asked (gc), never implicitly: owner_ is false
    if (parent_is_ours_ && !fake_) d.made_parents.push_back(absl::StrCat(mount, "/", parent_));
    dirs_.push_back(std::move(d));
    return absl::OkStatus();
  }

  // For an Update of a controller whose hierarchy the group was not made in (AlwaysOnV1):
  // makes the group there and moves every process of the container in, frozen meanwhile so
  // that none forks a child that would stay behind. A controller no hierarchy has: nothing
  // (ApplyUpdate names it).
  absl::Status Join(const std::string& controller) {
    const std::string* mount = MountOf(controller);
    if (mount == nullptr || HasDirAt(*mount)) return absl::OkStatus();
    const auto& controllers = mounts_.at(*mount);
    RETURN_IF_ERROR(MakeGroup(*mount, controllers));
    const std::string procs = dirs_.back().path + "/cgroup.procs";
    bool thaw = false;
    if (Find("freezer") != nullptr && !fake_) {
      ASSIGN_OR_RETURN(bool frozen, Frozen());
      if (!frozen) {
        RETURN_IF_ERROR(Freeze(true, absl::Seconds(2)));
        thaw = true;
      }
    }
    absl::Status st;
    // Without a freezer a process may fork meanwhile: list again until nothing is new.
    std::set<pid_t> moved;
    for (int round = 0; round < 10 && st.ok(); ++round) {
      absl::StatusOr<std::vector<pid_t>> pids = Processes();
      if (!pids.ok()) {
        st = pids.status();
        break;
      }
      bool any = false;
      for (pid_t p : *pids) {
        if (!moved.insert(p).second) continue;
        any = true;
        absl::Status w = WriteControl(procs, absl::StrCat(p), fake_);
        if (!w.ok() && (fake_ || ::kill(p, 0) == 0)) st = w;  // else it has exited
      }
      if (!any || thaw) break;
    }
    if (thaw) {
      absl::Status t = Freeze(false, absl::Seconds(2));
      if (st.ok()) st = t;
    }
    return st;
  }

  // A new v1 cpuset group has empty cpus/mems and refuses tasks (ENOSPC) until they are set;
  // copy the parent's, what cgroup.clone_children would do without changing the parent's
  // setting. Only an empty value is written, and a level another process made counts too: it
  // may have made it a moment ago and not written it yet (two containers starting at once).
  absl::Status InheritCpuset(const std::string& up, const std::string& dir) {
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      std::string mine =
          std::string(absl::StripAsciiWhitespace(ReadControl(dir + "/" + f).value_or("")));
      if (!mine.empty()) continue;
      std::string theirs =
          std::string(absl::StripAsciiWhitespace(ReadControl(up + "/" + f).value_or("")));
      if (theirs.empty()) continue;
      RETURN_IF_ERROR(WriteControl(dir + "/" + f, theirs, fake_));
    }
    return absl::OkStatus();
  }

  bool fake_;
  bool owner_;
  bool parent_is_ours_ = false;
  bool created_ = false;                                    // Create succeeded
  std::map<std::string, std::vector<std::string>> mounts_;  // every hierarchy it may use
  std::string parent_, name_;
  std::vector<Dir> dirs_;
  std::optional<uint64_t> memory_limit_;
};

// ---------------------------------------------------------------------------------------
// hybrid: v1 controllers + a group in the cgroup2 hierarchy

// v2's name for the v1 controller a write is about ("blkio" -> "io"; cpuacct has no own).
std::string V2Name(const std::string& v1) { return v1 == "blkio" ? "io" : v1; }

class HybridCgroup : public Cgroup {
 public:
  HybridCgroup(std::unique_ptr<V1Cgroup> v1, std::unique_ptr<V2Cgroup> v2, bool owner)
      : v1_(std::move(v1)), v2_(std::move(v2)), owner_(owner) {}
  ~HybridCgroup() override {
    // a destructor cannot report: owners that care call KillAndRemove first.
    if (owner_) (void)KillAndRemove();
  }

  const char* kind() const override { return "hybrid"; }
  std::vector<std::string> paths() const override {
    std::vector<std::string> p = v1_->paths();
    if (v2_) {
      for (const std::string& x : v2_->paths()) p.push_back(x);
    }
    return p;
  }
  int clone_into_fd() const override { return v2_ ? v2_->clone_into_fd() : -1; }
  absl::Status AddProcess(pid_t pid, bool joined_by_clone) override {
    if (v2_) RETURN_IF_ERROR(v2_->AddProcess(pid, joined_by_clone));
    return v1_->AddProcess(pid, false);
  }
  absl::StatusOr<ThreadInCgroup> EnterCallingThread() override { return v1_->EnterCallingThread(); }
  absl::StatusOr<std::vector<pid_t>> Processes() const override {
    ASSIGN_OR_RETURN(std::vector<pid_t> a, v1_->Processes());
    if (v2_) {
      ASSIGN_OR_RETURN(std::vector<pid_t> b, v2_->Processes());
      a.insert(a.end(), b.begin(), b.end());
      std::sort(a.begin(), a.end());
      a.erase(std::unique(a.begin(), a.end()), a.end());
    }
    return a;
  }
  CgroupStats Stats() const override {
    CgroupStats s = v1_->Stats();
    if (v2_) {
      CgroupStats t = v2_->Stats();
      if (!s.cpu_usage_ns) s.cpu_usage_ns = t.cpu_usage_ns;
      if (!s.memory_current) s.memory_current = t.memory_current;
      if (!s.memory_peak) s.memory_peak = t.memory_peak;
      if (!s.pids_current) s.pids_current = t.pids_current;
      if (!s.io_read_bytes) s.io_read_bytes = t.io_read_bytes;
      if (!s.io_write_bytes) s.io_write_bytes = t.io_write_bytes;
    }
    return s;
  }
  absl::StatusOr<uint64_t> OomKills() const override {
    ASSIGN_OR_RETURN(uint64_t a, v1_->OomKills());
    if (!v2_) return a;
    ASSIGN_OR_RETURN(uint64_t b, v2_->OomKills());
    return a + b;
  }
  std::optional<uint64_t> memory_limit() const override {
    return v1_->memory_limit() ? v1_->memory_limit() : v2_ ? v2_->memory_limit() : std::nullopt;
  }
  absl::StatusOr<bool> TryLock() override {
    ASSIGN_OR_RETURN(bool a, v1_->TryLock());
    if (!a || !v2_) return a;
    return v2_->TryLock();
  }
  // The v1 freezer when there is one (it holds every process), else the v2 group.
  absl::Status Freeze(bool frozen, absl::Duration timeout) override {
    if (v1_->HasController("freezer") || !v2_) return v1_->Freeze(frozen, timeout);
    return v2_->Freeze(frozen, timeout);
  }
  absl::StatusOr<bool> Frozen() const override {
    if (v1_->HasController("freezer") || !v2_) return v1_->Frozen();
    return v2_->Frozen();
  }
  // Each limit where CreateCgroup put it: v1 when the group has that controller there, else
  // the v2 side.
  absl::Status Update(const ResourcesSpec& r) override {
    std::vector<CgroupWrite> v1_writes, v2_writes;
    for (const CgroupWrite& w : V1LimitWrites(r)) {
      if (v1_->HasController(w.controller) || !v2_ || !v2_->HasController(V2Name(w.controller))) {
        v1_writes.push_back(w);
      }
    }
    if (v2_) {
      for (const CgroupWrite& w : V2LimitWrites(r)) {
        if (!v1_->HasController(w.controller == "io" ? "blkio" : w.controller) &&
            v2_->HasController(w.controller)) {
          v2_writes.push_back(w);
        }
      }
    }
    RETURN_IF_ERROR(v1_->UpdateWrites(v1_writes));
    return v2_ ? v2_->UpdateWrites(v2_writes) : absl::OkStatus();
  }
  void Disown() override {
    owner_ = false;
    v1_->Disown();
    if (v2_) v2_->Disown();
  }
  // cgroup.kill on the v2 side first: it kills every process at once, which a v1 freezer
  // loop only approximates; then the v1 groups (already empty) go.
  absl::Status KillAndRemove() override {
    absl::Status st = v2_ ? v2_->Kill() : absl::OkStatus();
    absl::Status v1 = v1_->KillAndRemove();
    if (v2_) {
      absl::Status v2 = v2_->KillAndRemove();
      if (st.ok()) st = v2;
    }
    return v1.ok() ? st : v1;
  }

 private:
  std::unique_ptr<V1Cgroup> v1_;
  std::unique_ptr<V2Cgroup> v2_;
  bool owner_;
};

// v2 writes whose controller the v2 side offers and v1 does not have.
std::vector<CgroupWrite> WritesFor(const std::vector<CgroupWrite>& all,
                                   const std::function<bool(const std::string&)>& keep) {
  std::vector<CgroupWrite> out;
  for (const CgroupWrite& w : all) {
    if (keep(w.controller)) out.push_back(w);
  }
  return out;
}

}  // namespace

ThreadInCgroup& ThreadInCgroup::operator=(ThreadInCgroup&& o) noexcept {
  if (this != &o) {
    // best effort: the thread's way home is lost either way.
    (void)Leave();
    home_ = std::move(o.home_);
    o.home_.clear();
    has_affinity_ = o.has_affinity_;
    affinity_ = o.affinity_;
    o.has_affinity_ = false;
  }
  return *this;
}

ThreadInCgroup::~ThreadInCgroup() { (void)Leave(); }  // best effort, as in operator=

absl::Status ThreadInCgroup::Leave() {
  absl::Status first;
  std::vector<Home> stuck;
  for (const Home& h : home_) {
    if (WriteControl(h.tasks, "0", false).ok()) continue;
    absl::Status st = WriteControl(h.root_tasks, "0", false);
    if (st.ok()) continue;
    if (first.ok()) first = Annotate(st, "leaving the container's cgroup");
    stuck.push_back(h);
  }
  home_ = std::move(stuck);
  if (has_affinity_ && home_.empty()) {
    (void)::sched_setaffinity(0, sizeof(affinity_), &affinity_);
    has_affinity_ = false;
  }
  return first;
}

absl::StatusOr<ThreadInCgroup> ThreadInCgroup::Enter(const std::vector<Group>& groups,
                                                     const std::string& self_cgroup) {
  ThreadInCgroup stay;
  if (groups.empty()) return stay;
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(self_cgroup, 1 << 20));
  absl::StatusOr<std::vector<ProcCgroupEntry>> own = ParseProcCgroup(text);
  if (!own.ok()) return Annotate(own.status(), self_cgroup);
  std::vector<Home> homes;
  for (const Group& g : groups) {
    const ProcCgroupEntry* mine = nullptr;
    for (const ProcCgroupEntry& e : *own) {
      for (const std::string& c : g.controllers) {
        if (e.hierarchy_id != 0 &&
            std::find(e.controllers.begin(), e.controllers.end(), c) != e.controllers.end()) {
          mine = &e;
        }
      }
    }
    if (mine == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat(self_cgroup, ": no group of the hierarchy at ", g.mount, " (",
                       absl::StrJoin(g.controllers, ","), ")"));
    }
    std::string home = mine->path == "/" ? g.mount : g.mount + mine->path;
    homes.push_back({home + "/tasks", g.mount + "/tasks"});
  }
  if (::sched_getaffinity(0, sizeof(stay.affinity_), &stay.affinity_) == 0) {
    stay.has_affinity_ = true;
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    absl::Status st = WriteControl(groups[i].dir + "/tasks", "0", false);
    if (!st.ok()) {
      (void)stay.Leave();  // back from the ones entered
      return st;
    }
    stay.home_.push_back(homes[i]);
  }
  return stay;
}

namespace {

// The root parent stays "/": every "MOUNT/" + parent + "/" + NAME then names MOUNT///NAME,
// which the kernel resolves as MOUNT/NAME, and splitting it on '/' gives no parent levels to
// make or remove.
absl::StatusOr<std::string> ValidateParentOrRoot(const std::string& parent) {
  if (parent == kCgroupRootParent) return parent;
  return ValidateCgroupParent(parent, "--cgroup-parent");
}

absl::StatusOr<std::unique_ptr<Cgroup>> CreateCgroupOnce(const CgroupHierarchies& h,
                                                         const CgroupConfig& config) {
  RETURN_IF_ERROR(ValidateCgroupName(config.name));
  ASSIGN_OR_RETURN(std::string parent, ValidateParentOrRoot(config.parent));
  static const std::set<std::string> kV2Wanted = {"memory", "pids", "cpu", "io"};
  // The default parent is nucleus's own: its empty levels go with the last container.
  const bool parent_is_ours = parent == CgroupConfig().parent;
  switch (h.kind) {
    case CgroupHierarchies::Kind::kNone:
      return absl::FailedPreconditionError(
          "no cgroup hierarchy is mounted (/sys/fs/cgroup); limits and cleanup need one");
    case CgroupHierarchies::Kind::kV2: {
      std::vector<CgroupWrite> writes = V2LimitWrites(config.resources);
      std::set<std::string> wanted = kV2Wanted;
      std::vector<std::string> required_v = ControllersOf(writes);
      std::set<std::string> required(required_v.begin(), required_v.end());
      wanted.insert(required.begin(), required.end());
      auto cg = std::make_unique<V2Cgroup>(h.fake_fs, /*owner=*/true);
      cg->set_parent_is_ours(parent_is_ours);
      RETURN_IF_ERROR(cg->Create(h.v2_root, parent, config.name, h.v2_controllers, wanted, required,
                                 writes, config.devices, config.device_bpf));
      return std::unique_ptr<Cgroup>(std::move(cg));
    }
    case CgroupHierarchies::Kind::kV1:
    case CgroupHierarchies::Kind::kHybrid: {
      // Each limit goes where its controller lives: v1 when mounted there, else the v2 side.
      std::vector<CgroupWrite> v1_all = V1LimitWrites(config.resources);
      std::vector<CgroupWrite> v2_all = V2LimitWrites(config.resources);
      auto on_v1 = [&](const std::string& c) { return h.V1Mount(c) != nullptr; };
      auto on_v2_only = [&](const std::string& c) {
        return h.V1Mount(c == "io" ? "blkio" : c) == nullptr && h.OnV2(c);
      };
      std::vector<CgroupWrite> v1_writes = WritesFor(v1_all, [&](const std::string& c) {
        return on_v1(c) || !h.OnV2(V2Name(c));  // neither: v1 reports the missing controller
      });
      std::vector<CgroupWrite> v2_writes = WritesFor(v2_all, on_v2_only);
      bool devices_on_v2 = !config.devices.empty() && !on_v1("devices") && !h.v2_root.empty();
      auto v1 = std::make_unique<V1Cgroup>(h.fake_fs, /*owner=*/true);
      v1->set_parent_is_ours(parent_is_ours);
      std::unique_ptr<V2Cgroup> v2;
      absl::Status st = v1->Create(h, parent, config.name, v1_writes,
                                   devices_on_v2 ? std::vector<DeviceRule>() : config.devices);
      std::vector<std::string> req = ControllersOf(v2_writes);
      std::set<std::string> required(req.begin(), req.end());
      std::set<std::string> wanted = required;
      for (const std::string& c : kV2Wanted) {
        if (on_v2_only(c)) wanted.insert(c);
      }
      // A v2 group only for what lives there: on a hybrid host whose cgroup2 mount holds no
      // controller nucleus uses, it would be 17 system calls of every start for nothing.
      if (st.ok() && !h.v2_root.empty() && (!wanted.empty() || devices_on_v2)) {
        v2 = std::make_unique<V2Cgroup>(h.fake_fs, /*owner=*/true);
        v2->set_parent_is_ours(parent_is_ours);
        st = v2->Create(h.v2_root, parent, config.name, h.v2_controllers, wanted, required,
                        v2_writes, devices_on_v2 ? config.devices : std::vector<DeviceRule>(),
                        config.device_bpf);
      }
      if (!st.ok()) return st;  // the destructors remove what was made
      if (h.kind == CgroupHierarchies::Kind::kV1) return std::unique_ptr<Cgroup>(std::move(v1));
      return std::unique_ptr<Cgroup>(
          std::make_unique<HybridCgroup>(std::move(v1), std::move(v2), /*owner=*/true));
    }
  }
  return absl::InternalError("unknown cgroup layout");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cgroup>> CreateCgroup(const CgroupHierarchies& h,
                                                     const CgroupConfig& config) {
  // A container that ends removes the parent levels it made once they are empty. If that
  // happens between our mkdir of a level (EEXIST: theirs) and of our own group, the latter
  // fails with ENOENT (NotFound): build the chain again.
  absl::StatusOr<std::unique_ptr<Cgroup>> cg;
  for (int attempt = 0; attempt < 3; ++attempt) {
    cg = CreateCgroupOnce(h, config);
    if (!absl::IsNotFound(cg.status())) break;
  }
  return cg;
}

absl::StatusOr<std::unique_ptr<Cgroup>> OpenCgroup(const CgroupHierarchies& h,
                                                   const std::string& parent_in,
                                                   const std::string& name) {
  RETURN_IF_ERROR(ValidateCgroupName(name));
  ASSIGN_OR_RETURN(std::string parent, ValidateParentOrRoot(parent_in));
  // The default parent is nucleus's own: removing the last group removes it too.
  const bool parent_is_ours = parent == CgroupConfig().parent;
  std::unique_ptr<V2Cgroup> v2;
  if (!h.v2_root.empty()) {
    v2 = std::make_unique<V2Cgroup>(h.fake_fs, /*owner=*/false);
    v2->set_parent_is_ours(parent_is_ours);
    if (!v2->Open(absl::StrCat(h.v2_root, "/", parent, "/", name)).ok()) v2.reset();
  }
  if (h.kind == CgroupHierarchies::Kind::kV2) {
    if (!v2) return absl::NotFoundError(absl::StrCat("no cgroup ", parent, "/", name));
    return std::unique_ptr<Cgroup>(std::move(v2));
  }
  auto v1 = std::make_unique<V1Cgroup>(h.fake_fs, /*owner=*/false);
  v1->set_parent_is_ours(parent_is_ours);
  absl::Status st = v1->Open(h, parent, name);
  if (!st.ok() && !v2) return st;
  if (h.kind == CgroupHierarchies::Kind::kV1) return std::unique_ptr<Cgroup>(std::move(v1));
  return std::unique_ptr<Cgroup>(
      std::make_unique<HybridCgroup>(std::move(v1), std::move(v2), /*owner=*/false));
}

std::vector<std::string> ListCgroups(const CgroupHierarchies& h, const std::string& parent) {
  std::set<std::string> roots;
  if (!h.v2_root.empty()) roots.insert(h.v2_root);
  for (const auto& [c, mount] : h.v1_mounts) {
    for (const char* used : kV1Controllers) {
      if (c == used) roots.insert(mount);
    }
  }
  std::set<std::string> names;
  for (const std::string& root : roots) {
    DIR* d = ::opendir(absl::StrCat(root, "/", parent).c_str());
    if (d == nullptr) continue;
    while (struct dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (e->d_type == DT_DIR && ValidateCgroupName(n).ok()) names.insert(n);
    }
    ::closedir(d);
  }
  return {names.begin(), names.end()};
}

absl::StatusOr<std::string> ValidateCgroupParent(absl::string_view parent, absl::string_view flag) {
  absl::string_view p = parent;
  absl::ConsumePrefix(&p, "/");
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(parent), " ", why));
  };
  if (p.empty() || p.size() > 255) return bad("is not a cgroup path (1-255 bytes, e.g. nucleus)");
  std::vector<absl::string_view> parts = absl::StrSplit(p, '/');
  if (parts.size() > 16) return bad("has more than 16 components");
  for (absl::string_view part : parts) {
    if (part.empty() || part == "." || part == "..") {
      return bad("is not a clean relative path (no empty, '.' or '..' components)");
    }
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != ':' && c != '@' && c != '-') {
        return bad("has a character outside [A-Za-z0-9_.:@-]");
      }
    }
  }
  return std::string(p);
}

const std::vector<std::string>& V1ControllersUsed() {
  static const auto* used = new std::vector<std::string>([] {
    std::vector<std::string> v(std::begin(kV1Controllers), std::end(kV1Controllers));
    std::sort(v.begin(), v.end());
    return v;
  }());
  return *used;
}

bool V1ControllerAlwaysUsed(absl::string_view c) {
  return c == "memory" || c == "pids" || c == "devices" || c == "freezer" || c == "cpuacct" ||
         c == "blkio";
}

// The container-name rule of the state store (runtime/state/ids.h).
absl::Status ValidateCgroupName(absl::string_view name) {
  if (ValidateContainerName(name).ok()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Quote(name), " is not a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"));
}

}  // namespace nucleus
