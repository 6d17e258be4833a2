#include "runtime/cgroup/device_bpf.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  memset(&i, 0, sizeof(i));
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

uint32_t AccessBits(const std::string& access) {
  uint32_t bits = 0;
  for (char c : access) {
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
  }
  return bits;
}

constexpr uint32_t kAllAccess = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

long Bpf(int cmd, union bpf_attr* attr) { return ::syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

}  // namespace

std::vector<bpf_insn> AssembleDeviceProgram(const std::vector<DeviceRule>& rules) {
  std::vector<bpf_insn> p;
  // r2 = type, r3 = access, r4 = major, r5 = minor (r1 = ctx, free after the loads).
  p.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
  p.push_back(Insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff));
  p.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0));
  p.push_back(Insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16));
  p.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0));
  p.push_back(Insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0));
  for (const DeviceRule& rule : rules) {
    // Each block: conditional jumps to the block's end ("next rule"), then r0 = 1; exit.
    std::vector<bpf_insn> block;
    std::vector<size_t> jumps;  // indexes in `block` whose off must reach the end
    if (rule.type == 'c' || rule.type == 'b') {
      jumps.push_back(block.size());
      block.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
                           rule.type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
    }
    uint32_t bits = AccessBits(rule.access);
    if (bits != kAllAccess) {
      block.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_X, 1, 3, 0, 0));
      block.push_back(Insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, static_cast<int32_t>(~bits)));
      jumps.push_back(block.size());
      block.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, 1, 0, 0, 0));
    }
    if (rule.major >= 0) {
      jumps.push_back(block.size());
      block.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, static_cast<int32_t>(rule.major)));
    }
    if (rule.minor >= 0) {
      jumps.push_back(block.size());
      block.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, static_cast<int32_t>(rule.minor)));
    }
    block.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1));
    block.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps) block[j].off = static_cast<int16_t>(block.size() - j - 1);
    p.insert(p.end(), block.begin(), block.end());
  }
  p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
  p.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

absl::StatusOr<UniqueFd> LoadDeviceProgram(const std::vector<bpf_insn>& prog) {
  static const char kLicense[] = "Apache-2.0";
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(prog.data());
  attr.insn_cnt = static_cast<uint32_t>(prog.size());
  attr.license = reinterpret_cast<uint64_t>(kLicense);
  int fd = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
  if (fd < 0) return ErrnoStatus("bpf", "BPF_PROG_LOAD, cgroup device program");
  return UniqueFd(fd);
}

absl::Status AttachDeviceProgram(int cgroup_fd, int prog_fd) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (Bpf(BPF_PROG_ATTACH, &attr) != 0) {
    return ErrnoStatus("bpf", "BPF_PROG_ATTACH, BPF_CGROUP_DEVICE");
  }
  return absl::OkStatus();
}

int64_t EvalDeviceProgram(const std::vector<bpf_insn>& prog, char type, uint32_t access,
                          uint32_t major, uint32_t minor) {
  uint32_t ctx[3] = {(access << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                     major, minor};
  uint64_t r[11] = {};
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W:
        if (i.src_reg != 1 || i.off < 0 || i.off > 8 || i.off % 4 != 0) return -1;
        r[i.dst_reg] = ctx[i.off / 4];
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg] & static_cast<uint32_t>(i.imm));
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.dst_reg]) >> i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_X:
        r[i.dst_reg] = r[i.src_reg];
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<uint64_t>(static_cast<int64_t>(i.imm));
        break;
      case BPF_JMP | BPF_JNE | BPF_K:
        if (r[i.dst_reg] != static_cast<uint64_t>(static_cast<int64_t>(i.imm))) pc += i.off;
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int64_t>(r[0]);
      default:
        return -1;
    }
  }
  return -1;  // fell off the end
}

}  // namespace nucleus
