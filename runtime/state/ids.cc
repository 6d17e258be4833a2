#include "runtime/state/ids.h"

#include <sys/random.h>

#include <cerrno>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/quote.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

absl::Status ValidateRefName(absl::string_view what, absl::string_view s) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, " ", Quote(s), ": ", why));
  };
  if (s.empty()) return bad("is empty");
  if (s.size() > kMaxContainerIdLength) {
    return bad(absl::StrCat("longer than ", kMaxContainerIdLength, " bytes"));
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(s[0]))) {
    return bad("must start with a letter or digit");
  }
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(u) || c == '_' || c == '.' || c == '-') continue;
    return bad(absl::StrCat("character ", Quote(absl::string_view(&c, 1)),
                            " is not allowed (only [a-zA-Z0-9_.-])"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateContainerId(absl::string_view id) {
  return ValidateRefName("container ID", id);
}

absl::Status ValidateContainerName(absl::string_view name) {
  return ValidateRefName("container name", name);
}

absl::StatusOr<std::string> GenerateContainerId(size_t hex_len) {
  if (hex_len < 12 || hex_len > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ID length ", hex_len, " is not in [12, 64]"));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    unsigned char bytes[32];
    size_t got = 0;
    while (got < sizeof(bytes)) {
      // getrandom on the urandom pool blocks only before the pool is initialised at boot,
      // and a read of <= 256 bytes is never short once it is; EINTR is still possible.
      ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("getrandom");
      }
      got += static_cast<size_t>(n);
    }
    std::string id;
    id.reserve(64);
    for (unsigned char b : bytes) {
      id.push_back(kHex[b >> 4]);
      id.push_back(kHex[b & 0xf]);
    }
    id.resize(hex_len);
    bool all_digits = true;
    for (size_t i = 0; i < 12; ++i) all_digits &= absl::ascii_isdigit(id[i]);
    if (!all_digits) return id;
  }
}

absl::StatusOr<std::string> ResolveContainerRef(absl::string_view ref,
                                                const std::vector<KnownContainer>& known) {
  if (ref.empty()) return absl::InvalidArgumentError("container ID or name is empty");
  for (const KnownContainer& c : known) {
    if (c.id == ref) return c.id;
  }
  for (const KnownContainer& c : known) {
    if (!c.name.empty() && c.name == ref) return c.id;
  }
  std::vector<std::string> matches;
  for (const KnownContainer& c : known) {
    if (absl::StartsWith(c.id, ref)) matches.push_back(c.id);
  }
  if (matches.empty()) {
    return absl::NotFoundError(absl::StrCat("no such container: ", Quote(ref)));
  }
  if (matches.size() > 1) {
    constexpr size_t kShown = 8;
    std::vector<std::string> shown(matches.begin(),
                                   matches.begin() + std::min(matches.size(), kShown));
    return absl::FailedPreconditionError(absl::StrCat(
        "container ID prefix ", Quote(ref), " is ambiguous: matches ", matches.size(),
        " containers (", absl::StrJoin(shown, ", "), matches.size() > kShown ? ", ...)" : ")"));
  }
  return matches[0];
}

}  // namespace nucleus
