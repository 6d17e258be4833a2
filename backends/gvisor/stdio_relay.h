// StdioRelay: the workload's stdin, stdout and stderr through the caller's open file
// descriptions, where runsc would not keep to them.
//
// gVisor imports a regular file given as stdio with an offset of its own, starting at 0: the
// workload's output overwrites the start of a file the caller appends to (`{ echo before;
// nucleus run --backend gvisor ...; } >log` loses "before"), and its input is read from the
// start of the file, not from where the caller is. Pipes, ttys and other character devices
// have no offset and are passed through unchanged. For each of the three fds that is a
// regular file, the relay puts a pipe in its place for runsc and copies, in a thread,
// between that pipe and the caller's fd with read(2)/write(2), which use and advance the
// caller's offset (appending where the caller appends), exactly as a native container's
// writes do. stdin: the file is read to its end as the pipe takes it (so the caller's offset
// ends at the end of the file even if the workload reads less).
//
// Threads: one per relayed fd, all signals blocked in them (a write to a pipe whose reader
// has gone is EPIPE, not SIGPIPE). Finish() (also the destructor) ends them once the
// processes that held the pipe's other ends have exited: outputs are drained of what was
// written, stdin's copy stops. Not copyable; not thread-safe itself.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<StdioRelay> relay, StdioRelay::Start({0, 1, 2}));
//   so.stdout_fd = relay->child_fd(1);  // -1: not relayed, inherit ours
//   ... spawn runsc ...
//   relay->CloseChildEnds();
//   ... wait for runsc (and everything it started) to exit ...
//   relay->Finish();
#ifndef NUCLEUS_BACKENDS_GVISOR_STDIO_RELAY_H_
#define NUCLEUS_BACKENDS_GVISOR_STDIO_RELAY_H_

#include <array>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

class StdioRelay {
 public:
  // fds: the caller's stdin, stdout and stderr (normally 0, 1, 2; -1: none). The relay keeps
  // its own duplicates of those it relays. Nothing relayed (no regular file) is a valid,
  // idle relay.
  static absl::StatusOr<std::unique_ptr<StdioRelay>> Start(std::array<int, 3> fds);
  ~StdioRelay();
  StdioRelay(const StdioRelay&) = delete;
  StdioRelay& operator=(const StdioRelay&) = delete;

  // The fd to give the child as its fd i (0..2): a pipe end, or -1 when i is not relayed.
  int child_fd(int i) const { return child_[i].get(); }
  bool relays(int i) const { return child_[i].valid() || threads_[i].joinable(); }
  // After the spawn: our copies of the child's ends go, so that EOF can come.
  void CloseChildEnds();
  // Ends the copying (see the contract above). Idempotent.
  void Finish();

 private:
  StdioRelay();
  void CopyOut(int i);  // pipe -> caller's fd, until EOF or stop
  void CopyIn();        // caller's fd -> pipe, until EOF, EPIPE or stop

  std::array<UniqueFd, 3> caller_;  // our duplicates of the caller's fds
  std::array<UniqueFd, 3> child_;   // the child's pipe ends
  std::array<UniqueFd, 3> ours_;    // our pipe ends
  UniqueFd stop_;                   // eventfd: Finish() was called
  std::array<std::thread, 3> threads_;
};

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_GVISOR_STDIO_RELAY_H_
