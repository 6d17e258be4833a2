// nucleus's default seccomp profile: an allowlist in the style of docker/moby's default.json.
//
// Contract of DefaultSeccompProfile(kept capabilities):
//  - Default action ERRNO(ENOSYS) for every system call not listed: new or rare calls fail
//    soft, as "not implemented", so programs take their fallback path (glibc's clone3 ->
//    clone, fchmodat2 -> fchmodat, ...) instead of failing with a permission error.
//  - ALLOW for what ordinary Linux programs use (files, sockets, memory, signals, threads,
//    timers, ids, IPC, epoll/inotify, landlock, ...).
//  - Explicit ERRNO(EPERM) rules for the dangerous calls and for calls that need a
//    capability the container lacks (what the kernel itself would answer): kexec_*, the
//    module calls, bpf, perf_event_open, userfaultfd, the keyrings, ptrace and
//    process_vm_*, kcmp, pidfd_getfd, the mount family (mount, umount2, pivot_root,
//    move_mount, open_tree, fsopen, fsmount, fsconfig, fspick, mount_setattr), unshare,
//    setns, open_by_handle_at/name_to_handle_at, swapon/swapoff, reboot, syslog, acct, the
//    time setters, iopl/ioperm, lookup_dcookie, io_uring_* (never in the default: opt in with
//    --seccomp-profile), quotactl, chroot, modify_ldt (docker allows it; no 64-bit program
//    needs it) and the obsolete calls (nfsservctl, uselib, ustat, sysfs, _sysctl, ...).
//  - clone with any CLONE_NEW* flag -> EPERM (an argument filter on clone's flags, which is
//    argument 0 on x86_64); plain fork/thread creation is allowed.
//  - clone3 -> ENOSYS: its flags live in a struct seccomp cannot read, and glibc falls back
//    to clone on ENOSYS (docker does the same).
//  - No set-id modes: chmod, fchmod, fchmodat, fchmodat2, creat, mknod, mknodat, and open /
//    openat with O_CREAT or O_TMPFILE -> EPERM when the mode holds S_ISUID or S_ISGID, allowed
//    otherwise (open/openat without those flags: allowed, the mode is not looked at). nosuid
//    on a bind protects only the container; on the host a setuid file the workload leaves in
//    a --rw bind is owned by the container's uid (host root without a user namespace).
//    openat2 -> ENOSYS (its mode is in a struct; callers fall back to openat).
//  - personality: only the safe personas (0 = PER_LINUX, 8 = PER_LINUX32, 0x20000 = UNAME26,
//    0xffffffff = query) are allowed; any other (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...)
//    -> EPERM.
//  - Capability-aware like docker: a kept CAP_SYS_ADMIN allows the mount family, unshare,
//    setns, clone/clone3 with any flags, bpf, perf_event_open, quotactl, lookup_dcookie,
//    fanotify_init, syslog, name_to_handle_at; CAP_SYS_PTRACE: ptrace, process_vm_*, kcmp,
//    pidfd_getfd, process_madvise; CAP_SYS_TIME: the time setters; CAP_SYS_BOOT: reboot;
//    CAP_SYS_MODULE: the module calls; CAP_SYS_RAWIO: iopl/ioperm; CAP_SYSLOG:
//    syslog; CAP_SYS_PACCT: acct; CAP_SYS_CHROOT: chroot; CAP_DAC_READ_SEARCH:
//    open_by_handle_at, name_to_handle_at; CAP_SYS_NICE: mbind, set_mempolicy, ...;
//    CAP_SYS_TTY_CONFIG: vhangup; CAP_BPF: bpf; CAP_PERFMON: perf_event_open.
//    kexec_*, swapon/swapoff, modify_ldt, the keyrings, userfaultfd, io_uring and the
//    obsolete calls stay denied whatever is kept.
//  - Native architecture only (architectures empty): the compiled filter kills any system
//    call made through another ABI (i386 int 0x80, x32), see backends/native/seccomp.h.
//
// Every name is one libseccomp knows (checked by default_profile_test), and no syscall
// appears in two rules with different actions unless they differ by arguments.
#ifndef NUCLEUS_RUNTIME_SECCOMP_DEFAULT_PROFILE_H_
#define NUCLEUS_RUNTIME_SECCOMP_DEFAULT_PROFILE_H_

#include <vector>

#include "runtime/spec/container_spec.h"

namespace nucleus {

// The personas personality(2) may set under the default profile (docker's list).
inline constexpr unsigned long kSafePersonalities[] = {0x0, 0x8, 0x20000, 0xffffffff};
// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET: clone(2) with any of these is denied without CAP_SYS_ADMIN.
inline constexpr unsigned long kCloneNamespaceFlags = 0x7E020000;

SeccompSpec DefaultSeccompProfile(const std::vector<int>& kept_capabilities);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_SECCOMP_DEFAULT_PROFILE_H_
