// NotifyBridge: relays sd_notify(3) from a container's workload to the service manager that
// runs nucleus (a systemd `Type=notify` unit whose ExecStart is `nucleus run ...`).
//
// The workload cannot reach the host's $NOTIFY_SOCKET, and must not: systemd would take its
// word for MAINPID, and a hostile workload could flood or spoof it. So nucleus binds a
// datagram socket of its own in the container's state directory; the caller bind-mounts that
// file at kContainerNotifySocket in the container and sets NOTIFY_SOCKET to it there. Each
// Drain() reads what the workload sent, parses it strictly (ParseNotifyMessage), and sends
// upstream, from nucleus (systemd's MAINPID), one datagram with only what the bridge relays:
//   READY=1 (only when Drain's relay_ready), STATUS=, STOPPING=1, WATCHDOG=1|trigger.
// Everything else is dropped, never relayed: MAINPID (the main pid is nucleus), RELOADING,
// EXTEND_TIMEOUT_USEC, WATCHDOG_USEC, ERRNO, BUSERROR, FDSTORE & co., unknown keys.
// The datagrams of one Drain are merged: flags OR-ed, the last STATUS wins, WATCHDOG=trigger
// beats WATCHDOG=1. So the manager gets at most one datagram per Drain, however fast the
// workload sends, and at most kMaxNotifyDatagramsPerDrain are read per call (the socket stays
// readable, level-triggered, when more are pending).
//
// Refused (reported in NotifyEvents::refused, not relayed; the bridge keeps working):
// datagrams longer than kMaxNotifyMessageBytes, carrying file descriptors (SCM_RIGHTS; they
// are closed unread), or that ParseNotifyMessage refuses.
//
// Upstream ($NOTIFY_SOCKET of nucleus, checked by ParseNotifySocket) is connected once, at
// Create or SendNotify, without trusting the name: "@abstract" directly; a path under /run
// (or /var/run, taken as the system has it, usually a symlink to /run) is opened one
// component at a time with O_PATH|O_NOFOLLOW, so no symlink below /run is followed, the last
// must be a socket owned by root or by nucleus's euid, and the socket is connected through
// /proc/self/fd/N of that very inode (no second lookup by name). Every upstream error begins
// "NOTIFY_SOCKET".
//
// Errors are one line naming the path or value. Not thread-safe: one event loop owns it. All
// fds are O_CLOEXEC, so a container child does not keep them past execve.
//
//   auto bridge = NotifyBridge::Create(state_dir + "/notify.sock", uid, gid, upstream);
//   if (!bridge.ok() && absl::StartsWith(bridge.status().message(), "NOTIFY_SOCKET")) {
//     LOG(WARNING) << bridge.status();                   // run on, without relaying
//     bridge = NotifyBridge::Create(state_dir + "/notify.sock", uid, gid, "");
//   }
//   if (!bridge.ok()) return bridge.status();
//   // bind-mount (*bridge)->socket_path() at kContainerNotifySocket, set NOTIFY_SOCKET to it
//   // in the container; then in the event loop, on POLLIN of (*bridge)->fd():
//   ASSIGN_OR_RETURN(NotifyEvents ev, (*bridge)->Drain(/*relay_ready=*/!has_probe));
//   for (const std::string& line : ev.refused) LOG(WARNING) << line;
//   if (!ev.relay.ok()) LOG(WARNING) << ev.relay;
//   // later, when nucleus's own readiness probe passes:
//   RETURN_IF_ERROR((*bridge)->Notify("READY=1"));
#ifndef NUCLEUS_RUNTIME_NOTIFY_BRIDGE_H_
#define NUCLEUS_RUNTIME_NOTIFY_BRIDGE_H_

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

// Where the container sees the bridge's socket (bind-mounted there; NOTIFY_SOCKET names it).
inline constexpr char kContainerNotifySocket[] = "/run/nucleus/notify.sock";

// How many datagrams one Drain reads at most; the rest wait for the next call.
inline constexpr size_t kMaxNotifyDatagramsPerDrain = 64;

// What one Drain() saw in the datagrams it accepted, merged as described above. These are
// reported whether or not there is an upstream, and READY whatever relay_ready says.
struct NotifyEvents {
  bool ready = false;                 // READY=1
  bool stopping = false;              // STOPPING=1
  bool watchdog = false;              // WATCHDOG=1 or WATCHDOG=trigger
  bool watchdog_trigger = false;      // WATCHDOG=trigger (the workload asks to be treated as hung)
  std::optional<std::string> status;  // the last STATUS=
  // One line per refused datagram, for the log: "pid 1234: sd_notify line 1: 'x' is not
  // KEY=VALUE" (the sender's pid as nucleus sees it, from SCM_CREDENTIALS; 0 if unknown).
  std::vector<std::string> refused;
  // OK, or why the datagram for upstream could not be sent (for the log; not fatal).
  absl::Status relay;
};

class NotifyBridge {
 public:
  // Binds an AF_UNIX SOCK_DGRAM socket (CLOEXEC, NONBLOCK, SO_PASSCRED) at socket_path, an
  // absolute path whose directory exists. The file is made with mode 0600 (less the umask)
  // and then chowned to uid:gid, the container's user, who must be able to send to it;
  // uid 0 leaves it root's. Anything already at socket_path is an AlreadyExists error and
  // is left alone. upstream is nucleus's $NOTIFY_SOCKET, or "" for none (nothing is relayed;
  // Drain still reports). upstream is checked and connected first, so an upstream error
  // (its message begins "NOTIFY_SOCKET" and ends "not relaying sd_notify"; InvalidArgument
  // when ParseNotifySocket refuses the value, FailedPrecondition for a symlink, a non-socket
  // or a foreign owner, the errno's code when open or connect fails, e.g. NotFound) leaves
  // nothing behind, and the caller may go on with upstream "".
  static absl::StatusOr<std::unique_ptr<NotifyBridge>> Create(const std::string& socket_path,
                                                              uid_t uid, gid_t gid,
                                                              const std::string& upstream);

  // Closes the sockets and unlinks socket_path.
  ~NotifyBridge();
  NotifyBridge(const NotifyBridge&) = delete;
  NotifyBridge& operator=(const NotifyBridge&) = delete;

  int fd() const { return sock_.get(); }  // poll for POLLIN
  const std::string& socket_path() const { return path_; }
  bool has_upstream() const { return upstream_.valid(); }

  // Reads the pending datagrams (never blocks), relays as described above, and returns what
  // it saw. A failed relay is reported in NotifyEvents::relay; an error is returned only
  // when reading the socket fails (not for EAGAIN), and then this call's events are lost.
  // The upstream send may block while the manager's queue is full.
  absl::StatusOr<NotifyEvents> Drain(bool relay_ready);

  // Sends nucleus's own datagram upstream ("READY=1", "STATUS=...", "STOPPING=1"). It must
  // pass ParseNotifyMessage (a STATUS text with a '\n' would smuggle in other keys):
  // InvalidArgument otherwise. OK and nothing sent without an upstream.
  absl::Status Notify(const std::string& datagram);

 private:
  NotifyBridge(UniqueFd sock, UniqueFd dir, std::string name, std::string path, UniqueFd upstream,
               std::string upstream_value);

  UniqueFd sock_;
  UniqueFd dir_;      // O_PATH fd of socket_path's directory, to unlink name_ from
  std::string name_;  // socket_path's last component
  std::string path_;
  UniqueFd upstream_;  // connected; invalid without an upstream
  std::string upstream_value_;
};

// Sends one datagram to upstream (a $NOTIFY_SOCKET value), connected as Create does and
// checked as Notify does: for nucleus itself when it runs without a bridge (e.g. READY=1
// after its readiness probe). Errors name the value; upstream errors begin "NOTIFY_SOCKET".
absl::Status SendNotify(const std::string& upstream, const std::string& datagram);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_NOTIFY_BRIDGE_H_
