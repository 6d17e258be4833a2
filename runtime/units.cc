#include "runtime/units.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

constexpr size_t kMaxSizeText = 64;
constexpr uint64_t kMaxSize = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

struct RlimitName {
  const char* name;
  int resource;
};

// docker's names (go-units ulimit.go).
constexpr RlimitName kRlimitNames[] = {
    {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},         {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},       {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},       {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// log2 of the unit's multiplier, or -1 when `c` is not a unit letter.
int UnitShift(char c) {
  switch (absl::ascii_tolower(static_cast<unsigned char>(c))) {
    case 'k':
      return 10;
    case 'm':
      return 20;
    case 'g':
      return 30;
    case 't':
      return 40;
    case 'p':
      return 50;
    default:
      return -1;
  }
}

// floor(0.DIGITS * 2^shift), exactly: doubles the decimal fraction `shift` times, collecting
// the bit carried out each time (no floating point, so "1.1g" is the same on every machine).
uint64_t FractionBytes(absl::string_view digits, int shift) {
  std::string frac(digits);
  uint64_t out = 0;
  for (int i = 0; i < shift; ++i) {
    int carry = 0;
    for (size_t j = frac.size(); j-- > 0;) {
      int d = (frac[j] - '0') * 2 + carry;
      frac[j] = static_cast<char>('0' + d % 10);
      carry = d / 10;
    }
    out = out * 2 + static_cast<uint64_t>(carry);
  }
  return out;
}

absl::Status NotASize(absl::string_view flag, absl::string_view text) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(text), " is not a size"));
}

absl::Status UlimitError(absl::string_view flag, absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(text), " ", why));
}

// One ulimit value: a decimal number, "-1" or "unlimited".
absl::StatusOr<uint64_t> ParseRlimitValue(absl::string_view value, absl::string_view text,
                                          absl::string_view flag) {
  if (value == "-1" || absl::AsciiStrToLower(value) == "unlimited") return RLIM_INFINITY;
  uint64_t v = 0;
  if (value.empty() || !std::all_of(value.begin(), value.end(), IsDigit) ||
      !absl::SimpleAtoi(value, &v)) {
    return UlimitError(
        flag, text,
        absl::StrCat("has ", Quote(value), " where a number, -1 or unlimited is expected"));
  }
  return v;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(absl::string_view text, absl::string_view flag) {
  if (text.empty() || text.size() > kMaxSizeText) return NotASize(flag, text);
  size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) ++i;
  absl::string_view whole = text.substr(0, i);
  absl::string_view fraction;
  if (whole.empty()) return NotASize(flag, text);
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return NotASize(flag, text);
  }
  absl::string_view suffix = text.substr(i);
  // One space may separate the number from its unit ("32 m"), but not end the input.
  if (suffix.size() > 1 && suffix[0] == ' ') suffix.remove_prefix(1);
  int shift = 0;
  if (!suffix.empty() && UnitShift(suffix[0]) >= 0) {
    shift = UnitShift(suffix[0]);
    suffix.remove_prefix(1);
    if (!suffix.empty() && (suffix[0] == 'i' || suffix[0] == 'I')) suffix.remove_prefix(1);
  }
  if (!suffix.empty() && (suffix[0] == 'b' || suffix[0] == 'B')) suffix.remove_prefix(1);
  if (!suffix.empty()) return NotASize(flag, text);

  uint64_t number = 0;
  for (char c : whole) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (number > (kMaxSize - d) / 10) {
      return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(text), " is too large"));
    }
    number = number * 10 + d;
  }
  if (number > (kMaxSize >> shift)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(text), " is too large"));
  }
  uint64_t bytes = number << shift;
  uint64_t extra = FractionBytes(fraction, shift);  // < 2^shift
  if (bytes > kMaxSize - extra) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", Quote(text), " is too large"));
  }
  return bytes + extra;
}

std::optional<int> RlimitResourceByName(absl::string_view name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (const RlimitName& r : kRlimitNames) {
    if (lower == r.name) return r.resource;
  }
  return std::nullopt;
}

std::vector<std::string> RlimitNames() {
  std::vector<std::string> names;
  for (const RlimitName& r : kRlimitNames) names.emplace_back(r.name);
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<Rlimit> ParseUlimit(absl::string_view text, absl::string_view flag) {
  size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return UlimitError(flag, text, "is not NAME=SOFT[:HARD]");
  }
  absl::string_view name = text.substr(0, eq);
  std::optional<int> resource = RlimitResourceByName(name);
  if (!resource) {
    return UlimitError(flag, text,
                       absl::StrCat("names an unknown limit ", Quote(name),
                                    " (known: ", absl::StrJoin(RlimitNames(), ", "), ")"));
  }
  absl::string_view values = text.substr(eq + 1);
  size_t colon = values.find(':');
  absl::string_view soft_text = values.substr(0, colon);
  Rlimit out;
  out.resource = *resource;
  out.name = absl::AsciiStrToLower(name);
  auto soft = ParseRlimitValue(soft_text, text, flag);
  if (!soft.ok()) return soft.status();
  out.soft = out.hard = *soft;
  if (colon != absl::string_view::npos) {
    auto hard = ParseRlimitValue(values.substr(colon + 1), text, flag);
    if (!hard.ok()) return hard.status();
    out.hard = *hard;
  }
  if (out.soft > out.hard) {
    return UlimitError(flag, text, "has a soft limit above its hard limit");
  }
  return out;
}

}  // namespace nucleus
