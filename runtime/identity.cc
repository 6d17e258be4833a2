#include "runtime/identity.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/paths.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

constexpr size_t kMaxDbFileBytes = 4 << 20;

// A user or group name as given on the command line. Names in the files are matched
// byte-for-byte, so this only keeps junk (and option-looking "-1") out of messages and lookups.
bool IsPlausibleName(absl::string_view name) {
  if (name.empty() || name[0] == '-' || name[0] == '+') return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u == '\0' || absl::ascii_isspace(u) || absl::ascii_iscntrl(u);
  });
}

// Ids in the files: digits only, within range; anything else makes the line malformed.
std::optional<uint32_t> FileId(absl::string_view text) {
  uint32_t v = 0;
  if (!IsNumericId(text) || !absl::SimpleAtoi(text, &v) || v > kMaxId) return std::nullopt;
  return v;
}

bool SkippableLine(absl::string_view line) {
  return line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-' ||
         line.find('\0') != absl::string_view::npos;
}

// The home directory, kept only when it is a clean absolute path: it becomes $HOME.
std::string CleanHome(absl::string_view home) {
  if (home.empty() || home[0] != '/') return "";
  auto cleaned = ValidatePath(home, PathRules{}, "home");
  return cleaned.ok() ? *cleaned : "";
}

// Opens ROOT/REL without leaving ROOT. openat2(RESOLVE_IN_ROOT) resolves symlinks as if ROOT
// were "/"; where the kernel lacks openat2 (before 5.6) every component is opened
// O_NOFOLLOW instead, which refuses symlinks rather than resolving them.
int OpenInRoot(int root_fd, const std::string& rel, int flags) {
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  long fd =
      RetryEintr([&] { return ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof(how)); });
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  UniqueFd dir(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!dir) return -1;
  std::vector<std::string> parts = absl::StrSplit(rel, '/', absl::SkipEmpty());
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir.get(), parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return -1;
    dir.Reset(next);
  }
  return RetryEintr(
      [&] { return ::openat(dir.get(), parts.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC); });
}

// The file's text, or nullopt when it does not exist.
absl::StatusOr<std::optional<std::string>> ReadDbFile(int root_fd, const std::string& rel,
                                                      const std::string& shown) {
  // O_NONBLOCK: opening a FIFO planted by the image must not hang nucleus.
  UniqueFd fd(OpenInRoot(root_fd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return ErrnoStatus("openat2", shown);
  }
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", shown);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(shown, " is not a regular file"));
  }
  auto text = ReadFdToString(fd.get(), kMaxDbFileBytes);
  if (!text.ok()) return Annotate(text.status(), shown);
  return std::optional<std::string>(std::move(*text));
}

absl::Status NotUserSpec(absl::string_view flag, absl::string_view spec) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(spec), " is not UID[:GID]"));
}

absl::Status NotMapping(absl::string_view flag, absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": ", Quote(text), " is not CONTAINER:HOST:SIZE"));
}

std::string MappingText(const IdMapping& m) {
  return absl::StrCat(m.container_id, ":", m.host_id, ":", m.size);
}

// Last id of a range starting at `first`; ranges are validated so this does not wrap.
uint64_t Last(uint32_t first, uint32_t size) { return uint64_t{first} + size - 1; }

bool Overlap(uint32_t a, uint32_t a_size, uint32_t b, uint32_t b_size) {
  return a <= Last(b, b_size) && b <= Last(a, a_size);
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(absl::string_view text) {
  std::vector<PasswdEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (SkippableLine(line)) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 4 || f[0].empty()) continue;
    std::optional<uint32_t> uid = FileId(f[2]);
    std::optional<uint32_t> gid = FileId(f[3]);
    if (!uid || !gid) continue;
    PasswdEntry e;
    e.name = std::string(f[0]);
    e.uid = *uid;
    e.gid = *gid;
    if (f.size() > 5) e.home = CleanHome(f[5]);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(absl::string_view text) {
  std::vector<GroupEntry> out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (SkippableLine(line)) continue;
    std::vector<absl::string_view> f = absl::StrSplit(line, ':');
    if (f.size() < 3 || f[0].empty()) continue;
    std::optional<uint32_t> gid = FileId(f[2]);
    if (!gid) continue;
    out.push_back(GroupEntry{std::string(f[0]), *gid});
  }
  return out;
}

UserDb UserDb::FromText(absl::string_view passwd, absl::string_view group, std::string passwd_name,
                        std::string group_name) {
  UserDb db;
  db.users_ = ParsePasswd(passwd);
  db.groups_ = ParseGroup(group);
  db.passwd_name_ = std::move(passwd_name);
  db.group_name_ = std::move(group_name);
  return db;
}

absl::StatusOr<UserDb> UserDb::Load(const std::string& root) {
  const std::string passwd_name = CleanPath(absl::StrCat(root, "/etc/passwd"));
  const std::string group_name = CleanPath(absl::StrCat(root, "/etc/group"));
  auto root_fd = Open(root, O_PATH | O_DIRECTORY);
  if (!root_fd.ok()) return root_fd.status();
  ASSIGN_OR_RETURN(std::optional<std::string> passwd,
                   ReadDbFile(root_fd->get(), "etc/passwd", passwd_name));
  ASSIGN_OR_RETURN(std::optional<std::string> group,
                   ReadDbFile(root_fd->get(), "etc/group", group_name));
  return FromText(passwd.value_or(""), group.value_or(""), passwd_name, group_name);
}

const PasswdEntry* UserDb::FindUser(absl::string_view name) const {
  for (const PasswdEntry& e : users_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const PasswdEntry* UserDb::FindUid(uint32_t uid) const {
  for (const PasswdEntry& e : users_) {
    if (e.uid == uid) return &e;
  }
  return nullptr;
}

const GroupEntry* UserDb::FindGroup(absl::string_view name) const {
  for (const GroupEntry& e : groups_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool IsNumericId(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

absl::StatusOr<uint32_t> ParseId(absl::string_view text, absl::string_view flag,
                                 absl::string_view what) {
  if (!IsNumericId(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", what, " ", Quote(text), " is not a number"));
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v > kMaxId) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", what, " ", Quote(text), " is out of range (0..", kMaxId, ")"));
  }
  return static_cast<uint32_t>(v);
}

absl::StatusOr<gid_t> ResolveGroup(absl::string_view spec, const UserDb& db,
                                   absl::string_view flag) {
  if (IsNumericId(spec)) return ParseId(spec, flag, "gid");
  if (!IsPlausibleName(spec)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", Quote(spec), " is not a gid or group name"));
  }
  const GroupEntry* g = db.FindGroup(spec);
  if (g == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(flag, ": no group ", Quote(spec), " in ", db.group_name()));
  }
  return g->gid;
}

absl::StatusOr<UserIdentity> ResolveUser(absl::string_view spec, const UserDb& db,
                                         absl::string_view flag) {
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  if (parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty())) {
    return NotUserSpec(flag, spec);
  }
  UserIdentity out;
  const PasswdEntry* entry = nullptr;
  if (IsNumericId(parts[0])) {
    ASSIGN_OR_RETURN(out.uid, ParseId(parts[0], flag, "uid"));
    entry = db.FindUid(out.uid);
  } else {
    if (!IsPlausibleName(parts[0])) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": ", Quote(parts[0]), " is not a uid or user name"));
    }
    entry = db.FindUser(parts[0]);
    if (entry == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(flag, ": no user ", Quote(parts[0]), " in ", db.passwd_name()));
    }
    out.uid = entry->uid;
  }
  if (entry != nullptr) {
    out.gid = entry->gid;
    out.home = entry->home;
  }
  if (parts.size() == 2) {
    ASSIGN_OR_RETURN(out.gid, ResolveGroup(parts[1], db, flag));
  }
  return out;
}

bool IsNumericUserSpec(absl::string_view spec) {
  for (absl::string_view part : absl::StrSplit(spec, ':')) {
    if (!IsNumericId(part)) return false;
  }
  return true;
}

absl::StatusOr<IdMapping> ParseIdMapping(absl::string_view text, absl::string_view flag) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 3) return NotMapping(flag, text);
  for (absl::string_view p : parts) {
    if (!IsNumericId(p)) return NotMapping(flag, text);
  }
  IdMapping m;
  ASSIGN_OR_RETURN(m.container_id, ParseId(parts[0], flag, "container id"));
  ASSIGN_OR_RETURN(m.host_id, ParseId(parts[1], flag, "host id"));
  uint64_t size = 0;
  if (!absl::SimpleAtoi(parts[2], &size) || size == 0 || size > uint64_t{kMaxId} + 1) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": size ", Quote(parts[2]), " in ",
                                                   Quote(text), " is not 1..", kMaxId + 1ull));
  }
  m.size = static_cast<uint32_t>(size);
  if (Last(m.container_id, m.size) > kMaxId || Last(m.host_id, m.size) > kMaxId) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", Quote(text), " runs past id ", kMaxId));
  }
  return m;
}

absl::Status ValidateIdMappings(const std::vector<IdMapping>& maps, absl::string_view flag) {
  if (maps.size() > kMaxIdMappings) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", maps.size(), " maps; the kernel takes at most ", kMaxIdMappings));
  }
  for (const IdMapping& m : maps) {
    if (m.size == 0 || Last(m.container_id, m.size) > kMaxId || Last(m.host_id, m.size) > kMaxId) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": '", MappingText(m), "' is not a valid map"));
    }
  }
  for (size_t i = 0; i < maps.size(); ++i) {
    for (size_t j = i + 1; j < maps.size(); ++j) {
      const IdMapping& a = maps[i];
      const IdMapping& b = maps[j];
      const char* which = Overlap(a.container_id, a.size, b.container_id, b.size) ? "container"
                          : Overlap(a.host_id, a.size, b.host_id, b.size)         ? "host"
                                                                                  : nullptr;
      if (which != nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": '", MappingText(a), "' and '",
                                                       MappingText(b), "' overlap in ", which,
                                                       " ids"));
      }
    }
  }
  return absl::OkStatus();
}

bool IsIdMapped(const std::vector<IdMapping>& maps, uint32_t id) {
  return MapIdToHost(maps, id).has_value();
}

std::optional<uint32_t> HostUidOf(const ContainerSpec& spec, uint32_t id) {
  return spec.namespaces.user ? MapIdToHost(spec.uid_mappings, id) : id;
}

std::optional<uint32_t> HostGidOf(const ContainerSpec& spec, uint32_t id) {
  return spec.namespaces.user ? MapIdToHost(spec.gid_mappings, id) : id;
}

std::optional<uint32_t> MapIdToHost(const std::vector<IdMapping>& maps, uint32_t id) {
  for (const IdMapping& m : maps) {
    if (id >= m.container_id && id <= Last(m.container_id, m.size)) {
      return m.host_id + (id - m.container_id);
    }
  }
  return std::nullopt;
}

}  // namespace nucleus
