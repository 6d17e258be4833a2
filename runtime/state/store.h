// StateStore: one directory per container under a root (default /run/nucleus), holding
// state.json and a lock file; later modules add their own files (the log) to the directory.
//
//   ROOT/                      0700, owned by the caller
//     .new-ID-RANDOM/          a Create() in progress (or one a crash interrupted); ignored
//     ID/                      0700
//       lock                   flock(2)ed by ContainerLock; exists for the directory's life
//       state.json             0600, replaced atomically by Save()
//       state.json.tmp         a Save() in progress or interrupted; ignored, reused
//       owner                  a foreground run's life line: flock(2)ed by it while it lives
//
// Trust: the path up to ROOT is trusted (the administrator's choice, e.g. /run). ROOT itself
// must be a real directory (not a symlink), owned by the effective uid, not group- or
// world-writable; Open() refuses anything else. Below ROOT every name is resolved with
// openat(2) from a directory fd with O_NOFOLLOW, so a symlink planted for ID, lock or
// state.json is refused rather than followed, and Remove() never follows one. The store
// defends against other users, not against processes of the same uid (they own ROOT).
//
// Atomicity and locking:
//  - Create(id) is atomic: the directory and its lock file are made under a hidden name and
//    renamed into place with renameat2(RENAME_NOREPLACE), so an ID either does not exist or
//    has its lock file; an existing ID is AlreadyExists "container ID already exists: ID".
//    Create returns the new container's lock, held.
//  - Lock(id, timeout) serializes commands on one container across processes: exclusive
//    flock on ID/lock. timeout 0: try once (Unavailable when held); InfiniteDuration: block;
//    otherwise poll until the deadline (DeadlineExceeded). A container removed while we
//    waited is NotFound. The lock is released when the ContainerLock is destroyed (an
//    explicit LOCK_UN, so a forked child holding a copy of the fd does not keep it).
//  - Save(lock, state) needs the lock (hence the parameter): write state.json.tmp, fsync,
//    renameat over state.json, fsync the directory. A reader sees the old or the new state,
//    never a mix, and after Save returns the new state survives a power cut.
//  - Load(id) and List() take no lock: they read whole files that Save replaces atomically.
//  - Remove(lock) deletes everything in ID/ (unlinkat only, never following a symlink), the
//    lock file last, then ID/ itself; waiters on the lock then see NotFound.
//  - Owned entries: a container whose entry must die with the process that made it (a
//    foreground `nucleus run`) is marked with HoldOwner: ID/owner, flock(LOCK_EX)ed by that
//    process for as long as it lives (the lock itself is released while the container runs,
//    so that stop, exec and ps can take it). The kernel drops the flock when the process
//    dies, however it dies (SIGKILL included): AbandonedIds() lists the entries with an owner
//    file nobody holds, which the lifecycle then reaps (lifecycle.h).
//
//   ASSIGN_OR_RETURN(StateStore store, StateStore::Open(root));
//   ASSIGN_OR_RETURN(ContainerLock lock, store.Create(id));
//   RETURN_IF_ERROR(store.Save(lock, state));
//   ...
//   ASSIGN_OR_RETURN(ContainerLock lock, store.Lock(id, absl::Seconds(10)));
//   ASSIGN_OR_RETURN(ContainerState st, store.Load(id));
//   RETURN_IF_ERROR(store.Remove(std::move(lock)));
#ifndef NUCLEUS_RUNTIME_STATE_STORE_H_
#define NUCLEUS_RUNTIME_STATE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/state/state.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

inline constexpr char kDefaultStateRoot[] = "/run/nucleus";

// An exclusive lock on one container. Move-only; unlocks on destruction.
class ContainerLock {
 public:
  ContainerLock(ContainerLock&&) = default;
  ContainerLock& operator=(ContainerLock&& other) noexcept;
  ContainerLock(const ContainerLock&) = delete;
  ContainerLock& operator=(const ContainerLock&) = delete;
  ~ContainerLock() { Unlock(); }

  const std::string& id() const { return id_; }
  // The container's directory (O_DIRECTORY, O_RDONLY): for files other modules keep there.
  int dir_fd() const { return dir_fd_.get(); }

 private:
  friend class StateStore;
  ContainerLock(std::string id, UniqueFd dir_fd, UniqueFd lock_fd)
      : id_(std::move(id)), dir_fd_(std::move(dir_fd)), lock_fd_(std::move(lock_fd)) {}
  void Unlock();

  std::string id_;
  UniqueFd dir_fd_;
  UniqueFd lock_fd_;
};

struct BrokenEntry {
  std::string name;    // the directory entry under ROOT
  absl::Status error;  // why it could not be loaded
};

struct StateList {
  std::vector<ContainerState> states;  // sorted by id
  std::vector<BrokenEntry> broken;     // sorted by name
};

class StateStore {
 public:
  // Creates ROOT (mode 0700) and its missing parents (0700 too, as runc's --root) when
  // missing, then opens and checks it (a relative root is relative to the cwd).
  static absl::StatusOr<StateStore> Open(const std::string& root = kDefaultStateRoot);

  StateStore(StateStore&&) = default;
  StateStore& operator=(StateStore&&) = default;

  const std::string& root() const { return root_; }
  // ROOT/ID: where the container's directory is (for paths handed to others, e.g. a backend's
  // files or a socket; nucleus itself opens it with OpenContainerDir).
  std::string ContainerDirPath(absl::string_view id) const { return absl::StrCat(root_, "/", id); }

  // Validates id (ids.h), creates ID/ atomically, returns its lock held.
  // durable: as Save's (the root directory's fsync).
  absl::StatusOr<ContainerLock> Create(absl::string_view id, bool durable = true);
  // See the contract above. NotFound for an unknown id.
  absl::StatusOr<ContainerLock> Lock(absl::string_view id, absl::Duration timeout);
  // state.id must equal lock.id(). durable = false skips both fsyncs (the write is still
  // atomic: tmp file + rename): for an entry that dies with its nucleus anyway, a foreground
  // `nucleus run`, where a journal commit per save would double the start-up time on a /run
  // that is not tmpfs.
  absl::Status Save(const ContainerLock& lock, const ContainerState& state, bool durable = true);
  // Another file of the container's directory (config.json, ...), written like state.json:
  // NAME.tmp, fsync, rename. name is one plain component chosen by nucleus, not user input.
  absl::Status WriteFile(const ContainerLock& lock, absl::string_view name, absl::string_view text,
                         bool durable = true);
  // Reads ID/NAME (O_NOFOLLOW, a regular file, at most max_bytes). NotFound when missing.
  absl::StatusOr<std::string> ReadFile(absl::string_view id, absl::string_view name,
                                       size_t max_bytes) const;
  // The container's directory (O_DIRECTORY, O_NOFOLLOW, owner checked); NotFound when missing.
  absl::StatusOr<UniqueFd> OpenContainerDir(absl::string_view id) const;
  // NotFound when the id or its state.json does not exist; parse errors as ParseStateJson's,
  // prefixed with "container ID: ".
  absl::StatusOr<ContainerState> Load(absl::string_view id) const;
  // Every container; an entry that is not a valid id, not a plain directory, or whose
  // state.json is missing or broken goes to `broken` instead of failing the list. Hidden
  // entries (Create's scratch directories) are skipped. Fails only when ROOT is unreadable.
  absl::StatusOr<StateList> List() const;
  // Consumes the lock: see the contract above.
  absl::Status Remove(ContainerLock lock, bool durable = true);
  // Creates ID/owner and returns it flock(LOCK_EX)ed: keep the fd open for the owner's life
  // (O_CLOEXEC; a forked child that keeps a copy keeps the entry alive too).
  absl::StatusOr<UniqueFd> HoldOwner(const ContainerLock& lock);
  // Ids (sorted) whose owner file exists and is held by nobody: their owner has died.
  // Entries without one (OCI create, run -d, a run still starting) are never listed.
  absl::StatusOr<std::vector<std::string>> AbandonedIds() const;

 private:
  StateStore(std::string root, UniqueFd root_fd)
      : root_(std::move(root)), root_fd_(std::move(root_fd)) {}

  std::string root_;
  UniqueFd root_fd_;
};

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_STATE_STORE_H_
