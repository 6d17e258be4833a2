#include "runtime/landlock/access.h"

#include <linux/landlock.h>

#include <cstddef>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace nucleus {
namespace landlock {

// Our constants must be the kernel's wherever Debian's header has them.
static_assert(kFsExecute == LANDLOCK_ACCESS_FS_EXECUTE);
static_assert(kFsWriteFile == LANDLOCK_ACCESS_FS_WRITE_FILE);
static_assert(kFsReadFile == LANDLOCK_ACCESS_FS_READ_FILE);
static_assert(kFsReadDir == LANDLOCK_ACCESS_FS_READ_DIR);
static_assert(kFsRemoveDir == LANDLOCK_ACCESS_FS_REMOVE_DIR);
static_assert(kFsRemoveFile == LANDLOCK_ACCESS_FS_REMOVE_FILE);
static_assert(kFsMakeChar == LANDLOCK_ACCESS_FS_MAKE_CHAR);
static_assert(kFsMakeDir == LANDLOCK_ACCESS_FS_MAKE_DIR);
static_assert(kFsMakeReg == LANDLOCK_ACCESS_FS_MAKE_REG);
static_assert(kFsMakeSock == LANDLOCK_ACCESS_FS_MAKE_SOCK);
static_assert(kFsMakeFifo == LANDLOCK_ACCESS_FS_MAKE_FIFO);
static_assert(kFsMakeBlock == LANDLOCK_ACCESS_FS_MAKE_BLOCK);
static_assert(kFsMakeSym == LANDLOCK_ACCESS_FS_MAKE_SYM);
static_assert(kFsRefer == LANDLOCK_ACCESS_FS_REFER);
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
static_assert(kFsTruncate == LANDLOCK_ACCESS_FS_TRUNCATE);
#endif
#ifdef LANDLOCK_ACCESS_FS_IOCTL_DEV
static_assert(kFsIoctlDev == LANDLOCK_ACCESS_FS_IOCTL_DEV);
#endif
#ifdef LANDLOCK_ACCESS_FS_RESOLVE_UNIX
static_assert(kFsResolveUnix == LANDLOCK_ACCESS_FS_RESOLVE_UNIX);
#endif
static_assert(kRulePathBeneath == LANDLOCK_RULE_PATH_BENEATH);
static_assert(kCreateRulesetVersion == LANDLOCK_CREATE_RULESET_VERSION);
static_assert(sizeof(NetPortAttr) == 16);
static_assert(sizeof(RulesetAttr) == 24);

namespace {

struct Named {
  const char* name;
  uint64_t bits;
  int min_abi;
};

// Table order is the order FsAccessNames prints: the everyday rights first.
constexpr Named kFsRights[] = {
    {"read_file", kFsReadFile, 1},
    {"read_dir", kFsReadDir, 1},
    {"execute", kFsExecute, 1},
    {"write_file", kFsWriteFile, 1},
    {"truncate", kFsTruncate, 3},
    {"remove_dir", kFsRemoveDir, 1},
    {"remove_file", kFsRemoveFile, 1},
    {"make_char", kFsMakeChar, 1},
    {"make_dir", kFsMakeDir, 1},
    {"make_reg", kFsMakeReg, 1},
    {"make_sock", kFsMakeSock, 1},
    {"make_fifo", kFsMakeFifo, 1},
    {"make_block", kFsMakeBlock, 1},
    {"make_sym", kFsMakeSym, 1},
    {"refer", kFsRefer, 2},
    {"ioctl_dev", kFsIoctlDev, 5},
    {"resolve_unix", kFsResolveUnix, 9},
};

constexpr Named kShorthands[] = {
    {"ro", kFsRead, 1},
    {"rx", kFsReadExec, 1},
    {"rw", kFsRead | kFsWrite, 1},
    {"rwx", kFsAll, 1},
};

constexpr Named kScopes[] = {
    {"abstract_unix_socket", kScopeAbstractUnixSocket, 6},
    {"signal", kScopeSignal, 6},
};

int ClampAbi(int abi) { return abi > kHighestKnownAbi ? kHighestKnownAbi : abi; }

}  // namespace

size_t RulesetAttrSize(int abi) {
  if (abi >= 6) return sizeof(RulesetAttr);
  if (abi >= 4) return offsetof(RulesetAttr, scoped);
  return offsetof(RulesetAttr, handled_access_net);
}

uint64_t HandledFsForAbi(int abi) {
  abi = ClampAbi(abi);
  uint64_t bits = 0;
  for (const Named& r : kFsRights) {
    if (abi >= r.min_abi) bits |= r.bits;
  }
  return bits;
}

uint64_t HandledNetForAbi(int abi) { return abi >= 4 ? kNetBindTcp | kNetConnectTcp : 0; }

uint64_t ScopesForAbi(int abi) { return abi >= 6 ? kScopeAbstractUnixSocket | kScopeSignal : 0; }

int MinAbiForFs(uint64_t bit) {
  for (const Named& r : kFsRights) {
    if (r.bits == bit) return r.min_abi;
  }
  return 0;
}

std::optional<uint64_t> FsAccessFromName(absl::string_view name) {
  for (const Named& r : kFsRights) {
    if (name == r.name) return r.bits;
  }
  for (const Named& s : kShorthands) {
    if (name == s.name) return s.bits;
  }
  return std::nullopt;
}

std::string FsAccessNames(uint64_t bits) {
  std::string out;
  for (const Named& r : kFsRights) {
    if (bits & r.bits) {
      absl::StrAppend(&out, out.empty() ? "" : ",", r.name);
      bits &= ~r.bits;
    }
  }
  if (bits != 0) absl::StrAppend(&out, out.empty() ? "" : ",", "0x", absl::Hex(bits));
  return out;
}

const std::string& FsAccessNameList() {
  static const std::string* list = [] {
    std::string s;
    for (const Named& r : kFsRights) absl::StrAppend(&s, s.empty() ? "" : ", ", r.name);
    for (const Named& r : kShorthands) absl::StrAppend(&s, ", ", r.name);
    return new std::string(s);
  }();
  return *list;
}

std::optional<uint64_t> ScopeFromName(absl::string_view name) {
  for (const Named& s : kScopes) {
    if (name == s.name) return s.bits;
  }
  return std::nullopt;
}

std::string DescribeAbi(int abi) {
  if (abi < 1) return "nothing";
  std::vector<const char*> parts = {"fs"};
  if (abi >= 2) parts.push_back("refer");
  if (abi >= 3) parts.push_back("truncate");
  if (abi >= 4) parts.push_back("tcp bind/connect");
  if (abi >= 5) parts.push_back("ioctl_dev");
  if (abi >= 6) parts.push_back("scoping (abstract unix sockets, signals)");
  if (abi >= 7) parts.push_back("audit logging");
  if (abi >= 9) parts.push_back("unix socket connect (resolve_unix)");
  return absl::StrJoin(parts, ", ");
}

}  // namespace landlock
}  // namespace nucleus
