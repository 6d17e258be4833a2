// Process identity: --user, --group-add, and user-namespace id maps (--uidmap / --gidmap).
//
// Contract:
//  - Ids are decimal numbers 0..4294967294 (4294967295 is (uid_t)-1, "no id" to the kernel);
//    anything else where an id is expected is an error.
//  - --user takes UID[:GID] or NAME[:GROUP] (parts may mix: "app:0", "1000:staff"). A part of
//    only digits is an id, anything else a name looked up in the container's etc/passwd or
//    etc/group. When only a user is given, the group is the user's passwd group; for a
//    numeric uid that passwd does not list, the group is 0, as docker does. Empty parts
//    ("abc:", ":0") and more than one ':' are errors. Names are matched exactly, first entry
//    wins (as glibc's getpwnam). Supplementary groups come only from --group-add: unlike
//    docker, membership lists in etc/group are not consulted, so the command line shows every
//    group the workload holds.
//  - etc/passwd and etc/group come from the container's root (an image, possibly hostile):
//    they are opened with openat2(RESOLVE_IN_ROOT) so symlinks cannot leave the root, must be
//    regular files (a FIFO or device is refused, never read), at most 4 MiB, and malformed
//    lines are skipped rather than trusted. A missing file is an empty database.
//  - Id maps are CONTAINER:HOST:SIZE with SIZE >= 1 and neither range running past
//    4294967294; a set of maps may not overlap in container ids nor in host ids (the kernel
//    refuses both) and holds at most 340 maps (the kernel's limit).
// Errors are InvalidArgument (NotFound for unknown names), one line naming the flag and
// value: "--user: 'abc:' is not UID[:GID]".
//
//   ASSIGN_OR_RETURN(UserDb db, UserDb::Load(rootfs));
//   ASSIGN_OR_RETURN(UserIdentity who, ResolveUser("app", db, "--user"));
//   ASSIGN_OR_RETURN(gid_t extra, ResolveGroup("video", db, "--group-add"));
//   ASSIGN_OR_RETURN(IdMapping m, ParseIdMapping("0:100000:65536", "--uidmap"));
#ifndef NUCLEUS_RUNTIME_IDENTITY_H_
#define NUCLEUS_RUNTIME_IDENTITY_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/spec/container_spec.h"

namespace nucleus {

inline constexpr uint32_t kMaxId = 4294967294u;  // (uid_t)-1 excluded
inline constexpr size_t kMaxIdMappings = 340;    // UID_GID_MAP_MAX_EXTENTS

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string home;  // empty when the file's value is not a clean absolute path
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
};

// passwd(5) text: name:password:uid:gid:gecos:home:shell. Lines that are malformed (fewer
// than 4 fields, bad ids, empty name, NIS "+"/"-" entries, a NUL byte) are skipped.
std::vector<PasswdEntry> ParsePasswd(absl::string_view text);
// group(5) text: name:password:gid[:members]. Malformed lines are skipped likewise.
std::vector<GroupEntry> ParseGroup(absl::string_view text);

// The users and groups of one container root. Copyable value.
class UserDb {
 public:
  UserDb() = default;  // empty: numeric ids only
  // From text; the names appear in "no user 'x' in PASSWD_NAME" messages.
  static UserDb FromText(absl::string_view passwd, absl::string_view group,
                         std::string passwd_name = "etc/passwd",
                         std::string group_name = "etc/group");
  // Reads ROOT/etc/passwd and ROOT/etc/group as described above. Errors: ROOT cannot be
  // opened, a file is not regular or too large, or reading fails.
  static absl::StatusOr<UserDb> Load(const std::string& root);

  const PasswdEntry* FindUser(absl::string_view name) const;
  const PasswdEntry* FindUid(uint32_t uid) const;
  const GroupEntry* FindGroup(absl::string_view name) const;

  const std::string& passwd_name() const { return passwd_name_; }
  const std::string& group_name() const { return group_name_; }

 private:
  std::vector<PasswdEntry> users_;
  std::vector<GroupEntry> groups_;
  std::string passwd_name_ = "etc/passwd";
  std::string group_name_ = "etc/group";
};

// True when `text` is one or more ASCII digits (an id, not a name).
bool IsNumericId(absl::string_view text);
// An id 0..kMaxId; `what` names it in errors ("--user: uid '4294967295' is out of range").
absl::StatusOr<uint32_t> ParseId(absl::string_view text, absl::string_view flag,
                                 absl::string_view what);

struct UserIdentity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;  // from passwd, empty when the user is not listed there
};

// One --user value, resolved against `db`.
absl::StatusOr<UserIdentity> ResolveUser(absl::string_view spec, const UserDb& db,
                                         absl::string_view flag);
// One --group-add value: GID or NAME.
absl::StatusOr<gid_t> ResolveGroup(absl::string_view spec, const UserDb& db,
                                   absl::string_view flag);
// True when every part of a --user / --group-add value is numeric (no database needed,
// though passwd still supplies a numeric user's group and home when present).
bool IsNumericUserSpec(absl::string_view spec);

// One --uidmap / --gidmap value: CONTAINER:HOST:SIZE.
absl::StatusOr<IdMapping> ParseIdMapping(absl::string_view text, absl::string_view flag);
// Checks a whole set: count, no overlap in container or host ids.
absl::Status ValidateIdMappings(const std::vector<IdMapping>& maps, absl::string_view flag);
// True when container id `id` falls inside one of `maps`.
bool IsIdMapped(const std::vector<IdMapping>& maps, uint32_t id);
// The host id that container id `id` maps to; nullopt when no mapping covers it.
std::optional<uint32_t> MapIdToHost(const std::vector<IdMapping>& maps, uint32_t id);
// The host uid (gid) that container uid (gid) `id` is in `spec`: through its user namespace's
// maps, or `id` itself without a new user namespace; nullopt when unmapped.
std::optional<uint32_t> HostUidOf(const ContainerSpec& spec, uint32_t id);
std::optional<uint32_t> HostGidOf(const ContainerSpec& spec, uint32_t id);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_IDENTITY_H_
