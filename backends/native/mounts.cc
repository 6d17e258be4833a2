#include "backends/native/mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

constexpr unsigned kTreeFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;

std::string Relative(const std::string& abs) {
  absl::string_view v = abs;
  while (absl::ConsumePrefix(&v, "/")) {
  }
  return std::string(v);
}

// --- child-side helpers: no allocation below this line -------------------------------------

// Closes fd on scope exit (the child's own tiny RAII: UniqueFd would do, but keep the child
// free of anything that could grow).
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

int OpenBeneath(int rootfd, const char* rel, uint64_t flags) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  if (rel[0] == '\0') rel = ".";
  int fd;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, rootfd, rel, &how, sizeof(how)));
  } while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

StepError ResolveError(const char* abs_path) {
  if (errno == EXDEV || errno == ELOOP) {
    return StepError{"leads out of the root filesystem through a symlink or '..'", abs_path, 0,
                     125};
  }
  return StepError::Errno("resolve mount destination", abs_path);
}

// Resolves rel beneath rootfd, creating missing components (directories, and the last one as
// a file when !want_dir). Returns an O_PATH fd, or -1 with *err set.
int ResolveOrCreate(int rootfd, const char* rel, const char* abs_path, bool want_dir,
                    StepError* err) {
  int fd = OpenBeneath(rootfd, rel, O_PATH);
  if (fd >= 0) return fd;
  if (errno != ENOENT) {
    *err = ResolveError(abs_path);
    return -1;
  }
  // Walk the prefixes, each resolved beneath the root again, so a symlink planted anywhere
  // in the chain cannot redirect creation outside it.
  char prefix[PATH_MAX];
  const size_t len = strlen(rel);
  if (len >= sizeof(prefix)) {
    errno = ENAMETOOLONG;
    *err = StepError::Errno("resolve mount destination", abs_path);
    return -1;
  }
  int parent = ::fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
  if (parent < 0) {
    *err = StepError::Errno("dup", abs_path);
    return -1;
  }
  for (size_t start = 0; start < len;) {
    size_t end = start;
    while (end < len && rel[end] != '/') ++end;
    if (end == start) {  // "a//b": the parser cleans paths, but never trust that here
      start = end + 1;
      continue;
    }
    memcpy(prefix, rel, end);
    prefix[end] = '\0';
    const char* name = prefix + start;
    const bool last = end == len;
    int next = OpenBeneath(rootfd, prefix, O_PATH);
    if (next < 0 && errno == ENOENT) {
      int rc;
      if (last && !want_dir) {
        // A file to bind a file onto. O_EXCL|O_NOFOLLOW never follows a planted symlink.
        rc = ::openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) rc = ::close(rc);
      } else {
        rc = ::mkdirat(parent, name, 0755);
      }
      if (rc != 0 && errno != EEXIST) {
        *err = StepError::Errno(last && !want_dir ? "create mount point" : "mkdir mount point",
                                abs_path);
        ::close(parent);
        return -1;
      }
      next = OpenBeneath(rootfd, prefix, O_PATH);
    }
    ::close(parent);
    if (next < 0) {
      *err = ResolveError(abs_path);
      return -1;
    }
    parent = next;
    start = end + 1;
  }
  return parent;
}

StepError Attach(int tree_fd, int target_fd, const char* what) {
  if (::move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) !=
      0) {
    return StepError::Errno("move_mount", what);
  }
  return StepError::Ok();
}

StepError SetAttr(int tree_fd, uint64_t set, uint64_t clr, bool recursive, const char* what) {
  struct mount_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);
  if (::mount_setattr(tree_fd, "", flags, &attr, sizeof(attr)) != 0) {
    return StepError::Errno("mount_setattr", what);
  }
  return StepError::Ok();
}

struct FsOption {
  const char* key;
  const char* value;
};

// fsopen + fsconfig + fsmount: a new, detached mount. Returns its fd or -1 with *err.
int NewFs(const char* fstype, const FsOption* opts, size_t nopts, uint64_t attrs,
          const char* what, StepError* err) {
  int fs = ::fsopen(fstype, FSOPEN_CLOEXEC);
  if (fs < 0) {
    *err = StepError::Errno("fsopen", what);
    return -1;
  }
  Fd fs_guard(fs);
  for (size_t i = 0; i < nopts; ++i) {
    if (::fsconfig(fs, FSCONFIG_SET_STRING, opts[i].key, opts[i].value, 0) != 0) {
      *err = StepError::Errno("fsconfig", what);
      return -1;
    }
  }
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    *err = StepError::Errno("fsconfig create", what);
    return -1;
  }
  int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs));
  if (mnt < 0) *err = StepError::Errno("fsmount", what);
  return mnt;
}

// Mounts a new filesystem at rel (created if missing). keep_rw: remember it for step 6.
StepError MountNewFs(MountPlan& plan, int rootfd, const char* rel, const char* abs_path,
                     const char* fstype, const FsOption* opts, size_t nopts, uint64_t attrs,
                     bool keep_rw) {
  StepError err;
  Fd target(ResolveOrCreate(rootfd, rel, abs_path, true, &err));
  if (target.fd < 0) return err;
  int mnt = NewFs(fstype, opts, nopts, attrs, abs_path, &err);
  if (mnt < 0) return err;
  StepError e = Attach(mnt, target.fd, abs_path);
  if (!e.failed() && keep_rw && plan.n_rw < plan.rw_fds.size()) {
    plan.rw_fds[plan.n_rw++] = mnt;  // stays open until pivot: step 6 needs it
  } else {
    ::close(mnt);
  }
  return e;
}

// Binds a tree cloned from `src_rel` (beneath rootfd) or the host path onto rel.
StepError BindClone(int src_dirfd, const char* src, int rootfd, const char* rel,
                    const char* abs_path, bool want_dir, uint64_t attrs) {
  StepError err;
  Fd target(ResolveOrCreate(rootfd, rel, abs_path, want_dir, &err));
  if (target.fd < 0) return err;
  Fd tree(::open_tree(src_dirfd, src, kTreeFlags | (src[0] ? 0 : AT_EMPTY_PATH)));
  if (tree.fd < 0) return StepError::Errno("open_tree", abs_path);
  if (attrs) RETURN_IF_STEP_FAILED(SetAttr(tree.fd, attrs, 0, true, abs_path));
  return Attach(tree.fd, target.fd, abs_path);
}

// The host's own /proc, /sys and /dev came along in the recursive clone of "/": detach them
// so the fresh instances are not stacked on top of the host's (a stacked mount could be
// peeled off). Locked mounts (in a user namespace) refuse with EINVAL: then we overmount.
void DetachHostMount(int rootfd, const char* rel) {
  int fd = OpenBeneath(rootfd, rel, O_PATH | O_DIRECTORY);
  if (fd < 0) return;
  // umount2 takes a path: name the directory through our fd. Our root is still the host's,
  // so /proc/self/fd resolves in the host's procfs.
  RawBuf<64> path;
  path.Add("/proc/self/fd/").AddInt(fd);
  // A directory that is not a mount's root gives EINVAL: nothing was there, harmless.
  (void)::umount2(path.c_str(), MNT_DETACH);
  ::close(fd);
}

StepError SetUpDev(MountPlan& plan, int rootfd) {
  static const FsOption kDevOpts[] = {{"mode", "0755"}, {"size", "65536"}};
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "dev", "/dev", "tmpfs", kDevOpts, 2,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true));
  // Device nodes are bound from the host rather than made with mknod: mknod needs
  // CAP_MKNOD and does not work in a user namespace; a bind works in both.
  static const char* const kNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (const char* node : kNodes) {
    char host[32] = "/dev/";
    char rel[32] = "dev/";
    strcat(host, node);
    strcat(rel, node);
    RETURN_IF_STEP_FAILED(BindClone(AT_FDCWD, host, rootfd, rel, host, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  }
  // Every devpts mount is a private instance since Linux 4.7 ("newinstance" is implied).
  static const FsOption kPtsOpts[] = {{"ptmxmode", "0666"}, {"mode", "0620"}};
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "dev/pts", "/dev/pts", "devpts", kPtsOpts, 2,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true));
  static const FsOption kShmOpts[] = {{"mode", "1777"}, {"size", "67108864"}};
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "dev/shm", "/dev/shm", "tmpfs", kShmOpts, 2,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true));
  struct Link {
    const char* target;
    const char* name;
  };
  static const Link kLinks[] = {{"pts/ptmx", "ptmx"},
                                {"/proc/self/fd", "fd"},
                                {"/proc/self/fd/0", "stdin"},
                                {"/proc/self/fd/1", "stdout"},
                                {"/proc/self/fd/2", "stderr"}};
  Fd dev(OpenBeneath(rootfd, "dev", O_PATH | O_DIRECTORY));
  if (dev.fd < 0) return StepError::Errno("open", "/dev");
  for (const Link& l : kLinks) {
    if (::symlinkat(l.target, dev.fd, l.name) != 0) return StepError::Errno("symlink", l.name);
  }
  return StepError::Ok();
}

StepError MaskPaths(MountPlan& plan, int rootfd) {
  for (size_t i = 0; i < plan.masked.size(); ++i) {
    const char* rel = plan.masked[i].c_str();
    const char* abs_path = plan.masked_abs[i].c_str();
    Fd target(OpenBeneath(rootfd, rel, O_PATH));
    if (target.fd < 0) {
      if (errno == ENOENT) continue;  // nothing to hide
      return ResolveError(abs_path);
    }
    struct stat st;
    if (::fstat(target.fd, &st) != 0) return StepError::Errno("fstat", abs_path);
    StepError err;
    if (S_ISDIR(st.st_mode)) {
      static const FsOption kMaskOpts[] = {{"size", "0"}, {"mode", "0555"}};
      int mnt = NewFs("tmpfs", kMaskOpts, 2,
                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                      abs_path, &err);
      if (mnt < 0) return err;
      Fd m(mnt);
      RETURN_IF_STEP_FAILED(Attach(m.fd, target.fd, abs_path));
    } else {
      Fd null(::open_tree(rootfd, "dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
      if (null.fd < 0) return StepError::Errno("open_tree", "/dev/null");
      RETURN_IF_STEP_FAILED(SetAttr(null.fd, MOUNT_ATTR_RDONLY, 0, false, abs_path));
      RETURN_IF_STEP_FAILED(Attach(null.fd, target.fd, abs_path));
    }
  }
  for (size_t i = 0; i < plan.readonly.size(); ++i) {
    const char* abs_path = plan.readonly_abs[i].c_str();
    Fd target(OpenBeneath(rootfd, plan.readonly[i].c_str(), O_PATH));
    if (target.fd < 0) {
      if (errno == ENOENT) continue;
      return ResolveError(abs_path);
    }
    Fd tree(::open_tree(target.fd, "", kTreeFlags | AT_EMPTY_PATH));
    if (tree.fd < 0) return StepError::Errno("open_tree", abs_path);
    RETURN_IF_STEP_FAILED(SetAttr(tree.fd,
                                  MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                      MOUNT_ATTR_NOEXEC,
                                  0, true, abs_path));
    RETURN_IF_STEP_FAILED(Attach(tree.fd, target.fd, abs_path));
  }
  return StepError::Ok();
}

}  // namespace

absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec) {
  MountPlan plan;
  plan.host_root = spec.rootfs.empty();
  plan.root_source = plan.host_root ? "/" : spec.rootfs;
  plan.readonly_root = plan.host_root || spec.readonly_rootfs;
  if (!plan.host_root) {
    struct stat st;
    if (::stat(spec.rootfs.c_str(), &st) != 0) {
      return Annotate(ErrnoStatus("stat", spec.rootfs), "--rootfs");
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rootfs '", spec.rootfs, "' is not a directory"));
    }
  }
  for (const MountSpec& m : spec.mounts) {
    MountOp op;
    op.target_abs = m.destination;
    op.target = Relative(m.destination);
    if (op.target.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mount destination '", m.destination, "': cannot mount over /"));
    }
    op.read_only = m.read_only;
    if (m.type == MountSpec::Type::kBind) {
      op.kind = MountOp::Kind::kBind;
      op.source = m.source;
      struct stat st;
      if (::stat(m.source.c_str(), &st) != 0) {
        int err = errno;
        return ErrnoStatus(absl::StrCat(m.read_only ? "--ro" : "--rw", " source '", m.source, "'"),
                           "", err);
      }
      op.source_is_dir = S_ISDIR(st.st_mode);
    } else {
      op.kind = MountOp::Kind::kTmpfs;
      op.read_only = false;
      if (m.tmpfs_size) op.tmpfs_size = absl::StrCat(m.tmpfs_size);
      char mode[8];
      snprintf(mode, sizeof(mode), "%o", m.tmpfs_mode & 07777);
      op.tmpfs_mode = mode;
    }
    plan.mounts.push_back(std::move(op));
  }
  for (const std::string& p : spec.masked_paths) {
    plan.masked.push_back(Relative(p));
    plan.masked_abs.push_back(p);
  }
  for (const std::string& p : spec.readonly_paths) {
    plan.readonly.push_back(Relative(p));
    plan.readonly_abs.push_back(p);
  }
  plan.rw_fds.assign(plan.mounts.size() + 8, -1);
  return plan;
}

StepError SetUpFilesystemInChild(MountPlan& plan) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return StepError::Errno("mount --make-rprivate", "/");
  }
  // Step 2: capture every host-side tree before anything is mounted.
  Fd root(::open_tree(AT_FDCWD, plan.root_source.c_str(), kTreeFlags));
  if (root.fd < 0) return StepError::Errno("open_tree", plan.root_source.c_str());
  for (MountOp& op : plan.mounts) {
    if (op.kind != MountOp::Kind::kBind) continue;
    op.fd = ::open_tree(AT_FDCWD, op.source.c_str(), kTreeFlags);
    if (op.fd < 0) return StepError::Errno("open_tree", op.source.c_str());
  }
  // Step 3.
  if (plan.host_root) {
    RETURN_IF_STEP_FAILED(SetAttr(root.fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                                  0, true, "/"));
  }
  if (::move_mount(root.fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return StepError::Errno("move_mount", "new root onto /");
  }
  const int rootfd = root.fd;  // the root of the attached tree from here on
  // Steps 4-5.
  DetachHostMount(rootfd, "proc");
  DetachHostMount(rootfd, "sys");
  DetachHostMount(rootfd, "dev");
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "proc", "/proc", "proc", nullptr, 0,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, true));
  RETURN_IF_STEP_FAILED(MountNewFs(
      plan, rootfd, "sys", "/sys", "sysfs", nullptr, 0,
      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, false));
  RETURN_IF_STEP_FAILED(SetUpDev(plan, rootfd));
  static const FsOption kTmpOpts[] = {{"mode", "1777"}};
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "tmp", "/tmp", "tmpfs", kTmpOpts, 1,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true));
  for (MountOp& op : plan.mounts) {
    const char* rel = op.target.c_str();
    const char* abs_path = op.target_abs.c_str();
    if (op.kind == MountOp::Kind::kTmpfs) {
      FsOption opts[2] = {{"mode", op.tmpfs_mode.c_str()}, {"size", op.tmpfs_size.c_str()}};
      RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, rel, abs_path, "tmpfs", opts,
                                       op.tmpfs_size.empty() ? 1 : 2,
                                       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true));
      continue;
    }
    // Binds never carry setuid bits or device nodes in: nosuid, nodev, recursively.
    uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (op.read_only ? MOUNT_ATTR_RDONLY : 0);
    RETURN_IF_STEP_FAILED(SetAttr(op.fd, attrs, 0, true, abs_path));
    StepError err;
    Fd target(ResolveOrCreate(rootfd, rel, abs_path, op.source_is_dir, &err));
    if (target.fd < 0) return err;
    RETURN_IF_STEP_FAILED(Attach(op.fd, target.fd, abs_path));
    if (!op.read_only && plan.n_rw < plan.rw_fds.size()) {
      plan.rw_fds[plan.n_rw++] = op.fd;
    } else {
      ::close(op.fd);
    }
    op.fd = -1;
  }
  RETURN_IF_STEP_FAILED(MaskPaths(plan, rootfd));
  // Step 6.
  if (plan.readonly_root) {
    RETURN_IF_STEP_FAILED(SetAttr(rootfd, MOUNT_ATTR_RDONLY, 0, true, "/"));
    for (size_t i = 0; i < plan.n_rw; ++i) {
      RETURN_IF_STEP_FAILED(SetAttr(plan.rw_fds[i], 0, MOUNT_ATTR_RDONLY, false, "writable mount"));
    }
  }
  for (size_t i = 0; i < plan.n_rw; ++i) ::close(plan.rw_fds[i]);
  plan.n_rw = 0;
  // Step 7: pivot_root(".", ".") stacks the old root on top of the new one; the lazy
  // unmount then drops the whole host tree from this namespace.
  if (::fchdir(rootfd) != 0) return StepError::Errno("fchdir", "new root");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return StepError::Errno("pivot_root", ".");
  if (::umount2(".", MNT_DETACH) != 0) return StepError::Errno("umount2", "old root");
  if (::chdir("/") != 0) return StepError::Errno("chdir", "/");
  return StepError::Ok();
}

}  // namespace nucleus
