// Landlock access rights: the kernel's bit values, which ABI brought each, and their names in
// nucleus's policy files and messages. Shared by the policy parser (runtime/landlock/policy.h),
// the native backend (backends/native/landlock.h) and `nucleus check`.
//
// The kernel UAPI header <linux/landlock.h> of Debian 12 (linux-libc-dev 6.1) stops at ABI 2
// (LANDLOCK_ACCESS_FS_REFER) and its struct landlock_ruleset_attr has only handled_access_fs.
// Everything newer is defined here, in this one place, with the values of the kernel's
// include/uapi/linux/landlock.h (ABI 3: Linux 6.2, 4: 6.7, 5: 6.10, 6: 6.12, 7: 6.15, 8: 7.0,
// 9: 7.1):
//   LANDLOCK_ACCESS_FS_TRUNCATE   1 << 14   (ABI 3)
//   LANDLOCK_ACCESS_NET_BIND_TCP  1 << 0, LANDLOCK_ACCESS_NET_CONNECT_TCP 1 << 1,
//   LANDLOCK_RULE_NET_PORT = 2, struct landlock_net_port_attr {u64 allowed_access; u64 port}
//   and landlock_ruleset_attr.handled_access_net                               (ABI 4)
//   LANDLOCK_ACCESS_FS_IOCTL_DEV  1 << 15   (ABI 5)
//   LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET 1 << 0, LANDLOCK_SCOPE_SIGNAL 1 << 1 and
//   landlock_ruleset_attr.scoped                                                (ABI 6)
//   ABI 7 adds only audit-logging flags for landlock_restrict_self (unused here), ABI 8 only
//   LANDLOCK_RESTRICT_SELF_TSYNC (unused: the child is single-threaded).
//   LANDLOCK_ACCESS_FS_RESOLVE_UNIX 1 << 16   (ABI 9): connect(2) and sendmsg(2) to a
//   pathname unix socket; handled, it denies every socket not created in the same Landlock
//   domain unless a rule on the socket (or a directory above it) allows it. EACCES.
// They are constexpr constants rather than #defines so a newer header cannot clash with them
// (LANDLOCK_RULE_NET_PORT is an enumerator there); the ABI 1-2 values are checked against
// the header with static_asserts in access.cc.
//
// Names are the kernel's, lowercased without the prefix: LANDLOCK_ACCESS_FS_READ_FILE is
// "read_file". Shorthands: "ro" (read_file, read_dir), "rx" (ro + execute), "rw" (ro + every
// write right: write_file, truncate, remove_*, make_*, refer, ioctl_dev) and "rwx";
// resolve_unix is in none of them (a writable bind is no licence to reach its sockets).
//
//   std::optional<uint64_t> bits = FsAccessFromName("rx");
//   uint64_t handled = HandledFsForAbi(abi);  // 0 when abi < 1
#ifndef NUCLEUS_RUNTIME_LANDLOCK_ACCESS_H_
#define NUCLEUS_RUNTIME_LANDLOCK_ACCESS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace nucleus {
namespace landlock {

// ---- Filesystem rights (landlock_path_beneath_attr.allowed_access) ----
inline constexpr uint64_t kFsExecute = 1ULL << 0;
inline constexpr uint64_t kFsWriteFile = 1ULL << 1;
inline constexpr uint64_t kFsReadFile = 1ULL << 2;
inline constexpr uint64_t kFsReadDir = 1ULL << 3;
inline constexpr uint64_t kFsRemoveDir = 1ULL << 4;
inline constexpr uint64_t kFsRemoveFile = 1ULL << 5;
inline constexpr uint64_t kFsMakeChar = 1ULL << 6;
inline constexpr uint64_t kFsMakeDir = 1ULL << 7;
inline constexpr uint64_t kFsMakeReg = 1ULL << 8;
inline constexpr uint64_t kFsMakeSock = 1ULL << 9;
inline constexpr uint64_t kFsMakeFifo = 1ULL << 10;
inline constexpr uint64_t kFsMakeBlock = 1ULL << 11;
inline constexpr uint64_t kFsMakeSym = 1ULL << 12;
inline constexpr uint64_t kFsRefer = 1ULL << 13;        // ABI 2
inline constexpr uint64_t kFsTruncate = 1ULL << 14;     // ABI 3
inline constexpr uint64_t kFsIoctlDev = 1ULL << 15;     // ABI 5
inline constexpr uint64_t kFsResolveUnix = 1ULL << 16;  // ABI 9

// ---- Network rights (ABI 4; landlock_net_port_attr.allowed_access) ----
inline constexpr uint64_t kNetBindTcp = 1ULL << 0;
inline constexpr uint64_t kNetConnectTcp = 1ULL << 1;
inline constexpr int kRulePathBeneath = 1;  // LANDLOCK_RULE_PATH_BENEATH
inline constexpr int kRuleNetPort = 2;      // LANDLOCK_RULE_NET_PORT

// ---- Scopes (ABI 6; landlock_ruleset_attr.scoped) ----
inline constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;
inline constexpr uint64_t kScopeSignal = 1ULL << 1;

inline constexpr uint32_t kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
inline constexpr int kHighestKnownAbi = 9;

// The ABI 6 layout of struct landlock_ruleset_attr. The kernel takes the size we pass and
// reads only the fields it knows, so older kernels get a prefix (RulesetAttrSize).
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};
// sizeof(RulesetAttr) cut to the fields `abi` knows: 8 (ABI 1-3), 16 (4-5), 24 (6+).
size_t RulesetAttrSize(int abi);

struct NetPortAttr {  // struct landlock_net_port_attr
  uint64_t allowed_access;
  uint64_t port;  // host endianness
};

// ---- Groups ----
inline constexpr uint64_t kFsRead = kFsReadFile | kFsReadDir;
inline constexpr uint64_t kFsReadExec = kFsRead | kFsExecute;
// Everything that changes the tree or a file's content.
inline constexpr uint64_t kFsWrite =
    kFsWriteFile | kFsRemoveDir | kFsRemoveFile | kFsMakeChar | kFsMakeDir | kFsMakeReg |
    kFsMakeSock | kFsMakeFifo | kFsMakeBlock | kFsMakeSym | kFsRefer | kFsTruncate | kFsIoctlDev;
inline constexpr uint64_t kFsAll = kFsReadExec | kFsWrite;
// Every filesystem right nucleus knows: kFsAll and resolve_unix (in no shorthand).
inline constexpr uint64_t kFsKnown = kFsAll | kFsResolveUnix;
// The rights a rule on a non-directory may carry; the kernel refuses others with EINVAL.
inline constexpr uint64_t kFsFileRights =
    kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev | kFsResolveUnix;

// Handled (deny-by-default) rights a kernel of this ABI knows; 0 for abi < 1. Higher ABIs
// than kHighestKnownAbi get what kHighestKnownAbi has.
uint64_t HandledFsForAbi(int abi);
uint64_t HandledNetForAbi(int abi);
uint64_t ScopesForAbi(int abi);
// The ABI that introduced a right (1 for the base rights); 0 for unknown bits.
int MinAbiForFs(uint64_t bit);

// One right's name, or a shorthand ("ro", "rx", "rw", "rwx"). nullopt: not a name.
std::optional<uint64_t> FsAccessFromName(absl::string_view name);
// "read_file,read_dir,execute" (table order); "" for 0; unknown bits as "0x...".
std::string FsAccessNames(uint64_t bits);
// The accepted names, for error messages: "execute, write_file, ..., rw, rwx".
const std::string& FsAccessNameList();

// "abstract_unix_socket" / "signal" -> the scope bit. nullopt: not a scope.
std::optional<uint64_t> ScopeFromName(absl::string_view name);

// What a kernel of this ABI lets nucleus enforce, for `nucleus check`:
// "fs, refer, truncate, tcp bind/connect, ioctl_dev, scoping (abstract unix, signal), audit,
// unix socket connect (resolve_unix)".
std::string DescribeAbi(int abi);

}  // namespace landlock
}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_LANDLOCK_ACCESS_H_
