// The process title (/proc/PID/cmdline) of nucleus's own processes inside a container.
//
// The container's init is a fork of nucleus: without this, its /proc/1/cmdline, which every
// process in the container may read (cmdline is world-readable even for a non-dumpable
// process), would show nucleus's whole host command line: the binary's host path, --root,
// the bundle path, flags. main() remembers where argv lives; the child overwrites it.
//
//   int main(int argc, char** argv) { RememberArgvArea(argc, argv); ... }
//   // in the container's init, after fork: fork-safe, no allocation
//   SetProcessTitle("nucleus-init");
#ifndef NUCLEUS_RUNTIME_UTIL_PROCTITLE_H_
#define NUCLEUS_RUNTIME_UTIL_PROCTITLE_H_

namespace nucleus {

// Records the contiguous area argv[0]..argv[argc-1] occupies (the kernel's arg_start..
// arg_end). Call once, first thing in main().
void RememberArgvArea(int argc, char** argv);

// Zeroes the whole area and writes title into it (truncated to fit). Async-signal-safe;
// a no-op when RememberArgvArea was never called.
void SetProcessTitle(const char* title);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_PROCTITLE_H_
