#include "backends/native/mounts.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "runtime/identity.h"
#include "runtime/util/raw_log.h"
#include "runtime/util/status.h"
#include "runtime/workspace/context.h"

namespace nucleus {
namespace {

constexpr unsigned kTreeFlags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE;
constexpr uint64_t kNoSuidDevExec = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

std::string Relative(const std::string& abs) {
  absl::string_view v = abs;
  while (absl::ConsumePrefix(&v, "/")) {
  }
  return std::string(v);
}

// --- parent side ------------------------------------------------------------------------------

// A path's components are all real names: no "", ".", "..".
bool CleanComponents(absl::string_view rel) {
  for (absl::string_view c : absl::StrSplit(rel, '/')) {
    if (c.empty() || c == "." || c == "..") return false;
  }
  return true;
}

// The mount attributes a MountSpec asks for, refined by the attribute words among its
// fs_options (config.json lists them with the filesystem's own options).
struct Attrs {
  bool read_only, nosuid, nodev, noexec;
  int64_t atime = -1;   // MOUNT_ATTR_{RELATIME,NOATIME,STRICTATIME}; -1: as it comes
  int nodiratime = -1;  // -1: as it comes
  bool recursive;

  uint64_t Set() const {
    uint64_t a = 0;
    if (read_only) a |= MOUNT_ATTR_RDONLY;
    if (nosuid) a |= MOUNT_ATTR_NOSUID;
    if (nodev) a |= MOUNT_ATTR_NODEV;
    if (noexec) a |= MOUNT_ATTR_NOEXEC;
    if (atime >= 0) a |= static_cast<uint64_t>(atime);
    if (nodiratime == 1) a |= MOUNT_ATTR_NODIRATIME;
    return a;
  }
};

// A mount attribute word (ro, nosuid, noatime, rbind, ...) onto *a; false for any other word.
bool ApplyAttributeWord(const std::string& opt, Attrs* a) {
  static constexpr struct {
    const char* word;
    void (*apply)(Attrs*);
  } kWords[] = {
      {"ro", [](Attrs* x) { x->read_only = true; }},
      {"rw", [](Attrs* x) { x->read_only = false; }},
      {"nosuid", [](Attrs* x) { x->nosuid = true; }},
      {"suid", [](Attrs* x) { x->nosuid = false; }},
      {"nodev", [](Attrs* x) { x->nodev = true; }},
      {"dev", [](Attrs* x) { x->nodev = false; }},
      {"noexec", [](Attrs* x) { x->noexec = true; }},
      {"exec", [](Attrs* x) { x->noexec = false; }},
      {"noatime", [](Attrs* x) { x->atime = MOUNT_ATTR_NOATIME; }},
      {"strictatime", [](Attrs* x) { x->atime = MOUNT_ATTR_STRICTATIME; }},
      {"relatime", [](Attrs* x) { x->atime = MOUNT_ATTR_RELATIME; }},
      {"atime", [](Attrs* x) { x->atime = MOUNT_ATTR_RELATIME; }},
      {"norelatime", [](Attrs* x) { x->atime = MOUNT_ATTR_RELATIME; }},
      {"nostrictatime", [](Attrs* x) { x->atime = MOUNT_ATTR_RELATIME; }},
      {"nodiratime", [](Attrs* x) { x->nodiratime = 1; }},
      {"diratime", [](Attrs* x) { x->nodiratime = 0; }},
      {"bind", [](Attrs* x) { x->recursive = false; }},
      {"rbind", [](Attrs* x) { x->recursive = true; }},
  };
  for (const auto& w : kWords) {
    if (opt == w.word) {
      w.apply(a);
      return true;
    }
  }
  return false;
}

// Sorts fs_options into attributes (*attrs) and fsconfig parameters (op->params). Words that
// mean nothing for this mount are dropped; those that ask for something nucleus does not do
// per mount (propagation) leave a warning.
absl::Status SplitFsOptions(const MountSpec& m, bool new_fs, Attrs* attrs, MountOp* op,
                            std::vector<std::string>* warnings) {
  for (const std::string& opt : m.fs_options) {
    if (opt.empty()) continue;
    const size_t eq = opt.find('=');
    if (eq == std::string::npos) {
      if (ApplyAttributeWord(opt, attrs)) continue;
      if (opt == "defaults" || opt == "private" || opt == "rprivate") continue;
      if (opt == "shared" || opt == "rshared" || opt == "slave" || opt == "rslave" ||
          opt == "unbindable" || opt == "runbindable") {
        warnings->push_back(absl::StrCat("mount ", m.destination, ": propagation option '", opt,
                                         "' ignored (container mounts are private; see "
                                         "rootfs_propagation)"));
        continue;
      }
    }
    if (!new_fs) {
      warnings->push_back(
          absl::StrCat("mount ", m.destination, ": option '", opt, "' ignored for a bind mount"));
      continue;
    }
    FsParam p;
    if (eq == std::string::npos) {
      p.key = opt;
      p.flag = true;
    } else {
      p.key = opt.substr(0, eq);
      p.value = opt.substr(eq + 1);
      if (p.key.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mount ", m.destination, ": option '", opt, "' has no name"));
      }
    }
    if (p.key.find('\0') != std::string::npos || p.value.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("mount ", m.destination, ": option contains a NUL byte"));
    }
    p.what = absl::StrCat(m.destination, ": ", opt);
    op->params.push_back(std::move(p));
  }
  return absl::OkStatus();
}

FsParam Param(const std::string& dst, const char* key, std::string value) {
  FsParam p;
  p.key = key;
  p.what = absl::StrCat(dst, ": ", key, "=", value);
  p.value = std::move(value);
  return p;
}

// A bind mount's op: the source must exist (stat'ed as the caller); its attributes set and
// cleared as the options say.
absl::StatusOr<MountOp> PlanBind(const MountSpec& m, bool oci, const Attrs& attrs, MountOp op) {
  op.kind = MountOp::Kind::kBind;
  op.source = m.source;
  op.recursive = attrs.recursive;
  struct stat st;
  if (::stat(m.source.c_str(), &st) != 0) {
    int err = errno;
    if (oci) {
      return ErrnoStatus(absl::StrCat("mount ", m.destination, ": source '", m.source, "'"), "",
                         err);
    }
    return ErrnoStatus(absl::StrCat(m.read_only ? "--ro" : "--rw", " source '", m.source, "'"), "",
                       err);
  }
  op.source_is_dir = S_ISDIR(st.st_mode);
  op.read_only = attrs.read_only;
  op.attr_set = attrs.Set();
  if (attrs.atime >= 0) op.attr_clr |= MOUNT_ATTR__ATIME;
  if (attrs.nodiratime == 0) op.attr_clr |= MOUNT_ATTR_NODIRATIME;
  return op;
}

absl::StatusOr<MountOp> PlanOne(const ContainerSpec& spec, const MountSpec& m, bool host_cgroup2,
                                std::vector<std::string>* warnings) {
  const bool oci = !spec.default_filesystems;
  MountOp op;
  op.target_abs = m.destination;
  op.target = Relative(m.destination);
  if (oci && !absl::StartsWith(m.destination, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("mount destination '", m.destination, "' is not an absolute path"));
  }
  if (op.target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("mount destination '", m.destination, "': cannot mount over /"));
  }
  Attrs attrs{m.read_only, m.nosuid, m.nodev, m.noexec, -1, -1, m.recursive};
  const bool new_fs = m.type != MountSpec::Type::kBind;
  RETURN_IF_ERROR(SplitFsOptions(m, new_fs, &attrs, &op, warnings));

  if (!new_fs) return PlanBind(m, oci, attrs, std::move(op));

  op.kind = MountOp::Kind::kNewFs;
  // `nucleus run`'s --tmpfs is always writable (its flag parser says so too).
  op.read_only = !oci && m.type == MountSpec::Type::kTmpfs ? false : attrs.read_only;
  attrs.read_only = op.read_only;
  std::vector<FsParam> extra = std::move(op.params);
  op.params.clear();
  const char* hint = nullptr;
  switch (m.type) {
    case MountSpec::Type::kTmpfs: {
      op.fstype = "tmpfs";
      char mode[8];
      snprintf(mode, sizeof(mode), "%o", m.tmpfs_mode & 07777);
      op.params.push_back(Param(m.destination, "mode", mode));
      if (m.tmpfs_size) {
        op.params.push_back(Param(m.destination, "size", absl::StrCat(m.tmpfs_size)));
      }
      op.populate_dev = oci && op.target == "dev";
      break;
    }
    case MountSpec::Type::kProc:
      op.fstype = "proc";
      op.is_proc = true;
      hint = "in a user namespace, proc needs the container's own PID namespace";
      break;
    case MountSpec::Type::kSysfs:
      op.fstype = "sysfs";
      hint = "in a user namespace, sysfs needs the container's own network namespace";
      break;
    case MountSpec::Type::kDevpts:
      op.fstype = "devpts";
      break;
    case MountSpec::Type::kMqueue:
      op.fstype = "mqueue";
      hint = "in a user namespace, mqueue needs the container's own IPC namespace";
      break;
    case MountSpec::Type::kCgroup:
      if (host_cgroup2) {
        op.fstype = "cgroup2";
        hint = "in a user namespace, cgroup2 needs the container's own cgroup namespace";
        break;
      }
      // v1 / hybrid: no one filesystem shows the container's groups (runc mounts one per
      // v1 hierarchy). An empty read-only directory is honest; a half-right tree is not.
      op.fstype = "tmpfs";
      op.read_only = true;
      attrs.read_only = true;
      attrs.nosuid = attrs.nodev = attrs.noexec = true;
      op.params.push_back(Param(m.destination, "mode", "555"));
      extra.clear();  // cgroup options mean nothing to tmpfs
      warnings->push_back(absl::StrCat(
          "mount ", m.destination,
          ": the host has no cgroup v2 hierarchy at /sys/fs/cgroup (cgroup v1 or hybrid): an "
          "empty read-only tmpfs stands in for the cgroup filesystem"));
      break;
    case MountSpec::Type::kBind:
      break;  // handled above
  }
  for (FsParam& p : extra) op.params.push_back(std::move(p));
  // The source the kernel records (/proc/mounts' first field; "none" without one). Not for
  // the v1 stand-in: a tmpfs labelled "cgroup" would claim to be what it is not.
  if (!m.source.empty() && !(m.type == MountSpec::Type::kCgroup && !host_cgroup2)) {
    op.params.insert(op.params.begin(), Param(m.destination, "source", m.source));
  }
  op.attr_set = attrs.Set();
  if (hint != nullptr && spec.namespaces.user) {
    op.eperm_detail = absl::StrCat(m.destination, ": ", hint);
  }
  return op;
}

absl::StatusOr<DeviceOp> PlanDevice(const DeviceSpec& d) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("device '", d.path, "': ", why));
  };
  absl::string_view rel = d.path;
  if (!absl::ConsumePrefix(&rel, "/dev/") || !CleanComponents(rel)) {
    return bad("not a clean absolute path under /dev");
  }
  DeviceOp op;
  op.path_abs = d.path;
  op.rel = Relative(d.path);
  const size_t slash = op.rel.rfind('/');
  op.parent_rel = op.rel.substr(0, slash);
  op.name = op.rel.substr(slash + 1);
  mode_t type;
  switch (d.type) {
    case 'c':
    case 'u':
      type = S_IFCHR;
      break;
    case 'b':
      type = S_IFBLK;
      break;
    case 'p':
      // A named pipe in the container's /dev: mknod of a FIFO needs no CAP_MKNOD and
      // reaches no host device. Always made, never bound from the host.
      type = S_IFIFO;
      break;
    default:
      return bad(absl::StrCat("unknown type '", std::string(1, d.type), "' (c, u, b or p)"));
  }
  if (d.major < 0 || d.major > 0xfff || d.minor < 0 || d.minor > 0xfffff) {
    return bad(absl::StrCat("device number ", d.major, ":", d.minor, " out of range"));
  }
  op.mode = type | (d.file_mode & 07777);
  op.rdev =
      type == S_IFIFO ? 0 : makedev(static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
  op.uid = d.uid;
  op.gid = d.gid;
  struct stat st;
  op.bind_host = type != S_IFIFO && ::lstat(d.path.c_str(), &st) == 0 &&
                 (st.st_mode & S_IFMT) == type && st.st_rdev == op.rdev;
  return op;
}

// `path` (a namespace file) is the namespace of this kind that nucleus itself is in.
bool IsOurNamespace(const std::string& path, const char* kind) {
  struct stat theirs, ours;
  return ::stat(path.c_str(), &theirs) == 0 &&
         ::stat(absl::StrCat("/proc/self/ns/", kind).c_str(), &ours) == 0 &&
         theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

// Only keys the kernel keeps per namespace, each with its namespace (runc's rule): anything
// else, written from the host's namespaces as real root, would change the host.
absl::StatusOr<SysctlOp> PlanSysctl(const std::string& key, const std::string& value,
                                    const NamespaceSpec& ns) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("sysctl '", key, "': ", why));
  };
  static const char* const kIpcKeys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                         "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                         "kernel.shmmni", "kernel.shm_rmid_forced"};
  bool ipc = absl::StartsWith(key, "fs.mqueue.");
  for (const char* k : kIpcKeys) ipc = ipc || key == k;
  const bool net = absl::StartsWith(key, "net.");
  const bool uts = key == "kernel.domainname" || key == "kernel.hostname";
  if (ipc && !ns.ipc) return bad("needs an IPC namespace");
  if (net && !ns.net) return bad("needs a network namespace");
  if (uts && !ns.uts) return bad("needs a UTS namespace");
  if (!ipc && !net && !uts) return bad("not namespaced: it would change the host");
  // A namespace joined by path may be nucleus's own (the host's): refused like no namespace.
  const std::string& joined = ipc ? ns.ipc_path : net ? ns.net_path : ns.uts_path;
  if (!joined.empty() && IsOurNamespace(joined, ipc ? "ipc" : net ? "net" : "uts")) {
    return bad(absl::StrCat("the namespace at '", joined, "' is the host's"));
  }
  if (value.find('\0') != std::string::npos) return bad("value contains a NUL byte");
  // "net.ipv4.conf.eth0/100.forwarding" names /proc/sys/net/ipv4/conf/eth0.100/forwarding.
  std::string rel = key;
  for (char& c : rel) c = c == '.' ? '/' : c == '/' ? '.' : c;
  if (!CleanComponents(rel) || rel.find('\0') != std::string::npos) {
    return bad("not a valid key");
  }
  SysctlOp op;
  op.path = absl::StrCat("sys/", rel);
  op.value = value;
  op.what = absl::StrCat("sysctl ", key);
  return op;
}

absl::Status PlanPropagation(const ContainerSpec& spec, MountPlan* plan) {
  const std::string& p = spec.rootfs_propagation;
  plan->initial_propagation = MS_REC | MS_PRIVATE;
  plan->rootfs_propagation = 0;
  if (p.empty() || p == "rprivate") return absl::OkStatus();
  if (p == "private")
    plan->rootfs_propagation = MS_PRIVATE;
  else if (p == "slave")
    plan->rootfs_propagation = MS_SLAVE;
  else if (p == "rslave")
    plan->rootfs_propagation = MS_REC | MS_SLAVE;
  else if (p == "shared")
    plan->rootfs_propagation = MS_SHARED;
  else if (p == "rshared")
    plan->rootfs_propagation = MS_REC | MS_SHARED;
  else if (p == "unbindable")
    plan->rootfs_propagation = MS_UNBINDABLE;
  else if (p == "runbindable")
    plan->rootfs_propagation = MS_REC | MS_UNBINDABLE;
  else {
    return absl::InvalidArgumentError(
        absl::StrCat("rootfs_propagation '", p,
                     "': not one of private, rprivate, slave, rslave, shared, rshared, unbindable, "
                     "runbindable"));
  }
  if (plan->rootfs_propagation & (MS_SLAVE | MS_SHARED)) {
    // Host mount events reach a slave; a host-root container would receive writable mounts
    // under its read-only "/".
    if (plan->host_root) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rootfs_propagation '", p, "' needs a rootfs: the host's own root stays private"));
    }
    plan->initial_propagation = MS_REC | MS_SLAVE;
  }
  return absl::OkStatus();
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

// A new filesystem: the type, nucleus's own fixed options, the plan's parameters, the
// fsmount attributes.
struct NewFsArgs {
  const char* fstype;
  const FsOption* opts;
  size_t nopts;
  const FsParam* params;
  size_t nparams;
  uint64_t attrs;
  const char* eperm_detail;  // or null
};

// The child is single-threaded and reports one error: room for "PATH: kernel's message".
char g_fs_detail[256];

// The filesystem context's own message for the last failure ("e devpts: Bad value for
// 'gid'"), appended to `what`; `what` alone when the kernel left none. Keeps errno.
const char* FsDetail(int fs, const char* what) {
  const int saved = errno;
  char msg[200];
  ssize_t n = ::read(fs, msg, sizeof(msg) - 1);
  errno = saved;
  if (n <= 0) return what;
  msg[n] = '\0';
  if (msg[n - 1] == '\n') msg[n - 1] = '\0';
  const char* m = msg;
  if ((m[0] == 'e' || m[0] == 'w' || m[0] == 'i') && m[1] == ' ') m += 2;
  size_t len = RawCopy(g_fs_detail, sizeof(g_fs_detail), what);
  len += RawCopy(g_fs_detail + len, sizeof(g_fs_detail) - len, " (");
  len += RawCopy(g_fs_detail + len, sizeof(g_fs_detail) - len, m);
  RawCopy(g_fs_detail + len, sizeof(g_fs_detail) - len, ")");
  return g_fs_detail;
}

// fsopen + fsconfig + fsmount: a new, detached mount. Returns its fd or -1 with *err.
int NewFs(const NewFsArgs& a, const char* what, StepError* err) {
  // sysfs refuses at fsopen, proc at create, any of them at fsmount (mount_too_revealing).
  int fs = ::fsopen(a.fstype, FSOPEN_CLOEXEC);
  if (fs < 0) {
    *err = StepError::Errno("fsopen", errno == EPERM && a.eperm_detail ? a.eperm_detail : what);
    return -1;
  }
  Fd fs_guard(fs);
  for (size_t i = 0; i < a.nopts; ++i) {
    const FsOption& o = a.opts[i];
    if (::fsconfig(fs, FSCONFIG_SET_STRING, o.key, o.value, 0) != 0) {
      *err = StepError::Errno("fsconfig", FsDetail(fs, what));
      return -1;
    }
  }
  for (size_t i = 0; i < a.nparams; ++i) {
    const FsParam& p = a.params[i];
    const int rc = p.flag ? ::fsconfig(fs, FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0)
                          : ::fsconfig(fs, FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0);
    if (rc != 0) {
      *err = StepError::Errno("fsconfig", FsDetail(fs, p.what.c_str()));
      return -1;
    }
  }
  if (::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    *err = StepError::Errno("fsconfig create",
                            errno == EPERM && a.eperm_detail ? a.eperm_detail : FsDetail(fs, what));
    return -1;
  }
  int mnt = ::fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(a.attrs));
  if (mnt < 0) {
    *err = StepError::Errno("fsmount",
                            errno == EPERM && a.eperm_detail ? a.eperm_detail : FsDetail(fs, what));
  }
  return mnt;
}

// Mounts a new filesystem at rel (created if missing). keep_rw: remember it for the
// read-only root step. dup_out (when not null and still -1): a copy of the mount's fd.
StepError MountNewFs(MountPlan& plan, int rootfd, const char* rel, const char* abs_path,
                     const NewFsArgs& a, bool keep_rw, int* dup_out = nullptr) {
  StepError err;
  Fd target(ResolveOrCreate(rootfd, rel, abs_path, true, &err));
  if (target.fd < 0) return err;
  int mnt = NewFs(a, abs_path, &err);
  if (mnt < 0) return err;
  StepError e = Attach(mnt, target.fd, abs_path);
  if (!e.failed() && dup_out != nullptr && *dup_out < 0) {
    *dup_out = ::fcntl(mnt, F_DUPFD_CLOEXEC, 0);
    if (*dup_out < 0) e = StepError::Errno("dup", abs_path);
  }
  if (!e.failed() && keep_rw && plan.n_rw < plan.rw_fds.size()) {
    plan.rw_fds[plan.n_rw++] = mnt;  // stays open until pivot: the read-only step needs it
  } else {
    ::close(mnt);
  }
  return e;
}

NewFsArgs Fixed(const char* fstype, const FsOption* opts, size_t nopts, uint64_t attrs) {
  return NewFsArgs{fstype, opts, nopts, nullptr, 0, attrs, nullptr};
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

// The default nodes and links in a fresh tmpfs /dev (nucleus's own, or a spec's).
StepError PopulateDev(int rootfd) {
  // Device nodes are bound from the host rather than made with mknod: mknod needs
  // CAP_MKNOD and does not work in a user namespace; a bind works in both.
  static const char* const kNodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
  for (const char* node : kNodes) {
    char host[32] = "/dev/";
    char rel[32] = "dev/";
    strcat(host, node);
    strcat(rel, node);
    RETURN_IF_STEP_FAILED(
        BindClone(AT_FDCWD, host, rootfd, rel, host, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
  }
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

StepError SetUpDev(MountPlan& plan, int rootfd) {
  static const FsOption kDevOpts[] = {{"mode", "0755"}, {"size", "65536"}};
  constexpr uint64_t kNoSuidExec = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
  RETURN_IF_STEP_FAILED(
      MountNewFs(plan, rootfd, "dev", "/dev", Fixed("tmpfs", kDevOpts, 2, kNoSuidExec), true));
  RETURN_IF_STEP_FAILED(PopulateDev(rootfd));
  // Every devpts mount is a private instance since Linux 4.7 ("newinstance" is implied).
  static const FsOption kPtsOpts[] = {{"ptmxmode", "0666"}, {"mode", "0620"}};
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "dev/pts", "/dev/pts",
                                   Fixed("devpts", kPtsOpts, 2, kNoSuidExec), true));
  static const FsOption kShmOpts[] = {{"mode", "1777"}, {"size", "67108864"}};
  return MountNewFs(plan, rootfd, "dev/shm", "/dev/shm",
                    Fixed("tmpfs", kShmOpts, 2, kNoSuidDevExec), true);
}

// nucleus's own /proc, /sys, /dev, /tmp (default_filesystems).
StepError SetUpDefaultFilesystems(MountPlan& plan, int rootfd) {
  DetachHostMount(rootfd, "proc");
  DetachHostMount(rootfd, "sys");
  DetachHostMount(rootfd, "dev");
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "proc", "/proc",
                                   Fixed("proc", nullptr, 0, kNoSuidDevExec), true,
                                   plan.sysctls.empty() ? nullptr : &plan.proc_fd));
  RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, "sys", "/sys",
                                   Fixed("sysfs", nullptr, 0, MOUNT_ATTR_RDONLY | kNoSuidDevExec),
                                   false));
  RETURN_IF_STEP_FAILED(SetUpDev(plan, rootfd));
  static const FsOption kTmpOpts[] = {{"mode", "1777"}};
  return MountNewFs(plan, rootfd, "tmp", "/tmp",
                    Fixed("tmpfs", kTmpOpts, 1,
                          plan.tmp_exec ? MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV : kNoSuidDevExec),
                    true);
}

// The fresh root's entries, made beneath rootfd: a new tmpfs holding only what came before
// in the list, so no lookup can lead anywhere else.
static const FsOption kFreshRootOpts[] = {{"mode", "0755"}};

// write(2) until all of data is out; the child's own loop (no Status, no allocation).
StepError WriteAllRaw(int fd, const std::string& data, const char* what) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return StepError::Errno("write", what);
    p += n;
    left -= static_cast<size_t>(n);
  }
  return StepError::Ok();
}

StepError PopulateFreshRoot(const MountPlan& plan, int rootfd) {
  for (const RootEntry& e : plan.root_entries) {
    const char* path = e.path.c_str();
    switch (e.kind) {
      case RootEntry::Kind::kDir:
        if (::mkdirat(rootfd, path, e.mode) != 0) return StepError::Errno("mkdir", path);
        if (::fchmodat(rootfd, path, e.mode, 0) != 0) return StepError::Errno("chmod", path);
        break;
      case RootEntry::Kind::kSymlink:
        if (::symlinkat(e.data.c_str(), rootfd, path) != 0) {
          return StepError::Errno("symlink", path);
        }
        break;
      case RootEntry::Kind::kFile: {
        Fd f(::openat(rootfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, e.mode));
        if (f.fd < 0) return StepError::Errno("create", path);
        RETURN_IF_STEP_FAILED(WriteAllRaw(f.fd, e.data, path));
        if (::fchmod(f.fd, e.mode) != 0) return StepError::Errno("chmod", path);
        break;
      }
    }
  }
  return StepError::Ok();
}

// mounts.h step 5b.
StepError MountSecret(int rootfd, const SecretOp& s) {
  const char* abs_path = s.target_abs.c_str();
  static const FsOption kOpts[] = {{"mode", "0500"}, {"nr_inodes", "4"}};
  StepError err;
  Fd fs(NewFs(NewFsArgs{"tmpfs", kOpts, 2, s.params.data(), s.params.size(),
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, nullptr},
              abs_path, &err));
  if (fs.fd < 0) return err;
  {
    Fd f(::openat(fs.fd, "secret", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400));
    if (f.fd < 0) return StepError::Errno("create", abs_path);
    RETURN_IF_STEP_FAILED(WriteAllRaw(f.fd, s.data, abs_path));
    if (::fchown(f.fd, s.uid, s.gid) != 0) return StepError::Errno("chown", abs_path);
    if (::fchmod(f.fd, 0400) != 0) return StepError::Errno("chmod", abs_path);
  }
  return BindClone(fs.fd, "secret", rootfd, s.target.c_str(), abs_path, false,
                   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

// Attaches the detached tree `*fd` at rel (created if missing), then keeps it for the
// read-only step (step 9) when the mount must stay writable, or closes it; *fd becomes -1.
StepError AttachTree(MountPlan& plan, int rootfd, const MountOp& op, bool want_dir, int* fd) {
  const char* abs_path = op.target_abs.c_str();
  StepError err;
  Fd target(ResolveOrCreate(rootfd, op.target.c_str(), abs_path, want_dir, &err));
  if (target.fd < 0) return err;
  RETURN_IF_STEP_FAILED(Attach(*fd, target.fd, abs_path));
  if (!op.read_only && plan.n_rw < plan.rw_fds.size()) {
    plan.rw_fds[plan.n_rw++] = *fd;
  } else {
    ::close(*fd);
  }
  *fd = -1;
  return StepError::Ok();
}

StepError ApplyMount(MountPlan& plan, int rootfd, MountOp& op) {
  const char* rel = op.target.c_str();
  const char* abs_path = op.target_abs.c_str();
  if (op.kind == MountOp::Kind::kNewFs && op.prebuilt_fd >= 0) {
    return AttachTree(plan, rootfd, op, true, &op.prebuilt_fd);
  }
  if (op.kind == MountOp::Kind::kNewFs) {
    NewFsArgs a{op.fstype,
                nullptr,
                0,
                op.params.data(),
                op.params.size(),
                op.attr_set,
                op.eperm_detail.empty() ? nullptr : op.eperm_detail.c_str()};
    // The sysctls go through a writable proc mount of the container's.
    int* dup_out = op.is_proc && !op.read_only && !plan.sysctls.empty() ? &plan.proc_fd : nullptr;
    RETURN_IF_STEP_FAILED(MountNewFs(plan, rootfd, rel, abs_path, a, !op.read_only, dup_out));
    if (op.populate_dev) RETURN_IF_STEP_FAILED(PopulateDev(rootfd));
    return StepError::Ok();
  }
  // A mount's ID is handed out when it is cloned, and since Linux 6.8 /proc/self/mountinfo
  // lists a namespace's mounts in ID order: the trees captured in step 2 would all come
  // before the filesystems made since, out of config.json's order (engines, tools and the OCI
  // validation suite read that order as the stacking order). A clone of the captured tree
  // made now takes its IDs now. A kernel that cannot clone a detached tree (EINVAL, before
  // 6.15) keeps the captured one: there the order is the attach order (before 6.8) or as
  // captured. Same tree, same source: nothing is looked up again by path.
  int again = ::open_tree(
      op.fd, "",
      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (op.recursive ? AT_RECURSIVE : 0));
  if (again >= 0) {
    ::close(op.fd);
    op.fd = again;
  }
  if (!op.attrs_applied && (op.attr_set != 0 || op.attr_clr != 0)) {
    RETURN_IF_STEP_FAILED(SetAttr(op.fd, op.attr_set, op.attr_clr, op.recursive, abs_path));
  }
  return AttachTree(plan, rootfd, op, op.source_is_dir, &op.fd);
}

StepError CreateDevice(int rootfd, DeviceOp& d) {
  const char* abs_path = d.path_abs.c_str();
  if (d.bind_host) {
    // The parent saw this node on the host; make sure the captured one still is it.
    struct stat st;
    if (::fstat(d.fd, &st) != 0) return StepError::Errno("fstat", abs_path);
    if ((st.st_mode & S_IFMT) != (d.mode & S_IFMT) || st.st_rdev != d.rdev) {
      return StepError{"the host's device node changed during setup", abs_path, 0, 125};
    }
    RETURN_IF_STEP_FAILED(SetAttr(d.fd, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0, false, abs_path));
    StepError err;
    Fd target(ResolveOrCreate(rootfd, d.rel.c_str(), abs_path, false, &err));
    if (target.fd < 0) return err;
    RETURN_IF_STEP_FAILED(Attach(d.fd, target.fd, abs_path));
    ::close(d.fd);
    d.fd = -1;
    return StepError::Ok();
  }
  StepError err;
  Fd parent(ResolveOrCreate(rootfd, d.parent_rel.c_str(), abs_path, true, &err));
  if (parent.fd < 0) return err;
  const char* name = d.name.c_str();
  if (::mknodat(parent.fd, name, d.mode, d.rdev) != 0) {
    if (errno == EPERM) {
      return StepError::Errno("mknod (the host has no such node to bind; mknod needs CAP_MKNOD)",
                              abs_path);
    }
    if (errno != EEXIST) return StepError::Errno("mknod", abs_path);
    // Already there (the rootfs ships it, or a default node): fine if it is the same device.
    struct stat st;
    if (::fstatat(parent.fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return StepError::Errno("stat", abs_path);
    }
    if ((st.st_mode & S_IFMT) != (d.mode & S_IFMT) || st.st_rdev != d.rdev) {
      return StepError{"exists and is not the requested device", abs_path, 0, 125};
    }
    return StepError::Ok();  // not ours: its owner and mode stay
  }
  // chown before chmod: chown clears setuid/setgid bits.
  if (::fchownat(parent.fd, name, d.uid, d.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return StepError::Errno("chown", abs_path);
  }
  if (::fchmodat(parent.fd, name, d.mode & 07777, 0) != 0) {
    return StepError::Errno("chmod", abs_path);
  }
  return StepError::Ok();
}

StepError WriteSysctls(MountPlan& plan) {
  if (plan.sysctls.empty()) return StepError::Ok();
  if (plan.proc_fd < 0) {
    // No writable proc of the container's: a private instance, never attached. The sysctls
    // it shows are those of the writer's namespaces, which are the container's.
    StepError err;
    plan.proc_fd = NewFs(Fixed("proc", nullptr, 0, kNoSuidDevExec), "proc (for sysctl)", &err);
    if (plan.proc_fd < 0) return err;
  }
  for (const SysctlOp& s : plan.sysctls) {
    Fd f(OpenBeneath(plan.proc_fd, s.path.c_str(), O_WRONLY | O_TRUNC));
    if (f.fd < 0) return StepError::Errno(s.what.c_str(), "");
    const size_t len = s.value.size();
    ssize_t n;
    do {
      n = ::write(f.fd, s.value.data(), len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return StepError::Errno(s.what.c_str(), "");
    if (static_cast<size_t>(n) != len) {
      errno = EIO;
      return StepError::Errno(s.what.c_str(), "");
    }
  }
  ::close(plan.proc_fd);
  plan.proc_fd = -1;
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
      int mnt =
          NewFs(Fixed("tmpfs", kMaskOpts, 2, MOUNT_ATTR_RDONLY | kNoSuidDevExec), abs_path, &err);
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
    RETURN_IF_STEP_FAILED(SetAttr(tree.fd, MOUNT_ATTR_RDONLY | kNoSuidDevExec, 0, true, abs_path));
    RETURN_IF_STEP_FAILED(Attach(tree.fd, target.fd, abs_path));
  }
  return StepError::Ok();
}

}  // namespace

absl::StatusOr<UniqueFd> PrepareWorkspace(const ContainerSpec& spec, MountPlan* plan) {
  const ContextSpec& c = spec.context;
  if (c.source.empty() || c.mode != ContextSpec::Mode::kCopy) return UniqueFd();
  MountOp* op = nullptr;
  for (MountOp& m : plan->mounts) {
    if (m.target_abs == kWorkspaceDir && m.kind == MountOp::Kind::kNewFs) op = &m;
  }
  if (op == nullptr) return absl::InternalError("--context: no /workspace mount in the plan");
  std::optional<uint32_t> uid = HostUidOf(spec, spec.process.uid);
  std::optional<uint32_t> gid = HostGidOf(spec, spec.process.gid);
  if (!uid || !gid) {
    return absl::InvalidArgumentError(
        "--context: the workload's uid or gid is not mapped in the user namespace");
  }
  UniqueFd fs(::fsopen("tmpfs", FSOPEN_CLOEXEC));
  if (!fs.valid()) return ErrnoStatus("fsopen", "tmpfs for /workspace");
  for (const FsParam& p : op->params) {
    if (p.flag ? ::fsconfig(fs.get(), FSCONFIG_SET_FLAG, p.key.c_str(), nullptr, 0)
               : ::fsconfig(fs.get(), FSCONFIG_SET_STRING, p.key.c_str(), p.value.c_str(), 0)) {
      return ErrnoStatus("fsconfig", p.what);
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    return ErrnoStatus("fsconfig create", "tmpfs for /workspace");
  }
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(op->attr_set)));
  if (!mnt.valid()) return ErrnoStatus("fsmount", "tmpfs for /workspace");
  // fsmount's fd is an O_PATH one: fchown would say EBADF.
  if (::fchownat(mnt.get(), "", *uid, *gid, AT_EMPTY_PATH) != 0) {
    return ErrnoStatus("chown", "/workspace");
  }
  const bool hash = !c.manifest.empty() || !c.verify.empty();
  ASSIGN_OR_RETURN(ContextWalk walk, WalkContext(c, mnt.get(), *uid, *gid, hash));
  RETURN_IF_ERROR(FinishContext(c, walk));
  if (!walk.special.empty()) {
    plan->warnings.push_back(
        absl::StrCat("--context: left out ", walk.special.size(),
                     " sockets, FIFOs or devices (first: ", walk.special.front(), ")"));
  }
  op->prebuilt_fd = mnt.get();
  plan->workspace_fd = mnt.get();
  plan->inherited.push_back(mnt.get());  // kept open across the child's close of inherited fds
  return mnt;
}

absl::StatusOr<std::vector<UniqueFd>> CaptureHostTrees(const ContainerSpec& spec, MountPlan* plan) {
  std::vector<UniqueFd> owned;
  struct mount_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.propagation = (plan->initial_propagation & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;
  auto capture = [&](const std::string& path, bool recursive, uint64_t set, uint64_t clr,
                     const std::string& what) -> absl::StatusOr<int> {
    UniqueFd fd(::open_tree(AT_FDCWD, path.c_str(),
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
    if (!fd.valid()) return ErrnoStatus("open_tree", what);
    struct mount_attr a = attr;
    a.attr_set = set;
    a.attr_clr = clr;
    if (::mount_setattr(fd.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a,
                        sizeof(a)) != 0) {
      return ErrnoStatus("mount_setattr", what);
    }
    const int raw = fd.get();
    plan->inherited.push_back(raw);
    owned.push_back(std::move(fd));
    return raw;
  };
  if (!plan->fresh_root) {
    const uint64_t root_attrs =
        plan->host_root ? MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV : 0;
    ASSIGN_OR_RETURN(plan->root_fd,
                     capture(plan->root_source, true, root_attrs, 0,
                             plan->host_root ? std::string("/") : "--rootfs " + spec.rootfs));
  }
  for (MountOp& op : plan->mounts) {
    if (op.kind != MountOp::Kind::kBind) continue;
    const std::string what =
        spec.default_filesystems
            ? absl::StrCat(op.read_only ? "--ro" : "--rw", " source '", op.source, "'")
            : absl::StrCat("mount ", op.target_abs, ": source '", op.source, "'");
    ASSIGN_OR_RETURN(op.fd, capture(op.source, op.recursive, op.attr_set, op.attr_clr, what));
    op.attrs_applied = true;
  }
  return owned;
}

absl::Status IdmapRootTree(int tree_fd, pid_t pid, const std::string& rootfs,
                           std::vector<std::string>* warnings) {
  const std::string ns_path = absl::StrCat("/proc/", pid, "/ns/user");
  UniqueFd ns(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns.valid()) return ErrnoStatus("open", ns_path);
  struct mount_attr a;
  memset(&a, 0, sizeof(a));
  a.attr_set = MOUNT_ATTR_IDMAP;
  a.userns_fd = static_cast<uint64_t>(ns.get());
  if (::mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) == 0) {
    return absl::OkStatus();
  }
  const int err = errno;
  if (err != EINVAL && err != EOPNOTSUPP) {
    return Annotate(ErrnoStatus("mount_setattr", "MOUNT_ATTR_IDMAP", err), "--rootfs " + rootfs);
  }
  warnings->push_back(absl::StrCat(
      "--rootfs ", rootfs, ": its filesystem cannot be id-mapped (", strerror(err),
      "): the container's root sees the host's root's files there as nobody's and cannot "
      "write them (--userns=host runs as the host's root instead)"));
  return absl::OkStatus();
}

bool HostHasCgroup2FromParent() {
  struct statfs fs;
  return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
         static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC;
}

absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec) {
  bool need_cgroup = false;
  for (const MountSpec& m : spec.mounts) need_cgroup |= m.type == MountSpec::Type::kCgroup;
  return PlanMounts(spec, need_cgroup && HostHasCgroup2FromParent());
}

absl::StatusOr<MountPlan> PlanMounts(const ContainerSpec& spec, bool host_cgroup2) {
  MountPlan plan;
  plan.fresh_root = spec.rootfs.empty() && !spec.root_entries.empty();
  plan.host_root = spec.rootfs.empty() && !plan.fresh_root;
  plan.root_source = plan.host_root ? "/" : spec.rootfs;
  plan.root_entries = spec.root_entries;
  plan.readonly_root = plan.host_root || spec.readonly_rootfs;
  plan.default_filesystems = spec.default_filesystems;
  plan.tmp_exec = spec.tmp_exec;
  if (!plan.host_root && !plan.fresh_root) {
    struct stat st;
    if (::stat(spec.rootfs.c_str(), &st) != 0) {
      return Annotate(ErrnoStatus("stat", spec.rootfs), "--rootfs");
    }
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rootfs '", spec.rootfs, "' is not a directory"));
    }
  }
  RETURN_IF_ERROR(PlanPropagation(spec, &plan));
  for (const MountSpec& m : spec.mounts) {
    absl::StatusOr<MountOp> op = PlanOne(spec, m, host_cgroup2, &plan.warnings);
    if (!op.ok()) return op.status();
    plan.mounts.push_back(*std::move(op));
  }
  for (const SecretSpec& secret : spec.secrets) {
    SecretOp op;
    op.target_abs = secret.destination;
    op.target = Relative(secret.destination);
    if (op.target.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--secret ", secret.source, ": cannot mount over /"));
    }
    op.data = secret.data;
    op.uid = spec.process.uid;
    op.gid = spec.process.gid;
    // Room for the file and its inode: whole pages, never less than one.
    op.params.push_back(
        Param(secret.destination, "size", absl::StrCat((secret.data.size() / 4096 + 2) * 4096)));
    plan.secrets.push_back(std::move(op));
  }
  for (const DeviceSpec& d : spec.devices) {
    ASSIGN_OR_RETURN(DeviceOp op, PlanDevice(d));
    plan.devices.push_back(std::move(op));
  }
  for (const auto& [key, value] : spec.sysctl) {
    ASSIGN_OR_RETURN(SysctlOp op, PlanSysctl(key, value, spec.namespaces));
    plan.sysctls.push_back(std::move(op));
  }
  for (const std::string& p : spec.masked_paths) {
    plan.masked.push_back(Relative(p));
    plan.masked_abs.push_back(p);
  }
  for (const std::string& p : spec.readonly_paths) {
    plan.readonly.push_back(Relative(p));
    plan.readonly_abs.push_back(p);
  }
  // One per mount, plus nucleus's own /proc, /dev, /dev/pts, /dev/shm, /tmp.
  plan.rw_fds.assign(plan.mounts.size() + 8, -1);
  return plan;
}

StepError SetUpFilesystemInChild(MountPlan& plan) {
  if (::mount(nullptr, "/", nullptr, plan.initial_propagation, nullptr) != 0) {
    return StepError::Errno(
        (plan.initial_propagation & MS_SLAVE) ? "mount --make-rslave" : "mount --make-rprivate",
        "/");
  }
  // Step 2: capture every host-side tree before anything is mounted.
  StepError fresh_err;
  Fd root(plan.fresh_root
              ? NewFs(Fixed("tmpfs", kFreshRootOpts, 1, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), "/",
                      &fresh_err)
          : plan.root_fd >= 0 ? plan.root_fd
                              : ::open_tree(AT_FDCWD, plan.root_source.c_str(), kTreeFlags));
  const bool root_captured = plan.root_fd >= 0;
  plan.root_fd = -1;  // root owns it now
  if (root.fd < 0) {
    return plan.fresh_root ? fresh_err : StepError::Errno("open_tree", plan.root_source.c_str());
  }
  for (MountOp& op : plan.mounts) {
    if (op.kind != MountOp::Kind::kBind || op.fd >= 0) continue;
    op.fd = ::open_tree(AT_FDCWD, op.source.c_str(),
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op.recursive ? AT_RECURSIVE : 0));
    if (op.fd < 0) return StepError::Errno("open_tree", op.source.c_str());
  }
  for (DeviceOp& d : plan.devices) {
    if (!d.bind_host) continue;
    d.fd = ::open_tree(AT_FDCWD, d.path_abs.c_str(),
                       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
    if (d.fd < 0) return StepError::Errno("open_tree", d.path_abs.c_str());
  }
  // Step 3.
  if (plan.host_root && !root_captured) {
    RETURN_IF_STEP_FAILED(
        SetAttr(root.fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0, true, "/"));
  }
  if (::move_mount(root.fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    return StepError::Errno("move_mount", "new root onto /");
  }
  const int rootfd = root.fd;  // the root of the attached tree from here on
  if (plan.fresh_root) RETURN_IF_STEP_FAILED(PopulateFreshRoot(plan, rootfd));
  // Steps 4-5.
  if (plan.default_filesystems) {
    RETURN_IF_STEP_FAILED(SetUpDefaultFilesystems(plan, rootfd));
  } else if (plan.host_root) {
    DetachHostMount(rootfd, "proc");
    DetachHostMount(rootfd, "sys");
    DetachHostMount(rootfd, "dev");
  }
  for (MountOp& op : plan.mounts) RETURN_IF_STEP_FAILED(ApplyMount(plan, rootfd, op));
  for (const SecretOp& s : plan.secrets) RETURN_IF_STEP_FAILED(MountSecret(rootfd, s));
  // Steps 6-8.
  for (DeviceOp& d : plan.devices) RETURN_IF_STEP_FAILED(CreateDevice(rootfd, d));
  RETURN_IF_STEP_FAILED(WriteSysctls(plan));
  RETURN_IF_STEP_FAILED(MaskPaths(plan, rootfd));
  // Step 9.
  if (plan.readonly_root) {
    RETURN_IF_STEP_FAILED(SetAttr(rootfd, MOUNT_ATTR_RDONLY, 0, true, "/"));
    for (size_t i = 0; i < plan.n_rw; ++i) {
      RETURN_IF_STEP_FAILED(SetAttr(plan.rw_fds[i], 0, MOUNT_ATTR_RDONLY, false, "writable mount"));
    }
  }
  for (size_t i = 0; i < plan.n_rw; ++i) ::close(plan.rw_fds[i]);
  plan.n_rw = 0;
  // Step 10: pivot_root(".", ".") stacks the old root on top of the new one; the lazy
  // unmount then drops the whole host tree from this namespace.
  if (::fchdir(rootfd) != 0) return StepError::Errno("fchdir", "new root");
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return StepError::Errno("pivot_root", ".");
  if (::umount2(".", MNT_DETACH) != 0) return StepError::Errno("umount2", "old root");
  if (::chdir("/") != 0) return StepError::Errno("chdir", "/");
  if (plan.rootfs_propagation != 0 &&
      ::mount(nullptr, "/", nullptr, plan.rootfs_propagation, nullptr) != 0) {
    return StepError::Errno("mount (rootfs_propagation)", "/");
  }
  return StepError::Ok();
}

}  // namespace nucleus
