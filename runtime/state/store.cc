#include "runtime/state/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/state/ids.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

constexpr char kLockFile[] = "lock";
constexpr char kStateFile[] = "state.json";
constexpr char kStateTmpFile[] = "state.json.tmp";
constexpr char kOwnerFile[] = "owner";
constexpr int kMaxRemoveDepth = 16;
constexpr int kDirFlags = O_DIRECTORY | O_NOFOLLOW | O_RDONLY;

// Names of a directory, "." and ".." left out. Reads through a fresh open file description
// so that the caller's fd offset is untouched.
absl::StatusOr<std::vector<std::string>> ReadDirNames(int dirfd, absl::string_view what) {
  int fd = openat(dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("openat", absl::StrCat(what, "/."));
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    absl::Status st = ErrnoStatus("fdopendir", what);
    close(fd);
    return st;
  }
  absl::Cleanup close_dir = [dir] { closedir(dir); };
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    struct dirent* e = readdir(dir);
    if (e == nullptr) {
      if (errno != 0) return ErrnoStatus("readdir", what);
      break;
    }
    absl::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  return names;
}

// Empties the directory dirfd (named `what` in errors) without following any symlink: each
// entry is lstat'ed (fstatat AT_SYMLINK_NOFOLLOW); directories are opened O_NOFOLLOW and
// emptied recursively; everything else, symlinks included, is unlinked as a name. `keep` is
// left in place (the lock file, removed last by the caller).
absl::Status RemoveContents(int dirfd, const std::string& what, int depth,
                            absl::string_view keep = "") {
  if (depth > kMaxRemoveDepth) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": more than ", kMaxRemoveDepth, " levels of directories"));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(dirfd, what));
  for (const std::string& name : names) {
    if (name == keep) continue;
    std::string path = absl::StrCat(what, "/", name);
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue;
      return ErrnoStatus("fstatat", path);
    }
    if (S_ISDIR(st.st_mode)) {
      ASSIGN_OR_RETURN(UniqueFd sub, OpenAt(dirfd, name, kDirFlags));
      RETURN_IF_ERROR(RemoveContents(sub.get(), path, depth + 1));
      if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return ErrnoStatus("unlinkat(AT_REMOVEDIR)", path);
      }
    } else if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoStatus("unlinkat", path);
    }
  }
  return absl::OkStatus();
}

// A directory is owned by us and writable by nobody else: anything else under the state
// root was not made by this store for this user.
absl::Status CheckOwnedDir(int fd, absl::string_view what) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoStatus("fstat", what);
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": not a directory"));
  }
  if (st.st_uid != geteuid()) {
    return absl::PermissionDeniedError(absl::StrCat(what, ": owned by uid ", st.st_uid,
                                                    ", not by the caller (uid ", geteuid(), ")"));
  }
  if ((st.st_mode & 022) != 0) {
    return absl::PermissionDeniedError(
        absl::StrFormat("%s: writable by group or others (mode %04o)", what, st.st_mode & 07777));
  }
  return absl::OkStatus();
}

bool Unlinked(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_nlink == 0;
}

}  // namespace

ContainerLock& ContainerLock::operator=(ContainerLock&& other) noexcept {
  if (this != &other) {
    Unlock();
    id_ = std::move(other.id_);
    dir_fd_ = std::move(other.dir_fd_);
    lock_fd_ = std::move(other.lock_fd_);
  }
  return *this;
}

void ContainerLock::Unlock() {
  // LOCK_UN before close: a flock belongs to the open file description, which a fork()ed
  // child shares; closing only our fd would leave the container locked until the child exits.
  if (lock_fd_.valid()) flock(lock_fd_.get(), LOCK_UN);
  lock_fd_.Reset();
  dir_fd_.Reset();
}

absl::StatusOr<StateStore> StateStore::Open(const std::string& root_arg) {
  std::string root = root_arg;
  // "link/" would make open() follow the symlink despite O_NOFOLLOW.
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (root.empty()) return absl::InvalidArgumentError("state root: empty path");
  // As runc's --root: the missing parents are made too (0700, like the root itself;
  // containerd passes /run/containerd/runc/NAMESPACE and expects the runtime to make it).
  if (mkdir(root.c_str(), 0700) != 0) {
    if (errno == ENOENT) {
      for (size_t slash = root.find('/', 1); slash != std::string::npos;
           slash = root.find('/', slash + 1)) {
        std::string level = root.substr(0, slash);
        if (mkdir(level.c_str(), 0700) != 0 && errno != EEXIST) {
          return ErrnoStatus("mkdir", level);
        }
      }
      if (mkdir(root.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", root);
    } else if (errno != EEXIST) {
      return ErrnoStatus("mkdir", root);
    }
  }
  int fd = open(root.c_str(), kDirFlags | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR) {
      return absl::FailedPreconditionError(
          absl::StrCat("state root ", root, ": a symlink or not a directory"));
    }
    return ErrnoStatus("open", root);
  }
  UniqueFd root_fd(fd);
  RETURN_IF_ERROR(CheckOwnedDir(root_fd.get(), absl::StrCat("state root ", root)));
  return StateStore(std::move(root), std::move(root_fd));
}

absl::StatusOr<UniqueFd> StateStore::OpenContainerDir(absl::string_view id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  std::string name(id);
  int fd = openat(root_fd_.get(), name.c_str(), kDirFlags | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("container ID does not exist: ", id));
    }
    if (errno == ELOOP || errno == ENOTDIR) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", id, ": ", root_, "/", id, " is a symlink or not a directory"));
    }
    return ErrnoStatus("openat", absl::StrCat(root_, "/", id));
  }
  UniqueFd dir(fd);
  RETURN_IF_ERROR(CheckOwnedDir(dir.get(), absl::StrCat("container ", id, ": ", root_, "/", id)));
  return dir;
}

absl::StatusOr<ContainerLock> StateStore::Create(absl::string_view id, bool durable) {
  RETURN_IF_ERROR(ValidateContainerId(id));
  // The scratch name starts with '.', which no id can, so it never collides with a container
  // and List() skips it.
  ASSIGN_OR_RETURN(std::string nonce, GenerateContainerId(16));
  std::string scratch = absl::StrCat(".new-", id, "-", nonce);
  std::string scratch_path = absl::StrCat(root_, "/", scratch);
  if (mkdirat(root_fd_.get(), scratch.c_str(), 0700) != 0) {
    return ErrnoStatus("mkdirat", scratch_path);
  }
  bool renamed = false;
  absl::Cleanup rollback = [&] {
    if (renamed) return;
    unlinkat(root_fd_.get(), absl::StrCat(scratch, "/", kLockFile).c_str(), 0);
    unlinkat(root_fd_.get(), scratch.c_str(), AT_REMOVEDIR);
  };
  ASSIGN_OR_RETURN(UniqueFd dir, OpenAt(root_fd_.get(), scratch, kDirFlags));
  ASSIGN_OR_RETURN(UniqueFd lock,
                   OpenAt(dir.get(), kLockFile, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  // Nobody else can know the scratch name yet, so this cannot block; it is taken before the
  // rename so that no other command ever sees the container unlocked before its first Save.
  if (flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    return ErrnoStatus("flock", absl::StrCat(scratch_path, "/", kLockFile));
  }
  std::string name(id);
  if (renameat2(root_fd_.get(), scratch.c_str(), root_fd_.get(), name.c_str(), RENAME_NOREPLACE) !=
      0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("container ID already exists: ", id));
    }
    return ErrnoStatus("renameat2(RENAME_NOREPLACE)",
                       absl::StrCat(scratch_path, " -> ", root_, "/", id));
  }
  renamed = true;
  if (durable && fsync(root_fd_.get()) != 0) return ErrnoStatus("fsync", root_);
  return ContainerLock(name, std::move(dir), std::move(lock));
}

absl::StatusOr<ContainerLock> StateStore::Lock(absl::string_view id, absl::Duration timeout) {
  ASSIGN_OR_RETURN(UniqueFd dir, OpenContainerDir(id));
  std::string lock_path = absl::StrCat(root_, "/", id, "/", kLockFile);
  // No O_CREAT: the lock file is made by Create and removed last by Remove, so a missing one
  // means the container is gone (or going); creating it here would hand out a second,
  // unrelated lock while a Remove is in progress.
  int fd = openat(dir.get(), kLockFile, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("container ID does not exist: ", id, " (being removed)"));
    }
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(lock_path, ": a symlink; refusing it"));
    }
    return ErrnoStatus("openat", lock_path);
  }
  UniqueFd lock(fd);
  if (timeout == absl::InfiniteDuration()) {
    if (RetryEintr([&] { return flock(lock.get(), LOCK_EX); }) != 0) {
      return ErrnoStatus("flock", lock_path);
    }
  } else {
    // flock has no timeout; polling with LOCK_NB avoids SIGALRM games in a library.
    const absl::Time deadline = absl::Now() + timeout;
    absl::Duration pause = absl::Milliseconds(1);
    for (;;) {
      if (flock(lock.get(), LOCK_EX | LOCK_NB) == 0) break;
      if (errno != EWOULDBLOCK && errno != EINTR) return ErrnoStatus("flock", lock_path);
      if (timeout <= absl::ZeroDuration()) {
        return absl::UnavailableError(
            absl::StrCat("container ", id, " is locked by another nucleus command"));
      }
      absl::Time now = absl::Now();
      if (now >= deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("container ", id, " is still locked by another nucleus command after ",
                         absl::FormatDuration(timeout)));
      }
      absl::SleepFor(std::min(pause, deadline - now));
      pause = std::min(pause * 2, absl::Milliseconds(50));
    }
  }
  // The holder we waited for may have removed the container.
  if (Unlinked(lock.get()) || Unlinked(dir.get())) {
    return absl::NotFoundError(
        absl::StrCat("container ID does not exist: ", id, " (removed while waiting for its lock)"));
  }
  return ContainerLock(std::string(id), std::move(dir), std::move(lock));
}

absl::Status StateStore::Save(const ContainerLock& lock, const ContainerState& state,
                              bool durable) {
  if (state.id != lock.id()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Save: state of container ", state.id, " under the lock of ", lock.id()));
  }
  return WriteFile(lock, kStateFile, ToJson(state), durable);
}

absl::Status StateStore::WriteFile(const ContainerLock& lock, absl::string_view name,
                                   absl::string_view text, bool durable) {
  const std::string file(name);
  const std::string tmp = absl::StrCat(name, ".tmp");
  const std::string dir_path = absl::StrCat(root_, "/", lock.id());
  const std::string tmp_path = absl::StrCat(dir_path, "/", tmp);
  // A leftover from an interrupted write (or anything planted under that name, a symlink
  // included) is removed first; O_EXCL|O_NOFOLLOW then guarantee a fresh regular file.
  if (unlinkat(lock.dir_fd(), tmp.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoStatus("unlinkat", tmp_path);
  }
  ASSIGN_OR_RETURN(UniqueFd fd, OpenAt(lock.dir_fd(), tmp.c_str(),
                                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  bool renamed = false;
  absl::Cleanup remove_tmp = [&] {
    if (!renamed) unlinkat(lock.dir_fd(), tmp.c_str(), 0);
  };
  RETURN_IF_ERROR(WriteAll(fd.get(), text, tmp_path));
  // fsync before rename: otherwise a crash can leave the file renamed but empty (ext4
  // without auto_da_alloc, xfs).
  if (durable && fsync(fd.get()) != 0) return ErrnoStatus("fsync", tmp_path);
  fd.Reset();
  if (renameat(lock.dir_fd(), tmp.c_str(), lock.dir_fd(), file.c_str()) != 0) {
    return ErrnoStatus("renameat", absl::StrCat(tmp_path, " -> ", file));
  }
  renamed = true;
  // The rename is durable only once the directory is.
  if (durable && fsync(lock.dir_fd()) != 0) return ErrnoStatus("fsync", dir_path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> StateStore::ReadFile(absl::string_view id, absl::string_view name,
                                                 size_t max_bytes) const {
  ASSIGN_OR_RETURN(UniqueFd dir, OpenContainerDir(id));
  const std::string file(name);
  const std::string path = absl::StrCat(root_, "/", id, "/", name);
  int fd = openat(dir.get(), file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": does not exist"));
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": a symlink; refusing it"));
    }
    return ErrnoStatus("openat", path);
  }
  UniqueFd f(fd);
  struct stat st;
  if (fstat(f.get(), &st) != 0) return ErrnoStatus("fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  absl::StatusOr<std::string> text = ReadFdToString(f.get(), max_bytes);
  if (!text.ok()) return Annotate(text.status(), path);
  return text;
}

absl::StatusOr<ContainerState> StateStore::Load(absl::string_view id) const {
  ASSIGN_OR_RETURN(UniqueFd dir, OpenContainerDir(id));
  const std::string path = absl::StrCat(root_, "/", id, "/", kStateFile);
  int fd = openat(dir.get(), kStateFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("container ", id, ": no ", kStateFile,
                                              " (a create in progress or interrupted)"));
    }
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(absl::StrCat(path, ": a symlink; refusing it"));
    }
    return ErrnoStatus("openat", path);
  }
  UniqueFd file(fd);
  struct stat st;
  if (fstat(file.get(), &st) != 0) return ErrnoStatus("fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  absl::StatusOr<std::string> text = ReadFdToString(file.get(), kMaxStateJsonBytes);
  if (!text.ok()) return Annotate(text.status(), path);
  absl::StatusOr<ContainerState> state = ParseStateJson(*text);
  if (!state.ok()) return Annotate(state.status(), absl::StrCat("container ", id));
  if (state->id != id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "container ", id, ": state.json: id: ", state->id, " does not match its directory"));
  }
  return state;
}

absl::StatusOr<StateList> StateStore::List() const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(root_fd_.get(), root_));
  std::sort(names.begin(), names.end());
  StateList list;
  for (const std::string& name : names) {
    if (name[0] == '.') continue;  // Create's scratch directories
    if (absl::Status st = ValidateContainerId(name); !st.ok()) {
      list.broken.push_back({name, st});
      continue;
    }
    absl::StatusOr<ContainerState> state = Load(name);
    if (!state.ok()) {
      list.broken.push_back({name, state.status()});
      continue;
    }
    list.states.push_back(*std::move(state));
  }
  return list;
}

absl::Status StateStore::Remove(ContainerLock lock, bool durable) {
  const std::string dir_path = absl::StrCat(root_, "/", lock.id());
  // The name must still be the directory we locked: compare before unlinking it.
  struct stat locked, named;
  if (fstat(lock.dir_fd(), &locked) != 0) return ErrnoStatus("fstat", dir_path);
  if (fstatat(root_fd_.get(), lock.id().c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("fstatat", dir_path);
  }
  if (locked.st_dev != named.st_dev || locked.st_ino != named.st_ino) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir_path, ": replaced while locked; not removing"));
  }
  RETURN_IF_ERROR(RemoveContents(lock.dir_fd(), dir_path, 0, kLockFile));
  if (unlinkat(lock.dir_fd(), kLockFile, 0) != 0 && errno != ENOENT) {
    return ErrnoStatus("unlinkat", absl::StrCat(dir_path, "/", kLockFile));
  }
  if (unlinkat(root_fd_.get(), lock.id().c_str(), AT_REMOVEDIR) != 0) {
    return ErrnoStatus("unlinkat(AT_REMOVEDIR)", dir_path);
  }
  if (durable && fsync(root_fd_.get()) != 0) return ErrnoStatus("fsync", root_);
  return absl::OkStatus();  // `lock` unlocks here; waiters find the directory unlinked
}

absl::StatusOr<UniqueFd> StateStore::HoldOwner(const ContainerLock& lock) {
  const std::string path = absl::StrCat(root_, "/", lock.id(), "/", kOwnerFile);
  ASSIGN_OR_RETURN(UniqueFd fd, OpenAt(lock.dir_fd(), kOwnerFile,
                                       O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return ErrnoStatus("flock", path);
  return fd;
}

absl::StatusOr<std::vector<std::string>> StateStore::AbandonedIds() const {
  ASSIGN_OR_RETURN(std::vector<std::string> names, ReadDirNames(root_fd_.get(), root_));
  std::sort(names.begin(), names.end());
  std::vector<std::string> abandoned;
  for (const std::string& name : names) {
    if (name[0] == '.' || !ValidateContainerId(name).ok()) continue;
    UniqueFd dir(openat(root_fd_.get(), name.c_str(), kDirFlags | O_CLOEXEC));
    if (!dir.valid()) continue;
    UniqueFd owner(openat(dir.get(), kOwnerFile, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!owner.valid()) continue;
    struct stat st;
    if (fstat(owner.get(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    // Taken at once: nobody holds it. Released again by the close.
    if (flock(owner.get(), LOCK_SH | LOCK_NB) == 0) abandoned.push_back(name);
  }
  return abandoned;
}

}  // namespace nucleus
