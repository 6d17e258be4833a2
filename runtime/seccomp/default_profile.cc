#include "runtime/seccomp/default_profile.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <initializer_list>
#include <string>

namespace nucleus {
namespace {

// What ordinary programs use (moby's default.json, x86_64 names, minus what is cap-gated
// below). Calls whose danger is already checked by the kernel against a capability the
// container does not have (sethostname: the container's own UTS namespace; setuid: caps)
// are allowed, as in docker.
constexpr const char* kAllowed[] = {
    "accept",
    "accept4",
    "access",
    "alarm",
    "arch_prctl",
    "bind",
    "brk",
    "cachestat",
    "capget",
    "capset",
    "chdir",
    "chown",
    "clock_getres",
    "clock_gettime",
    "clock_nanosleep",
    "close",
    "close_range",
    "connect",
    "copy_file_range",
    "dup",
    "dup2",
    "dup3",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_ctl_old",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_wait",
    "epoll_wait_old",
    "eventfd",
    "eventfd2",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "faccessat",
    "faccessat2",
    "fadvise64",
    "fallocate",
    "fanotify_mark",
    "fchdir",
    "fchown",
    "fchownat",
    "fcntl",
    "fdatasync",
    "fgetxattr",
    "flistxattr",
    "flock",
    "fork",
    "fremovexattr",
    "fsetxattr",
    "fstat",
    "fstatfs",
    "fsync",
    "ftruncate",
    "futex",
    "futex_waitv",
    "futimesat",
    "getcpu",
    "getcwd",
    "getdents",
    "getdents64",
    "getegid",
    "geteuid",
    "getgid",
    "getgroups",
    "getitimer",
    "getpeername",
    "getpgid",
    "getpgrp",
    "getpid",
    "getppid",
    "getpriority",
    "getrandom",
    "getresgid",
    "getresuid",
    "getrlimit",
    "get_robust_list",
    "getrusage",
    "getsid",
    "getsockname",
    "getsockopt",
    "get_thread_area",
    "gettid",
    "gettimeofday",
    "getuid",
    "getxattr",
    "inotify_add_watch",
    "inotify_init",
    "inotify_init1",
    "inotify_rm_watch",
    "io_cancel",
    "ioctl",
    "io_destroy",
    "io_getevents",
    "io_pgetevents",
    "ioprio_get",
    "ioprio_set",
    "io_setup",
    "io_submit",
    "kill",
    "landlock_add_rule",
    "landlock_create_ruleset",
    "landlock_restrict_self",
    "lchown",
    "lgetxattr",
    "link",
    "linkat",
    "listen",
    "listxattr",
    "llistxattr",
    "lremovexattr",
    "lseek",
    "lsetxattr",
    "lstat",
    "madvise",
    "map_shadow_stack",
    "membarrier",
    "memfd_create",
    "memfd_secret",
    "mincore",
    "mkdir",
    "mkdirat",
    "mlock",
    "mlock2",
    "mlockall",
    "mmap",
    "mprotect",
    "mq_getsetattr",
    "mq_notify",
    "mq_open",
    "mq_timedreceive",
    "mq_timedsend",
    "mq_unlink",
    "mremap",
    "msgctl",
    "msgget",
    "msgrcv",
    "msgsnd",
    "msync",
    "munlock",
    "munlockall",
    "munmap",
    "nanosleep",
    "newfstatat",
    "pause",
    "pidfd_open",
    "pidfd_send_signal",
    "pipe",
    "pipe2",
    "pkey_alloc",
    "pkey_free",
    "pkey_mprotect",
    "poll",
    "ppoll",
    "prctl",
    "pread64",
    "preadv",
    "preadv2",
    "prlimit64",
    "process_mrelease",
    "pselect6",
    "pwrite64",
    "pwritev",
    "pwritev2",
    "read",
    "readahead",
    "readlink",
    "readlinkat",
    "readv",
    "recvfrom",
    "recvmmsg",
    "recvmsg",
    "remap_file_pages",
    "removexattr",
    "rename",
    "renameat",
    "renameat2",
    "restart_syscall",
    "rmdir",
    "rseq",
    "rt_sigaction",
    "rt_sigpending",
    "rt_sigprocmask",
    "rt_sigqueueinfo",
    "rt_sigreturn",
    "rt_sigsuspend",
    "rt_sigtimedwait",
    "rt_tgsigqueueinfo",
    "sched_getaffinity",
    "sched_getattr",
    "sched_getparam",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getscheduler",
    "sched_rr_get_interval",
    "sched_setaffinity",
    "sched_setattr",
    "sched_setparam",
    "sched_setscheduler",
    "sched_yield",
    "seccomp",
    "select",
    "semctl",
    "semget",
    "semop",
    "semtimedop",
    "sendfile",
    "sendmmsg",
    "sendmsg",
    "sendto",
    "setdomainname",
    "setfsgid",
    "setfsuid",
    "setgid",
    "setgroups",
    "sethostname",
    "setitimer",
    "setpgid",
    "setpriority",
    "setregid",
    "setresgid",
    "setresuid",
    "setreuid",
    "setrlimit",
    "set_robust_list",
    "setsid",
    "setsockopt",
    "set_thread_area",
    "set_tid_address",
    "setuid",
    "setxattr",
    "shmat",
    "shmctl",
    "shmdt",
    "shmget",
    "shutdown",
    "sigaltstack",
    "signalfd",
    "signalfd4",
    "socket",
    "socketpair",
    "splice",
    "stat",
    "statfs",
    "statx",
    "symlink",
    "symlinkat",
    "sync",
    "sync_file_range",
    "syncfs",
    "sysinfo",
    "tee",
    "tgkill",
    "time",
    "timer_create",
    "timer_delete",
    "timer_getoverrun",
    "timer_gettime",
    "timer_settime",
    "timerfd_create",
    "timerfd_gettime",
    "timerfd_settime",
    "times",
    "tkill",
    "truncate",
    "umask",
    "uname",
    "unlink",
    "unlinkat",
    "utime",
    "utimensat",
    "utimes",
    "vfork",
    "vmsplice",
    "wait4",
    "waitid",
    "write",
    "writev",
};

// Denied whatever the container keeps: attack surface no container needs (keyrings are
// not namespaced; userfaultfd and io_uring are favourite exploit primitives) and calls the
// kernel has removed or that only exist for ancient binaries. modify_ldt (which docker
// allows) is for 16-bit and Wine-style segment tricks, with a history of kernel bugs.
// (vm86 and pciconfig_* do not exist on x86_64: the kernel answers ENOSYS there, and so
// does the default action.)
constexpr const char* kAlwaysDenied[] = {
    "add_key",        "keyctl",          "request_key",       "userfaultfd",
    "io_uring_setup", "io_uring_enter",  "io_uring_register", "nfsservctl",
    "create_module",  "get_kernel_syms", "query_module",      "uselib",
    "ustat",          "sysfs",           "_sysctl",           "kexec_file_load",
    "kexec_load",     "swapon",          "swapoff",           "modify_ldt",
};

struct CapGroup {
  std::initializer_list<int> caps;  // any one of these allows the calls
  std::initializer_list<const char*> calls;
};

// Denied (EPERM) unless one of the capabilities is kept; then allowed. clone and clone3 are
// handled separately (argument filter / ENOSYS).
const CapGroup kCapGroups[] = {
    {{CAP_SYS_ADMIN},
     {"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig",
      "fspick", "mount_setattr", "unshare", "setns", "fanotify_init", "lookup_dcookie", "quotactl",
      "quotactl_fd"}},
    {{CAP_SYS_ADMIN, CAP_BPF}, {"bpf"}},
    {{CAP_SYS_ADMIN, CAP_PERFMON}, {"perf_event_open"}},
    {{CAP_SYS_ADMIN, CAP_SYSLOG}, {"syslog"}},
    {{CAP_SYS_ADMIN, CAP_DAC_READ_SEARCH}, {"name_to_handle_at"}},
    {{CAP_DAC_READ_SEARCH}, {"open_by_handle_at"}},
    {{CAP_SYS_PTRACE},
     {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise"}},
    {{CAP_SYS_TIME}, {"settimeofday", "clock_settime", "clock_adjtime", "adjtimex"}},
    {{CAP_SYS_BOOT}, {"reboot"}},
    {{CAP_SYS_MODULE}, {"init_module", "finit_module", "delete_module"}},
    {{CAP_SYS_RAWIO}, {"iopl", "ioperm"}},
    {{CAP_SYS_PACCT}, {"acct"}},
    {{CAP_SYS_CHROOT}, {"chroot"}},
    {{CAP_SYS_NICE},
     {"mbind", "get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages",
      "move_pages"}},
    {{CAP_SYS_TTY_CONFIG}, {"vhangup"}},
};

SeccompRule Rule(SeccompAction action, uint32_t errno_ret = EPERM) {
  SeccompRule r;
  r.action = action;
  r.errno_ret = errno_ret;
  return r;
}

SeccompRule ArgRule(const char* name, SeccompAction action, SeccompArg arg) {
  SeccompRule r = Rule(action);
  r.names.push_back(name);
  r.args.push_back(arg);
  return r;
}

constexpr uint64_t kSetIdBits = S_ISUID | S_ISGID;
// O_TMPFILE is __O_TMPFILE | O_DIRECTORY; the first alone says "a mode follows".
constexpr uint64_t kTmpfileBit = 020000000;

// The three rules that split CALL by its mode argument (MODE_INDEX), each also requiring
// WHEN: allowed without S_ISUID/S_ISGID, EPERM with either. Disjoint, so that their order
// never matters (runsc's --oci-seccomp takes the first rule that matches).
void AddModeRules(const char* call, uint32_t mode_index, const std::vector<SeccompArg>& when,
                  std::vector<SeccompRule>* out) {
  auto add = [&](SeccompAction action, uint64_t mask, uint64_t value) {
    SeccompRule r = Rule(action);
    r.names.push_back(call);
    r.args = when;
    r.args.push_back({mode_index, mask, value, SeccompArg::Op::kMaskedEqual});
    out->push_back(std::move(r));
  };
  add(SeccompAction::kAllow, kSetIdBits, 0);
  add(SeccompAction::kErrno, S_ISUID, S_ISUID);
  add(SeccompAction::kErrno, kSetIdBits, S_ISGID);
}

// No call may set S_ISUID or S_ISGID. nosuid on a bind protects the container only: a file
// the workload writes into a --rw bind is, on the host, owned by the container's uid (the
// host's root unless the container has its own user namespace), and a setuid copy of a
// shell there is a root shell for every host user who can reach the directory. chmod and
// friends, creat and mknod always take a mode; open and openat only with O_CREAT or
// O_TMPFILE (otherwise the mode register is whatever the caller left there). openat2 hides
// its mode in a struct seccomp cannot read: ENOSYS, and callers fall back to openat (glibc's
// open never uses it).
void AddNoSetIdRules(std::vector<SeccompRule>* out) {
  for (auto [call, index] : {std::pair<const char*, uint32_t>{"chmod", 1},
                             {"fchmod", 1},
                             {"fchmodat", 2},
                             {"fchmodat2", 2},
                             {"creat", 1},
                             {"mknod", 1},
                             {"mknodat", 2}}) {
    AddModeRules(call, index, {}, out);
  }
  const uint64_t creating = O_CREAT | kTmpfileBit;
  for (auto [call, flags] : {std::pair<const char*, uint32_t>{"open", 1}, {"openat", 2}}) {
    out->push_back(
        ArgRule(call, SeccompAction::kAllow, {flags, creating, 0, SeccompArg::Op::kMaskedEqual}));
    AddModeRules(call, flags + 1, {{flags, O_CREAT, O_CREAT, SeccompArg::Op::kMaskedEqual}}, out);
    AddModeRules(call, flags + 1, {{flags, creating, kTmpfileBit, SeccompArg::Op::kMaskedEqual}},
                 out);
  }
  SeccompRule openat2 = Rule(SeccompAction::kErrno, ENOSYS);
  openat2.names.push_back("openat2");
  out->push_back(std::move(openat2));
}

}  // namespace

SeccompSpec DefaultSeccompProfile(const std::vector<int>& kept) {
  auto has = [&](int cap) { return std::find(kept.begin(), kept.end(), cap) != kept.end(); };
  SeccompSpec spec;
  spec.default_action = SeccompAction::kErrno;
  spec.default_errno_ret = ENOSYS;

  SeccompRule allow = Rule(SeccompAction::kAllow);
  SeccompRule deny = Rule(SeccompAction::kErrno, EPERM);
  allow.names.assign(std::begin(kAllowed), std::end(kAllowed));
  deny.names.assign(std::begin(kAlwaysDenied), std::end(kAlwaysDenied));
  for (const CapGroup& g : kCapGroups) {
    bool granted = std::any_of(g.caps.begin(), g.caps.end(), has);
    for (const char* call : g.calls) (granted ? allow : deny).names.push_back(call);
  }
  std::vector<SeccompRule> arg_rules;
  if (has(CAP_SYS_ADMIN)) {
    allow.names.push_back("clone");
    allow.names.push_back("clone3");
  } else {
    // x86_64: clone(flags, stack, parent_tid, child_tid, tls): the flags are argument 0
    // (s390 swaps the first two; nucleus filters only the native architecture).
    arg_rules.push_back(ArgRule("clone", SeccompAction::kAllow,
                                {0, kCloneNamespaceFlags, 0, SeccompArg::Op::kMaskedEqual}));
    // One EPERM rule per namespace flag: libseccomp cannot say "masked != 0" in one rule.
    for (int bit = 0; bit < 32; ++bit) {
      const uint64_t flag = uint64_t{1} << bit;
      if ((kCloneNamespaceFlags & flag) == 0) continue;
      arg_rules.push_back(
          ArgRule("clone", SeccompAction::kErrno, {0, flag, flag, SeccompArg::Op::kMaskedEqual}));
    }
    // clone3's flags are in memory seccomp cannot read: ENOSYS makes glibc use clone.
    SeccompRule clone3 = Rule(SeccompAction::kErrno, ENOSYS);
    clone3.names.push_back("clone3");
    arg_rules.push_back(clone3);
  }
  for (unsigned long persona : kSafePersonalities) {
    arg_rules.push_back(
        ArgRule("personality", SeccompAction::kAllow, {0, persona, 0, SeccompArg::Op::kEqualTo}));
  }
  // Everything else EPERM. Overlaps the allow rules above; libseccomp resolves the overlap
  // in favour of the equality checks (it emits "a0 == 0 ? allow : errno"), and
  // seccomp_test pins that down by evaluating the compiled filter.
  arg_rules.push_back(
      ArgRule("personality", SeccompAction::kErrno, {0, 0, 0, SeccompArg::Op::kNotEqual}));
  AddNoSetIdRules(&arg_rules);

  spec.syscalls.push_back(std::move(allow));
  spec.syscalls.push_back(std::move(deny));
  for (SeccompRule& r : arg_rules) spec.syscalls.push_back(std::move(r));
  return spec;
}

}  // namespace nucleus
