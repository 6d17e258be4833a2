// The device program's decisions, through the in-test interpreter (EvalDeviceProgram), and,
// where this process may (root: CAP_BPF/CAP_SYS_ADMIN), the kernel verifier's acceptance.
// Attaching to a real cgroup v2 group and opening devices under it is covered where a v2
// hierarchy is available (tests/integration/cgroup_test.cc, hybrid hosts included).
#include "runtime/cgroup/device_bpf.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace nucleus {
namespace {

constexpr uint32_t kR = BPF_DEVCG_ACC_READ, kW = BPF_DEVCG_ACC_WRITE, kM = BPF_DEVCG_ACC_MKNOD;

TEST(DeviceProgram, DefaultRules) {
  std::vector<bpf_insn> p = AssembleDeviceProgram(DefaultDeviceRules());
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR | kW, 1, 3), 1) << "/dev/null";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 1, 9), 1) << "/dev/urandom";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR | kW, 5, 2), 1) << "/dev/ptmx";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR | kW, 136, 7), 1) << "/dev/pts/7";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR | kW, 5, 0), 1) << "/dev/tty";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 1, 1), 0) << "/dev/mem";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 1, 11), 0) << "/dev/kmsg";
  EXPECT_EQ(EvalDeviceProgram(p, 'b', kR, 8, 0), 0) << "/dev/sda";
  EXPECT_EQ(EvalDeviceProgram(p, 'b', kW, 8, 0), 0) << "/dev/sda";
  EXPECT_EQ(EvalDeviceProgram(p, 'b', kM, 8, 0), 1) << "mknod of a disk is allowed";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kM, 1, 1), 1) << "mknod of /dev/mem is allowed";
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kM | kR, 1, 1), 0);
  EXPECT_EQ(EvalDeviceProgram(p, 'b', kR, 1, 3), 0) << "block 1:3 is not /dev/null";
}

TEST(DeviceProgram, EmptyDeniesEverything) {
  std::vector<bpf_insn> p = AssembleDeviceProgram({});
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 1, 3), 0);
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kM, 1, 3), 0);
}

TEST(DeviceProgram, WildcardsAndAll) {
  std::vector<bpf_insn> p = AssembleDeviceProgram({{'a', -1, -1, "rwm"}});
  EXPECT_EQ(EvalDeviceProgram(p, 'b', kR | kW | kM, 8, 0), 1);
  p = AssembleDeviceProgram({{'c', 4, -1, "r"}});
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 4, 64), 1);
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kW, 4, 64), 0);
  EXPECT_EQ(EvalDeviceProgram(p, 'c', kR, 5, 64), 0);
}

TEST(DeviceProgram, KernelVerifierAccepts) {
  if (geteuid() != 0) GTEST_SKIP() << "loading BPF needs root";
  absl::StatusOr<UniqueFd> fd = LoadDeviceProgram(AssembleDeviceProgram(DefaultDeviceRules()));
  if (!fd.ok() && absl::IsPermissionDenied(fd.status())) {
    GTEST_SKIP() << "bpf() refused here (a sandbox?): " << fd.status();
  }
  ASSERT_TRUE(fd.ok()) << fd.status();
  EXPECT_TRUE(fd->valid());
}

}  // namespace
}  // namespace nucleus
