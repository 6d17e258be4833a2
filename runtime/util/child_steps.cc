#include "runtime/util/child_steps.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

namespace nucleus {
namespace {

// The kernel's struct sigaction for rt_sigaction (not glibc's, whose mask is 128 bytes).
struct KernelSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};
constexpr int kMaxSignal = 64;

}  // namespace

void ResetSignalDispositionsInChild() {
  KernelSigaction dfl;
  memset(&dfl, 0, sizeof(dfl));  // handler SIG_DFL (0), no flags, empty mask
  for (int sig = 1; sig <= kMaxSignal; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    (void)::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof(dfl.mask));
  }
}

void UnblockSignalsInChild() {
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
}

int CloseFdsInChild(int* keep, int n) {
  // Insertion sort of a handful of descriptors: no allocation.
  for (int i = 1; i < n; ++i) {
    for (int j = i; j > 0 && keep[j - 1] > keep[j]; --j) {
      int t = keep[j];
      keep[j] = keep[j - 1];
      keep[j - 1] = t;
    }
  }
  unsigned first = 3;  // the next descriptor that may be closed
  for (int i = 0; i <= n; ++i) {
    if (i < n && keep[i] < static_cast<int>(first)) continue;  // stdio, -1, or a duplicate
    unsigned last = i < n ? static_cast<unsigned>(keep[i]) - 1 : ~0U;
    if (first <= last && ::syscall(SYS_close_range, first, last, 0) != 0) {
      if (errno != ENOSYS) return errno;
      struct rlimit lim;
      if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return errno;
      for (unsigned fd = first; fd <= last && fd < lim.rlim_cur; ++fd) (void)::close(fd);
    }
    if (i < n) first = static_cast<unsigned>(keep[i]) + 1;
  }
  return 0;
}

}  // namespace nucleus
