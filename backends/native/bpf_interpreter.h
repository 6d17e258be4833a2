// A classic-BPF interpreter for seccomp filters, for tests and fuzzers (testonly): what the
// kernel would return for one struct seccomp_data, and the kernel's static checks of a filter.
//
// CheckSeccompFilter(filter) applies the checks the kernel makes before it accepts a filter
// (bpf_check_classic + seccomp_check_filter): 1..BPF_MAXINSNS instructions; only the opcodes
// seccomp allows (LD/LDX W ABS|IMM|MEM|LEN, ST, STX, ALU ADD SUB MUL DIV AND OR XOR LSH RSH
// with K or X and NEG, JMP JA JEQ JGT JGE JSET with K or X, RET K|A, MISC TAX|TXA); absolute
// loads 4-aligned and inside struct seccomp_data; scratch memory indexes < BPF_MEMWORDS;
// no division by a constant 0 or shift by a constant >= 32; every jump lands inside the
// program; the last instruction is a RET. Jumps only go forward, so with these checks every
// path ends in a RET. Returns "" when the filter is valid, else what is wrong and where.
//
// RunSeccompFilter(filter, data) executes a filter (checked or not: every load, store and
// jump is bounds-checked again at run time, and reading a scratch word that was never
// written is an error, as the kernel's check_load_and_stores would refuse it). On success
// the result holds the filter's 32-bit return value (SECCOMP_RET_*).
//
//   std::string bad = CheckSeccompFilter(program.filter);
//   BpfRun r = RunSeccompFilter(program.filter, data);
//   if (!r.ok) FAIL() << r.error;  else EXPECT_EQ(r.ret, SECCOMP_RET_ALLOW);
#ifndef NUCLEUS_BACKENDS_NATIVE_BPF_INTERPRETER_H_
#define NUCLEUS_BACKENDS_NATIVE_BPF_INTERPRETER_H_

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nucleus {

struct BpfRun {
  bool ok = false;
  uint32_t ret = 0;   // the RET value, when ok
  std::string error;  // what went wrong (instruction index and opcode), when !ok
};

std::string CheckSeccompFilter(const std::vector<sock_filter>& filter);

BpfRun RunSeccompFilter(const std::vector<sock_filter>& filter, const seccomp_data& data);

}  // namespace nucleus

#endif  // NUCLEUS_BACKENDS_NATIVE_BPF_INTERPRETER_H_
