// Pseudo-terminals and the OCI --console-socket protocol (runc's), for `run -t`, `exec -t`
// and OCI `create` with process.terminal.
//
// Contract:
//  - OpenPty(): a new pty pair, both fds O_CLOEXEC, master O_RDWR|O_NOCTTY, slave
//    O_RDWR|O_NOCTTY (never becomes our controlling terminal). The slave is opened from the
//    master with TIOCGPTPEER where the kernel has it (>= 4.13: no path lookup, so it works
//    whatever /dev/pts is mounted in this mount namespace), else by slave_name.
//  - SendConsoleFd(): connects a SOCK_STREAM unix socket to socket_path and sends `fd` with
//    SCM_RIGHTS, the message payload being `name` (runc sends the pty's path; an empty name
//    is sent as one NUL byte, since SCM_RIGHTS needs at least one data byte). A path longer
//    than sun_path is reached through /proc/self/fd/N/BASENAME, N an O_PATH fd of its
//    directory. Errors name the socket path. Never raises SIGPIPE.
//  - ReceiveConsoleFd(): the other side: accepts one connection on a listening socket, waits
//    for one message and returns the fd it carried (O_CLOEXEC); `name` (if non-null) gets
//    the payload without trailing NULs. The whole exchange is bounded by `timeout`
//    (DeadlineExceeded).
//  - RelayPty(): see below. Not thread-safe with respect to the fds it is given.
//
//   ASSIGN_OR_RETURN(Pty pty, OpenPty());
//   ... child: setsid(); ioctl(slave, TIOCSCTTY, 0); dup2(slave, 0/1/2) ...
//   pty.slave.Reset();  // or the master never sees EOF
//   RETURN_IF_ERROR(RelayPty(pty.master.get(), STDIN_FILENO, STDOUT_FILENO, pidfd.get()));
#ifndef NUCLEUS_RUNTIME_UTIL_CONSOLE_H_
#define NUCLEUS_RUNTIME_UTIL_CONSOLE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

struct Pty {
  UniqueFd master;
  UniqueFd slave;
  std::string slave_name;  // "/dev/pts/N"
};

absl::StatusOr<Pty> OpenPty();

absl::Status SendConsoleFd(const std::string& socket_path, int fd, absl::string_view name);

absl::StatusOr<UniqueFd> ReceiveConsoleFd(int listen_fd, absl::Duration timeout,
                                          std::string* name = nullptr);

// Copies the pty master <-> (in_fd, out_fd) until the master reports EOF/EIO (every slave
// fd closed: the caller must close its own copy of the slave first), or until stop_fd
// (e.g. a pidfd; -1: none) becomes readable, in which case whatever the master still holds
// is read and written out before returning. Input from in_fd is written to the master,
// output from the master to out_fd.
//  - When in_fd is a terminal it is put in raw mode for the duration (restored on every
//    return) and its window size (else out_fd's, when that is a terminal) is copied to the
//    master at start.
//  - SIGWINCH: winch_fd is a signalfd the caller made for SIGWINCH alone (SIGWINCH blocked
//    in every thread); each time it is readable, its records are read and discarded and the
//    window size is copied again. A signalfd shared with other signals must not be passed:
//    their records would be consumed. -1: the size is copied only at start.
//  - When in_fd reaches EOF (and is not a terminal), the master's VEOF character (^D) is sent
//    once the input is written, so a program reading a canonical-mode tty sees end of
//    input, like `script` does. After that in_fd is not read again.
//  - The master is switched to O_NONBLOCK for the duration (flags restored on return);
//    in_fd/out_fd keep their flags (they may be shared with other processes). Writes to
//    out_fd are at most 4 KiB after poll said writable, so a slow reader slows the relay
//    but never stops the master from being read.
//  - A write error on out_fd (EPIPE: SIGPIPE is the caller's, as for any CLI writing
//    stdout) or a read error on in_fd fails the relay.
absl::Status RelayPty(int master_fd, int in_fd, int out_fd, int stop_fd, int winch_fd = -1);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_CONSOLE_H_
