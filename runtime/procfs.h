// Parsers for the kernel's /proc text: /proc/PID/stat, /proc/PID/status, /proc/PID/mountinfo.
//
// The text is the kernel's, but parts of it are chosen by the (untrusted) workload: a process
// names itself (comm, up to 16 bytes of anything but NUL, ')' and spaces and newlines
// included) and mount points can hold any byte. The parsers therefore never trust field
// positions found by naive splitting: stat's comm ends at the LAST ')' of the text, and
// mountinfo fields are octal-unescaped ("\040" -> ' ') only after splitting on single spaces.
// Malformed text is an error (InvalidArgument naming the file kind and the bad field), never
// a crash; every parser here has a fuzz target.
//
//   ASSIGN_OR_RETURN(ProcStat st, ReadProcStat(pid));          // st.starttime: pid-reuse check
//   ASSIGN_OR_RETURN(ProcStatus s, ReadProcStatus(pid));       // s.cap_eff, s.no_new_privs
//   ASSIGN_OR_RETURN(std::vector<MountInfo> mounts, ReadMountInfo(0));  // 0: this process
#ifndef NUCLEUS_RUNTIME_PROCFS_H_
#define NUCLEUS_RUNTIME_PROCFS_H_

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace nucleus {

// /proc/PID/stat (proc(5)); fields numbered as the man page does.
struct ProcStat {
  pid_t pid = 0;            // 1
  std::string comm;         // 2, without the parentheses, verbatim
  char state = '?';         // 3: R, S, D, Z, T, t, X, I, ...
  pid_t ppid = 0;           // 4
  pid_t pgrp = 0;           // 5
  pid_t session = 0;        // 6
  int tty_nr = 0;           // 7
  pid_t tpgid = 0;          // 8 (-1: no controlling terminal)
  uint32_t flags = 0;       // 9: PF_*
  uint64_t minflt = 0;      // 10
  uint64_t majflt = 0;      // 12
  uint64_t utime = 0;       // 14, clock ticks
  uint64_t stime = 0;       // 15, clock ticks
  int64_t priority = 0;     // 18
  int64_t nice = 0;         // 19
  int64_t num_threads = 0;  // 20
  uint64_t starttime = 0;   // 22, clock ticks after boot: (pid, starttime) names a process
  uint64_t vsize = 0;       // 23, bytes
  int64_t rss = 0;          // 24, pages
};

// Parses the one line of /proc/PID/stat (a trailing newline is fine). Requires fields 1..24.
absl::StatusOr<ProcStat> ParseProcStat(absl::string_view text);

// /proc/PID/status (proc(5)): "Key:\tvalue" lines.
struct ProcStatus {
  std::string name;  // Name:, as the kernel escaped it ("\n" for a newline)
  char state = '?';  // first letter of State:
  pid_t tgid = 0;
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t tracer_pid = 0;
  std::array<uint32_t, 4> uid = {};  // real, effective, saved set, filesystem
  std::array<uint32_t, 4> gid = {};
  std::vector<uint32_t> groups;  // supplementary groups
  std::vector<pid_t> ns_pid;     // NSpid: the pid in each nested pid namespace, outermost first
  uint64_t cap_inh = 0;
  uint64_t cap_prm = 0;
  uint64_t cap_eff = 0;
  uint64_t cap_bnd = 0;
  std::optional<uint64_t> cap_amb;   // Linux >= 4.3
  std::optional<bool> no_new_privs;  // Linux >= 4.10
  std::optional<int> seccomp;        // 0 off, 1 strict, 2 filter; Linux >= 3.8
  // Every line, value with surrounding whitespace removed (e.g. fields["VmRSS"] == "1772 kB").
  absl::flat_hash_map<std::string, std::string> fields;
};

// Parses /proc/PID/status. Name, State, Pid, PPid, Uid, Gid and CapInh/CapPrm/CapEff/CapBnd are
// required; the fields marked optional above may be absent on older kernels. A repeated key
// is an error.
absl::StatusOr<ProcStatus> ParseProcStatus(absl::string_view text);

// One line of /proc/PID/mountinfo (proc(5)):
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
struct MountInfo {
  int mount_id = 0;
  int parent_id = 0;
  uint32_t major = 0;
  uint32_t minor = 0;
  std::string root;                          // unescaped
  std::string mount_point;                   // unescaped
  std::vector<std::string> mount_options;    // per-mount: "rw", "nosuid", "relatime", ...
  std::vector<std::string> optional_fields;  // "shared:1", "master:2", "unbindable", ...
  std::string fstype;                        // unescaped; "fuse.sshfs" keeps its subtype
  std::string source;                        // unescaped; may be empty
  std::vector<std::string> super_options;    // per-superblock
};

// Decodes the kernel's octal escapes ("\040" space, "\011" tab, "\012" newline, "\134"
// backslash; any \ooo up to \377). A backslash not followed by three octal digits is kept.
std::string UnescapeMountField(absl::string_view field);
absl::StatusOr<MountInfo> ParseMountInfoLine(absl::string_view line);
// Every line of a mountinfo file; errors name the line number. Empty lines are skipped.
absl::StatusOr<std::vector<MountInfo>> ParseMountInfo(absl::string_view text);

// Readers: PROC_ROOT/PID/FILE, pid 0 meaning "self"; proc_root lets tests use a fake tree.
// Errors: the open/read failure (ESRCH/ENOENT once the process is gone), or the parse error
// prefixed with the path.
absl::StatusOr<ProcStat> ReadProcStat(pid_t pid, const std::string& proc_root = "/proc");
absl::StatusOr<ProcStatus> ReadProcStatus(pid_t pid, const std::string& proc_root = "/proc");
absl::StatusOr<std::vector<MountInfo>> ReadMountInfo(pid_t pid,
                                                     const std::string& proc_root = "/proc");

// The CLONE_NEW* flags among `candidates` (user, mnt, uts, ipc, net, cgroup, pid, time)
// whose namespace of process `pid` differs from this process's: what joining pid's
// namespaces means (joining our own user namespace is an error, any other of ours a no-op).
absl::StatusOr<int> NamespacesDifferingFrom(pid_t pid, int candidates);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_PROCFS_H_
