#include "runtime/seccomp/default_profile.h"

#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nucleus {
namespace {

// name -> the actions of its argument-free rules ("allow", "eperm", "enosys").
std::map<std::string, std::set<std::string>> Unconditional(const SeccompSpec& spec) {
  std::map<std::string, std::set<std::string>> out;
  for (const SeccompRule& r : spec.syscalls) {
    if (!r.args.empty()) continue;
    std::string what = r.action == SeccompAction::kAllow                            ? "allow"
                       : r.action == SeccompAction::kErrno && r.errno_ret == EPERM  ? "eperm"
                       : r.action == SeccompAction::kErrno && r.errno_ret == ENOSYS ? "enosys"
                                                                                    : "other";
    for (const std::string& n : r.names) out[n].insert(what);
  }
  return out;
}

std::string Verdict(const SeccompSpec& spec, const std::string& name) {
  auto u = Unconditional(spec);
  auto it = u.find(name);
  if (it == u.end()) return "unlisted";
  if (it->second.size() != 1) return "conflict";
  return *it->second.begin();
}

const char* const kDangerous[] = {
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "open_by_handle_at",
    "name_to_handle_at",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "lookup_dcookie",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "quotactl",
    "nfsservctl",
    "create_module",
    "get_kernel_syms",
    "query_module",
    "uselib",
    "ustat",
    "sysfs",
    "_sysctl",
    "kcmp",
    "chroot",
    "modify_ldt",
};

TEST(DefaultSeccompProfile, Shape) {
  SeccompSpec spec = DefaultSeccompProfile({});
  EXPECT_EQ(spec.default_action, SeccompAction::kErrno);
  EXPECT_EQ(spec.default_errno_ret, static_cast<uint32_t>(ENOSYS)) << "new syscalls fail soft";
  EXPECT_TRUE(spec.architectures.empty()) << "native only";
  EXPECT_FALSE(spec.log_only);
}

TEST(DefaultSeccompProfile, EveryNameIsKnownToLibseccomp) {
  for (const std::vector<int>& caps : {std::vector<int>{}, std::vector<int>{CAP_SYS_ADMIN}}) {
    for (const SeccompRule& r : DefaultSeccompProfile(caps).syscalls) {
      for (const std::string& n : r.names) {
        EXPECT_NE(seccomp_syscall_resolve_name(n.c_str()), __NR_SCMP_ERROR) << n;
        EXPECT_GE(seccomp_syscall_resolve_name(n.c_str()), 0) << n << " is not an x86_64 call";
      }
    }
  }
}

TEST(DefaultSeccompProfile, NoNameInTwoUnconditionalRules) {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) {
    for (const auto& [name, actions] : Unconditional(DefaultSeccompProfile({cap}))) {
      EXPECT_EQ(actions.size(), 1u) << name << " with cap " << cap;
    }
  }
}

TEST(DefaultSeccompProfile, DeniesTheDangerousCallsWithEperm) {
  SeccompSpec spec = DefaultSeccompProfile({});
  for (const char* name : kDangerous) EXPECT_EQ(Verdict(spec, name), "eperm") << name;
  EXPECT_EQ(Verdict(spec, "clone3"), "enosys");
}

TEST(DefaultSeccompProfile, AllowsOrdinaryPrograms) {
  SeccompSpec spec = DefaultSeccompProfile({});
  for (const char* name : {"read",
                           "write",
                           "close",
                           "mmap",
                           "mprotect",
                           "brk",
                           "execve",
                           "exit_group",
                           "futex",
                           "rt_sigaction",
                           "wait4",
                           "socket",
                           "connect",
                           "epoll_wait",
                           "getrandom",
                           "newfstatat",
                           "statx",
                           "rseq",
                           "set_robust_list",
                           "prlimit64",
                           "fork",
                           "vfork",
                           "landlock_create_ruleset",
                           "sethostname",
                           "capset",
                           "prctl",
                           "seccomp"}) {
    EXPECT_EQ(Verdict(spec, name), "allow") << name;
  }
}

// The calls that take a mode are split by it (S_ISUID/S_ISGID -> EPERM); what that decides
// for each mode is checked on the compiled filter (backends/native/seccomp_test).
TEST(DefaultSeccompProfile, ModeCallsAreArgumentFiltered) {
  SeccompSpec spec = DefaultSeccompProfile({});
  for (const char* name : {"open", "openat", "creat", "chmod", "fchmod", "fchmodat", "fchmodat2",
                           "mknod", "mknodat"}) {
    EXPECT_EQ(Verdict(spec, name), "unlisted") << name << ": only argument rules";
    int rules = 0;
    for (const SeccompRule& r : spec.syscalls) {
      if (r.names == std::vector<std::string>{name}) ++rules;
    }
    EXPECT_GE(rules, 3) << name;
  }
  EXPECT_EQ(Verdict(spec, "openat2"), "enosys") << "its mode is in a struct seccomp cannot read";
}

TEST(DefaultSeccompProfile, CloneAndPersonalityAreArgumentFiltered) {
  SeccompSpec spec = DefaultSeccompProfile({});
  EXPECT_EQ(Verdict(spec, "clone"), "unlisted") << "only argument rules";
  int clone_allow = 0, clone_eperm = 0, personality_allow = 0, personality_eperm = 0;
  for (const SeccompRule& r : spec.syscalls) {
    if (r.names == std::vector<std::string>{"clone"}) {
      ASSERT_EQ(r.args.size(), 1u);
      EXPECT_EQ(r.args[0].index, 0u) << "x86_64: flags are argument 0";
      EXPECT_EQ(r.args[0].op, SeccompArg::Op::kMaskedEqual);
      if (r.action == SeccompAction::kAllow) {
        ++clone_allow;
        EXPECT_EQ(r.args[0].value, kCloneNamespaceFlags);
        EXPECT_EQ(r.args[0].value_two, 0u);
      } else {
        ++clone_eperm;
        EXPECT_EQ(r.errno_ret, static_cast<uint32_t>(EPERM));
      }
    }
    if (r.names == std::vector<std::string>{"personality"}) {
      (r.action == SeccompAction::kAllow ? personality_allow : personality_eperm)++;
    }
  }
  EXPECT_EQ(clone_allow, 1);
  EXPECT_EQ(clone_eperm, 7) << "one per CLONE_NEW* flag";
  EXPECT_EQ(personality_allow, 4);
  EXPECT_EQ(personality_eperm, 1);
}

TEST(DefaultSeccompProfile, CapabilityAware) {
  struct Case {
    int cap;
    std::vector<const char*> opens;
  };
  const Case cases[] = {
      {CAP_SYS_ADMIN,
       {"mount", "umount2", "pivot_root", "unshare", "setns", "clone", "clone3", "bpf",
        "perf_event_open", "fsopen", "move_mount", "syslog"}},
      {CAP_SYS_PTRACE, {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp"}},
      {CAP_SYS_TIME, {"settimeofday", "clock_settime", "clock_adjtime", "adjtimex"}},
      {CAP_SYS_BOOT, {"reboot"}},
      {CAP_SYS_MODULE, {"init_module", "finit_module", "delete_module"}},
      {CAP_SYS_RAWIO, {"iopl", "ioperm"}},
      {CAP_SYSLOG, {"syslog"}},
      {CAP_SYS_PACCT, {"acct"}},
      {CAP_SYS_CHROOT, {"chroot"}},
      {CAP_SYS_NICE, {"mbind", "set_mempolicy"}},
      {CAP_DAC_READ_SEARCH, {"open_by_handle_at", "name_to_handle_at"}},
  };
  for (const Case& c : cases) {
    SeccompSpec spec = DefaultSeccompProfile({c.cap});
    for (const char* name : c.opens) EXPECT_EQ(Verdict(spec, name), "allow") << name;
  }
  // Never opened, whatever is kept.
  std::vector<int> all;
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap) all.push_back(cap);
  SeccompSpec everything = DefaultSeccompProfile(all);
  for (const char* name : {"kexec_load", "keyctl", "add_key", "request_key", "userfaultfd",
                           "io_uring_setup", "swapon", "uselib", "nfsservctl", "modify_ldt"}) {
    EXPECT_EQ(Verdict(everything, name), "eperm") << name;
  }
  // CAP_SYS_PTRACE alone does not open the mount family.
  EXPECT_EQ(Verdict(DefaultSeccompProfile({CAP_SYS_PTRACE}), "mount"), "eperm");
}

}  // namespace
}  // namespace nucleus
