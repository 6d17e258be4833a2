#include "runtime/paths.h"

#include <limits.h>
#include <unistd.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

absl::Status PathError(absl::string_view what, absl::string_view path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", Quote(path), " ", why));
}

// The checks that hold for every path: what the kernel would refuse anyway, refused early with
// a message that names the flag.
absl::Status CheckCommon(absl::string_view path, absl::string_view what) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": empty path"));
  if (path.find('\0') != absl::string_view::npos) {
    return PathError(what, path, "contains a NUL byte");
  }
  if (path.size() >= PATH_MAX) {
    return PathError(what, path, absl::StrCat("is longer than ", PATH_MAX - 1, " bytes"));
  }
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part.size() > NAME_MAX) {
      return PathError(what, path,
                       absl::StrCat("has a component longer than ", NAME_MAX, " bytes"));
    }
  }
  return absl::OkStatus();
}

bool HasDotDot(absl::string_view path) {
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (part == "..") return true;
  }
  return false;
}

}  // namespace

std::string CleanPath(absl::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  std::vector<absl::string_view> parts;
  size_t leading_dotdots = 0;  // ".." kept at the front of a relative path
  for (absl::string_view part : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      if (parts.size() > leading_dotdots) {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
        ++leading_dotdots;
      }  // "/.." is "/"
      continue;
    }
    parts.push_back(part);
  }
  std::string joined = absl::StrJoin(parts, "/");
  if (rooted) return absl::StrCat("/", joined);
  return joined.empty() ? "." : joined;
}

absl::StatusOr<std::string> ValidatePath(absl::string_view path, const PathRules& rules,
                                         absl::string_view what) {
  RETURN_IF_ERROR(CheckCommon(path, what));
  const bool absolute = path[0] == '/';
  if (!absolute && rules.require_absolute) return PathError(what, path, "is not an absolute path");
  if (!rules.allow_dotdot && HasDotDot(path)) {
    return PathError(what, path, "contains a '..' component");
  }
  if (absolute) return CleanPath(path);
  if (rules.base.empty() || rules.base[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(what, ": cannot resolve relative path ",
                                                   Quote(path), " against ", Quote(rules.base)));
  }
  std::string joined = CleanPath(absl::StrCat(rules.base, "/", path));
  // Joining can push a short relative path over the limit.
  RETURN_IF_ERROR(CheckCommon(joined, what));
  return joined;
}

absl::StatusOr<std::string> ValidateContainerPath(absl::string_view path, absl::string_view what) {
  return ValidatePath(path, PathRules{}, what);
}

absl::StatusOr<std::string> ValidateHostPath(absl::string_view path, absl::string_view cwd,
                                             absl::string_view what) {
  PathRules rules;
  rules.require_absolute = false;
  rules.base = std::string(cwd);
  rules.allow_dotdot = true;
  return ValidatePath(path, rules, what);
}

absl::StatusOr<std::string> ValidateHostPath(absl::string_view path, absl::string_view what) {
  if (path.empty() || path[0] == '/') return ValidateHostPath(path, "/", what);
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof(buf)) == nullptr) {
    return Annotate(ErrnoStatus("getcwd"), absl::StrCat(what, " ", Quote(path)));
  }
  return ValidateHostPath(path, buf, what);
}

}  // namespace nucleus
