// The child -> parent error channel and the parent <-> child handshake around clone().
//
// A SOCK_SEQPACKET socketpair, both ends O_CLOEXEC. The child (between clone and execve)
// uses only the Child* functions: fixed-size messages on the stack, no allocation, no glog.
// When the child's execve succeeds its end closes, so the parent's Wait* sees EOF: that is
// how "exec happened" is told apart from "setup step X failed with errno E".
//
// Parent:
//   ASSIGN_OR_RETURN(SyncPair pair, SyncPair::Create());
//   pid = clone(...);               // child gets pair.child, parent closes it
//   RETURN_IF_ERROR(SyncWaitFor(pair.parent.get(), SyncKind::kNeedIdMaps));  // child asks
//   ... write uid_map/gid_map ...
//   RETURN_IF_ERROR(SyncSend(pair.parent.get(), SyncKind::kGo));
//   absl::Status exec = SyncWaitExec(pair.parent.get());  // OK: execve ran; else the step
// Child:
//   ChildSyncSend(fd, SyncKind::kNeedIdMaps); ChildSyncWait(fd, SyncKind::kGo);
//   if (mount(...) != 0) ChildReportError(fd, "mount /proc", errno);  // then _exit(125)
#ifndef NUCLEUS_RUNTIME_UTIL_SYNC_CHANNEL_H_
#define NUCLEUS_RUNTIME_UTIL_SYNC_CHANNEL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

enum class SyncKind : uint32_t {
  kError = 1,        // child -> parent: a setup step failed (step, errno, detail)
  kNeedIdMaps = 2,   // child -> parent: user namespace made, please write the id maps
  kGo = 3,           // parent -> child: proceed
  kReady = 4,        // child -> parent: fully set up, about to wait for start / exec
  kAbort = 5,        // parent -> child: give up and _exit
  kCgroupReady = 6,  // parent -> child: you are in the container's cgroup(s) in every hierarchy
  kDetach = 7,       // parent -> child (instead of kGo at the start gate): I am leaving; stop
                     // dying with me and wait for a `start` on the start socket
  kConsole = 8,      // child -> parent: the pty master, attached with SCM_RIGHTS
};

struct SyncMessage {
  SyncKind kind;
  int32_t err;        // errno for kError
  int32_t exit_code;  // suggested exit status for kError (125, 126, 127)
  char step[96];      // "mount /proc", "pivot_root", "execve", or a sentence when err == 0
  char detail[256];   // the path or argument involved
};

struct SyncPair {
  UniqueFd parent;
  UniqueFd child;
  static absl::StatusOr<SyncPair> Create();
};

// --- parent side (may allocate) ---
absl::Status SyncSend(int fd, SyncKind kind);
// Waits for `kind`. A kError message becomes a Status "STEP(DETAIL): strerror" (or, when the
// child sent no errno, "DETAIL: STEP", e.g. "/evil/x: leads out of ..."); EOF before
// `kind` is an Internal error ("container init exited during setup").
absl::Status SyncWaitFor(int fd, SyncKind kind);
// After the last handshake: OK when the peer closed its end (execve succeeded); else the
// reported error. exit_code (may be null) receives the child's suggested exit status.
absl::Status SyncWaitExec(int fd, int* exit_code = nullptr);
// Waits for `kind` carrying a descriptor (SCM_RIGHTS); errors as SyncWaitFor.
absl::StatusOr<UniqueFd> SyncWaitForFd(int fd, SyncKind kind);
// Status for a received error message (exposed for tests).
absl::Status SyncErrorToStatus(const SyncMessage& msg);

// --- child side: async-signal-safe, no allocation ---
void ChildSyncSend(int fd, SyncKind kind);
// Sends `kind` with passed_fd attached (SCM_RIGHTS).
void ChildSyncSendFd(int fd, SyncKind kind, int passed_fd);
// Returns true when `kind` arrived, false on EOF/error/kAbort.
bool ChildSyncWait(int fd, SyncKind kind);
// Waits for the next message and returns its kind; 0 on EOF/error.
uint32_t ChildSyncReceive(int fd);
// Sends {step, detail, err, exit_code}. Never returns an error: if the parent is gone there
// is nobody to tell.
void ChildReportError(int fd, const char* step, const char* detail, int err, int exit_code = 125);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_SYNC_CHANNEL_H_
