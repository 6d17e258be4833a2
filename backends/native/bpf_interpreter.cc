#include "backends/native/bpf_interpreter.h"

#include <cstdio>
#include <cstring>

namespace nucleus {
namespace {

std::string At(size_t pc, const sock_filter& f, const char* what) {
  char buf[160];
  snprintf(buf, sizeof(buf), "insn %zu (code 0x%04x jt %u jf %u k 0x%08x): %s", pc, f.code, f.jt,
           f.jf, f.k, what);
  return buf;
}

// The opcodes seccomp_check_filter lets through (after bpf_check_classic's own list).
bool Allowed(uint16_t code) {
  switch (code) {
    case BPF_LD | BPF_W | BPF_ABS:
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_ALU | BPF_ADD | BPF_K:
    case BPF_ALU | BPF_ADD | BPF_X:
    case BPF_ALU | BPF_SUB | BPF_K:
    case BPF_ALU | BPF_SUB | BPF_X:
    case BPF_ALU | BPF_MUL | BPF_K:
    case BPF_ALU | BPF_MUL | BPF_X:
    case BPF_ALU | BPF_DIV | BPF_K:
    case BPF_ALU | BPF_DIV | BPF_X:
    case BPF_ALU | BPF_AND | BPF_K:
    case BPF_ALU | BPF_AND | BPF_X:
    case BPF_ALU | BPF_OR | BPF_K:
    case BPF_ALU | BPF_OR | BPF_X:
    case BPF_ALU | BPF_XOR | BPF_K:
    case BPF_ALU | BPF_XOR | BPF_X:
    case BPF_ALU | BPF_LSH | BPF_K:
    case BPF_ALU | BPF_LSH | BPF_X:
    case BPF_ALU | BPF_RSH | BPF_K:
    case BPF_ALU | BPF_RSH | BPF_X:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
    case BPF_JMP | BPF_JEQ | BPF_K:
    case BPF_JMP | BPF_JEQ | BPF_X:
    case BPF_JMP | BPF_JGE | BPF_K:
    case BPF_JMP | BPF_JGE | BPF_X:
    case BPF_JMP | BPF_JGT | BPF_K:
    case BPF_JMP | BPF_JGT | BPF_X:
    case BPF_JMP | BPF_JSET | BPF_K:
    case BPF_JMP | BPF_JSET | BPF_X:
      return true;
  }
  return false;
}

BpfRun Fail(std::string error) {
  BpfRun r;
  r.error = std::move(error);
  return r;
}

}  // namespace

std::string CheckSeccompFilter(const std::vector<sock_filter>& filter) {
  const size_t n = filter.size();
  if (n == 0) return "empty filter";
  if (n > BPF_MAXINSNS) {
    return "filter has " + std::to_string(n) + " instructions, more than BPF_MAXINSNS (" +
           std::to_string(BPF_MAXINSNS) + ")";
  }
  for (size_t pc = 0; pc < n; ++pc) {
    const sock_filter& f = filter[pc];
    if (!Allowed(f.code)) return At(pc, f, "opcode not allowed in a seccomp filter");
    switch (f.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (f.k >= sizeof(seccomp_data) || (f.k & 3) != 0) {
          return At(pc, f, "load outside struct seccomp_data or unaligned");
        }
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (f.k >= BPF_MEMWORDS) return At(pc, f, "scratch memory index out of range");
        break;
      case BPF_ALU | BPF_DIV | BPF_K:
        if (f.k == 0) return At(pc, f, "division by constant 0");
        break;
      case BPF_ALU | BPF_LSH | BPF_K:
      case BPF_ALU | BPF_RSH | BPF_K:
        if (f.k >= 32) return At(pc, f, "shift by 32 or more");
        break;
      case BPF_JMP | BPF_JA:
        if (f.k >= n - pc - 1) return At(pc, f, "jump out of range");
        break;
      default:
        if (BPF_CLASS(f.code) == BPF_JMP && (pc + 1 + f.jt >= n || pc + 1 + f.jf >= n)) {
          return At(pc, f, "conditional jump out of range");
        }
        break;
    }
  }
  if (BPF_CLASS(filter[n - 1].code) != BPF_RET) {
    return At(n - 1, filter[n - 1], "the last instruction is not a RET");
  }
  return "";
}

BpfRun RunSeccompFilter(const std::vector<sock_filter>& filter, const seccomp_data& data) {
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  bool written[BPF_MEMWORDS] = {};
  unsigned char bytes[sizeof(seccomp_data)];
  memcpy(bytes, &data, sizeof(bytes));
  const size_t n = filter.size();
  // Every instruction moves pc forward (jump offsets are unsigned), so this terminates.
  for (size_t pc = 0; pc < n; ++pc) {
    const sock_filter& f = filter[pc];
    const uint32_t k = f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v = 0;
        switch (BPF_MODE(f.code)) {
          case BPF_ABS:
            if (BPF_CLASS(f.code) != BPF_LD || BPF_SIZE(f.code) != BPF_W) {
              return Fail(At(pc, f, "only LD W ABS loads are allowed"));
            }
            if (k >= sizeof(bytes) || k % 4 != 0) {
              return Fail(At(pc, f, "load outside struct seccomp_data or unaligned"));
            }
            memcpy(&v, bytes + k, 4);
            break;
          case BPF_IMM:
            v = k;
            break;
          case BPF_MEM:
            if (k >= BPF_MEMWORDS) return Fail(At(pc, f, "scratch memory index out of range"));
            if (!written[k]) return Fail(At(pc, f, "reads scratch memory never written"));
            v = mem[k];
            break;
          case BPF_LEN:
            v = sizeof(seccomp_data);
            break;
          default:
            return Fail(At(pc, f, "unsupported load mode"));
        }
        if (BPF_CLASS(f.code) == BPF_LD)
          a = v;
        else
          x = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return Fail(At(pc, f, "scratch memory index out of range"));
        mem[k] = BPF_CLASS(f.code) == BPF_ST ? a : x;
        written[k] = true;
        break;
      case BPF_ALU: {
        const uint32_t v = BPF_SRC(f.code) == BPF_X ? x : k;
        switch (BPF_OP(f.code)) {
          case BPF_ADD:
            a += v;
            break;
          case BPF_SUB:
            a -= v;
            break;
          case BPF_MUL:
            a *= v;
            break;
          case BPF_DIV:
            if (v == 0) return Fail(At(pc, f, "division by zero"));
            a /= v;
            break;
          case BPF_AND:
            a &= v;
            break;
          case BPF_OR:
            a |= v;
            break;
          case BPF_XOR:
            a ^= v;
            break;
          case BPF_LSH:
            if (v >= 32) return Fail(At(pc, f, "shift by 32 or more"));
            a <<= v;
            break;
          case BPF_RSH:
            if (v >= 32) return Fail(At(pc, f, "shift by 32 or more"));
            a >>= v;
            break;
          case BPF_NEG:
            a = 0u - a;
            break;
          default:
            return Fail(At(pc, f, "unsupported ALU operation"));
        }
        break;
      }
      case BPF_JMP: {
        size_t next;
        if (BPF_OP(f.code) == BPF_JA) {
          next = pc + 1 + k;
        } else {
          const uint32_t v = BPF_SRC(f.code) == BPF_X ? x : k;
          bool cond;
          switch (BPF_OP(f.code)) {
            case BPF_JEQ:
              cond = a == v;
              break;
            case BPF_JGT:
              cond = a > v;
              break;
            case BPF_JGE:
              cond = a >= v;
              break;
            case BPF_JSET:
              cond = (a & v) != 0;
              break;
            default:
              return Fail(At(pc, f, "unsupported jump"));
          }
          next = pc + 1 + (cond ? f.jt : f.jf);
        }
        if (next >= n) return Fail(At(pc, f, "jump past the end of the program"));
        pc = next - 1;  // the loop's ++pc
        break;
      }
      case BPF_RET:
        if (BPF_RVAL(f.code) == BPF_K) return BpfRun{true, k, ""};
        if (BPF_RVAL(f.code) == BPF_A) return BpfRun{true, a, ""};
        return Fail(At(pc, f, "unsupported RET source"));
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX)
          x = a;
        else if (BPF_MISCOP(f.code) == BPF_TXA)
          a = x;
        else
          return Fail(At(pc, f, "unsupported MISC operation"));
        break;
      default:
        return Fail(At(pc, f, "unknown instruction class"));
    }
  }
  return Fail("fell off the end of the program without a RET");
}

}  // namespace nucleus
