#include "runtime/notify/message.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <map>
#include <tuple>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"

namespace nucleus {
namespace {

absl::Status BadLine(size_t line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("sd_notify line ", line, ": ", what));
}

absl::Status BadValue(size_t line, absl::string_view key, absl::string_view value,
                      absl::string_view what) {
  return BadLine(line, absl::StrCat(key, ": ", Quote(value), " ", what));
}

bool IsKeyChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// Plain ASCII decimal only: systemd's safe_atou64 would also take leading space and '+',
// which nothing legitimate sends and which would make the canonical form lossy to explain.
// Leading zeros are harmless (the value is the same) and accepted. False on overflow.
bool ParseDecimal(absl::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool ParseRange(absl::string_view s, uint64_t lo, uint64_t hi, uint64_t* out) {
  uint64_t v;
  if (!ParseDecimal(s, &v) || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// systemd's fdname_is_valid, minus the empty name (which names nothing).
bool IsFdName(absl::string_view s) {
  if (s.empty() || s.size() > kMaxNotifyFdNameBytes) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == ':') return false;
  }
  return true;
}

// Sets the field for a known key from its value (an error when the value is not allowed);
// *known = false, and nothing set, for any other key.
absl::Status SetKnown(size_t line, absl::string_view key, absl::string_view value, NotifyMessage* m,
                      bool* known) {
  *known = true;
  auto flag = [&](absl::string_view want, bool* field) -> absl::Status {
    if (value != want) return BadValue(line, key, value, absl::StrCat("is not ", want));
    *field = true;
    return absl::OkStatus();
  };
  auto text = [&](std::optional<std::string>* field) {
    *field = std::string(value);
    return absl::OkStatus();
  };
  uint64_t n = 0;
  if (key == "READY") return flag("1", &m->ready);
  if (key == "RELOADING") return flag("1", &m->reloading);
  if (key == "STOPPING") return flag("1", &m->stopping);
  if (key == "FDSTORE") return flag("1", &m->fdstore);
  if (key == "FDSTOREREMOVE") return flag("1", &m->fdstore_remove);
  if (key == "FDPOLL") return flag("0", &m->fdpoll_disabled);
  if (key == "BARRIER") return flag("1", &m->barrier);
  if (key == "WATCHDOG") {
    if (value == "1") {
      m->watchdog_ping = true;
    } else if (value == "trigger") {
      m->watchdog_trigger = true;
    } else {
      return BadValue(line, key, value, "is not 1 or trigger");
    }
    return absl::OkStatus();
  }
  if (key == "STATUS") return text(&m->status);
  if (key == "BUSERROR") return text(&m->buserror);
  if (key == "FDNAME") {
    if (!IsFdName(value)) {
      return BadValue(line, key, value, "is not an fd name (1..255 printable ASCII bytes, no ':')");
    }
    return text(&m->fdname);
  }
  if (key == "NOTIFYACCESS") {
    if (value != "main" && value != "all" && value != "exec" && value != "none") {
      return BadValue(line, key, value, "is not main, all, exec or none");
    }
    return text(&m->notify_access);
  }
  if (key == "ERRNO") {
    if (!ParseRange(value, 0, kMaxNotifyErrno, &n)) {
      return BadValue(line, key, value, "is not an errno (0..4095)");
    }
    m->errno_value = static_cast<int>(n);
    return absl::OkStatus();
  }
  if (key == "MAINPID") {
    if (!ParseRange(value, 1, kMaxNotifyPid, &n)) {
      return BadValue(line, key, value, "is not a pid (1..4194304)");
    }
    m->main_pid = static_cast<pid_t>(n);
    return absl::OkStatus();
  }
  if (key == "WATCHDOG_USEC") {
    if (!ParseRange(value, 1, kMaxWatchdogUsec, &n)) {
      return BadValue(line, key, value, "is not a watchdog interval in microseconds (1..2^63)");
    }
    m->watchdog_usec = n;
    return absl::OkStatus();
  }
  if (key == "EXTEND_TIMEOUT_USEC" || key == "MONOTONIC_USEC") {
    if (!ParseDecimal(value, &n)) {
      return BadValue(line, key, value, "is not a number of microseconds (0..2^64-1)");
    }
    (key == "MONOTONIC_USEC" ? m->monotonic_usec : m->extend_timeout_usec) = n;
    return absl::OkStatus();
  }
  *known = false;
  return absl::OkStatus();
}

}  // namespace

bool NotifyMessage::operator==(const NotifyMessage& o) const {
  auto tie = [](const NotifyMessage& m) {
    return std::tie(m.ready, m.reloading, m.stopping, m.watchdog_ping, m.watchdog_trigger,
                    m.fdstore, m.fdstore_remove, m.fdpoll_disabled, m.barrier, m.status, m.buserror,
                    m.fdname, m.notify_access, m.errno_value, m.main_pid, m.watchdog_usec,
                    m.extend_timeout_usec, m.monotonic_usec, m.unknown);
  };
  return tie(*this) == tie(o);
}

absl::StatusOr<NotifyMessage> ParseNotifyMessage(absl::string_view datagram) {
  if (datagram.size() > kMaxNotifyMessageBytes) {
    return absl::InvalidArgumentError(absl::StrCat("sd_notify: message is ", datagram.size(),
                                                   " bytes, more than ", kMaxNotifyMessageBytes));
  }
  NotifyMessage m;
  std::map<std::string, size_t, std::less<>> seen;  // known key -> line it was set on
  size_t line = 0;
  for (absl::string_view text : absl::StrSplit(datagram, '\n')) {
    ++line;
    if (text.empty()) continue;
    // A NUL would end the string in a C receiver (systemd's own parser splits a
    // NUL-terminated buffer), so what we forward could differ from what it sees.
    if (text.find('\0') != absl::string_view::npos) {
      return BadLine(line, absl::StrCat(Quote(text), " contains a NUL byte"));
    }
    size_t eq = text.find('=');
    if (eq == absl::string_view::npos) {
      return BadLine(line, absl::StrCat(Quote(text), " is not KEY=VALUE"));
    }
    absl::string_view key = text.substr(0, eq);
    absl::string_view value = text.substr(eq + 1);
    if (key.size() > kMaxNotifyKeyBytes) {
      return BadLine(line, absl::StrCat("key ", Quote(key, 32), " is longer than ",
                                        kMaxNotifyKeyBytes, " bytes"));
    }
    if (key.empty() || !std::all_of(key.begin(), key.end(), IsKeyChar)) {
      return BadLine(line, absl::StrCat("key ", Quote(key), " is not [A-Z0-9_]+"));
    }
    auto it = seen.find(key);
    if (it != seen.end()) {
      return BadLine(line, absl::StrCat(key, ": given twice (first on line ", it->second, ")"));
    }
    bool known = false;
    absl::Status st = SetKnown(line, key, value, &m, &known);
    if (!st.ok()) return st;
    if (known) {
      seen.emplace(std::string(key), line);
    } else {
      m.unknown.emplace_back(std::string(key), std::string(value));
    }
  }
  return m;
}

std::string ToNotifyDatagram(const NotifyMessage& m) {
  std::vector<std::string> lines;
  auto add = [&lines](absl::string_view key, const auto& value) {
    lines.push_back(absl::StrCat(key, "=", value));
  };
  if (m.ready) add("READY", "1");
  if (m.reloading) add("RELOADING", "1");
  if (m.stopping) add("STOPPING", "1");
  if (m.status) add("STATUS", *m.status);
  if (m.errno_value) add("ERRNO", *m.errno_value);
  if (m.buserror) add("BUSERROR", *m.buserror);
  if (m.main_pid) add("MAINPID", *m.main_pid);
  if (m.monotonic_usec) add("MONOTONIC_USEC", *m.monotonic_usec);
  if (m.watchdog_trigger) {
    add("WATCHDOG", "trigger");
  } else if (m.watchdog_ping) {
    add("WATCHDOG", "1");
  }
  if (m.watchdog_usec) add("WATCHDOG_USEC", *m.watchdog_usec);
  if (m.extend_timeout_usec) add("EXTEND_TIMEOUT_USEC", *m.extend_timeout_usec);
  if (m.notify_access) add("NOTIFYACCESS", *m.notify_access);
  if (m.fdstore) add("FDSTORE", "1");
  if (m.fdstore_remove) add("FDSTOREREMOVE", "1");
  if (m.fdname) add("FDNAME", *m.fdname);
  if (m.fdpoll_disabled) add("FDPOLL", "0");
  if (m.barrier) add("BARRIER", "1");
  for (const auto& [key, value] : m.unknown) add(key, value);
  return absl::StrJoin(lines, "\n");
}

}  // namespace nucleus
