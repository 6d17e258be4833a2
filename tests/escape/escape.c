// escape: the escape battery (issue 3). A static program run inside a real nucleus container
// that tries many distinct ways out of it, one forked child per attempt, and prints
//
//   escape NAME blocked|SUCCEEDED|skipped DETAIL
//
// per attempt and a summary line "summary: N attempted, B blocked, S SUCCEEDED, K skipped".
// It exits 0 when nothing succeeded, 1 otherwise, 2 on a usage error.
//
//   escape [FLAGS]              run the battery (or only the --only attempts)
//   escape whoami               print "whoami euid=N uid=N CapEff=HEX" (the setuid test
//                               execs a setuid-root copy of this program with this argument)
//   escape list                 print "NAME: what a success would mean", one a line
//
// Flags (all optional; an attempt that needs a missing one is "skipped"):
//   --host-pid PID      a host process started by the test (not in the container's pid
//                       namespace); --host-comm NAME is its comm
//   --abstract NAME     an abstract unix socket the test listens on, on the host
//   --marker PATH       a host path that must not be visible in the container (repeatable)
//   --host-secret PATH  a host file holding secrets (/etc/shadow) that must not be readable
//                       in the container (repeatable)
//   --host-socket PATH  a pathname unix socket a host service listens on (root-only)
//   --bound-socket PATH a root-only (0660) socket a host service listens on in a directory
//                       bound into the container (as docker.sock's /var/run bound whole)
//   --suid PATH         a setuid-root copy of this program, visible in the container
//   --ro-dir DIR        a directory bound read-only into the container
//   --writable-root     the container's root is writable by configuration (a --rootfs
//                       without --read-only): writes under / are not escapes there
//   --only A,B,...      run only these attempts
//
// Verdicts. Each attempt runs in its own child with an alarm, so a seccomp kill (SIGSYS), a
// crash or a hang is "blocked (killed by signal N)" and cannot stop the battery. Two kinds of
// errno verdict:
//   - attempts that would really do their thing when allowed (and are harmless or confined to
//     the child when they do): any failure is blocked; the errno is printed so a reader sees
//     why (EPERM from seccomp or a missing capability, ENOSYS, EACCES from Landlock, EROFS).
//   - "privilege probes": calls that would touch the host kernel's global state when allowed
//     (reboot, swapon, settimeofday, adjtimex, kexec, modules, move_mount, ...) are made with
//     an argument that the kernel rejects only AFTER its privilege check, so nothing happens
//     either way. Only EPERM, EACCES or ENOSYS count as blocked there; any other error means
//     the call got past the privilege check and is reported as SUCCEEDED. (request_key is
//     judged the same way: ENOKEY means the keyring lookup ran.)
//
// Host safety: nothing here may damage the host if it succeeds. Writes only create files
// with fixed names (".nucleus-escape-write") and remove them at once; /proc, /sys and device
// files are only opened, never written or read (except /proc/kcore, read 1 byte); the
// hostname change is undone and checked by the test; signals to "everyone" are SIGCONT.
//
// Plain C, linked statically (it runs in an empty rootfs), like tests/testcases/probe.c.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/quota.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <asm/ldt.h>

// ---------------------------------------------------------------------------------------
// Configuration and results

#define MAX_MARKERS 8

static struct {
  pid_t host_pid;
  const char* host_comm;
  const char* abstract_name;
  const char* markers[MAX_MARKERS];
  int n_markers;
  const char* secrets[MAX_MARKERS];
  int n_secrets;
  const char* host_socket;
  const char* bound_socket;
  const char* suid_path;
  const char* ro_dir;
  const char* rw_dir;  // a --rw bind: the host sees what is written there
  // Another running container: host paths of its files, and one file's path inside it.
  const char* neighbour[MAX_MARKERS];
  int n_neighbour;
  const char* neighbour_file;
  int writable_root;
  const char* only;
} cfg;

// What the program saw at startup, before it opened anything itself.
static struct {
  char inherited[512];  // "fd -> target" list of fds >= 3
  int n_inherited;
  int fds[32];
} startup;

enum verdict { V_NONE = 0, V_BLOCKED, V_SUCCEEDED, V_SKIPPED };

typedef struct {
  int verdict;
  char detail[400];
} result;

typedef void (*attempt_fn)(result*);

static const char* errname(int err) {
  const char* name = strerrorname_np(err);
  if (name != NULL) return name;
  static char buf[32];
  snprintf(buf, sizeof(buf), "E%d", err);
  return buf;
}

static void set_result(result* r, int verdict, const char* fmt, va_list ap) {
  r->verdict = verdict;
  vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
}

static void blocked(result* r, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_result(r, V_BLOCKED, fmt, ap);
  va_end(ap);
}

static void succeeded(result* r, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_result(r, V_SUCCEEDED, fmt, ap);
  va_end(ap);
}

static void skipped(result* r, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  set_result(r, V_SKIPPED, fmt, ap);
  va_end(ap);
}

// Any failure blocks: rc < 0 -> blocked with errno's name; else succeeded.
static void by_errno_impl(result* r, long rc, int err, const char* what) {
  if (rc < 0) {
    blocked(r, "%s: %s", what, errname(err));
  } else {
    succeeded(r, "%s returned %ld", what, rc);
  }
}

static int is_denial(int err) { return err == EPERM || err == EACCES || err == ENOSYS; }

// A privilege probe (see the top comment): only a denial blocks.
static void privilege_probe_impl(result* r, long rc, int err, const char* what) {
  if (rc >= 0) {
    succeeded(r, "%s returned %ld", what, rc);
  } else if (is_denial(err)) {
    blocked(r, "%s: %s", what, errname(err));
  } else {
    succeeded(r, "%s: %s: got past the privilege check (the argument is invalid on purpose)",
              what, errname(err));
  }
}

// The call is made before errno is read (function arguments have no evaluation order).
#define BY_ERRNO(r, call, what)              \
  do {                                       \
    long rc_ = (long)(call);                 \
    int err_ = errno;                        \
    by_errno_impl((r), rc_, err_, (what));   \
  } while (0)
#define PRIVILEGE_PROBE(r, call, what)            \
  do {                                            \
    long rc_ = (long)(call);                      \
    int err_ = errno;                             \
    privilege_probe_impl((r), rc_, err_, (what)); \
  } while (0)

static int read_small(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, size - 1);
  int err = errno;
  close(fd);
  if (n < 0) return -err;
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ')) buf[--n] = '\0';
  return (int)n;
}

// CapEff of this process, from /proc/self/status; ~0 when it cannot be read.
static unsigned long long cap_eff(void) {
  FILE* f = fopen("/proc/self/status", "re");
  if (f == NULL) return ~0ULL;
  char line[256];
  unsigned long long v = ~0ULL;
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, "CapEff:", 7) == 0) v = strtoull(line + 7, NULL, 16);
  }
  fclose(f);
  return v;
}

static int is_pid_name(const char* s) {
  if (*s == '\0') return 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return 0;
  }
  return 1;
}

// Is any --marker visible through dirfd (AT_FDCWD: the current root)? Returns the first.
static const char* visible_marker(int dirfd) {
  for (int i = 0; i < cfg.n_markers; ++i) {
    const char* m = cfg.markers[i];
    struct stat st;
    if (fstatat(dirfd, dirfd == AT_FDCWD ? m : m + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) return m;
  }
  return NULL;
}

// From a directory, walks ".." as far as it goes and reports whether it arrived somewhere
// other than this process's root (or sees a marker from there). Changes the cwd: call it in
// the attempt's child only. Returns 1 and fills why when it escaped.
static int walk_up_escapes(int dirfd, char* why, size_t why_size) {
  struct stat root, here;
  if (stat("/", &root) != 0 || fchdir(dirfd) != 0) return 0;
  for (int i = 0; i < 256; ++i) {
    if (chdir("..") != 0) break;
  }
  if (stat(".", &here) != 0) return 0;
  if (here.st_dev != root.st_dev || here.st_ino != root.st_ino) {
    snprintf(why, why_size, "walking .. ends at dev %u:%u ino %lu, not the container root",
             major(here.st_dev), minor(here.st_dev), (unsigned long)here.st_ino);
    return 1;
  }
  for (int i = 0; i < cfg.n_markers; ++i) {
    struct stat st;
    if (fstatat(AT_FDCWD, cfg.markers[i] + 1, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      snprintf(why, why_size, "host marker %s visible", cfg.markers[i]);
      return 1;
    }
  }
  return 0;
}

// Opens a file for writing without writing anything: success means it is writable.
static void open_for_write(result* r, const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    close(fd);
    succeeded(r, "%s opened for writing (nothing written)", path);
  } else {
    blocked(r, "open(%s, O_WRONLY): %s", path, errname(errno));
  }
}

// Creates DIR/.nucleus-escape-write (removed at once when it works).
static void create_in(result* r, const char* dir) {
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/.nucleus-escape-write", strcmp(dir, "/") == 0 ? "" : dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) {
    close(fd);
    unlink(path);
    succeeded(r, "created %s (removed again)", path);
  } else {
    blocked(r, "create %s: %s", path, errname(errno));
  }
}

// mkdir -p for one level under /tmp; returns path.
static const char* tmp_dir(const char* name) {
  static char path[PATH_MAX];
  snprintf(path, sizeof(path), "/tmp/%s", name);
  mkdir(path, 0700);
  return path;
}

// ---------------------------------------------------------------------------------------
// Mounts and the root

static void a_mount_tmpfs(result* r) {
  const char* dir = tmp_dir("escape-mnt");
  if (mount("escape", dir, "tmpfs", 0, "size=4k") == 0) {
    umount2(dir, MNT_DETACH);
    succeeded(r, "mounted a tmpfs on %s", dir);
    return;
  }
  blocked(r, "mount(tmpfs): %s", errname(errno));
}

static void a_mount_bind_root(result* r) {
  const char* dir = tmp_dir("escape-bind");
  if (mount("/", dir, NULL, MS_BIND | MS_REC, NULL) == 0) {
    umount2(dir, MNT_DETACH);
    succeeded(r, "bind-mounted / on %s", dir);
    return;
  }
  blocked(r, "mount(/, MS_BIND|MS_REC): %s", errname(errno));
}

// MS_BIND keeps it a per-mount change (never the superblock, which the host shares).
static void a_remount_root_rw(result* r) {
  if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL) == 0) {
    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
    succeeded(r, "remounted / (MS_REMOUNT|MS_BIND without MS_RDONLY)");
    return;
  }
  blocked(r, "mount(/, MS_REMOUNT|MS_BIND): %s", errname(errno));
}

static void a_mount_proc(result* r) {
  const char* dir = tmp_dir("escape-proc");
  if (mount("proc", dir, "proc", 0, NULL) == 0) {
    umount2(dir, MNT_DETACH);
    succeeded(r, "mounted a new proc on %s (unmasked /proc)", dir);
    return;
  }
  blocked(r, "mount(proc): %s", errname(errno));
}

static void a_mount_cgroup_v1(result* r) {
  const char* dir = tmp_dir("escape-cgroup");
  for (const char* const* c = (const char* const[]){"rdma", "pids", "memory", NULL}; *c; ++c) {
    if (mount("cgroup", dir, "cgroup", 0, *c) == 0) {
      char ra[PATH_MAX];
      snprintf(ra, sizeof(ra), "%.200s/release_agent", dir);
      int writable = access(ra, W_OK) == 0;
      umount2(dir, MNT_DETACH);
      succeeded(r, "mounted cgroup v1 (%s)%s", *c, writable ? ", release_agent writable" : "");
      return;
    }
  }
  blocked(r, "mount(cgroup v1): %s", errname(errno));
}

// The masked and read-only paths of the default spec (runtime/spec/container_spec.cc) that
// matter most. On hosts without /proc/kcore, ENOENT for it is expected.
static const char* const kMasks[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
                                     "/proc/sched_debug", "/proc/sysrq-trigger", "/proc/acpi",
                                     "/proc/scsi", "/proc/sys", "/sys/firmware", NULL};

static void a_umount_proc_masks(result* r) {
  char errs[300] = "";
  for (const char* const* m = kMasks; *m; ++m) {
    if (umount2(*m, MNT_DETACH) == 0) {
      succeeded(r, "unmounted the mask on %s", *m);
      return;
    }
    if (m - kMasks < 3) {
      size_t n = strlen(errs);
      snprintf(errs + n, sizeof(errs) - n, "%s%s: %s", n ? ", " : "", *m, errname(errno));
    }
  }
  blocked(r, "umount2: %s, ...", errs);
}

// Only in a private mount namespace (never the battery's own) is a real pivot tried; without
// one, new_root is not a mount point, which the kernel rejects only after may_mount().
static void a_pivot_root(result* r) {
  int private_ns = unshare(CLONE_NEWNS) == 0;
  const char* dir = tmp_dir("escape-pivot");
  if (private_ns) mount("escape", dir, "tmpfs", 0, "size=4k");
  mkdir("/tmp/escape-pivot/old", 0700);
  long rc = syscall(SYS_pivot_root, dir, "/tmp/escape-pivot/old");
  PRIVILEGE_PROBE(r, rc, private_ns ? "pivot_root (private mount ns)" : "pivot_root");
}

// The classic: chroot into a subdirectory while the cwd stays outside, walk "..", chroot(".").
static void a_chroot_escape(result* r) {
  struct stat root0, root1;
  stat("/", &root0);
  const char* dir = tmp_dir("escape-chroot");
  if (chdir("/") != 0 || chroot(dir) != 0) {
    blocked(r, "chroot(%s): %s", dir, errname(errno));
    return;
  }
  for (int i = 0; i < 256; ++i) {
    if (chdir("..") != 0) break;
  }
  if (chroot(".") != 0) {
    blocked(r, "chroot(.) after the walk: %s", errname(errno));
    return;
  }
  stat("/", &root1);
  const char* m = visible_marker(AT_FDCWD);
  if (root1.st_dev != root0.st_dev || root1.st_ino != root0.st_ino || m != NULL) {
    succeeded(r, "reached a root beyond the container's%s%s", m ? ": marker visible: " : "",
              m ? m : "");
    return;
  }
  blocked(r, "chroot works (CAP_SYS_CHROOT) but the walk ends at the container root");
}

static void a_unshare_user(result* r) {
  BY_ERRNO(r, unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
}

static void a_unshare_mount(result* r) {
  BY_ERRNO(r, unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)");
}

static void a_unshare_other(result* r) {
  static const struct {
    int flag;
    const char* name;
  } kNs[] = {{CLONE_NEWNET, "NET"},    {CLONE_NEWPID, "PID"},    {CLONE_NEWUTS, "UTS"},
             {CLONE_NEWIPC, "IPC"},    {CLONE_NEWCGROUP, "CGROUP"}, {0x00000080, "TIME"}};
  for (size_t i = 0; i < sizeof(kNs) / sizeof(kNs[0]); ++i) {
    if (unshare(kNs[i].flag) == 0) {
      succeeded(r, "unshare(CLONE_NEW%s)", kNs[i].name);
      return;
    }
  }
  blocked(r, "unshare(NET|PID|UTS|IPC|CGROUP|TIME each): last %s", errname(errno));
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  errno = err;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

// What an attacker does after unshare(CLONE_NEWUSER): map its own ids to 0 in the new
// namespace. Returns a short note on what did not work ("" when all did).
static const char* map_self_to_root(uid_t uid, gid_t gid) {
  static char note[128];
  char map[64];
  note[0] = '\0';
  snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
  if (write_file("/proc/self/uid_map", map) != 0) {
    snprintf(note, sizeof(note), " (uid_map: %s)", errname(errno));
    return note;
  }
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
  if (write_file("/proc/self/gid_map", map) != 0) {
    snprintf(note, sizeof(note), " (gid_map: %s)", errname(errno));
  }
  return note;
}

// In a fresh user + mount namespace, mapped to root there: full capabilities over it and the
// kernel's mount code as attack surface.
static void a_userns_mount(result* r) {
  const char* dir = tmp_dir("escape-userns-mnt");
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    blocked(r, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", errname(errno));
    return;
  }
  const char* note = map_self_to_root(uid, gid);
  if (mount("escape", dir, "tmpfs", 0, "size=4k") != 0) {
    blocked(r, "unshare worked%s, mount(tmpfs) in it: %s", note, errname(errno));
    return;
  }
  succeeded(r, "new user+mount namespace%s, mounted a tmpfs in it", note);
}

// Mounts inherited into a less privileged mount namespace are locked together: the masks
// must not come off.
static void a_userns_unmask(result* r) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    blocked(r, "unshare(CLONE_NEWUSER|CLONE_NEWNS): %s", errname(errno));
    return;
  }
  map_self_to_root(uid, gid);
  char errs[300] = "";
  for (const char* const* m = kMasks; *m; ++m) {
    if (umount2(*m, MNT_DETACH) == 0) {
      succeeded(r, "unmounted the mask on %s from a new user namespace", *m);
      return;
    }
    if (m - kMasks < 3) {
      size_t n = strlen(errs);
      snprintf(errs + n, sizeof(errs) - n, "%s%s: %s", n ? ", " : "", *m, errname(errno));
    }
  }
  blocked(r, "unshare worked (reported by unshare_user), but umount2: %s, ...", errs);
}

static void a_clone_newuser(result* r) {
  long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0) syscall(SYS_exit, 0);
  int err = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  by_errno_impl(r, pid, err, "clone(CLONE_NEWUSER)");
}

struct escape_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void a_clone3_newuser(result* r) {
  struct escape_clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  long pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) syscall(SYS_exit, 0);
  int err = errno;
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  by_errno_impl(r, pid, err, "clone3(CLONE_NEWUSER)");
}

// Every namespace file of every visible process.
static void a_setns(result* r) {
  static const char* const kTypes[] = {"mnt", "net", "pid", "uts", "ipc", "user", "cgroup",
                                       "time", NULL};
  DIR* proc = opendir("/proc");
  if (proc == NULL) {
    blocked(r, "opendir(/proc): %s", errname(errno));
    return;
  }
  int tried = 0, opened = 0, foreign = 0;
  int last_err = 0;
  struct dirent* e;
  while ((e = readdir(proc)) != NULL) {
    if (!is_pid_name(e->d_name)) continue;
    for (const char* const* t = kTypes; *t; ++t) {
      char path[64], self[64];
      snprintf(path, sizeof(path), "/proc/%d/ns/%s", atoi(e->d_name), *t);
      snprintf(self, sizeof(self), "/proc/self/ns/%s", *t);
      ++tried;
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        last_err = errno;
        continue;
      }
      ++opened;
      struct stat a, b;
      if (fstat(fd, &a) == 0 && stat(self, &b) == 0 && a.st_ino != b.st_ino) ++foreign;
      if (setns(fd, 0) == 0) {
        succeeded(r, "setns(%s)", path);
        closedir(proc);
        return;
      }
      last_err = errno;
      close(fd);
    }
  }
  closedir(proc);
  blocked(r, "%d ns files, %d opened (%d not ours), setns: last %s", tried, opened, foreign,
          last_err ? errname(last_err) : "-");
}

// ---------------------------------------------------------------------------------------
// Kernel code and privileged kernel interfaces

// Wrong architecture in the flags: rejected only after the CAP_SYS_BOOT check.
static void a_kexec_load(result* r) {
  long rc = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 40UL << 16 /* KEXEC_ARCH_ARM */);
  PRIVILEGE_PROBE(r, rc, "kexec_load(wrong arch)");
}

// Unknown flag bit: rejected only after the CAP_SYS_BOOT check.
static void a_kexec_file_load(result* r) {
  long rc = syscall(SYS_kexec_file_load, -1, -1, 0UL, "", 0x80000000UL);
  PRIVILEGE_PROBE(r, rc, "kexec_file_load(bad flags)");
}

// An empty image: rejected only after the CAP_SYS_MODULE check.
static void a_init_module(result* r) {
  long rc = syscall(SYS_init_module, NULL, 0UL, "");
  PRIVILEGE_PROBE(r, rc, "init_module(empty)");
}

static void a_finit_module(result* r) {
  long rc = syscall(SYS_finit_module, -1, "", 0);
  PRIVILEGE_PROBE(r, rc, "finit_module(fd -1)");
}

// A module name that does not exist: ENOENT only after the CAP_SYS_MODULE check.
static void a_delete_module(result* r) {
  long rc = syscall(SYS_delete_module, "nucleus_escape_no_such_module", O_NONBLOCK);
  PRIVILEGE_PROBE(r, rc, "delete_module(no such module)");
}

static void a_bpf_prog_load(result* r) {
  struct bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
      {.code = BPF_JMP | BPF_EXIT},
  };
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = (uintptr_t)insns;
  attr.insn_cnt = 2;
  attr.license = (uintptr_t) "GPL";
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
  BY_ERRNO(r, fd, "bpf(BPF_PROG_LOAD, socket filter)");
}

static void a_bpf_map_create(result* r) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  BY_ERRNO(r, fd, "bpf(BPF_MAP_CREATE, array)");
}

// Self-monitoring, user space only: the most permissive perf_event_paranoid case.
static void a_perf_event_open(result* r) {
  struct perf_event_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  long fd = syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0UL);
  BY_ERRNO(r, fd, "perf_event_open(task clock, self)");
}

static void a_userfaultfd(result* r) {
  long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  if (fd >= 0) {
    succeeded(r, "userfaultfd(UFFD_USER_MODE_ONLY) = %ld", fd);
    return;
  }
  int err1 = errno;
  fd = syscall(SYS_userfaultfd, O_CLOEXEC);
  if (fd >= 0) {
    succeeded(r, "userfaultfd(0) = %ld", fd);
    return;
  }
  blocked(r, "userfaultfd: user-mode-only %s, plain %s", errname(err1), errname(errno));
}

static void a_keyctl(result* r) {
  long rc = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "nucleus-escape");
  BY_ERRNO(r, rc, "keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
}

static void a_add_key(result* r) {
  long rc = syscall(SYS_add_key, "user", "nucleus-escape", "x", 1UL,
                    KEY_SPEC_PROCESS_KEYRING);
  BY_ERRNO(r, rc, "add_key(user, process keyring)");
}

static void a_request_key(result* r) {
  long rc = syscall(SYS_request_key, "user", "nucleus-escape-none", NULL,
                    KEY_SPEC_PROCESS_KEYRING);
  int err = errno;
  // ENOKEY means the lookup ran: the key-management code is reachable.
  if (rc < 0 && err == ENOKEY) {
    succeeded(r, "request_key reached the keyring lookup (ENOKEY)");
    return;
  }
  by_errno_impl(r, rc, err, "request_key(user)");
}

static void a_io_uring_setup(result* r) {
  struct io_uring_params p;
  memset(&p, 0, sizeof(p));
  long fd = syscall(SYS_io_uring_setup, 4, &p);
  BY_ERRNO(r, fd, "io_uring_setup(4)");
}

static void a_personality(result* r) {
  long rc = personality(READ_IMPLIES_EXEC);
  int err = errno;
  if (rc == -1) {
    blocked(r, "personality(READ_IMPLIES_EXEC): %s", errname(err));
    return;
  }
  int now = personality(0xffffffff);
  if (now != -1 && (now & READ_IMPLIES_EXEC)) {
    succeeded(r, "personality is now 0x%x (READ_IMPLIES_EXEC set)", now);
  } else {
    blocked(r, "personality() returned but READ_IMPLIES_EXEC is not set (now 0x%x)", now);
  }
}

// Bad magic: EINVAL only after the CAP_SYS_BOOT check, so it cannot reboot or change
// Ctrl-Alt-Del even when allowed.
static void a_reboot(result* r) {
  long rc = syscall(SYS_reboot, 0, 0, 0 /* LINUX_REBOOT_CMD_CAD_OFF */, NULL);
  PRIVILEGE_PROBE(r, rc, "reboot(bad magic, CAD_OFF)");
}

static void a_swapon(result* r) {
  long rc = swapon("/nonexistent/nucleus-escape-swap", 0);
  PRIVILEGE_PROBE(r, rc, "swapon(nonexistent file)");
}

static void a_swapoff(result* r) {
  long rc = swapoff("/nonexistent/nucleus-escape-swap");
  PRIVILEGE_PROBE(r, rc, "swapoff(nonexistent file)");
}

// Sets the clock to what it reads: at worst a step of microseconds.
static void a_clock_settime(result* r) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  BY_ERRNO(r, clock_settime(CLOCK_REALTIME, &now), "clock_settime(REALTIME, now)");
}

// An out-of-range timezone: EINVAL only after the CAP_SYS_TIME check.
static void a_settimeofday(result* r) {
  struct timezone tz = {.tz_minuteswest = 100000, .tz_dsttime = 0};
  long rc = syscall(SYS_settimeofday, NULL, &tz);
  PRIVILEGE_PROBE(r, rc, "settimeofday(tz out of range)");
}

// ADJ_TICK with an out-of-range tick: EINVAL only after the CAP_SYS_TIME check.
static void a_adjtimex(result* r) {
  struct timex tx;
  memset(&tx, 0, sizeof(tx));
  tx.modes = ADJ_TICK;
  tx.tick = 1;
  long rc = adjtimex(&tx);
  PRIVILEGE_PROBE(r, rc, "adjtimex(ADJ_TICK out of range)");
}

static void a_syslog(result* r) {
  static char buf[4096];
  long rc = syscall(SYS_syslog, 3 /* SYSLOG_ACTION_READ_ALL */, buf, (int)sizeof(buf));
  BY_ERRNO(r, rc, "syslog(SYSLOG_ACTION_READ_ALL)");
}

static void a_iopl(result* r) { BY_ERRNO(r, syscall(SYS_iopl, 3), "iopl(3)"); }

static void a_ioperm(result* r) {
  BY_ERRNO(r, syscall(SYS_ioperm, 0x80UL, 1UL, 1), "ioperm(0x80)");
}

static void a_acct(result* r) {
  const char* path = "/tmp/escape-acct";
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) close(fd);
  if (acct(path) == 0) {
    acct(NULL);
    succeeded(r, "acct(%s) switched process accounting on (switched off again)", path);
  } else {
    blocked(r, "acct(%s): %s", path, errname(errno));
  }
  unlink(path);
}

// i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl).
#define I386_NR_UNSHARE 310
#define I386_NR_USERFAULTFD 374
#define I386_NR_GETUID32 199

static long int80(long nr, long a1) {
  long ret;
  __asm__ volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr), "b"(a1), "c"(0), "d"(0), "S"(0), "D"(0)
                   : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

static sigjmp_buf int80_fault;
static void on_int80_fault(int sig) { siglongjmp(int80_fault, sig); }

// A kernel without IA32 emulation (or with it switched off) has no int $0x80 gate: the
// instruction faults with SIGSEGV, which is as blocked as it gets.
static void i386_verdict(result* r, long nr, long a1, const char* what) {
  signal(SIGSEGV, on_int80_fault);
  if (sigsetjmp(int80_fault, 1) != 0) {
    blocked(r, "%s via int $0x80: SIGSEGV: this kernel has no i386 entry", what);
    return;
  }
  long ret = int80(nr, a1);
  long uid = int80(I386_NR_GETUID32, 0);
  char abi[64];
  if (uid < 0 && uid > -4096) {
    snprintf(abi, sizeof(abi), "i386 getuid32: %s", errname((int)-uid));
  } else {
    snprintf(abi, sizeof(abi), "i386 getuid32 works");
  }
  if (ret >= 0) {
    succeeded(r, "%s via int $0x80 returned %ld (%s)", what, ret, abi);
  } else {
    blocked(r, "%s via int $0x80: %s (%s)", what, errname((int)-ret), abi);
  }
}

static void a_i386_unshare(result* r) {
  i386_verdict(r, I386_NR_UNSHARE, CLONE_NEWUSER, "unshare(CLONE_NEWUSER)");
}

static void a_i386_userfaultfd(result* r) {
  i386_verdict(r, I386_NR_USERFAULTFD, O_CLOEXEC | UFFD_USER_MODE_ONLY, "userfaultfd");
}

#define X32_SYSCALL_BIT 0x40000000L

static void a_x32_unshare(result* r) {
  long rc = syscall(X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER);
  BY_ERRNO(r, rc, "x32 unshare(CLONE_NEWUSER)");
}

// Another uid's quota: needs CAP_SYS_ADMIN. Read only.
static void a_quotactl(result* r) {
  int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct dqblk q;
  long rc = syscall(SYS_quotactl_fd, fd, QCMD(Q_GETQUOTA, USRQUOTA), 4242, &q);
  BY_ERRNO(r, rc, "quotactl_fd(/, Q_GETQUOTA, uid 4242)");
}

static void a_lookup_dcookie(result* r) {
  char buf[256];
  BY_ERRNO(r, syscall(SYS_lookup_dcookie, 0ULL, buf, sizeof(buf)), "lookup_dcookie");
}

static void a_setrlimit_hard(result* r) {
  static const struct {
    int res;
    const char* name;
  } kRes[] = {{RLIMIT_NOFILE, "NOFILE"},     {RLIMIT_NPROC, "NPROC"},
              {RLIMIT_MEMLOCK, "MEMLOCK"},   {RLIMIT_SIGPENDING, "SIGPENDING"},
              {RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_RTPRIO, "RTPRIO"},
              {RLIMIT_NICE, "NICE"},         {RLIMIT_CORE, "CORE"}};
  long nr_open = 1 << 20;
  char buf[64];
  if (read_small("/proc/sys/fs/nr_open", buf, sizeof(buf)) > 0) nr_open = atol(buf);
  for (size_t i = 0; i < sizeof(kRes) / sizeof(kRes[0]); ++i) {
    struct rlimit rl;
    if (getrlimit(kRes[i].res, &rl) != 0 || rl.rlim_max == RLIM_INFINITY) continue;
    if (kRes[i].res == RLIMIT_NOFILE && (long)rl.rlim_max >= nr_open) continue;
    struct rlimit raised = {rl.rlim_cur, rl.rlim_max + 1};
    if (setrlimit(kRes[i].res, &raised) == 0) {
      succeeded(r, "raised the hard RLIMIT_%s from %llu", kRes[i].name,
                (unsigned long long)rl.rlim_max);
    } else {
      blocked(r, "raise hard RLIMIT_%s: %s", kRes[i].name, errname(errno));
    }
    return;
  }
  skipped(r, "every hard limit is unlimited: nothing to raise");
}

static void a_modify_ldt(result* r) {
  struct user_desc d;
  memset(&d, 0, sizeof(d));
  d.entry_number = 0;
  d.limit = 0xfff;
  d.seg_32bit = 1;
  d.useable = 1;
  BY_ERRNO(r, syscall(SYS_modify_ldt, 1, &d, sizeof(d)), "modify_ldt(write entry 0)");
}

// New mount API. open_tree(CLONE) and fsopen do their thing when allowed (a detached copy of
// the tree, a filesystem context: both die with the fd); move_mount and fsmount get an
// invalid argument that is checked after may_mount().
static void a_open_tree(result* r) {
  long fd = syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC);
  BY_ERRNO(r, fd, "open_tree(/, OPEN_TREE_CLONE)");
}

static void a_fsopen(result* r) {
  BY_ERRNO(r, syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */), "fsopen(tmpfs)");
}

static void a_fsmount(result* r) {
  PRIVILEGE_PROBE(r, syscall(SYS_fsmount, -1, 0, 0), "fsmount(fd -1)");
}

static void a_move_mount(result* r) {
  long rc = syscall(SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/tmp", 0x80000000U);
  PRIVILEGE_PROBE(r, rc, "move_mount(bad flags)");
}

struct escape_mount_attr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static void a_mount_setattr(result* r) {
  struct escape_mount_attr attr = {0, 0x1 /* MOUNT_ATTR_RDONLY */, 0, 0};
  long rc = syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof(attr));
  if (rc == 0) {
    struct escape_mount_attr back = {0x1, 0, 0, 0};
    syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &back, sizeof(back));
  }
  BY_ERRNO(r, rc, "mount_setattr(/, clear RDONLY)");
}

// ---------------------------------------------------------------------------------------
// Processes

// PTRACE_SEIZE has PTRACE_ATTACH's permission check and never stops the target, so a
// success cannot leave the container's init stopped.
static void a_ptrace_init(result* r) {
  long rc = ptrace(PTRACE_SEIZE, 1, NULL, NULL);
  BY_ERRNO(r, rc, "ptrace(PTRACE_SEIZE, pid 1)");
}

// Two children of this attempt: B attaches to its sibling A.
static void a_ptrace_sibling(result* r) {
  pid_t a = fork();
  if (a == 0) {
    for (;;) pause();
  }
  if (a < 0) {
    blocked(r, "fork: %s", errname(errno));
    return;
  }
  int pfd[2];
  if (pipe(pfd) != 0) {
    kill(a, SIGKILL);
    blocked(r, "pipe: %s", errname(errno));
    return;
  }
  pid_t b = fork();
  if (b == 0) {
    int rc = (int)ptrace(PTRACE_ATTACH, a, NULL, NULL);
    int err = rc == 0 ? 0 : errno;
    if (rc == 0) {
      waitpid(a, NULL, __WALL);
      ptrace(PTRACE_DETACH, a, NULL, NULL);
    }
    (void)!write(pfd[1], &err, sizeof(err));
    _exit(0);
  }
  close(pfd[1]);
  int err = -1;
  ssize_t n = b > 0 ? read(pfd[0], &err, sizeof(err)) : -1;
  kill(a, SIGKILL);
  waitpid(a, NULL, 0);
  if (b > 0) waitpid(b, NULL, 0);
  if (n != sizeof(err)) {
    blocked(r, "the attaching sibling died without an answer");
  } else if (err == 0) {
    succeeded(r, "ptrace(PTRACE_ATTACH) of a sibling process");
  } else {
    blocked(r, "ptrace(PTRACE_ATTACH, sibling): %s", errname(err));
  }
}

// EFAULT (an address not mapped there) still means the access check passed.
static void a_process_vm_readv(result* r) {
  unsigned long addr = 0x400000;
  char maps[4096];
  if (read_small("/proc/1/maps", maps, sizeof(maps)) > 0) addr = strtoul(maps, NULL, 16);
  char buf[16];
  struct iovec local = {buf, sizeof(buf)};
  struct iovec remote = {(void*)addr, sizeof(buf)};
  long rc = process_vm_readv(1, &local, 1, &remote, 1, 0);
  PRIVILEGE_PROBE(r, rc, "process_vm_readv(pid 1)");
}

static void a_process_vm_writev(result* r) {
  // Writes to address 0 of pid 1: EFAULT if the access check passes; never a real write.
  char buf[1] = {0};
  struct iovec local = {buf, 1};
  struct iovec remote = {(void*)0, 1};
  long rc = process_vm_writev(1, &local, 1, &remote, 1, 0);
  PRIVILEGE_PROBE(r, rc, "process_vm_writev(pid 1, address 0)");
}

// Opens (never writes) every visible /proc/PID/exe for writing: CVE-2019-5736 overwrote the
// runtime's binary on the host this way.
static void a_proc_exe_write(result* r) {
  DIR* proc = opendir("/proc");
  if (proc == NULL) {
    blocked(r, "opendir(/proc): %s", errname(errno));
    return;
  }
  int tried = 0;
  int last_err = 0;
  struct dirent* e;
  char self[32];
  snprintf(self, sizeof(self), "%d", (int)getpid());
  while ((e = readdir(proc)) != NULL) {
    if (!is_pid_name(e->d_name) || strcmp(e->d_name, self) == 0) continue;
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/exe", atoi(e->d_name));
    ++tried;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      closedir(proc);
      succeeded(r, "%s opened for writing (nothing written)", path);
      return;
    }
    last_err = errno;
  }
  closedir(proc);
  blocked(r, "%d /proc/*/exe, open(O_WRONLY): last %s", tried,
          last_err ? errname(last_err) : "-");
}

// Directories reachable through other processes' root, cwd and open fds: walking ".." from
// one of them must end at this container's root.
static void a_proc_dir_handles(result* r) {
  DIR* proc = opendir("/proc");
  if (proc == NULL) {
    blocked(r, "opendir(/proc): %s", errname(errno));
    return;
  }
  int dirs = 0, denied = 0;
  struct dirent* e;
  char self[32];
  snprintf(self, sizeof(self), "%d", (int)getpid());
  while ((e = readdir(proc)) != NULL) {
    if (!is_pid_name(e->d_name) || strcmp(e->d_name, self) == 0) continue;
    char candidates[64][80];
    int n = 0;
    snprintf(candidates[n++], 80, "/proc/%d/root", atoi(e->d_name));
    snprintf(candidates[n++], 80, "/proc/%d/cwd", atoi(e->d_name));
    char fddir[64];
    snprintf(fddir, sizeof(fddir), "/proc/%d/fd", atoi(e->d_name));
    DIR* fds = opendir(fddir);
    if (fds != NULL) {
      struct dirent* f;
      while ((f = readdir(fds)) != NULL && n < 64) {
        if (is_pid_name(f->d_name)) snprintf(candidates[n++], 80, "%s/%d", fddir, atoi(f->d_name));
      }
      closedir(fds);
    } else {
      ++denied;
    }
    for (int i = 0; i < n; ++i) {
      int fd = open(candidates[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0) {
        if (errno == EACCES || errno == EPERM) ++denied;
        continue;
      }
      ++dirs;
      char why[200];
      if (walk_up_escapes(fd, why, sizeof(why))) {
        succeeded(r, "from %s: %s", candidates[i], why);
        closedir(proc);
        return;
      }
      close(fd);
    }
  }
  closedir(proc);
  blocked(r, "%d directories reachable through /proc/*/{root,cwd,fd} (%d denied), all inside",
          dirs, denied);
}

// File descriptors nucleus let through: any fd >= 3 at startup is a leak (a directory one is
// the classic way out: fchdir + "..").
static void a_inherited_fds(result* r) {
  if (startup.n_inherited == 0) {
    blocked(r, "no fd >= 3 at startup");
    return;
  }
  for (int i = 0; i < startup.n_inherited && i < 32; ++i) {
    struct stat st;
    char why[200];
    if (fstat(startup.fds[i], &st) == 0 && S_ISDIR(st.st_mode) &&
        walk_up_escapes(startup.fds[i], why, sizeof(why))) {
      succeeded(r, "inherited directory fd %d: %s (all: %s)", startup.fds[i], why,
                startup.inherited);
      return;
    }
  }
  succeeded(r, "%d inherited fds: %s", startup.n_inherited, startup.inherited);
}

static void a_kill_host_pid(result* r) {
  if (cfg.host_pid <= 0) {
    skipped(r, "no --host-pid");
    return;
  }
  char path[64], comm[64];
  snprintf(path, sizeof(path), "/proc/%d/comm", (int)cfg.host_pid);
  if (read_small(path, comm, sizeof(comm)) >= 0) {
    if (cfg.host_comm != NULL && strcmp(comm, cfg.host_comm) == 0) {
      succeeded(r, "host process %d (%s) is visible in /proc", (int)cfg.host_pid, comm);
    } else {
      // The number belongs to a process of the container: signalling it proves nothing.
      blocked(r, "pid %d here is the container's own %s, not the host process",
              (int)cfg.host_pid, comm);
    }
    return;
  }
  BY_ERRNO(r, kill(cfg.host_pid, SIGTERM), "kill(host pid, SIGTERM)");
}

static void a_pidfd_open_host_pid(result* r) {
  if (cfg.host_pid <= 0) {
    skipped(r, "no --host-pid");
    return;
  }
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d", (int)cfg.host_pid);
  if (access(path, F_OK) == 0 && cfg.host_comm == NULL) {
    skipped(r, "pid %d exists in the container", (int)cfg.host_pid);
    return;
  }
  long fd = syscall(SYS_pidfd_open, cfg.host_pid, 0);
  int err = errno;
  if (fd >= 0) {
    char comm_path[64], comm[64] = "?";
    snprintf(comm_path, sizeof(comm_path), "/proc/%d/comm", (int)cfg.host_pid);
    read_small(comm_path, comm, sizeof(comm));
    if (cfg.host_comm != NULL && strcmp(comm, cfg.host_comm) != 0) {
      blocked(r, "pidfd_open(%d) opened the container's own %s, not the host process",
              (int)cfg.host_pid, comm);
      return;
    }
  }
  by_errno_impl(r, fd, err, "pidfd_open(host pid)");
}

// kill(-1) reaches every process the caller may signal. SIGCONT is harmless to all of them;
// the test's host process records it if it arrives. Here: a verdict on what is visible.
static void a_kill_all(result* r) {
  long rc = kill(-1, SIGCONT);
  int err = errno;
  if (cfg.host_pid > 0 && cfg.host_comm != NULL) {
    char path[64], comm[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)cfg.host_pid);
    if (read_small(path, comm, sizeof(comm)) >= 0 && strcmp(comm, cfg.host_comm) == 0) {
      succeeded(r, "kill(-1, SIGCONT) with the host process %d visible", (int)cfg.host_pid);
      return;
    }
  }
  if (rc == 0) {
    blocked(r, "kill(-1, SIGCONT) reached the container's processes only (the test checks its "
               "host process)");
  } else {
    blocked(r, "kill(-1, SIGCONT): %s", errname(err));
  }
}

// Connects to a unix socket: `name` is a path, or (abstract) a name in the abstract space.
static void connect_unix(result* r, const char* name, int abstract, const char* what) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    blocked(r, "socket(AF_UNIX): %s", errname(errno));
    return;
  }
  struct sockaddr_un addr;
  memset(&addr, 0, sizeof(addr));
  addr.sun_family = AF_UNIX;
  size_t len = strlen(name);
  if (len > sizeof(addr.sun_path) - 1 - (size_t)abstract) {
    len = sizeof(addr.sun_path) - 1 - (size_t)abstract;
  }
  memcpy(addr.sun_path + abstract, name, len);
  socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + abstract + len);
  BY_ERRNO(r, connect(s, (struct sockaddr*)&addr, alen), what);
}

static void a_host_abstract_socket(result* r) {
  if (cfg.abstract_name == NULL) {
    skipped(r, "no --abstract");
    return;
  }
  connect_unix(r, cfg.abstract_name, 1, "connect(@host socket)");
}

// A pathname socket: a bind mount, even a read-only one, does not stop connect(2).
static void a_host_unix_socket(result* r) {
  if (cfg.host_socket == NULL) {
    skipped(r, "no --host-socket");
    return;
  }
  connect_unix(r, cfg.host_socket, 0, "connect(host unix socket)");
}

// The same inside a bind: only the ids (a user namespace) and Landlock's resolve_unix (ABI 9)
// stand in the way; the bind's read-only flag does not.
static void a_bound_unix_socket(result* r) {
  if (cfg.bound_socket == NULL) {
    skipped(r, "no --bound-socket");
    return;
  }
  connect_unix(r, cfg.bound_socket, 0, "connect(host socket in a --ro bind)");
}

static void a_read_host_secrets(result* r) {
  if (cfg.n_secrets == 0) {
    skipped(r, "no --host-secret");
    return;
  }
  int last_err = 0;
  for (int i = 0; i < cfg.n_secrets; ++i) {
    int fd = open(cfg.secrets[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    char c;
    ssize_t n = read(fd, &c, 1);
    last_err = errno;
    close(fd);
    if (n >= 0) {
      succeeded(r, "read the host's %s", cfg.secrets[i]);
      return;
    }
  }
  blocked(r, "%d host secret files unreadable (last: %s)", cfg.n_secrets, errname(last_err));
}

// A program downloaded into a writable directory runs: copies this program into each of
// them and execs the copy ("whoami").
static void a_exec_from_writable(result* r) {
  static const char* const kDirs[] = {"/tmp", "/dev/shm", "/run", "/var/tmp"};
  char ran[200] = "", why[300] = "";
  int writable = 0;
  for (size_t i = 0; i < sizeof(kDirs) / sizeof(kDirs[0]); ++i) {
    // A writable rootfs is the caller's to run programs from; /tmp and /dev/shm are ours.
    if (cfg.writable_root && i >= 2) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/.nucleus-escape-exec", kDirs[i]);
    int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (in < 0 || out < 0) {
      size_t len = strlen(why);
      snprintf(why + len, sizeof(why) - len, " %s:%s", kDirs[i], errname(errno));
      if (in >= 0) close(in);
      if (out >= 0) close(out);
      continue;
    }
    ++writable;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
      if (write(out, buf, (size_t)n) != n) break;
    }
    close(in);
    close(out);
    pid_t pid = fork();
    if (pid == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
      execl(path, path, "whoami", (char*)NULL);
      _exit(errno == EACCES || errno == EPERM ? 126 : 127);
    }
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    unlink(path);
    size_t len = strlen(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? ran : why);
    if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      snprintf(ran + len, sizeof(ran) - len, " %s", kDirs[i]);
    } else {
      snprintf(why + len, sizeof(why) - len, " %s:exec refused", kDirs[i]);
    }
  }
  if (ran[0] != '\0') {
    succeeded(r, "a copied program ran from%s", ran);
  } else {
    blocked(r, "%d writable, none executable:%s", writable, why);
  }
}

// ---------------------------------------------------------------------------------------
// Identity and privileges

static void a_setuid(result* r) {
  if (getuid() != 0 && geteuid() != 0) {
    if (setresuid(0, 0, 0) == 0 || setuid(0) == 0) {
      succeeded(r, "became uid %d", (int)getuid());
    } else {
      blocked(r, "setresuid(0,0,0) as uid %d: %s", (int)getuid(), errname(errno));
    }
    return;
  }
  // Root without CAP_SETUID can move to no other uid (and so never back).
  if (setresuid(-1, 4242, -1) == 0) {
    int back = seteuid(0);
    succeeded(r, "as root: euid 0 -> 4242 -> %s: CAP_SETUID is held", back == 0 ? "0" : "stuck");
    return;
  }
  blocked(r, "as root, setresuid(-1, 4242, -1): %s (no CAP_SETUID)", errname(errno));
}

static void a_setgid(result* r) {
  if (getgid() != 0 && getegid() != 0) {
    if (setresgid(0, 0, 0) == 0) {
      succeeded(r, "became gid 0");
    } else {
      blocked(r, "setresgid(0,0,0) as gid %d: %s", (int)getgid(), errname(errno));
    }
    return;
  }
  if (setresgid(-1, 4242, -1) == 0) {
    succeeded(r, "as gid 0: egid -> 4242: CAP_SETGID is held");
    return;
  }
  blocked(r, "as gid 0, setresgid(-1, 4242, -1): %s (no CAP_SETGID)", errname(errno));
}

static void a_setgroups(result* r) {
  gid_t g = 0;
  BY_ERRNO(r, setgroups(1, &g), "setgroups({0})");
}

static void a_capset(result* r) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof(d));
  if (syscall(SYS_capget, &h, d) != 0) {
    blocked(r, "capget: %s", errname(errno));
    return;
  }
  unsigned long long before = cap_eff();
  for (int i = 0; i < 2; ++i) d[i].effective = d[i].permitted = d[i].inheritable = 0xffffffffU;
  long rc = syscall(SYS_capset, &h, d);
  int err = errno;
  unsigned long long after = cap_eff();
  if (rc == 0 && after != before) {
    succeeded(r, "capset raised CapEff %llx -> %llx", before, after);
  } else if (rc == 0) {
    blocked(r, "capset returned 0 but CapEff stayed %llx", after);
  } else {
    blocked(r, "capset(all): %s", errname(err));
  }
}

static void a_prctl_ambient(result* r) {
  long rc = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0);
  BY_ERRNO(r, rc, "prctl(PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN)");
}

// Execs the setuid-root copy as "whoami": gaining euid 0 or any capability is an escape.
static void a_exec_setuid(result* r) {
  if (cfg.suid_path == NULL) {
    skipped(r, "no --suid");
    return;
  }
  struct stat st;
  if (stat(cfg.suid_path, &st) != 0) {
    blocked(r, "stat(%s): %s", cfg.suid_path, errname(errno));
    return;
  }
  uid_t my_euid = geteuid();
  unsigned long long my_caps = cap_eff();
  int pfd[2];
  if (pipe(pfd) != 0) {
    blocked(r, "pipe: %s", errname(errno));
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    char* argv[] = {(char*)cfg.suid_path, "whoami", NULL};
    char* envp[] = {NULL};
    execve(cfg.suid_path, argv, envp);
    dprintf(1, "exec-failed %s\n", errname(errno));
    _exit(127);
  }
  close(pfd[1]);
  char out[256] = "";
  size_t got = 0;
  ssize_t n;
  while (got < sizeof(out) - 1 && (n = read(pfd[0], out + got, sizeof(out) - 1 - got)) > 0) {
    got += (size_t)n;
  }
  out[got] = '\0';
  if (pid > 0) waitpid(pid, NULL, 0);
  char* nl = strchr(out, '\n');
  if (nl) *nl = '\0';
  int euid = -1;
  unsigned long long caps = 0;
  const char* e = strstr(out, "euid=");
  const char* c = strstr(out, "CapEff=");
  if (e == NULL || c == NULL) {
    blocked(r, "exec %s (mode %o, owner %d): %s", cfg.suid_path, (unsigned)st.st_mode & 07777,
            (int)st.st_uid, out[0] ? out : "no output");
    return;
  }
  euid = atoi(e + 5);
  caps = strtoull(c + 7, NULL, 16);
  if ((my_euid != 0 && euid == 0) || (caps & ~my_caps) != 0) {
    succeeded(r, "setuid exec gained privileges: euid %d -> %d, CapEff %llx -> %llx",
              (int)my_euid, euid, my_caps, caps);
    return;
  }
  blocked(r, "setuid-root exec (mode %o, owner %d): euid %d -> %d, CapEff %llx -> %llx",
          (unsigned)st.st_mode & 07777, (int)st.st_uid, (int)my_euid, euid, my_caps, caps);
}

// The test checks that the host's hostname is unchanged afterwards.
static void a_sethostname(result* r) {
  char before[256] = "";
  gethostname(before, sizeof(before) - 1);
  static const char kName[] = "nucleus-escape";
  if (sethostname(kName, sizeof(kName) - 1) == 0) {
    sethostname(before, strlen(before));
    succeeded(r, "sethostname worked (restored to %s)", before);
    return;
  }
  blocked(r, "sethostname: %s", errname(errno));
}

static void a_setdomainname(result* r) {
  char before[256] = "";
  getdomainname(before, sizeof(before) - 1);
  static const char kName[] = "nucleus-escape";
  if (setdomainname(kName, sizeof(kName) - 1) == 0) {
    setdomainname(before, strlen(before));
    succeeded(r, "setdomainname worked (restored)");
    return;
  }
  blocked(r, "setdomainname: %s", errname(errno));
}

// ---------------------------------------------------------------------------------------
// Files, /proc, /sys, devices, network

static void a_write_root(result* r) {
  if (cfg.writable_root) {
    skipped(r, "the root is writable by configuration (--writable-root)");
    return;
  }
  create_in(r, "/");
}

static void a_write_etc(result* r) {
  if (cfg.writable_root) {
    skipped(r, "the root is writable by configuration (--writable-root)");
    return;
  }
  create_in(r, "/etc");
}

static void a_write_usr(result* r) {
  if (cfg.writable_root) {
    skipped(r, "the root is writable by configuration (--writable-root)");
    return;
  }
  create_in(r, "/usr");
}

static void a_write_etc_passwd(result* r) {
  if (cfg.writable_root) {
    skipped(r, "the root is writable by configuration (--writable-root)");
    return;
  }
  open_for_write(r, "/etc/passwd");
}

static void a_write_ro_bind(result* r) {
  if (cfg.ro_dir == NULL) {
    skipped(r, "no --ro-dir");
    return;
  }
  create_in(r, cfg.ro_dir);
}

// A setuid or setgid file in a --rw bind: nosuid stops it inside the container, but on the
// host the file is owned by the container's uid (root, unless mapped): a root shell for any
// host user. Every way to set the bits: open/creat/mknod with the mode, O_TMPFILE then
// linkat, chmod, fchmod, fchmodat; each file is checked with fstat and removed again.
static void a_setuid_in_rw_bind(result* r) {
  if (cfg.rw_dir == NULL) {
    skipped(r, "no --rw-dir");
    return;
  }
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/.nucleus-escape-setid", cfg.rw_dir);
  char why[400] = "";
  int made = 0;
  for (int way = 0; way < 8; ++way) {
    static const char* const kWays[] = {"open",   "creat", "mknod",   "O_TMPFILE",
                                        "chmod",  "fchmod", "fchmodat", "chmod_g+s"};
    const mode_t bits = way == 7 ? S_ISGID : S_ISUID;
    unlink(path);
    int fd = -1, err = 0;
    switch (way) {
      case 0: fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 04755); break;
      case 1: fd = creat(path, 04755); break;
      case 2:
        if (mknod(path, S_IFREG | 04755, 0) == 0) fd = open(path, O_RDONLY | O_CLOEXEC);
        break;
      case 3:
        fd = open(cfg.rw_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 04755);
        if (fd >= 0) {
          char proc[64];
          snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
          if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) != 0) err = errno;
        }
        break;
      default:
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (fd < 0) break;
        if (way == 4 || way == 7) {
          if (chmod(path, 0755 | bits) != 0) err = errno;
        } else if (way == 5) {
          if (fchmod(fd, 0755 | bits) != 0) err = errno;
        } else if (fchmodat(AT_FDCWD, path, 0755 | bits, 0) != 0) {
          err = errno;
        }
        break;
    }
    if (fd < 0 && err == 0) err = errno;
    struct stat st;
    int setid = fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0;
    if (fd >= 0) {
      close(fd);
      ++made;
    }
    unlink(path);
    if (setid) {
      succeeded(r, "%s made %s mode %o on the host's disk (removed again)", kWays[way], path,
                (unsigned)st.st_mode & 07777);
      return;
    }
    size_t len = strlen(why);
    snprintf(why + len, sizeof(why) - len, " %s:%s", kWays[way], err ? errname(err) : "bits dropped");
  }
  if (made == 0) {
    blocked(r, "nothing could be created in %s:%s", cfg.rw_dir, why);
    return;
  }
  blocked(r, "no setuid/setgid file in %s:%s", cfg.rw_dir, why);
}

static void a_proc_sys_hostname(result* r) { open_for_write(r, "/proc/sys/kernel/hostname"); }

static void a_proc_sys_core_pattern(result* r) {
  open_for_write(r, "/proc/sys/kernel/core_pattern");
}

static void a_proc_sys_modprobe(result* r) { open_for_write(r, "/proc/sys/kernel/modprobe"); }

static void a_sysrq_trigger(result* r) { open_for_write(r, "/proc/sysrq-trigger"); }

static void a_read_kcore(result* r) {
  int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    blocked(r, "open(/proc/kcore): %s", errname(errno));
    return;
  }
  char c;
  ssize_t n = read(fd, &c, 1);
  int err = errno;
  close(fd);
  if (n > 0) {
    succeeded(r, "read a byte of /proc/kcore");
  } else {
    blocked(r, "read(/proc/kcore): %s", n == 0 ? "empty" : errname(err));
  }
}

static void a_read_proc_masked(result* r) {
  static const char* const kFiles[] = {"/proc/keys", "/proc/timer_list", "/proc/sched_debug",
                                       "/proc/latency_stats", NULL};
  for (const char* const* f = kFiles; *f; ++f) {
    char buf[64];
    if (read_small(*f, buf, sizeof(buf)) > 0) {
      succeeded(r, "%s is readable and not empty", *f);
      return;
    }
  }
  blocked(r, "the masked /proc files read as empty or cannot be opened");
}

// Opens only; nothing under /sys is ever written.
static void a_sys_write(result* r) {
  static const char* const kFiles[] = {"/sys/kernel/uevent_helper", "/sys/kernel/mm/ksm/run",
                                       "/sys/kernel/profiling", "/sys/power/state",
                                       "/sys/class/net/lo/mtu", NULL};
  char errs[300] = "";
  for (const char* const* f = kFiles; *f; ++f) {
    int fd = open(*f, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      succeeded(r, "%s opened for writing (nothing written)", *f);
      return;
    }
    size_t n = strlen(errs);
    snprintf(errs + n, sizeof(errs) - n, "%s%s: %s", n ? ", " : "", *f + 5, errname(errno));
  }
  blocked(r, "open(O_WRONLY) %s", errs);
}

static void a_cgroup_release_agent(result* r) {
  char path[PATH_MAX];
  DIR* d = opendir("/sys/fs/cgroup");
  int last_err = ENOENT;
  if (d != NULL) {
    struct dirent* e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/release_agent", e->d_name);
      int fd = open(path, O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        close(fd);
        closedir(d);
        succeeded(r, "%s opened for writing (nothing written)", path);
        return;
      }
      if (errno != ENOENT) last_err = errno;
    }
    closedir(d);
  }
  int fd = open("/sys/fs/cgroup/release_agent", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    succeeded(r, "/sys/fs/cgroup/release_agent opened for writing (nothing written)");
    return;
  }
  if (errno != ENOENT) last_err = errno;
  blocked(r, "no cgroup release_agent opens for writing: %s", errname(last_err));
}

static void a_cgroup_escape(result* r) {
  // Moving out of the container's cgroup: write this process's pid into the root cgroup's
  // cgroup.procs (v2) or a v1 hierarchy's root tasks file. Opened only if it would work.
  static const char* const kFiles[] = {"/sys/fs/cgroup/cgroup.procs",
                                       "/sys/fs/cgroup/unified/cgroup.procs",
                                       "/sys/fs/cgroup/pids/cgroup.procs",
                                       "/sys/fs/cgroup/memory/cgroup.procs", NULL};
  char errs[300] = "";
  for (const char* const* f = kFiles; *f; ++f) {
    int fd = open(*f, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      succeeded(r, "%s opened for writing (nothing written)", *f);
      return;
    }
    size_t n = strlen(errs);
    snprintf(errs + n, sizeof(errs) - n, "%s%s: %s", n ? ", " : "", *f + 15, errname(errno));
  }
  blocked(r, "open(O_WRONLY) %s", errs);
}

static void a_raw_socket(result* r) {
  BY_ERRNO(r, socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP),
           "socket(AF_INET, SOCK_RAW)");
}

static void a_packet_socket(result* r) {
  BY_ERRNO(r, socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)),
           "socket(AF_PACKET, SOCK_RAW)");
}

static void a_netlink_route_write(result* r) {
  // Needs CAP_NET_ADMIN: bring a new dummy link up. Only checks that the request is refused.
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0 /* NETLINK_ROUTE */);
  if (s < 0) {
    blocked(r, "socket(AF_NETLINK): %s", errname(errno));
    return;
  }
  struct {
    struct {
      uint32_t len;
      uint16_t type, flags;
      uint32_t seq, pid;
    } nh;
    struct {
      uint8_t family, pad;
      uint16_t type;
      int32_t index;
      uint32_t flags, change;
    } ifi;
  } req;
  memset(&req, 0, sizeof(req));
  req.nh.len = sizeof(req);
  req.nh.type = 16; /* RTM_NEWLINK */
  req.nh.flags = 0x1 | 0x4 | 0x400 | 0x200; /* REQUEST|ACK|CREATE|EXCL */
  req.ifi.family = AF_UNSPEC;
  req.ifi.index = 1; /* lo: EEXIST with EXCL if allowed, nothing changes */
  if (send(s, &req, sizeof(req), 0) < 0) {
    blocked(r, "send(RTM_NEWLINK): %s", errname(errno));
    return;
  }
  char buf[512];
  ssize_t n = recv(s, buf, sizeof(buf), 0);
  if (n < (ssize_t)(16 + 4)) {
    blocked(r, "recv: %s", n < 0 ? errname(errno) : "short");
    return;
  }
  int32_t error;
  memcpy(&error, buf + 16, sizeof(error));
  if (error == -EPERM || error == -EACCES) {
    blocked(r, "RTM_NEWLINK: %s", errname(-error));
  } else {
    succeeded(r, "RTM_NEWLINK got past the CAP_NET_ADMIN check (%s)",
              error ? errname(-error) : "ok");
  }
}

static void a_mknod_block(result* r) {
  const char* path = "/tmp/escape-blk";
  if (mknod(path, S_IFBLK | 0600, makedev(7, 0)) == 0) {
    unlink(path);
    succeeded(r, "mknod(%s, block 7:0)", path);
    return;
  }
  blocked(r, "mknod(block 7:0): %s", errname(errno));
}

static void a_mknod_dev_mem(result* r) {
  const char* path = "/tmp/escape-mem";
  if (mknod(path, S_IFCHR | 0600, makedev(1, 1)) == 0) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int err = errno;
    if (fd >= 0) close(fd);
    unlink(path);
    succeeded(r, "mknod(%s, char 1:1); open: %s", path, fd >= 0 ? "ok" : errname(err));
    return;
  }
  blocked(r, "mknod(char 1:1): %s", errname(errno));
}

static void a_open_dev_mem(result* r) {
  int fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    succeeded(r, "opened /dev/mem (nothing read)");
    return;
  }
  blocked(r, "open(/dev/mem): %s", errname(errno));
}

static void a_open_dev_kmsg(result* r) {
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    succeeded(r, "opened /dev/kmsg (the host's kernel log)");
    return;
  }
  blocked(r, "open(/dev/kmsg): %s", errname(errno));
}

static void a_name_to_handle_at(result* r) {
  struct {
    struct file_handle fh;
    unsigned char space[128];
  } h;
  h.fh.handle_bytes = 128;
  int mount_id;
  BY_ERRNO(r, name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0), "name_to_handle_at(/)");
}

static void handle_open(result* r, struct file_handle* fh, const char* what) {
  int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int fd = open_by_handle_at(mfd, fh, O_RDONLY | O_CLOEXEC);
  int err = errno;
  if (fd < 0) {
    blocked(r, "open_by_handle_at(%s): %s", what, errname(err));
    return;
  }
  char why[200] = "";
  struct stat st;
  fstat(fd, &st);
  if (S_ISDIR(st.st_mode) && walk_up_escapes(fd, why, sizeof(why))) {
    succeeded(r, "open_by_handle_at(%s) and then %s", what, why);
  } else {
    succeeded(r, "open_by_handle_at(%s) opened inode %lu", what, (unsigned long)st.st_ino);
  }
}

// With the handle of the container's own "/".
static void a_open_by_handle_at(result* r) {
  struct {
    struct file_handle fh;
    unsigned char space[128];
  } h;
  h.fh.handle_bytes = 128;
  int mount_id;
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) != 0) {
    // Without name_to_handle_at, an attacker guesses: the forged handle below.
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1;  // FILEID_INO32_GEN
    uint32_t ino_gen[2] = {2, 0};
    memcpy(h.fh.f_handle, ino_gen, sizeof(ino_gen));
  }
  handle_open(r, &h.fh, "handle of /");
}

// The "shocker" attack: a forged handle for inode 2, the root directory of ext2/3/4, names
// the filesystem's real root, which is above the container's root when that is a subtree.
static void a_open_by_handle_forged(result* r) {
  struct {
    struct file_handle fh;
    unsigned char space[16];
  } h;
  h.fh.handle_bytes = 8;
  h.fh.handle_type = 1;  // FILEID_INO32_GEN
  uint32_t ino_gen[2] = {2, 0};
  memcpy(h.fh.f_handle, ino_gen, sizeof(ino_gen));
  handle_open(r, &h.fh, "forged inode 2");
}

// Another container's files: the host paths the test names (its root through /proc, its
// state directory, its cgroup), then neighbour_file through every /proc/PID/root this
// container can see (a shared PID namespace would show the neighbour there).
static void a_read_neighbour(result* r) {
  if (cfg.n_neighbour == 0) {
    skipped(r, "no --neighbour");
    return;
  }
  char why[400] = "";
  for (int i = 0; i < cfg.n_neighbour; ++i) {
    int fd = open(cfg.neighbour[i], O_RDONLY | O_CLOEXEC);
    char c;
    if (fd >= 0 && read(fd, &c, 1) >= 0) {
      close(fd);
      succeeded(r, "read the other container's %s", cfg.neighbour[i]);
      return;
    }
    int err = errno;
    if (fd >= 0) close(fd);
    size_t len = strlen(why);
    snprintf(why + len, sizeof(why) - len, " %s:%s", cfg.neighbour[i], errname(err));
  }
  int pids = 0;
  DIR* proc = cfg.neighbour_file ? opendir("/proc") : NULL;
  for (struct dirent* e; proc && (e = readdir(proc)) != NULL;) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%s/root%s", e->d_name, cfg.neighbour_file);
    ++pids;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      close(fd);
      closedir(proc);
      succeeded(r, "the other container's %s opens as %s", cfg.neighbour_file, path);
      return;
    }
  }
  if (proc) closedir(proc);
  blocked(r, "%d paths unreadable:%s; not under /proc/*/root of %d pids", cfg.n_neighbour, why,
          pids);
}

static void a_host_marker(result* r) {
  if (cfg.n_markers == 0) {
    skipped(r, "no --marker");
    return;
  }
  const char* m = visible_marker(AT_FDCWD);
  if (m != NULL) {
    succeeded(r, "host marker %s is visible in the container", m);
  } else {
    blocked(r, "%d host markers not visible", cfg.n_markers);
  }
}

// ---------------------------------------------------------------------------------------
// The table

static const struct attempt {
  const char* name;
  attempt_fn fn;
  const char* meaning;  // what a success would mean
} kAttempts[] = {
    // Mounts and the root (order: read_kcore before umount_proc_masks, pivot_root last)
    {"read_kcore", a_read_kcore, "/proc/kcore readable: the host kernel's memory"},
    {"read_proc_masked", a_read_proc_masked,
     "a masked /proc file (keys, timer_list, sched_debug) shows host data"},
    {"mount_tmpfs", a_mount_tmpfs, "mount(2) works: CAP_SYS_ADMIN over the mount namespace"},
    {"mount_bind_root", a_mount_bind_root, "bind mounts work: the masks can be bypassed"},
    {"remount_root_rw", a_remount_root_rw, "the read-only root can be made writable"},
    {"mount_setattr", a_mount_setattr, "the read-only root can be made writable (new API)"},
    {"mount_proc", a_mount_proc, "a fresh, unmasked procfs can be mounted"},
    {"mount_cgroup_v1", a_mount_cgroup_v1,
     "a cgroup v1 hierarchy can be mounted: release_agent runs a program on the host"},
    {"umount_proc_masks", a_umount_proc_masks, "a /proc or /sys mask can be unmounted"},
    {"open_tree", a_open_tree, "open_tree(OPEN_TREE_CLONE): detached copies of mounts"},
    {"fsopen", a_fsopen, "fsopen: new filesystems can be configured"},
    {"fsmount", a_fsmount, "fsmount got past may_mount()"},
    {"move_mount", a_move_mount, "move_mount got past may_mount()"},
    {"chroot_escape", a_chroot_escape, "chroot + \"..\" reaches beyond the container's root"},
    {"host_marker", a_host_marker, "a host file outside the container is visible"},
    {"read_neighbour", a_read_neighbour, "another container's files can be read"},
    {"proc_dir_handles", a_proc_dir_handles,
     "another process's root, cwd or fd leads outside the container's root"},
    {"inherited_fds", a_inherited_fds, "nucleus leaked file descriptors into the container"},
    // Namespaces
    {"unshare_user", a_unshare_user,
     "new user namespaces: full capabilities over new namespaces, a large kernel surface"},
    {"unshare_mount", a_unshare_mount, "a new mount namespace without a new user namespace"},
    {"unshare_other", a_unshare_other, "new net/pid/uts/ipc/cgroup/time namespaces"},
    {"userns_mount", a_userns_mount, "mounting inside a fresh user namespace"},
    {"userns_unmask", a_userns_unmask, "a mask comes off inside a fresh user namespace"},
    {"clone_newuser", a_clone_newuser, "clone(CLONE_NEWUSER) (raw syscall)"},
    {"clone3_newuser", a_clone3_newuser, "clone3(CLONE_NEWUSER), which seccomp cannot inspect"},
    {"setns", a_setns, "joining a namespace through /proc/*/ns"},
    {"i386_unshare", a_i386_unshare, "the i386 ABI reaches unshare(CLONE_NEWUSER)"},
    {"i386_userfaultfd", a_i386_userfaultfd, "the i386 ABI reaches userfaultfd"},
    {"x32_unshare", a_x32_unshare, "the x32 ABI reaches unshare(CLONE_NEWUSER)"},
    // Kernel interfaces
    {"kexec_load", a_kexec_load, "kexec_load got past CAP_SYS_BOOT: replace the host kernel"},
    {"kexec_file_load", a_kexec_file_load, "kexec_file_load got past CAP_SYS_BOOT"},
    {"init_module", a_init_module, "init_module got past CAP_SYS_MODULE: kernel code"},
    {"finit_module", a_finit_module, "finit_module got past CAP_SYS_MODULE"},
    {"delete_module", a_delete_module, "delete_module got past CAP_SYS_MODULE"},
    {"bpf_prog_load", a_bpf_prog_load, "BPF programs can be loaded into the host kernel"},
    {"bpf_map_create", a_bpf_map_create, "BPF maps can be created"},
    {"perf_event_open", a_perf_event_open, "perf events: a kernel surface and side channels"},
    {"userfaultfd", a_userfaultfd, "userfaultfd: the race widener of many kernel exploits"},
    {"keyctl", a_keyctl, "the kernel keyring (not namespaced) is reachable"},
    {"add_key", a_add_key, "keys can be added to the kernel keyring"},
    {"request_key", a_request_key, "request_key reaches the keyring lookup"},
    {"io_uring_setup", a_io_uring_setup, "io_uring: a large kernel surface that bypasses seccomp"},
    {"personality", a_personality, "personality(READ_IMPLIES_EXEC): weakens W^X"},
    {"reboot", a_reboot, "reboot got past CAP_SYS_BOOT"},
    {"swapon", a_swapon, "swapon got past CAP_SYS_ADMIN"},
    {"swapoff", a_swapoff, "swapoff got past CAP_SYS_ADMIN"},
    {"clock_settime", a_clock_settime, "the host's clock can be set"},
    {"settimeofday", a_settimeofday, "settimeofday got past CAP_SYS_TIME"},
    {"adjtimex", a_adjtimex, "adjtimex (with modes) got past CAP_SYS_TIME"},
    {"syslog", a_syslog, "the host kernel log can be read"},
    {"iopl", a_iopl, "raw I/O port access"},
    {"ioperm", a_ioperm, "raw I/O port access"},
    {"acct", a_acct, "process accounting can be switched"},
    {"quotactl", a_quotactl, "another user's quota can be queried (CAP_SYS_ADMIN)"},
    {"lookup_dcookie", a_lookup_dcookie, "lookup_dcookie reached (CAP_SYS_ADMIN)"},
    {"setrlimit_hard", a_setrlimit_hard, "a hard rlimit can be raised (CAP_SYS_RESOURCE)"},
    {"modify_ldt", a_modify_ldt, "the LDT can be written: an old kernel attack surface"},
    // Processes
    {"ptrace_init", a_ptrace_init, "the container's init can be traced"},
    {"ptrace_sibling", a_ptrace_sibling, "ptrace works at all"},
    {"process_vm_readv", a_process_vm_readv, "another process's memory can be read"},
    {"process_vm_writev", a_process_vm_writev, "another process's memory can be written"},
    {"proc_exe_write", a_proc_exe_write,
     "a process's executable opens for writing: the runc CVE-2019-5736 overwrite"},
    {"kill_host_pid", a_kill_host_pid, "a host process can be signalled"},
    {"pidfd_open_host_pid", a_pidfd_open_host_pid, "a pidfd for a host process"},
    {"kill_all", a_kill_all, "kill(-1) reaches processes outside the container"},
    {"host_abstract_socket", a_host_abstract_socket,
     "a host abstract unix socket can be connected to"},
    {"host_unix_socket", a_host_unix_socket,
     "a host service's unix socket (docker.sock, D-Bus) can be connected to"},
    {"bound_unix_socket", a_bound_unix_socket,
     "a host service's root-only socket in a bound directory can be connected to"},
    {"read_host_secrets", a_read_host_secrets, "the host's /etc/shadow (or another secret) reads"},
    {"exec_from_writable", a_exec_from_writable,
     "a program written to /tmp, /dev/shm, /run or /var/tmp runs"},
    // Identity
    {"setuid", a_setuid, "uid 0 regained (or, as root, uid changes work: CAP_SETUID)"},
    {"setgid", a_setgid, "gid 0 regained (or, as gid 0, CAP_SETGID)"},
    {"setgroups", a_setgroups, "supplementary groups can be set (CAP_SETGID)"},
    {"capset", a_capset, "dropped capabilities can be raised again"},
    {"prctl_ambient", a_prctl_ambient, "an ambient capability can be raised"},
    {"exec_setuid", a_exec_setuid, "a setuid-root binary grants euid 0 or capabilities"},
    {"sethostname", a_sethostname, "the hostname can be set (the test checks the host's)"},
    {"setdomainname", a_setdomainname, "the NIS domain name can be set"},
    // Files and devices
    {"write_root", a_write_root, "a file can be created in / outside the writable paths"},
    {"write_etc", a_write_etc, "a file can be created in /etc"},
    {"write_usr", a_write_usr, "a file can be created in /usr"},
    {"write_etc_passwd", a_write_etc_passwd, "/etc/passwd opens for writing"},
    {"write_ro_bind", a_write_ro_bind, "a --ro bind mount can be written"},
    {"setuid_in_rw_bind", a_setuid_in_rw_bind,
     "a setuid/setgid file lands in a --rw bind: a root shell for host users"},
    {"proc_sys_hostname", a_proc_sys_hostname, "/proc/sys/kernel/hostname opens for writing"},
    {"proc_sys_core_pattern", a_proc_sys_core_pattern,
     "core_pattern opens for writing: a host program run as root on the next crash"},
    {"proc_sys_modprobe", a_proc_sys_modprobe, "/proc/sys/kernel/modprobe opens for writing"},
    {"sysrq_trigger", a_sysrq_trigger, "/proc/sysrq-trigger opens for writing"},
    {"sys_write", a_sys_write, "a /sys file opens for writing"},
    {"cgroup_release_agent", a_cgroup_release_agent, "a cgroup v1 release_agent is writable"},
    {"cgroup_escape", a_cgroup_escape, "a root cgroup.procs is writable: leave the cgroup"},
    {"raw_socket", a_raw_socket, "raw IP sockets (CAP_NET_RAW)"},
    {"packet_socket", a_packet_socket, "packet sockets (CAP_NET_RAW)"},
    {"netlink_route_write", a_netlink_route_write, "network configuration (CAP_NET_ADMIN)"},
    {"mknod_block", a_mknod_block, "block device nodes can be made (CAP_MKNOD)"},
    {"mknod_dev_mem", a_mknod_dev_mem, "a /dev/mem node can be made"},
    {"open_dev_mem", a_open_dev_mem, "/dev/mem is there and opens"},
    {"open_dev_kmsg", a_open_dev_kmsg, "/dev/kmsg is there and opens"},
    {"name_to_handle_at", a_name_to_handle_at, "file handles can be made (half of shocker)"},
    {"open_by_handle_at", a_open_by_handle_at, "files open by handle (CAP_DAC_READ_SEARCH)"},
    {"open_by_handle_forged", a_open_by_handle_forged,
     "shocker: a forged handle opens the filesystem's real root"},
    // Last: a success here may change the battery's own mount namespace.
    {"pivot_root", a_pivot_root, "pivot_root got past may_mount()"},
};

#define N_ATTEMPTS (sizeof(kAttempts) / sizeof(kAttempts[0]))

// ---------------------------------------------------------------------------------------
// Running

static int selected(const char* name) {
  if (cfg.only == NULL) return 1;
  size_t len = strlen(name);
  for (const char* p = cfg.only; *p;) {
    const char* comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == len && strncmp(p, name, n) == 0) return 1;
    if (!comma) break;
    p = comma + 1;
  }
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

// Runs one attempt in a child (its own process group, an alarm) and fills *out.
static void run_one(const struct attempt* a, result* out) {
  memset(out, 0, sizeof(*out));
  int pfd[2];
  if (pipe2(pfd, O_CLOEXEC) != 0) {
    blocked(out, "battery error: pipe: %s", errname(errno));
    out->verdict = V_NONE;
    return;
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(pfd[0]);
    setpgid(0, 0);
    alarm(5);
    result r;
    memset(&r, 0, sizeof(r));
    a->fn(&r);
    (void)!write(pfd[1], &r, sizeof(r));
    _exit(0);
  }
  close(pfd[1]);
  if (pid < 0) {
    close(pfd[0]);
    snprintf(out->detail, sizeof(out->detail), "battery error: fork: %s", errname(errno));
    out->verdict = V_NONE;
    return;
  }
  setpgid(pid, pid);  // also here, against the race with the child's own call
  result r;
  size_t got = 0;
  double deadline = now_s() + 10;
  while (got < sizeof(r) && now_s() < deadline) {
    struct pollfd p = {pfd[0], POLLIN, 0};
    int ms = (int)((deadline - now_s()) * 1000) + 1;
    if (poll(&p, 1, ms) <= 0) continue;
    ssize_t n = read(pfd[0], (char*)&r + got, sizeof(r) - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(pfd[0]);
  int status = 0;
  if (got < sizeof(r)) kill(pid, SIGKILL);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  kill(-pid, SIGKILL);  // anything the attempt left running in its group
  if (got == sizeof(r) && r.verdict != V_NONE) {
    *out = r;
    out->detail[sizeof(out->detail) - 1] = '\0';
    return;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    blocked(out, "killed by signal %d (SIG%s)%s", sig, name ? name : "?",
            sig == SIGALRM ? ": timed out" : "");
    return;
  }
  snprintf(out->detail, sizeof(out->detail), "battery error: no verdict (exit status %d)",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  out->verdict = V_NONE;
}

static void record_startup_fds(void) {
  // Without opendir (it would open an fd itself): probe the small numbers.
  for (int fd = 3; fd < 1024; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) continue;
    char link[64], target[128] = "?";
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n >= 0) target[n] = '\0';
    size_t len = strlen(startup.inherited);
    snprintf(startup.inherited + len, sizeof(startup.inherited) - len, "%s%d -> %s",
             len ? ", " : "", fd, target);
    if (startup.n_inherited < 32) startup.fds[startup.n_inherited] = fd;
    ++startup.n_inherited;
  }
}

static int cmd_whoami(void) {
  printf("whoami euid=%d uid=%d CapEff=%016llx\n", (int)geteuid(), (int)getuid(), cap_eff());
  return 0;
}

static int usage(void) {
  fprintf(stderr,
          "usage: escape [--host-pid PID] [--host-comm NAME] [--abstract NAME] [--marker PATH]"
          " [--suid PATH] [--ro-dir DIR] [--rw-dir DIR] [--neighbour PATH] [--neighbour-file PATH] [--writable-root] [--only A,B]\n"
          "       escape whoami | list\n");
  return 2;
}

int main(int argc, char** argv) {
  record_startup_fds();
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 2 && strcmp(argv[1], "whoami") == 0) return cmd_whoami();
  if (argc == 2 && strcmp(argv[1], "list") == 0) {
    for (size_t i = 0; i < N_ATTEMPTS; ++i) printf("%s: %s\n", kAttempts[i].name, kAttempts[i].meaning);
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    const char* f = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(f, "--writable-root") == 0) {
      cfg.writable_root = 1;
      continue;
    }
    if (v == NULL) return usage();
    if (strcmp(f, "--host-pid") == 0) {
      cfg.host_pid = (pid_t)atoi(v);
    } else if (strcmp(f, "--host-comm") == 0) {
      cfg.host_comm = v;
    } else if (strcmp(f, "--abstract") == 0) {
      cfg.abstract_name = v;
    } else if (strcmp(f, "--marker") == 0) {
      if (cfg.n_markers == MAX_MARKERS || v[0] != '/') return usage();
      cfg.markers[cfg.n_markers++] = v;
    } else if (strcmp(f, "--host-secret") == 0) {
      if (cfg.n_secrets == MAX_MARKERS || v[0] != '/') return usage();
      cfg.secrets[cfg.n_secrets++] = v;
    } else if (strcmp(f, "--host-socket") == 0) {
      cfg.host_socket = v;
    } else if (strcmp(f, "--bound-socket") == 0) {
      cfg.bound_socket = v;
    } else if (strcmp(f, "--suid") == 0) {
      cfg.suid_path = v;
    } else if (strcmp(f, "--ro-dir") == 0) {
      cfg.ro_dir = v;
    } else if (strcmp(f, "--rw-dir") == 0) {
      cfg.rw_dir = v;
    } else if (strcmp(f, "--neighbour") == 0) {
      if (cfg.n_neighbour == MAX_MARKERS || v[0] != '/') return usage();
      cfg.neighbour[cfg.n_neighbour++] = v;
    } else if (strcmp(f, "--neighbour-file") == 0) {
      if (v[0] != '/') return usage();
      cfg.neighbour_file = v;
    } else if (strcmp(f, "--only") == 0) {
      cfg.only = v;
    } else {
      return usage();
    }
    ++i;
  }
  // Each attempt is a child: the battery itself must survive a SIGCONT storm and its
  // children's deaths, and must not be stopped by job control.
  signal(SIGPIPE, SIG_IGN);
  printf("escape-battery uid=%d euid=%d CapEff=%016llx\n", (int)getuid(), (int)geteuid(),
         cap_eff());
  int attempted = 0, n_blocked = 0, n_succeeded = 0, n_skipped = 0, n_errors = 0;
  for (size_t i = 0; i < N_ATTEMPTS; ++i) {
    if (!selected(kAttempts[i].name)) continue;
    result r;
    run_one(&kAttempts[i], &r);
    const char* v = "ERROR";
    switch (r.verdict) {
      case V_BLOCKED:
        v = "blocked";
        ++attempted;
        ++n_blocked;
        break;
      case V_SUCCEEDED:
        v = "SUCCEEDED";
        ++attempted;
        ++n_succeeded;
        break;
      case V_SKIPPED:
        v = "skipped";
        ++n_skipped;
        break;
      default:
        ++n_errors;
        break;
    }
    printf("escape %s %s %s\n", kAttempts[i].name, v, r.detail);
  }
  printf("summary: %d attempted, %d blocked, %d SUCCEEDED, %d skipped, %d errors\n", attempted,
         n_blocked, n_succeeded, n_skipped, n_errors);
  return n_succeeded == 0 && n_errors == 0 ? 0 : 1;
}
