// NotifyMessage: one sd_notify(3) datagram, as a workload sends it to $NOTIFY_SOCKET, parsed
// strictly, and written back in a canonical form for the relay to forward.
//
// The datagram is untrusted (any process in the container can send one), so the parser is
// strict, pure and fuzzed:
//  - at most kMaxNotifyMessageBytes (4096): systemd reads notifications into a PIPE_BUF
//    (4096) buffer and drops a truncated one, so a longer datagram could never reach it
//    whole. (The receiver should read with a bigger buffer or MSG_TRUNC to see the excess.)
//  - no NUL byte anywhere; lines are separated by '\n'; a trailing '\n' is optional and empty
//    lines are ignored. Line numbers in errors count every line, empty ones too, from 1.
//  - every other line is KEY=VALUE (split at the first '='): the key is [A-Z0-9_]+ and at
//    most kMaxNotifyKeyBytes; the value is any bytes except NUL and '\n' ('\r' is kept).
//  - known keys (sd_notify(3)) have their values checked; numbers are plain ASCII decimal
//    (leading zeros allowed; no sign, space or hex), within the ranges below:
//      READY=1  RELOADING=1  STOPPING=1  WATCHDOG=1|trigger  FDSTORE=1  FDSTOREREMOVE=1
//      FDPOLL=0  BARRIER=1  NOTIFYACCESS=main|all|exec|none
//      STATUS=<bytes> and BUSERROR=<bytes> (may be empty; UTF-8 not required, bytes kept)
//      ERRNO=0..4095  MAINPID=1..4194304  WATCHDOG_USEC=1..2^63
//      EXTEND_TIMEOUT_USEC and MONOTONIC_USEC: 0..2^64-1
//      FDNAME=<1..255 printable ASCII bytes (0x20..0x7e), no ':'>
//  - a known key given twice is an error (systemd would silently take the first; a
//    workload that says two things is refused rather than guessed about).
//  - any other valid key is kept in `unknown`, in order, duplicates included (systemd
//    ignores assignments it does not know; "X_" keys are the documented custom ones).
// Errors are InvalidArgument, one line, starting "sd_notify", naming the line, the key and
// the bad value (Quote-escaped):
//   "sd_notify line 2: MAINPID: 'abc' is not a pid (1..4194304)"
//   "sd_notify line 1: 'READY' is not KEY=VALUE"
//   "sd_notify: message is 5000 bytes, more than 4096"
// An empty message (or only newlines) parses to an empty NotifyMessage.
//
// Round trip: ParseNotifyMessage(ToNotifyDatagram(m)) == m for every m that
// ParseNotifyMessage returned, and the datagram is no longer than the text m came from (the
// fuzz target checks both).
//
//   ASSIGN_OR_RETURN(NotifyMessage m, ParseNotifyMessage(absl::string_view(buf, n)));
//   m.unknown.clear();                       // the relay's choice: forward only known keys
//   std::string out = ToNotifyDatagram(m);   // "READY=1\nSTATUS=serving"
#ifndef NUCLEUS_RUNTIME_NOTIFY_MESSAGE_H_
#define NUCLEUS_RUNTIME_NOTIFY_MESSAGE_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

inline constexpr size_t kMaxNotifyMessageBytes = 4096;  // systemd's NOTIFY_BUFFER_MAX (PIPE_BUF)
inline constexpr size_t kMaxNotifyKeyBytes = 64;
inline constexpr size_t kMaxNotifyFdNameBytes = 255;  // systemd's FDNAME_MAX
inline constexpr int kMaxNotifyErrno = 4095;          // MAX_ERRNO
inline constexpr pid_t kMaxNotifyPid = 4194304;       // PID_MAX_LIMIT on 64-bit kernels
inline constexpr uint64_t kMaxWatchdogUsec = uint64_t{1} << 63;

struct NotifyMessage {
  bool ready = false;                   // READY=1
  bool reloading = false;               // RELOADING=1
  bool stopping = false;                // STOPPING=1
  bool watchdog_ping = false;           // WATCHDOG=1
  bool watchdog_trigger = false;        // WATCHDOG=trigger (at most one of the two from a parse)
  bool fdstore = false;                 // FDSTORE=1
  bool fdstore_remove = false;          // FDSTOREREMOVE=1
  bool fdpoll_disabled = false;         // FDPOLL=0
  bool barrier = false;                 // BARRIER=1
  std::optional<std::string> status;    // STATUS=
  std::optional<std::string> buserror;  // BUSERROR=
  std::optional<std::string> fdname;    // FDNAME=
  std::optional<std::string> notify_access;     // NOTIFYACCESS=: "main", "all", "exec", "none"
  std::optional<int> errno_value;               // ERRNO=
  std::optional<pid_t> main_pid;                // MAINPID=
  std::optional<uint64_t> watchdog_usec;        // WATCHDOG_USEC=
  std::optional<uint64_t> extend_timeout_usec;  // EXTEND_TIMEOUT_USEC=
  std::optional<uint64_t> monotonic_usec;       // MONOTONIC_USEC=
  // Valid keys that are not the ones above, with their values, in message order.
  std::vector<std::pair<std::string, std::string>> unknown;

  bool operator==(const NotifyMessage& o) const;
  bool operator!=(const NotifyMessage& o) const { return !(*this == o); }
};

// See the contract above.
absl::StatusOr<NotifyMessage> ParseNotifyMessage(absl::string_view datagram);

// One "KEY=VALUE" line per field that is set, joined by '\n' (no trailing newline), in this
// order: READY RELOADING STOPPING STATUS ERRNO BUSERROR MAINPID MONOTONIC_USEC WATCHDOG
// WATCHDOG_USEC EXTEND_TIMEOUT_USEC NOTIFYACCESS FDSTORE FDSTOREREMOVE FDNAME FDPOLL BARRIER,
// then `unknown` in order. Never fails; numbers in canonical decimal. The output parses back
// only if m obeys the parser's rules (true of any m that ParseNotifyMessage returned; a
// hand-built m with a newline in `status`, or both watchdog flags, does not round-trip).
std::string ToNotifyDatagram(const NotifyMessage& m);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_NOTIFY_MESSAGE_H_
