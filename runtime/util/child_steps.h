// Steps every child of nucleus takes between fork/clone and execve, in one place: the
// container's init (backends/native/contain.cc), hooks and runsc (util/subprocess).
//
// Contract: async-signal-safe, no allocation, no locks (the caller forked a process that may
// have had other threads). Each returns 0 or an errno.
//  - ResetSignalDispositionsInChild: every disposition 1..64 back to SIG_DFL (SIG_IGN
//    survives execve), with the raw rt_sigaction: glibc's sigaction() refuses its internal
//    signals 32 and 33, which an ancestor may have left ignored (seen under Bazel's test
//    runner). The mask stays as it is: the parent blocks every signal around the fork, so no
//    handler of its own can run in the child.
//  - UnblockSignalsInChild: the empty signal mask, just before execve.
//  - CloseFdsInChild(keep, n): closes every descriptor above 2 but the n in `keep` (-1 or
//    0-2 in a slot: ignored; `keep` is sorted in place). close_range, else (Linux < 5.9) one
//    by one up to RLIMIT_NOFILE. Whatever our caller left open without O_CLOEXEC (a shell's
//    fd 10, a directory of the host) must not reach the child's program.
//
//   if (int err = CloseFdsInChild(keep, 3); err != 0) Fail("close_range", err);
//   ResetSignalDispositionsInChild();
//   ...
//   UnblockSignalsInChild();
//   execve(...);
#ifndef NUCLEUS_RUNTIME_UTIL_CHILD_STEPS_H_
#define NUCLEUS_RUNTIME_UTIL_CHILD_STEPS_H_

namespace nucleus {

void ResetSignalDispositionsInChild();
void UnblockSignalsInChild();
int CloseFdsInChild(int* keep, int n);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_CHILD_STEPS_H_
