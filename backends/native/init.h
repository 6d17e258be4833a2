// The container's PID 1: a tiny init that runs in the process that set the container up
// (no re-exec: the binary need not be visible inside the container).
//
// It forwards every signal it can (all but SIGCHLD and the synchronous/job-control ones) to
// the workload, reaps every child (orphans reparent to it), and when the workload exits it
// reports the workload's raw wait status on status_fd and exits with the same status
// (128 + N for a signal, since PID 1 cannot kill itself with most signals). The kernel then
// kills whatever is left in the PID namespace.
//
// Signals raised by the terminal (si_code SI_KERNEL: Ctrl-C, Ctrl-\) already reached the
// workload, which shares the terminal's foreground process group, so they are not forwarded
// a second time.
#ifndef NUCLEUS_BACKENDS_NATIVE_INIT_H_
#define NUCLEUS_BACKENDS_NATIVE_INIT_H_

#include <signal.h>
#include <sys/types.h>

#include "runtime/signals.h"

namespace nucleus {

// The signals it passes on to the workload: IsForwardedSignal (runtime/signals.h).

// Runs the init loop. Precondition: every signal is blocked in the caller (it was blocked
// before clone), so none is lost between the fork of the workload and the first wait.
[[noreturn]] void RunInit(pid_t workload, int status_fd);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_INIT_H_
