// Differential check of the seccomp compilation (issue 8): the BPF that libseccomp exports for
// a SeccompSpec (CompileSeccompBpf, backends/native/seccomp_bpf.h) must decide every system
// call exactly as the spec says.
//
// From the input: a SeccompSpec (a small random profile over a fixed pool of x86_64 system
// calls, or the real DefaultSeccompProfile for a random set of capabilities; log_only on or
// off) and a batch of syscall events (nr, arch, ip, 6 args; x32 numbers, foreign
// architectures, numbers no rule names). The exported filter is checked as the kernel checks
// it (bpf_interpreter.h: <= BPF_MAXINSNS instructions, allowed opcodes, loads and jumps in
// range, every path ends in RET), run on each event by the classic-BPF interpreter, and the
// result compared with Reference() below, written from the OCI semantics and the promises of
// backends/native/seccomp.h, not from libseccomp's tree:
//
//  1. arch != AUDIT_ARCH_X86_64 (the only architecture these specs list) -> KILL_PROCESS.
//  2. x86_64 and nr >= 0x40000000 (x32 and above), except nr == -1 (a tracer's "skip",
//     exempt in libseccomp's x32 check) -> KILL_PROCESS. 1 and 2 hold with log_only too.
//  3. Effective action of a rule or of the default: log_only turns every action but ALLOW
//     into LOG. Returned values: ALLOW 0x7fff0000, ERRNO(n) 0x00050000|n, KILL_THREAD 0,
//     KILL_PROCESS 0x80000000, TRAP 0x00030000, TRACE(n) 0x7ff00000|n, LOG 0x7ffc0000.
//  4. A rule matches when it names the event's syscall and all its argument comparisons hold
//     (AND), each an unsigned 64-bit comparison of args[index] (seccomp compares the two
//     32-bit halves; the 64-bit result is what it must amount to). MASKED_EQ is libseccomp's
//     documented "masked argument equals masked datum": (arg & value) == (value_two & value).
//     A rule that compares one argument twice is, as seccomp.h promises (runc's behaviour),
//     one rule per comparison: OR.
//  5. No matching rule -> the default action. All matching rules agree -> their action.
//     Matching rules with different actions: libseccomp's argument tree picks one, and
//     neither libseccomp nor seccomp.h promises which (the default profile's personality
//     rules rely on one such overlap; seccomp_test pins that case down). The reference then
//     accepts any of the matching rules' actions, and nothing else: never the default, never
//     a rule that does not match.
//
// Rejections: CompileSeccompBpf may refuse a spec only for a reason seccomp.h or libseccomp
// documents, and the reference must see that reason in the spec: an unconditional rule and
// another rule with a different (non-default) action for one syscall ("would silently
// override"; then it MUST refuse); libseccomp's EEXIST, which needs two conditional rules with
// different actions comparing a common argument (PredictsTreeConflict); or ERRNO(4095), which
// libseccomp 2.5 refuses (EINVAL). Two refusals guard against libseccomp 2.5.4 bugs this
// target found and are accepted without a prediction: a filter that compares a stale
// argument word (seccomp_bpf.h), and CompileSeccomp's 10 s deadline on its rule_add hang
// (seccomp.h). Random specs go through CompileSeccomp (libseccomp in a child process), as in
// nucleus. Any other error aborts.
//
// The syscall numbers of the pool come from <sys/syscall.h>, not from libseccomp (checked
// against seccomp_syscall_resolve_name once); the default profile's hundreds of names are
// resolved with libseccomp's table.
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "backends/native/bpf_interpreter.h"
#include "backends/native/seccomp.h"
#include "backends/native/seccomp_bpf.h"
#include "fuzz/fuzz_input.h"
#include "runtime/seccomp/default_profile.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {
namespace {

using Op = SeccompArg::Op;

struct PoolCall {
  const char* name;
  int nr;  // x86_64; -1: not an x86_64 system call (libseccomp knows it for other ABIs)
};

const PoolCall kPool[] = {
    {"read", __NR_read},
    {"write", __NR_write},
    {"close", __NR_close},
    {"openat", __NR_openat},
    {"mmap", __NR_mmap},
    {"ioctl", __NR_ioctl},
    {"clone", __NR_clone},
    {"personality", __NR_personality},
    {"kill", __NR_kill},
    {"socket", __NR_socket},
    {"getpid", __NR_getpid},
    {"mkdir", __NR_mkdir},
    {"fcntl", __NR_fcntl},
    {"futex", __NR_futex},
    {"prctl", __NR_prctl},
    {"unshare", __NR_unshare},
    {"mount", __NR_mount},
    {"setns", __NR_setns},
    {"clone3", __NR_clone3},
    // Not on x86_64 (i386's multiplexer): libseccomp resolves it to a pseudo number.
    {"socketcall", -1},
};
constexpr size_t kPoolSize = sizeof(kPool) / sizeof(kPool[0]);

const uint64_t kValues[] = {
    0,
    1,
    2,
    5,
    8,
    0x7f,
    0xff,
    0x20000,
    0x10000000,
    0x7E020000,
    0x7fffffff,
    0x80000000,
    0xfffffffe,
    0xffffffff,
    0x100000000,
    0x100000001,
    0x1ffffffff,
    0xffffffff00000000,
    0x8000000000000000,
    0x7fffffffffffffff,
    0xfffffffffffffffe,
    0xffffffffffffffff,
    0xffffffff80000000,
};
constexpr size_t kValuesSize = sizeof(kValues) / sizeof(kValues[0]);

const int kCapPool[] = {CAP_SYS_ADMIN,  CAP_SYS_PTRACE,      CAP_SYS_TIME,  CAP_SYS_BOOT,
                        CAP_SYS_MODULE, CAP_SYS_RAWIO,       CAP_SYS_PACCT, CAP_SYS_CHROOT,
                        CAP_SYS_NICE,   CAP_SYS_TTY_CONFIG,  CAP_BPF,       CAP_PERFMON,
                        CAP_SYSLOG,     CAP_DAC_READ_SEARCH, CAP_NET_ADMIN, CAP_CHOWN};

// Reads the input front to back; past the end everything is 0.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t U8() { return p_ < end_ ? *p_++ : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() { return U16() | (static_cast<uint32_t>(U16()) << 16); }
  uint64_t U64() { return U32() | (static_cast<uint64_t>(U32()) << 32); }
  size_t Pick(size_t n) { return n == 0 ? 0 : U8() % n; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

SeccompAction PickAction(Reader& in) {
  switch (in.Pick(8)) {
    case 0:
    case 1:
      return SeccompAction::kAllow;
    case 2:
    case 3:
      return SeccompAction::kErrno;
    case 4:
      return SeccompAction::kKillProcess;
    case 5:
      return SeccompAction::kKillThread;
    case 6:
      return SeccompAction::kTrap;
    default:
      return in.Pick(2) ? SeccompAction::kLog : SeccompAction::kTrace;
  }
}

// errno values a profile can carry (the profile parser caps them at 4095).
uint32_t PickErrno(Reader& in) {
  switch (in.Pick(4)) {
    case 0:
      return 1;
    case 1:
      return 38;
    case 2:
      return in.Pick(4);  // 0..3, 0 included
    default:
      return in.U16() % 4096;
  }
}

uint64_t PickValue(Reader& in) {
  const uint8_t how = in.U8();
  if (how < 160) return kValues[how % kValuesSize];
  if (how < 200) return in.U8();
  if (how < 230) return in.U32();
  return in.U64();
}

SeccompSpec RandomSpec(Reader& in) {
  SeccompSpec spec;
  spec.default_action = PickAction(in);
  spec.default_errno_ret = PickErrno(in);
  if (in.Pick(4) == 0) spec.architectures = {"SCMP_ARCH_X86_64"};  // the native one: no-op
  const size_t rules = in.Pick(7);
  for (size_t r = 0; r < rules; ++r) {
    SeccompRule rule;
    const size_t names = 1 + in.Pick(3);
    for (size_t i = 0; i < names; ++i) rule.names.push_back(kPool[in.Pick(kPoolSize)].name);
    rule.action = PickAction(in);
    rule.errno_ret = PickErrno(in);
    const size_t args = in.Pick(4);
    for (size_t i = 0; i < args; ++i) {
      SeccompArg arg;
      arg.index = in.Pick(8) < 6 ? in.Pick(3) : in.Pick(6);  // overlaps are the interesting part
      arg.op = static_cast<Op>(in.Pick(7));
      arg.value = PickValue(in);
      arg.value_two = in.Pick(3) == 0 ? PickValue(in) : (arg.value & PickValue(in));
      rule.args.push_back(arg);
    }
    spec.syscalls.push_back(std::move(rule));
  }
  return spec;
}

// ---- the reference ----

uint32_t RetValue(SeccompAction action, uint32_t data) {
  switch (action) {
    case SeccompAction::kAllow:
      return SECCOMP_RET_ALLOW;
    case SeccompAction::kErrno:
      return SECCOMP_RET_ERRNO | data;
    case SeccompAction::kKillThread:
      return SECCOMP_RET_KILL_THREAD;
    case SeccompAction::kKillProcess:
      return SECCOMP_RET_KILL_PROCESS;
    case SeccompAction::kTrap:
      return SECCOMP_RET_TRAP;
    case SeccompAction::kTrace:
      return SECCOMP_RET_TRACE | data;
    case SeccompAction::kLog:
      return SECCOMP_RET_LOG;
  }
  fuzz::Check(false, "unknown SeccompAction");
  return 0;
}

uint32_t EffectiveRet(const SeccompSpec& spec, SeccompAction action, uint32_t data) {
  if (spec.log_only && action != SeccompAction::kAllow) return SECCOMP_RET_LOG;
  return RetValue(action, data);
}

bool Compare(const SeccompArg& c, const __u64* args) {
  const uint64_t v = args[c.index];
  switch (c.op) {
    case Op::kNotEqual:
      return v != c.value;
    case Op::kLessThan:
      return v < c.value;
    case Op::kLessEqual:
      return v <= c.value;
    case Op::kEqualTo:
      return v == c.value;
    case Op::kGreaterEqual:
      return v >= c.value;
    case Op::kGreaterThan:
      return v > c.value;
    // libseccomp's documented MASKED_EQ: "the masked argument value is equal to the masked
    // datum value" (seccomp_rule_add(3)); value_two's bits outside the mask do not count.
    case Op::kMaskedEqual:
      return (v & c.value) == (c.value_two & c.value);
  }
  return false;
}

// One rule as the filter must apply it: the syscall numbers it names and its alternatives
// (OR of ANDs; one alternative holding all comparisons unless an index repeats).
struct RefRule {
  size_t index;        // in spec.syscalls
  std::set<int> nrs;   // x86_64 numbers, what events match
  std::set<int> keys;  // libseccomp's numbers (pseudo ones for other ABIs' calls): conflicts
  uint32_t ret;
  std::vector<std::vector<SeccompArg>> alternatives;
};

int ResolveX86_64(const std::string& name) {
  for (const PoolCall& c : kPool) {
    if (name == c.name) return c.nr;
  }
  const int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
  return nr < 0 ? -1 : nr;
}

std::vector<RefRule> RefRules(const SeccompSpec& spec) {
  std::vector<RefRule> out;
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const SeccompRule& r = spec.syscalls[i];
    RefRule rr;
    rr.index = i;
    rr.ret = EffectiveRet(spec, r.action, r.errno_ret);
    for (const std::string& name : r.names) {
      const int nr = ResolveX86_64(name);
      if (nr >= 0) rr.nrs.insert(nr);
      rr.keys.insert(seccomp_syscall_resolve_name(name.c_str()));
    }
    std::set<uint32_t> seen;
    bool repeated = false;
    for (const SeccompArg& a : r.args) repeated |= !seen.insert(a.index).second;
    if (repeated) {
      for (const SeccompArg& a : r.args) rr.alternatives.push_back({a});
    } else {
      rr.alternatives.push_back(r.args);
    }
    out.push_back(std::move(rr));
  }
  return out;
}

// The set of acceptable filter results for `e` (one element unless rules overlap).
std::set<uint32_t> Reference(const SeccompSpec& spec, const std::vector<RefRule>& rules,
                             const seccomp_data& d, bool* ambiguous) {
  *ambiguous = false;
  if (d.arch != AUDIT_ARCH_X86_64) return {SECCOMP_RET_KILL_PROCESS};
  const uint32_t nr = static_cast<uint32_t>(d.nr);
  if (nr >= 0x40000000 && nr != 0xffffffff) return {SECCOMP_RET_KILL_PROCESS};
  std::set<uint32_t> matched;
  for (const RefRule& r : rules) {
    if (r.nrs.count(d.nr) == 0) continue;
    bool any = false;
    for (const auto& alt : r.alternatives) {
      bool all = true;
      for (const SeccompArg& c : alt) all = all && Compare(c, d.args);
      any = any || all;
    }
    if (any) matched.insert(r.ret);
  }
  if (matched.empty()) {
    return {EffectiveRet(spec, spec.default_action, spec.default_errno_ret)};
  }
  *ambiguous = matched.size() > 1;
  return matched;
}

// seccomp.h's refusal: per syscall, an unconditional rule and another rule whose effective
// actions differ, neither equal to the default (those rules are no-ops).
bool PredictsUnconditionalConflict(const SeccompSpec& spec, const std::vector<RefRule>& rules) {
  const uint32_t def = EffectiveRet(spec, spec.default_action, spec.default_errno_ret);
  std::map<int, std::set<uint32_t>> actions, unconditional;
  for (const RefRule& r : rules) {
    if (r.ret == def) continue;
    const bool uncond = spec.syscalls[r.index].args.empty();
    for (int nr : r.keys) {
      actions[nr].insert(r.ret);
      if (uncond) unconditional[nr].insert(r.ret);
    }
  }
  for (const auto& [nr, u] : unconditional) {
    if (actions[nr].size() > 1) return true;
  }
  return false;
}

// libseccomp's EEXIST ("the rule already exists"): a rule whose comparisons collide in
// libseccomp's argument tree with those of a rule for the same syscall and another action.
// The tree works on 32-bit halves, so the collisions are not only equal comparisons
// (a1 GE 8 and a1 GT 0xc76bfd45 share the node "a1.hi > 0"); what they always need is two
// conditional rules with different (non-default) actions that compare a common argument.
bool PredictsTreeConflict(const SeccompSpec& spec, const std::vector<RefRule>& rules) {
  const uint32_t def = EffectiveRet(spec, spec.default_action, spec.default_errno_ret);
  for (size_t i = 0; i < rules.size(); ++i) {
    for (size_t j = i + 1; j < rules.size(); ++j) {
      const RefRule& a = rules[i];
      const RefRule& b = rules[j];
      if (a.ret == def || b.ret == def || a.ret == b.ret) continue;
      bool shared = false;
      for (int nr : a.keys) shared = shared || b.keys.count(nr);
      if (!shared) continue;
      for (const auto& x : a.alternatives) {
        for (const auto& y : b.alternatives) {
          for (const SeccompArg& cx : x) {
            for (const SeccompArg& cy : y) {
              if (cx.index == cy.index) return true;
            }
          }
        }
      }
    }
  }
  return false;
}

// libseccomp 2.5 refuses SCMP_ACT_ERRNO(n) for n >= 4095 (the kernel would accept 4095).
bool HasErrno4095(const SeccompSpec& spec) {
  auto bad = [&](SeccompAction a, uint32_t n) {
    return !spec.log_only && a == SeccompAction::kErrno && n >= 4095;
  };
  if (bad(spec.default_action, spec.default_errno_ret)) return true;
  for (const SeccompRule& r : spec.syscalls) {
    if (bad(r.action, r.errno_ret)) return true;
  }
  return false;
}

// ---- reporting ----

const char* OpName(Op op) {
  switch (op) {
    case Op::kNotEqual:
      return "NE";
    case Op::kLessThan:
      return "LT";
    case Op::kLessEqual:
      return "LE";
    case Op::kEqualTo:
      return "EQ";
    case Op::kGreaterEqual:
      return "GE";
    case Op::kGreaterThan:
      return "GT";
    case Op::kMaskedEqual:
      return "MASKED_EQ";
  }
  return "?";
}

std::string ActionText(SeccompAction a, uint32_t data) {
  switch (a) {
    case SeccompAction::kAllow:
      return "ALLOW";
    case SeccompAction::kErrno:
      return absl::StrCat("ERRNO(", data, ")");
    case SeccompAction::kKillThread:
      return "KILL_THREAD";
    case SeccompAction::kKillProcess:
      return "KILL_PROCESS";
    case SeccompAction::kTrap:
      return "TRAP";
    case SeccompAction::kTrace:
      return absl::StrCat("TRACE(", data, ")");
    case SeccompAction::kLog:
      return "LOG";
  }
  return "?";
}

std::string Describe(const SeccompSpec& spec) {
  std::string s = absl::StrCat("default ", ActionText(spec.default_action, spec.default_errno_ret),
                               spec.log_only ? " log_only" : "", " arches [",
                               absl::StrJoin(spec.architectures, ","), "]\n");
  for (size_t i = 0; i < spec.syscalls.size(); ++i) {
    const SeccompRule& r = spec.syscalls[i];
    absl::StrAppend(&s, "  syscalls[", i, "] ", absl::StrJoin(r.names, ","), " -> ",
                    ActionText(r.action, r.errno_ret));
    for (const SeccompArg& a : r.args) {
      absl::StrAppendFormat(&s, " a%u %s 0x%x", a.index, OpName(a.op), a.value);
      if (a.op == Op::kMaskedEqual) absl::StrAppendFormat(&s, " == 0x%x", a.value_two);
    }
    s += "\n";
  }
  return s;
}

std::string DescribeEvent(const seccomp_data& d) {
  std::string s = absl::StrFormat("nr %d (0x%x) arch 0x%x ip 0x%x args", d.nr,
                                  static_cast<uint32_t>(d.nr), d.arch, d.instruction_pointer);
  for (uint64_t a : d.args) absl::StrAppendFormat(&s, " 0x%x", a);
  return s;
}

std::string RetText(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
      return "ALLOW";
    case SECCOMP_RET_LOG:
      return "LOG";
    case SECCOMP_RET_KILL_PROCESS:
      return "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD:
      return "KILL_THREAD";
    case SECCOMP_RET_TRAP:
      return "TRAP";
    case SECCOMP_RET_ERRNO:
      return absl::StrCat("ERRNO(", ret & SECCOMP_RET_DATA, ")");
    case SECCOMP_RET_TRACE:
      return absl::StrCat("TRACE(", ret & SECCOMP_RET_DATA, ")");
  }
  return absl::StrFormat("0x%08x", ret);
}

[[noreturn]] void Mismatch(const std::string& what, const SeccompSpec& spec,
                           const std::string& detail) {
  fprintf(stderr, "seccomp_bpf_diff_fuzz: MISMATCH: %s\nspec:\n%s%s\n", what.c_str(),
          Describe(spec).c_str(), detail.c_str());
  abort();
}

// ---- events ----

seccomp_data RandomEvent(Reader& in, const SeccompSpec& spec,
                         const std::vector<uint64_t>& spec_values) {
  seccomp_data d = {};
  switch (in.Pick(16)) {
    case 0:
      d.arch = AUDIT_ARCH_I386;
      break;
    case 1:
      d.arch = in.Pick(2) ? AUDIT_ARCH_AARCH64 : in.U32();
      break;
    default:
      d.arch = AUDIT_ARCH_X86_64;
      break;
  }
  int nr = 0;
  const uint8_t how = in.U8();
  if (how < 140 && !spec.syscalls.empty()) {  // a syscall some rule names
    const SeccompRule& r = spec.syscalls[in.Pick(spec.syscalls.size())];
    nr = r.names.empty() ? 0 : ResolveX86_64(r.names[in.Pick(r.names.size())]);
  } else if (how < 170) {
    nr = kPool[in.Pick(kPoolSize)].nr;
  } else if (how < 195) {
    nr = in.U16() % 512;
  } else if (how < 215) {
    nr = static_cast<int>(0x40000000u |
                          (in.Pick(2) ? kPool[in.Pick(kPoolSize)].nr & 0x3ff : in.U32()));
  } else if (how < 225) {
    const int special[] = {-1,
                           0x3fffffff,
                           0x40000000,
                           0x7fffffff,
                           static_cast<int>(0x80000000),
                           -2,
                           __PNR_socketcall,
                           static_cast<int>(0xbfffffff)};
    nr = special[in.Pick(sizeof(special) / sizeof(special[0]))];
  } else {
    nr = static_cast<int>(in.U32());
  }
  d.nr = nr;
  if (in.Pick(8) == 0) d.instruction_pointer = in.U64();
  for (__u64& a : d.args) {
    const uint8_t k = in.U8();
    if (k < 100 && !spec_values.empty()) {
      // Around a value the spec compares with: equal, off by one, one half changed.
      uint64_t v = spec_values[in.Pick(spec_values.size())];
      switch (in.Pick(8)) {
        case 0:
          v += 1;
          break;
        case 1:
          v -= 1;
          break;
        case 2:
          v ^= uint64_t{1} << 32;
          break;
        case 3:
          v = (v & 0xffffffff) | (uint64_t{in.U32()} << 32);
          break;
        case 4:
          v |= PickValue(in);
          break;
        case 5:
          v &= PickValue(in);
          break;
        default:
          break;
      }
      a = v;
    } else if (k < 200) {
      a = PickValue(in);
    } else {
      a = in.U64();
    }
  }
  return d;
}

// DefaultSeccompProfile compiles in ~3.5 ms; compile each (caps, log_only) once per process.
const SeccompProgram* CachedDefault(const SeccompSpec& spec, uint32_t key) {
  static std::map<uint32_t, SeccompProgram>* cache = new std::map<uint32_t, SeccompProgram>;
  auto it = cache->find(key);
  if (it != cache->end()) return &it->second;
  absl::StatusOr<SeccompProgram> p = CompileSeccompBpf(spec);
  if (!p.ok()) {
    Mismatch(absl::StrCat("the default profile does not compile: ", p.status().ToString()), spec,
             "");
  }
  return &cache->emplace(key, *std::move(p)).first->second;
}

void CheckPoolAgainstLibseccomp() {
  static bool done = false;
  if (done) return;
  done = true;
  for (const PoolCall& c : kPool) {
    const int lib = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, c.name);
    if (c.nr >= 0 && lib != c.nr) {
      fprintf(stderr, "pool: %s is %d in <sys/syscall.h>, %d in libseccomp\n", c.name, c.nr, lib);
      abort();
    }
  }
}

}  // namespace
}  // namespace nucleus

// libseccomp 2.5.4 leaks the rule db_rule_add allocated when seccomp_rule_add_array fails
// (EEXIST and friends) although nucleus releases the context (seccomp_release) on every path;
// fuzz/corpus/seccomp_bpf_diff_fuzz/leak-libseccomp-db_rule_add reproduces it. Not ours.
// The unwinder stops inside libseccomp (no frame pointers), at its allocator zmalloc.
extern "C" const char* __lsan_default_suppressions() { return "leak:db_rule_add\nleak:zmalloc\n"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nucleus;
  CheckPoolAgainstLibseccomp();
  Reader in(data, size);
  SeccompSpec spec;
  const uint8_t mode = in.U8();
  const bool use_default = mode % 4 == 0;
  uint32_t default_key = 0;
  if (use_default) {
    const uint16_t capmask = in.U16();
    std::vector<int> caps;
    for (size_t i = 0; i < sizeof(kCapPool) / sizeof(kCapPool[0]); ++i) {
      if (capmask & (1u << i)) caps.push_back(kCapPool[i]);
    }
    spec = DefaultSeccompProfile(caps);
    spec.log_only = (mode & 0x10) != 0;
    default_key = capmask | (spec.log_only ? 0x10000 : 0);
  } else {
    spec = RandomSpec(in);
    spec.log_only = (mode & 0x10) != 0;
  }
  const std::vector<RefRule> rules = RefRules(spec);
  // To see what a hanging or crashing input compiles: NUCLEUS_SECCOMP_DIFF_PRINT=1.
  if (getenv("NUCLEUS_SECCOMP_DIFF_PRINT") != nullptr) {
    fprintf(stderr, "spec:\n%s", Describe(spec).c_str());
  }

  SeccompProgram fresh;
  const SeccompProgram* program = nullptr;
  if (use_default) {
    program = CachedDefault(spec, default_key);
  } else {
    // What nucleus runs: CompileSeccomp, i.e. libseccomp in a child process with a deadline
    // (seccomp.h), so libseccomp 2.5.4's rule_add hang becomes a refusal, not a stuck fuzzer.
    absl::StatusOr<SeccompProgram> compiled = CompileSeccomp(spec);
    const bool must_refuse = PredictsUnconditionalConflict(spec, rules);
    if (!compiled.ok()) {
      const std::string msg(compiled.status().message());
      const bool documented =
          (msg.find("would silently override") != std::string::npos && must_refuse) ||
          (msg.find("with the same arguments and another action") != std::string::npos &&
           PredictsTreeConflict(spec, rules)) ||
          (msg.find("ERRNO(4095)") != std::string::npos && HasErrno4095(spec)) ||
          // CompileSeccompBpf's own guard against libseccomp's stale-accumulator bug
          // (seccomp_bpf.h): a refusal, never a wrong filter. Its absence of false
          // negatives is what the decision check below keeps testing.
          msg.find("compares a stale argument word") != std::string::npos ||
          // CompileSeccomp's deadline (seccomp.h): libseccomp 2.5.4 hangs on some rule sets.
          msg.find("did not finish compiling") != std::string::npos;
      if (!documented) {
        Mismatch("a refusal the reference does not explain", spec,
                 absl::StrCat("error: ", compiled.status().ToString()));
      }
      return 0;
    }
    if (must_refuse) {
      Mismatch(
          "compiled a spec where an unconditional rule overrides a different action "
          "(seccomp.h promises a refusal)",
          spec, "");
    }
    fresh = *std::move(compiled);
    program = &fresh;
  }

  const std::string invalid = CheckSeccompFilter(program->filter);
  if (!invalid.empty()) {
    Mismatch(absl::StrCat("the kernel would refuse the filter: ", invalid), spec, "");
  }

  std::vector<uint64_t> spec_values;
  for (const SeccompRule& r : spec.syscalls) {
    for (const SeccompArg& a : r.args) {
      spec_values.push_back(a.value);
      spec_values.push_back(a.value_two);
    }
  }
  const size_t events = 1 + in.Pick(16);
  for (size_t i = 0; i < events; ++i) {
    const seccomp_data d = RandomEvent(in, spec, spec_values);
    bool ambiguous = false;
    const std::set<uint32_t> want = Reference(spec, rules, d, &ambiguous);
    const BpfRun got = RunSeccompFilter(program->filter, d);
    if (!got.ok) {
      Mismatch(absl::StrCat("the filter failed to run: ", got.error), spec, DescribeEvent(d));
    }
    if (want.count(got.ret) == 0) {
      std::vector<std::string> wants;
      for (uint32_t w : want) wants.push_back(RetText(w));
      Mismatch("the filter's decision differs from the reference", spec,
               absl::StrCat("event: ", DescribeEvent(d), "\nreference: ",
                            absl::StrJoin(wants, " or "), "\nfilter:    ", RetText(got.ret), " (",
                            program->filter.size(), " instructions)"));
    }
    if (in.empty()) break;
  }
  return 0;
}
