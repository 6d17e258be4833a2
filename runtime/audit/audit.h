// The audit log: one JSON object per line for each thing that happens to a container.
//
//   {"time":"2026-11-23T15:04:05.123456789Z","id":"web","name":"web","event":"exited",
//    "detail":{"status":"137","reason":"killed: out of memory (limit 32 MiB)"}}
//
// Where: `nucleus --audit-log FILE ...` appends to FILE (created 0600; O_APPEND, one write()
// per line, so lines of concurrent nucleus processes never interleave); `--audit-log -`
// writes to stderr; without the flag nothing is written. A failure to write is reported once
// on stderr and never fails the container.
//
// Events (README "Audit log"): created, started, init-started, exited, oom-killed, killed
// (by a signal), signal-forwarded, signal-sent (kill/stop), deleted, degraded (a confinement
// nucleus could not apply as asked: Landlock best-effort gaps, ...), unconfined (seccomp or
// Landlock turned off by the caller).
//
// Secrets never appear. The documented rule (RedactEnv / RedactArg):
//  - environment: only KEY=VALUE pairs are logged whose KEY, upper-cased, contains none of
//    PASS, SECRET, TOKEN, KEY, CREDENTIAL, AUTH, PRIVATE, SESSION, COOKIE, CERT; the others
//    are logged as KEY=<redacted>;
//  - arguments: "--NAME=VALUE" and "-NAME=VALUE" whose NAME matches those words get VALUE
//    redacted, as does the argument following a bare "--NAME" that matches; any
//    "scheme://user:password@host" has its password redacted; "KEY=VALUE" arguments follow
//    the environment rule.
//
//   AuditLog::Global().Emit("started", id, name, {{"pid", "123"}});
#ifndef NUCLEUS_RUNTIME_AUDIT_AUDIT_H_
#define NUCLEUS_RUNTIME_AUDIT_AUDIT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace nucleus {

using AuditDetail = std::vector<std::pair<std::string, std::string>>;

class AuditLog {
 public:
  static AuditLog& Global();

  // "": disabled; "-": stderr; else a file, appended to. Errors name the file.
  absl::Status Open(const std::string& where);
  bool enabled() const { return fd_ >= 0; }
  // One line; never fails (a write error is reported once on stderr).
  void Emit(absl::string_view event, absl::string_view id, absl::string_view name,
            const AuditDetail& detail = {});
  // The line Emit writes (exposed for tests and the fuzzer-free unit tests).
  static std::string Format(absl::string_view time, absl::string_view event, absl::string_view id,
                            absl::string_view name, const AuditDetail& detail);

 private:
  int fd_ = -1;
  bool owned_ = false;
  bool warned_ = false;
};

// The redaction rule above.
bool IsSecretName(absl::string_view name);
std::string RedactEnv(absl::string_view key_value);
std::vector<std::string> RedactArgs(const std::vector<std::string>& args);
// Arguments joined by spaces after RedactArgs, for a detail field.
std::string RedactedCommandLine(const std::vector<std::string>& args);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_AUDIT_AUDIT_H_
