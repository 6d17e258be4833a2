#include "backends/native/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "backends/native/bpf_interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/seccomp/default_profile.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::HasSubstr;

constexpr uint32_t kX32Bit = 0x40000000;
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452  // Linux 6.6; older headers lack it
#endif

// What the kernel would return for one struct seccomp_data (bpf_interpreter.h); a filter the
// kernel would refuse, or a run that goes wrong, fails the test.
uint32_t Evaluate(const SeccompProgram& p, const seccomp_data& d) {
  const std::string bad = CheckSeccompFilter(p.filter);
  if (!bad.empty()) {
    ADD_FAILURE() << "invalid filter: " << bad;
    return 0xdead;
  }
  BpfRun r = RunSeccompFilter(p.filter, d);
  if (!r.ok) {
    ADD_FAILURE() << r.error;
    return 0xdead;
  }
  return r.ret;
}

uint32_t Eval(const SeccompProgram& p, uint32_t nr, std::vector<uint64_t> args = {},
              uint32_t arch = AUDIT_ARCH_X86_64) {
  seccomp_data d = {};
  d.nr = static_cast<int>(nr);
  d.arch = arch;
  for (size_t i = 0; i < args.size() && i < 6; ++i) d.args[i] = args[i];
  return Evaluate(p, d);
}

constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
constexpr uint32_t kKillProcess = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kLog = SECCOMP_RET_LOG;
constexpr uint32_t Errno(int e) { return SECCOMP_RET_ERRNO | static_cast<uint32_t>(e); }

SeccompProgram Compile(const SeccompSpec& spec) {
  absl::StatusOr<SeccompProgram> p = CompileSeccomp(spec);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : SeccompProgram{};
}

TEST(CompileSeccomp, DefaultProfileDecisions) {
  SeccompProgram p = Compile(DefaultSeccompProfile({}));
  ASSERT_FALSE(p.filter.empty());
  EXPECT_LE(p.filter.size(), size_t{BPF_MAXINSNS});
  EXPECT_EQ(Eval(p, __NR_read), kAllow);
  EXPECT_EQ(Eval(p, __NR_openat), kAllow);
  EXPECT_EQ(Eval(p, __NR_execve), kAllow);
  EXPECT_EQ(Eval(p, __NR_clone, {SIGCHLD}), kAllow);  // fork
  EXPECT_EQ(Eval(p, __NR_clone,
                 {CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                  CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID}),
            kAllow);  // pthread_create
  for (uint64_t flag : {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
                        CLONE_NEWIPC, CLONE_NEWCGROUP}) {
    EXPECT_EQ(Eval(p, __NR_clone, {flag | SIGCHLD}), Errno(EPERM)) << std::hex << flag;
  }
  EXPECT_EQ(Eval(p, __NR_clone3), Errno(ENOSYS));
  EXPECT_EQ(Eval(p, __NR_unshare, {CLONE_NEWUSER}), Errno(EPERM));
  EXPECT_EQ(Eval(p, __NR_setns), Errno(EPERM));
  EXPECT_EQ(Eval(p, __NR_personality, {0}), kAllow);
  EXPECT_EQ(Eval(p, __NR_personality, {8}), kAllow);
  EXPECT_EQ(Eval(p, __NR_personality, {0x20000}), kAllow);
  EXPECT_EQ(Eval(p, __NR_personality, {0xffffffff}), kAllow);
  EXPECT_EQ(Eval(p, __NR_personality, {READ_IMPLIES_EXEC}), Errno(EPERM));
  EXPECT_EQ(Eval(p, __NR_personality, {ADDR_NO_RANDOMIZE}), Errno(EPERM));
  EXPECT_EQ(Eval(p, __NR_personality, {uint64_t{1} << 32}), Errno(EPERM));
  for (int nr : {__NR_mount,
                 __NR_umount2,
                 __NR_pivot_root,
                 __NR_kexec_load,
                 __NR_init_module,
                 __NR_bpf,
                 __NR_perf_event_open,
                 __NR_userfaultfd,
                 __NR_keyctl,
                 __NR_ptrace,
                 __NR_process_vm_readv,
                 __NR_open_by_handle_at,
                 __NR_reboot,
                 __NR_syslog,
                 __NR_iopl,
                 __NR_io_uring_setup,
                 __NR_swapon,
                 __NR_clock_settime,
                 __NR_acct,
                 __NR_fsopen,
                 __NR_move_mount,
                 __NR_kcmp,
                 __NR_modify_ldt}) {
    EXPECT_EQ(Eval(p, nr), Errno(EPERM)) << "syscall " << nr;
  }
  EXPECT_EQ(Eval(p, 1000), Errno(ENOSYS)) << "an unknown syscall fails soft";
  EXPECT_EQ(Eval(p, __NR_lookup_dcookie), Errno(EPERM));
}

// No call sets S_ISUID or S_ISGID (a setuid file in a --rw bind is a root shell on the
// host); modes without them, and opens that create nothing, are untouched.
TEST(CompileSeccomp, DefaultProfileRefusesSetIdModes) {
  SeccompProgram p = Compile(DefaultSeccompProfile({}));
  struct ModeCall {
    int nr;
    std::vector<uint64_t> args;  // the mode goes last
  };
  const uint64_t kTmpfile = O_TMPFILE & ~uint64_t{O_DIRECTORY};
  for (const ModeCall& c : std::vector<ModeCall>{
           {__NR_chmod, {0}},
           {__NR_fchmod, {3}},
           {__NR_fchmodat, {3, 0}},
           {__NR_fchmodat2, {3, 0}},
           {__NR_creat, {0}},
           {__NR_mknod, {0}},
           {__NR_mknodat, {3, 0}},
           {__NR_open, {0, O_WRONLY | O_CREAT | O_EXCL}},
           {__NR_openat, {3, 0, O_WRONLY | O_CREAT | O_TRUNC}},
           {__NR_openat, {3, 0, O_TMPFILE | O_RDWR}},
           {__NR_open, {0, kTmpfile | O_DIRECTORY | O_WRONLY}},
       }) {
    for (uint64_t mode : {0755u, 01777u, 0600u | S_IFREG, 0u}) {
      std::vector<uint64_t> args = c.args;
      args.push_back(mode);
      EXPECT_EQ(Eval(p, c.nr, args), kAllow) << "syscall " << c.nr << " mode " << std::oct << mode;
    }
    for (uint64_t mode : {04755u, 02755u, 06755u, 04000u, 02000u | S_IFREG, 0xffffffffu}) {
      std::vector<uint64_t> args = c.args;
      args.push_back(mode);
      EXPECT_EQ(Eval(p, c.nr, args), Errno(EPERM))
          << "syscall " << c.nr << " mode " << std::oct << mode;
    }
  }
  // Without O_CREAT/O_TMPFILE the mode argument is garbage and is not looked at.
  EXPECT_EQ(Eval(p, __NR_open, {0, O_RDONLY, 04755}), kAllow);
  EXPECT_EQ(Eval(p, __NR_openat, {3, 0, O_RDWR | O_APPEND, 06777}), kAllow);
  // mkdir ignores both bits (a set-group-id directory is inherited, never asked for).
  EXPECT_EQ(Eval(p, __NR_mkdir, {0, 02755}), kAllow);
  EXPECT_EQ(Eval(p, __NR_openat2), Errno(ENOSYS)) << "its mode is in a struct";
}

TEST(CompileSeccomp, ForeignArchitecturesAreKilled) {
  SeccompProgram p = Compile(DefaultSeccompProfile({}));
  // x32 shares AUDIT_ARCH_X86_64: only the 0x40000000 bit tells it apart.
  EXPECT_EQ(Eval(p, kX32Bit | __NR_read), kKillProcess);
  EXPECT_EQ(Eval(p, kX32Bit | 1000), kKillProcess);
  // -1 (a tracer's "skip this call") is exempt from libseccomp's x32 check; it reaches the
  // default action, and the kernel has no syscall -1 anyway.
  EXPECT_EQ(Eval(p, 0xffffffff), Errno(ENOSYS));
  EXPECT_EQ(Eval(p, 3 /* i386 read */, {}, AUDIT_ARCH_I386), kKillProcess);
  EXPECT_EQ(Eval(p, 0, {}, AUDIT_ARCH_AARCH64), kKillProcess);
}

TEST(CompileSeccomp, CapabilitiesOpenTheirCalls) {
  SeccompProgram admin = Compile(DefaultSeccompProfile({CAP_SYS_ADMIN}));
  EXPECT_EQ(Eval(admin, __NR_mount), kAllow);
  EXPECT_EQ(Eval(admin, __NR_unshare, {CLONE_NEWNS}), kAllow);
  EXPECT_EQ(Eval(admin, __NR_clone, {CLONE_NEWUSER}), kAllow);
  EXPECT_EQ(Eval(admin, __NR_clone3), kAllow);
  EXPECT_EQ(Eval(admin, __NR_ptrace), Errno(EPERM));
  EXPECT_EQ(Eval(admin, __NR_keyctl), Errno(EPERM)) << "never, whatever is kept";
  SeccompProgram ptrace = Compile(DefaultSeccompProfile({CAP_SYS_PTRACE}));
  EXPECT_EQ(Eval(ptrace, __NR_ptrace), kAllow);
  EXPECT_EQ(Eval(ptrace, __NR_process_vm_readv), kAllow);
  EXPECT_EQ(Eval(ptrace, __NR_mount), Errno(EPERM));
  SeccompProgram time = Compile(DefaultSeccompProfile({CAP_SYS_TIME}));
  EXPECT_EQ(Eval(time, __NR_clock_settime), kAllow);
}

TEST(CompileSeccomp, LogOnlyLogsEveryDenial) {
  SeccompSpec spec = DefaultSeccompProfile({});
  spec.log_only = true;
  SeccompProgram p = Compile(spec);
  EXPECT_EQ(Eval(p, __NR_read), kAllow);
  EXPECT_EQ(Eval(p, __NR_mount), kLog);
  EXPECT_EQ(Eval(p, __NR_clone, {CLONE_NEWUSER}), kLog);
  EXPECT_EQ(Eval(p, 1000), kLog);
  EXPECT_EQ(Eval(p, kX32Bit | __NR_read), kKillProcess) << "foreign ABIs stay killed";
}

SeccompRule MakeRule(std::vector<std::string> names, SeccompAction action, uint32_t errno_ret,
                     std::vector<SeccompArg> args = {}) {
  SeccompRule r;
  r.names = std::move(names);
  r.action = action;
  r.errno_ret = errno_ret;
  r.args = std::move(args);
  return r;
}

TEST(CompileSeccomp, CustomRulesAndArgs) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kAllow;
  spec.syscalls.push_back(MakeRule({"mkdir", "mkdirat"}, SeccompAction::kErrno, EACCES));
  // Both comparisons on argument 1: split into two rules (OR), as runc does.
  spec.syscalls.push_back(
      MakeRule({"fcntl"}, SeccompAction::kErrno, EINVAL,
               {{1, 1, 0, SeccompArg::Op::kEqualTo}, {1, 2, 0, SeccompArg::Op::kEqualTo}}));
  // Two different arguments: AND.
  spec.syscalls.push_back(
      MakeRule({"kill"}, SeccompAction::kKillProcess, 0,
               {{0, 1, 0, SeccompArg::Op::kEqualTo}, {1, 9, 0, SeccompArg::Op::kEqualTo}}));
  spec.syscalls.push_back(MakeRule({"getpid"}, SeccompAction::kAllow, 0));  // == default
  SeccompProgram p = Compile(spec);
  EXPECT_EQ(Eval(p, __NR_mkdir), Errno(EACCES));
  EXPECT_EQ(Eval(p, __NR_mkdirat), Errno(EACCES));
  EXPECT_EQ(Eval(p, __NR_fcntl, {3, 1}), Errno(EINVAL));
  EXPECT_EQ(Eval(p, __NR_fcntl, {3, 2}), Errno(EINVAL));
  EXPECT_EQ(Eval(p, __NR_fcntl, {3, 3}), kAllow);
  EXPECT_EQ(Eval(p, __NR_kill, {1, 9}), kKillProcess);
  EXPECT_EQ(Eval(p, __NR_kill, {1, 15}), kAllow);
  EXPECT_EQ(Eval(p, __NR_kill, {2, 9}), kAllow);
  EXPECT_EQ(Eval(p, __NR_getpid), kAllow);
  EXPECT_EQ(Eval(p, kX32Bit | __NR_getpid), kKillProcess);
}

TEST(CompileSeccomp, MaskedEqualAndRanges) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kAllow;
  spec.syscalls.push_back(MakeRule({"socket"}, SeccompAction::kErrno, EAFNOSUPPORT,
                                   {{0, 40, 0, SeccompArg::Op::kGreaterEqual}}));
  spec.syscalls.push_back(MakeRule({"mmap"}, SeccompAction::kErrno, EPERM,
                                   {{2, 0x4, 0x4, SeccompArg::Op::kMaskedEqual}}));
  SeccompProgram p = Compile(spec);
  EXPECT_EQ(Eval(p, __NR_socket, {2}), kAllow);
  EXPECT_EQ(Eval(p, __NR_socket, {40}), Errno(EAFNOSUPPORT));
  EXPECT_EQ(Eval(p, __NR_socket, {44}), Errno(EAFNOSUPPORT));
  EXPECT_EQ(Eval(p, __NR_mmap, {0, 4096, 0x1 | 0x4}), Errno(EPERM));
  EXPECT_EQ(Eval(p, __NR_mmap, {0, 4096, 0x1 | 0x2}), kAllow);
}

TEST(CompileSeccomp, ErrorsNameTheRule) {
  SeccompSpec unknown;
  unknown.syscalls.push_back(MakeRule({"read", "no_such_call"}, SeccompAction::kAllow, 0));
  EXPECT_THAT(CompileSeccomp(unknown),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("syscalls[0]: 'no_such_call' is not a system call")));

  // libseccomp would let the unconditional rule win silently.
  SeccompSpec conflict;
  conflict.syscalls.push_back(MakeRule({"read"}, SeccompAction::kAllow, 0));
  conflict.syscalls.push_back(MakeRule({"write", "read"}, SeccompAction::kErrno, EACCES));
  EXPECT_THAT(CompileSeccomp(conflict),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("syscalls[1] 'read': SCMP_ACT_ERRNO(13) conflicts with "
                                 "syscalls[0] (SCMP_ACT_ALLOW)")));

  SeccompSpec conditional;
  conditional.syscalls.push_back(MakeRule({"ioctl"}, SeccompAction::kErrno, EACCES,
                                          {{1, 0x5412, 0, SeccompArg::Op::kEqualTo}}));
  conditional.syscalls.push_back(MakeRule({"ioctl"}, SeccompAction::kAllow, 0));
  EXPECT_THAT(CompileSeccomp(conditional),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("syscalls[1] 'ioctl'")));

  SeccompSpec same_args;
  same_args.syscalls.push_back(
      MakeRule({"ioctl"}, SeccompAction::kErrno, EACCES, {{1, 7, 0, SeccompArg::Op::kEqualTo}}));
  same_args.syscalls.push_back(
      MakeRule({"ioctl"}, SeccompAction::kAllow, 0, {{1, 7, 0, SeccompArg::Op::kEqualTo}}));
  EXPECT_THAT(CompileSeccomp(same_args),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("syscalls[1] 'ioctl': SCMP_ACT_ALLOW conflicts")));

  SeccompSpec bad_index;
  bad_index.syscalls.push_back(
      MakeRule({"read"}, SeccompAction::kAllow, 0, {{6, 0, 0, SeccompArg::Op::kEqualTo}}));
  EXPECT_THAT(CompileSeccomp(bad_index),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("index 6")));

  SeccompSpec bad_arch;
  bad_arch.architectures = {"SCMP_ARCH_VAX"};
  EXPECT_THAT(CompileSeccomp(bad_arch),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'SCMP_ARCH_VAX'")));
}

TEST(CompileSeccomp, ListedForeignArchitectureGetsTheRules) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kErrno;
  spec.default_errno_ret = ENOSYS;
  spec.architectures = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"};
  spec.syscalls.push_back(MakeRule({"read"}, SeccompAction::kAllow, 0));
  SeccompProgram p = Compile(spec);
  EXPECT_EQ(Eval(p, __NR_read), kAllow);
  EXPECT_EQ(Eval(p, 3 /* i386 read */, {}, AUDIT_ARCH_I386), kAllow);
  EXPECT_EQ(Eval(p, 4 /* i386 write */, {}, AUDIT_ARCH_I386), Errno(ENOSYS));
  EXPECT_EQ(Eval(p, kX32Bit | __NR_read), kKillProcess) << "x32 was not listed";
}

TEST(CompileSeccomp, InitFilterIsTight) {
  SeccompProgram p = Compile(InitSeccompSpec());
  for (int nr :
       {__NR_rt_sigtimedwait, __NR_wait4, __NR_kill, __NR_write, __NR_exit_group, __NR_close}) {
    EXPECT_EQ(Eval(p, nr), kAllow) << nr;
  }
  for (int nr : {__NR_openat, __NR_execve, __NR_clone, __NR_ptrace, __NR_mmap, __NR_socket}) {
    EXPECT_EQ(Eval(p, nr), kKillProcess) << nr;
  }
  EXPECT_EQ(Eval(p, kX32Bit | __NR_write), kKillProcess);
}

// ---- for real: install in a forked child and watch what the kernel does ----

// Runs body in a child that has installed `program` under no_new_privs. The child's exit
// status is body's return value; returns the wait status.
int RunFiltered(const SeccompProgram& program, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(200);
    if (InstallSeccompInChild(program).failed()) _exit(201);
    _exit(body());
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return status;
}

// errno of a raw syscall under the filter (0: it succeeded), as the child's exit status.
int ErrnoUnder(const SeccompProgram& p, const std::function<long()>& call) {
  int status = RunFiltered(p, [&] { return call() < 0 ? errno : 0; });
  EXPECT_TRUE(WIFEXITED(status)) << "status " << status;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(InstallSeccompInChild, DefaultProfileForReal) {
  SeccompProgram p = Compile(DefaultSeccompProfile({}));
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_unshare, CLONE_NEWUSER); }), EPERM);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); }),
            EPERM);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_personality, READ_IMPLIES_EXEC); }), EPERM);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_personality, 0xffffffffUL); }), 0);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_personality, 0UL); }), 0);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(1000); }), ENOSYS);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_keyctl, 0, 0, 0, 0, 0); }), EPERM);
  EXPECT_EQ(ErrnoUnder(p, [] { return syscall(SYS_getpid); }), 0);
  // A plain fork works (glibc's fork is clone(SIGCHLD | CLONE_CHILD_*)).
  int status = RunFiltered(p, [] {
    pid_t child = fork();
    if (child < 0) return 1;
    if (child == 0) _exit(7);
    int st = 0;
    if (waitpid(child, &st, 0) != child) return 2;
    return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 3;
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(InstallSeccompInChild, X32SyscallIsKilled) {
  SeccompProgram p = Compile(DefaultSeccompProfile({}));
  int status = RunFiltered(p, [] { return static_cast<int>(syscall(kX32Bit | SYS_getpid) < 0); });
  EXPECT_TRUE(WIFSIGNALED(status)) << "status " << status;
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGSYS);
  }
}

bool SameProgram(const SeccompProgram& a, const SeccompProgram& b) {
  return a.filter.size() == b.filter.size() &&
         memcmp(a.filter.data(), b.filter.data(), a.filter.size() * sizeof(sock_filter)) == 0;
}

// The build-time table must give exactly what libseccomp gives now, and only for equal specs.
TEST(CompileSeccomp, PrecompiledProgramsEqualAFreshCompile) {
  for (const SeccompSpec& spec : {DefaultSeccompProfile({}), InitSeccompSpec()}) {
    absl::StatusOr<SeccompProgram> table = CompileSeccomp(spec);
    absl::StatusOr<SeccompProgram> fresh = CompileSeccompBpf(spec);
    ASSERT_OK(table.status());
    ASSERT_OK(fresh.status());
    EXPECT_TRUE(SameProgram(*table, *fresh));
  }
  SeccompSpec logged = DefaultSeccompProfile({});
  logged.log_only = true;
  absl::StatusOr<SeccompProgram> a = CompileSeccomp(logged);
  absl::StatusOr<SeccompProgram> b = CompileSeccomp(DefaultSeccompProfile({}));
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_FALSE(SameProgram(*a, *b)) << "a log-only spec must not reuse the stored program";
}

// libseccomp 2.5.4 compiles this to a filter that allows a0 = 0xfffffffe (neither rule
// matches): the second rule's high-word test runs on the low word left in the accumulator.
TEST(CompileSeccomp, RefusesWhatLibseccompMiscompiles) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kErrno;
  spec.default_errno_ret = 99;
  SeccompRule high;
  high.names = {"clone3"};
  high.args = {SeccompArg{0, 0x100000000ULL, 0, SeccompArg::Op::kGreaterEqual}};
  SeccompRule low = high;
  low.args = {SeccompArg{0, 5, 0, SeccompArg::Op::kLessThan}};
  spec.syscalls = {high, low};
  EXPECT_THAT(CompileSeccomp(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stale argument")));
}

// The default profile, for every single kept capability and for all of them, in both modes,
// never hits that bug.
TEST(CompileSeccomp, DefaultProfileNeverHitsTheStaleAccumulatorBug) {
  std::vector<std::vector<int>> cap_sets = {{}};
  std::vector<int> all;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    cap_sets.push_back({cap});
    all.push_back(cap);
  }
  cap_sets.push_back(all);
  for (const std::vector<int>& caps : cap_sets) {
    for (bool log_only : {false, true}) {
      SeccompSpec spec = DefaultSeccompProfile(caps);
      spec.log_only = log_only;
      EXPECT_OK(CompileSeccomp(spec).status())
          << "caps " << (caps.size() == 1 ? caps[0] : -static_cast<int>(caps.size()));
    }
  }
}

// libseccomp 2.5.4 never returns from seccomp_rule_add for the second rule (found by
// //fuzz:seccomp_bpf_diff_fuzz): a hostile profile must not hang nucleus.
TEST(CompileSeccomp, GivesUpOnALibseccompHang) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kKillThread;
  SeccompRule trace;
  trace.names = {"futex"};
  trace.action = SeccompAction::kTrace;
  trace.errno_ret = 1;
  trace.args = {SeccompArg{2, 0xd6, 0, SeccompArg::Op::kGreaterEqual},
                SeccompArg{1, 0x8b, 0, SeccompArg::Op::kLessThan},
                SeccompArg{0, 0, 0, SeccompArg::Op::kNotEqual}};
  SeccompRule allow;
  allow.names = {"futex"};
  allow.action = SeccompAction::kAllow;
  allow.args = {SeccompArg{0, 0, 0, SeccompArg::Op::kNotEqual},
                SeccompArg{1, 2, 0, SeccompArg::Op::kEqualTo},
                SeccompArg{5, 0, 0xa980cd5a, SeccompArg::Op::kMaskedEqual}};
  spec.syscalls = {trace, allow};
  EXPECT_THAT(CompileSeccomp(spec).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("did not finish")));
}

TEST(SeccompSpecKey, DiffersWhenAnyFieldDiffers) {
  SeccompSpec a;
  SeccompRule r;
  r.names = {"read,write"};
  a.syscalls.push_back(r);
  SeccompSpec b;
  r.names = {"read", "write"};
  b.syscalls.push_back(r);
  EXPECT_NE(SeccompSpecKey(a), SeccompSpecKey(b));
  SeccompSpec c = b;
  c.syscalls[0].errno_ret = 38;
  EXPECT_NE(SeccompSpecKey(b), SeccompSpecKey(c));
  SeccompSpec d = b;
  d.syscalls[0].args.push_back(SeccompArg{});
  EXPECT_NE(SeccompSpecKey(b), SeccompSpecKey(d));
  EXPECT_EQ(SeccompSpecKey(b), SeccompSpecKey(SeccompSpec(b)));
}

TEST(InstallSeccompInChild, LogOnlyLetsTheCallThrough) {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kAllow;
  spec.syscalls.push_back(MakeRule({"getppid"}, SeccompAction::kErrno, EACCES));
  EXPECT_EQ(ErrnoUnder(Compile(spec), [] { return syscall(SYS_getppid); }), EACCES);
  spec.log_only = true;
  EXPECT_EQ(ErrnoUnder(Compile(spec), [] { return syscall(SYS_getppid); }), 0);
}

TEST(InstallSeccompInChild, FailureIsAStepError) {
  SeccompProgram empty;  // the kernel refuses a zero-length program
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    StepError e = InstallSeccompInChild(empty);
    _exit(e.failed() && e.err == EINVAL ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace nucleus
