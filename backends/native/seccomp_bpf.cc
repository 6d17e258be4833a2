#include "backends/native/seccomp_bpf.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

#if defined(__SANITIZE_ADDRESS__)
#define NUCLEUS_ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NUCLEUS_ASAN_BUILD 1
#endif
#endif
#ifndef NUCLEUS_ASAN_BUILD
#define NUCLEUS_ASAN_BUILD 0
#endif

namespace nucleus {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

uint32_t ToScmp(SeccompAction action, uint32_t errno_ret) {
  switch (action) {
    case SeccompAction::kAllow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::kErrno:
      return SCMP_ACT_ERRNO(errno_ret);
    case SeccompAction::kKillThread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kKillProcess:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::kTrap:
      return SCMP_ACT_TRAP;
    case SeccompAction::kTrace:
      return SCMP_ACT_TRACE(errno_ret);
    case SeccompAction::kLog:
      return SCMP_ACT_LOG;
  }
  return SCMP_ACT_KILL_PROCESS;
}

uint32_t Effective(const SeccompSpec& spec, SeccompAction action, uint32_t errno_ret) {
  if (spec.log_only && action != SeccompAction::kAllow) return SCMP_ACT_LOG;
  return ToScmp(action, errno_ret);
}

scmp_compare ToScmp(SeccompArg::Op op) {
  switch (op) {
    case SeccompArg::Op::kNotEqual:
      return SCMP_CMP_NE;
    case SeccompArg::Op::kLessThan:
      return SCMP_CMP_LT;
    case SeccompArg::Op::kLessEqual:
      return SCMP_CMP_LE;
    case SeccompArg::Op::kEqualTo:
      return SCMP_CMP_EQ;
    case SeccompArg::Op::kGreaterEqual:
      return SCMP_CMP_GE;
    case SeccompArg::Op::kGreaterThan:
      return SCMP_CMP_GT;
    case SeccompArg::Op::kMaskedEqual:
      return SCMP_CMP_MASKED_EQ;
  }
  return _SCMP_CMP_MIN;
}

std::string ActionText(uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SCMP_ACT_ALLOW:
      return "SCMP_ACT_ALLOW";
    case SCMP_ACT_LOG:
      return "SCMP_ACT_LOG";
    case SCMP_ACT_KILL_PROCESS:
      return "SCMP_ACT_KILL_PROCESS";
    case SCMP_ACT_KILL_THREAD:
      return "SCMP_ACT_KILL_THREAD";
    case SCMP_ACT_TRAP:
      return "SCMP_ACT_TRAP";
    case SCMP_ACT_ERRNO(0):
      return absl::StrCat("SCMP_ACT_ERRNO(", action & 0xffff, ")");
    case SCMP_ACT_TRACE(0):
      return absl::StrCat("SCMP_ACT_TRACE(", action & 0xffff, ")");
  }
  return absl::StrCat("action ", action);
}

// What has been added per syscall number, to refuse the combinations libseccomp would
// resolve silently (see seccomp.h).
struct Added {
  std::optional<uint32_t> unconditional;
  std::string unconditional_rule;
  std::map<uint32_t, std::string> conditional;  // action -> first rule with it
};

absl::Status Conflict(const std::string& rule, const std::string& name, uint32_t action,
                      const std::string& other, uint32_t other_action) {
  return absl::InvalidArgumentError(
      absl::StrCat("seccomp: ", rule, " ", name, ": ", ActionText(action), " conflicts with ",
                   other, " (", ActionText(other_action),
                   "): an unconditional rule would silently override the other for this syscall"));
}

absl::Status AddRule(scmp_filter_ctx ctx, const std::string& rule_path, const std::string& name,
                     int nr, uint32_t action, const std::vector<scmp_arg_cmp>& cmps,
                     std::map<int, Added>* added) {
  Added& a = (*added)[nr];
  const std::string quoted = absl::StrCat("'", name, "'");
  if (cmps.empty()) {
    if (a.unconditional && *a.unconditional != action) {
      return Conflict(rule_path, quoted, action, a.unconditional_rule, *a.unconditional);
    }
    for (const auto& [other_action, other_rule] : a.conditional) {
      if (other_action != action) {
        return Conflict(rule_path, quoted, action, other_rule, other_action);
      }
    }
    if (!a.unconditional) {
      a.unconditional = action;
      a.unconditional_rule = rule_path;
    }
  } else {
    if (a.unconditional && *a.unconditional != action) {
      return Conflict(rule_path, quoted, action, a.unconditional_rule, *a.unconditional);
    }
    a.conditional.emplace(action, rule_path);
  }
  int rc =
      seccomp_rule_add_array(ctx, action, nr, cmps.size(), cmps.empty() ? nullptr : cmps.data());
  if (rc == -EEXIST) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: ", rule_path, " ", quoted, ": ", ActionText(action),
                     " conflicts with an earlier rule with the same arguments and another action"));
  }
  if (rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("seccomp: ", rule_path, " ", quoted, " (",
                                                   ActionText(action), ", ", cmps.size(),
                                                   " argument checks): ", strerror(-rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<SeccompProgram> Export(scmp_filter_ctx ctx) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_memfd_create, "nucleus-seccomp", MFD_CLOEXEC)));
  if (!fd.valid()) return ErrnoStatus("memfd_create", "nucleus-seccomp");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc != 0) return ErrnoStatus("seccomp_export_bpf", "", -rc);
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return ErrnoStatus("lseek", "nucleus-seccomp");
  constexpr size_t kMaxBytes = BPF_MAXINSNS * sizeof(sock_filter);
  absl::StatusOr<std::string> bytes = ReadFdToString(fd.get(), kMaxBytes + sizeof(sock_filter));
  if (!bytes.ok()) return Annotate(bytes.status(), "seccomp: reading the exported filter");
  if (bytes->empty() || bytes->size() % sizeof(sock_filter) != 0) {
    return absl::InternalError(
        absl::StrCat("seccomp: the exported filter has ", bytes->size(), " bytes"));
  }
  if (bytes->size() > kMaxBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: the filter has more than the kernel's limit of ", BPF_MAXINSNS,
                     " instructions; use fewer rules"));
  }
  SeccompProgram program;
  program.filter.resize(bytes->size() / sizeof(sock_filter));
  memcpy(program.filter.data(), bytes->data(), bytes->size());
  return program;
}

}  // namespace

absl::StatusOr<SeccompProgram> CompileSeccompBpf(const SeccompSpec& spec) {
  const uint32_t default_action = Effective(spec, spec.default_action, spec.default_errno_ret);
  Ctx ctx(seccomp_init(default_action));
  if (ctx == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("seccomp: seccomp_init(", ActionText(default_action), ") failed"));
  }
  // Foreign ABIs (i386, and x32 numbers on x86_64): killed, never merely denied.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  if (rc != 0) return ErrnoStatus("seccomp_attr_set", "SCMP_FLTATR_ACT_BADARCH", -rc);
  // Sorted binary tree of syscall numbers instead of a linear scan: a few hundred
  // allowed calls cost ~9 comparisons instead of up to hundreds on every system call.
  (void)seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (size_t i = 0; i < spec.architectures.size(); ++i) {
    const std::string& name = spec.architectures[i];
    absl::string_view rest = name;
    absl::ConsumePrefix(&rest, "SCMP_ARCH_");
    uint32_t arch = seccomp_arch_resolve_name(absl::AsciiStrToLower(rest).c_str());
    if (arch == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("seccomp: architectures[", i, "]: '", name, "' is not an architecture"));
    }
    if (arch == seccomp_arch_native()) continue;
    rc = seccomp_arch_add(ctx.get(), arch);
    if (rc != 0 && rc != -EEXIST) {
      return ErrnoStatus("seccomp_arch_add", name, -rc);
    }
  }

  std::map<int, Added> added;
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const SeccompRule& rule = spec.syscalls[i];
    const std::string rule_path = absl::StrCat("syscalls[", i, "]");
    const uint32_t action = Effective(spec, rule.action, rule.errno_ret);
    if (action == default_action) continue;
    std::vector<scmp_arg_cmp> cmps;
    std::set<uint32_t> indexes;
    bool repeated = false;
    for (const SeccompArg& arg : rule.args) {
      if (arg.index > 5) {
        return absl::InvalidArgumentError(
            absl::StrCat("seccomp: ", rule_path, ": argument index ", arg.index, " is not 0..5"));
      }
      repeated = repeated || !indexes.insert(arg.index).second;
      cmps.push_back(scmp_arg_cmp{arg.index, ToScmp(arg.op), arg.value, arg.value_two});
    }
    for (const std::string& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        return absl::InvalidArgumentError(absl::StrCat("seccomp: ", rule_path, ": '", name,
                                                       "' is not a system call libseccomp knows"));
      }
      if (!repeated) {
        RETURN_IF_ERROR(AddRule(ctx.get(), rule_path, name, nr, action, cmps, &added));
        continue;
      }
      // runc's answer to libseccomp's one-comparison-per-argument limit: OR them.
      for (const scmp_arg_cmp& cmp : cmps) {
        RETURN_IF_ERROR(AddRule(ctx.get(), rule_path, name, nr, action, {cmp}, &added));
      }
    }
  }
  ASSIGN_OR_RETURN(SeccompProgram program, Export(ctx.get()));
  const int stale = FindStaleAccumulatorJump(program.filter);
  if (stale >= 0) {
    // Fail closed: the filter would not do what the profile says (seccomp_bpf.h).
    return absl::InvalidArgumentError(absl::StrCat(
        "seccomp: libseccomp ", SCMP_VER_MAJOR, ".", SCMP_VER_MINOR, ".", SCMP_VER_MICRO,
        " compiles this profile wrongly (instruction ", stale,
        " compares a stale argument word, a known libseccomp bug with several argument rules "
        "for one system call); combine or simplify the argument rules of that system call"));
  }
  return program;
}

SeccompSpec InitSeccompSpec() {
  SeccompSpec spec;
  spec.default_action = SeccompAction::kKillProcess;
  SeccompRule allow;
  allow.action = SeccompAction::kAllow;
  allow.names = {
      "rt_sigtimedwait",  // sigwaitinfo
      "wait4",            // waitpid
      "waitid",
      "kill",        // forwarding
      "write",       // the status pipe, RawWriteLine to stderr
      "close",       // the sync socket
      "exit_group",  // _exit
      "exit",
      "restart_syscall",  // the kernel's own, after a stop/continue
      "rt_sigreturn",
  };
#if NUCLEUS_ASAN_BUILD
  // ASan's __asan_handle_no_return, which clang inserts before every call to a noreturn
  // function (RunInit, _exit), asks sigaltstack(NULL, &old) whether it runs on the
  // alternate stack. Sanitizer builds only (--config=asan/fuzz); the release init never
  // makes the call.
  allow.names.push_back("sigaltstack");
#endif
  spec.syscalls.push_back(std::move(allow));
  return spec;
}

namespace {

// Length-prefixed, so that no two different specs can produce the same text.
void KeyString(std::string* out, absl::string_view s) { absl::StrAppend(out, s.size(), ":", s); }
void KeyNumber(std::string* out, uint64_t n) { absl::StrAppend(out, n, ";"); }

}  // namespace

int FindStaleAccumulatorJump(const std::vector<sock_filter>& f) {
  std::vector<std::set<int>> sources(f.size());  // where A came from at entry; -1: not a load
  if (!f.empty()) sources[0].insert(-1);
  for (size_t pc = 0; pc < f.size(); ++pc) {
    const sock_filter& i = f[pc];
    std::set<int> out = sources[pc];
    if (BPF_CLASS(i.code) == BPF_LD) {
      out = {BPF_MODE(i.code) == BPF_ABS ? static_cast<int>(i.k) : -1};
    } else if (BPF_CLASS(i.code) == BPF_ALU || i.code == (BPF_MISC | BPF_TXA)) {
      out = {-1};
    }
    if (BPF_CLASS(i.code) == BPF_RET) continue;
    if (BPF_CLASS(i.code) == BPF_JMP) {
      if (BPF_OP(i.code) == BPF_JA) {
        if (pc + 1 + i.k < f.size()) sources[pc + 1 + i.k].insert(out.begin(), out.end());
        continue;
      }
      if (out.size() > 1) return static_cast<int>(pc);
      for (size_t t : {pc + 1 + i.jt, pc + 1 + i.jf}) {
        if (t < f.size()) sources[t].insert(out.begin(), out.end());
      }
      continue;
    }
    if (pc + 1 < f.size()) sources[pc + 1].insert(out.begin(), out.end());
  }
  return -1;
}

std::string SeccompSpecKey(const SeccompSpec& spec) {
  std::string key = "nucleus-seccomp-v1;";
  KeyNumber(&key, static_cast<uint64_t>(spec.default_action));
  KeyNumber(&key, spec.default_errno_ret);
  KeyNumber(&key, spec.log_only);
  KeyNumber(&key, spec.architectures.size());
  for (const std::string& arch : spec.architectures) KeyString(&key, arch);
  KeyNumber(&key, spec.syscalls.size());
  for (const SeccompRule& rule : spec.syscalls) {
    KeyNumber(&key, rule.names.size());
    for (const std::string& name : rule.names) KeyString(&key, name);
    KeyNumber(&key, static_cast<uint64_t>(rule.action));
    KeyNumber(&key, rule.errno_ret);
    KeyNumber(&key, rule.args.size());
    for (const SeccompArg& arg : rule.args) {
      KeyNumber(&key, arg.index);
      KeyNumber(&key, static_cast<uint64_t>(arg.op));
      KeyNumber(&key, arg.value);
      KeyNumber(&key, arg.value_two);
    }
  }
  return key;
}

}  // namespace nucleus
