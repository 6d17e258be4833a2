// The v2 device controller: a BPF_PROG_TYPE_CGROUP_DEVICE program, hand-assembled from device
// rules (as runc and crun do; there is no libbpf here), loaded with bpf(BPF_PROG_LOAD) and
// attached to the container's cgroup with bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE).
//
// The program reads struct bpf_cgroup_dev_ctx {access_type, major, minor}: type =
// access_type & 0xffff (BPF_DEVCG_DEV_CHAR / _BLOCK), access = access_type >> 16 (MKNOD,
// READ, WRITE bits). For each rule in order: if type, major, minor match and the requested
// access is a subset of the rule's, return 1 (allow). After the last rule: return 0 (deny).
//
//   std::vector<bpf_insn> prog = AssembleDeviceProgram(DefaultDeviceRules());
//   ASSIGN_OR_RETURN(UniqueFd fd, LoadDeviceProgram(prog));
//   RETURN_IF_ERROR(AttachDeviceProgram(cgroup_dir_fd, fd.get()));
//
// Parent-side only. EvalDeviceProgram is an interpreter for exactly the instructions the
// assembler emits, so unit tests check the program's decisions without a kernel.
#ifndef NUCLEUS_RUNTIME_CGROUP_DEVICE_BPF_H_
#define NUCLEUS_RUNTIME_CGROUP_DEVICE_BPF_H_

#include <linux/bpf.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/cgroup/limits.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {

std::vector<bpf_insn> AssembleDeviceProgram(const std::vector<DeviceRule>& rules);

// Loads the program (the kernel's verifier checks it). Needs CAP_BPF or CAP_SYS_ADMIN.
absl::StatusOr<UniqueFd> LoadDeviceProgram(const std::vector<bpf_insn>& prog);
// Attaches with BPF_F_ALLOW_MULTI, so a program a parent group holds still applies too.
absl::Status AttachDeviceProgram(int cgroup_fd, int prog_fd);

// Runs the program on one access. type: 'c' or 'b'; access: bits of BPF_DEVCG_ACC_*.
// Returns the program's r0, or -1 for an instruction the interpreter does not know.
int64_t EvalDeviceProgram(const std::vector<bpf_insn>& prog, char type, uint32_t access,
                          uint32_t major, uint32_t minor);

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_CGROUP_DEVICE_BPF_H_
