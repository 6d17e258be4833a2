// Parsers for cgroup control files (v2 and v1), pure functions over the file's text.
//
// The kernel writes these files, but a container's workload can make a cgroup hold odd
// contents (nested groups it created, counters near 2^64), and `nucleus stats` / `gc` may read
// groups of a container that no longer cooperates, so every parser is strict and fuzzed
// (fuzz/cgroup_fuzz.cc): malformed text is InvalidArgument naming the problem, never a crash.
//
//   memory.events, memory.stat, cpu.stat, v1 memory.stat, memory.oom_control, cgroup.events:
//       "KEY VALUE\n" lines                               -> ParseKeyedFile
//   memory.current, pids.current, v1 memory.usage_in_bytes, max_usage_in_bytes, cpuacct.usage,
//   memory.peak:  one unsigned number                      -> ParseSingleValue
//   memory.max, pids.max, v1 pids.max: a number or "max"   -> ParseMaxValue (nullopt = max)
//   io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N ..."         -> ParseIoStat (summed)
//   v1 blkio.throttle.io_service_bytes: "MAJ:MIN Read N" ... "Total N" -> ParseBlkioBytes
//   cgroup.procs: one pid a line                           -> ParsePidList
//   /proc/PID/cgroup: "ID:CONTROLLERS:PATH" lines           -> ParseProcCgroup
//
//   ASSIGN_OR_RETURN(KeyedValues ev, ParseKeyedFile(text));
//   uint64_t kills = ev.count("oom_kill") ? ev["oom_kill"] : 0;
#ifndef NUCLEUS_RUNTIME_CGROUP_PARSE_H_
#define NUCLEUS_RUNTIME_CGROUP_PARSE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

using KeyedValues = std::map<std::string, uint64_t>;

// "KEY VALUE" lines, single space or tab separated; empty lines skipped. A key repeated, a
// line without exactly two fields, or a value that is not an unsigned 64-bit decimal is an
// error naming the line number.
absl::StatusOr<KeyedValues> ParseKeyedFile(absl::string_view text);

// One unsigned decimal number, surrounding whitespace allowed.
absl::StatusOr<uint64_t> ParseSingleValue(absl::string_view text);

// A number or "max" (nullopt).
absl::StatusOr<std::optional<uint64_t>> ParseMaxValue(absl::string_view text);

struct IoTotals {
  uint64_t read_bytes = 0;
  uint64_t write_bytes = 0;
  uint64_t read_ios = 0;
  uint64_t write_ios = 0;
};

// v2 io.stat: one line per device, "MAJ:MIN key=value ...". Unknown keys (dbytes, dios, ...)
// are skipped; sums saturate at UINT64_MAX instead of wrapping.
absl::StatusOr<IoTotals> ParseIoStat(absl::string_view text);

// v1 blkio.throttle.io_service_bytes (or io_serviced): "MAJ:MIN OP N" lines with OP one of
// Read, Write, Sync, Async, Discard, Total, and a final "Total N". Read/Write are summed
// into read_bytes/write_bytes (the *_ios fields stay 0).
absl::StatusOr<IoTotals> ParseBlkioBytes(absl::string_view text);

// cgroup.procs: one positive pid a line.
absl::StatusOr<std::vector<pid_t>> ParsePidList(absl::string_view text);

// One line of /proc/PID/cgroup (or /proc/thread-self/cgroup): the group a task is in, in one
// hierarchy.
struct ProcCgroupEntry {
  uint32_t hierarchy_id = 0;             // 0: the v2 hierarchy
  std::vector<std::string> controllers;  // "cpu", "cpuacct", "name=systemd"; empty on v2
  std::string path;                      // absolute, relative to the hierarchy (or namespace) root
};

// "ID:CONTROLLERS:PATH" lines (cgroups(7)); PATH may hold ':' and ends at the newline. A line
// whose ID is not a number, whose PATH is not absolute, or that lacks the two colons is an
// error naming the line number. Lines of a deleted group (" (deleted)" suffix) are kept as
// the kernel wrote them.
absl::StatusOr<std::vector<ProcCgroupEntry>> ParseProcCgroup(absl::string_view text);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_PARSE_H_
