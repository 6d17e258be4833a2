#include "runtime/signals.h"

#include <signal.h>

#include "gtest/gtest.h"

namespace nucleus {
namespace {

TEST(ParseSignal, NamesAndNumbers) {
  EXPECT_EQ(*ParseSignal("TERM"), SIGTERM);
  EXPECT_EQ(*ParseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(*ParseSignal("sigkill"), SIGKILL);
  EXPECT_EQ(*ParseSignal("9"), 9);
  EXPECT_EQ(*ParseSignal("64"), 64);
  EXPECT_EQ(*ParseSignal("RTMIN"), 34);
  EXPECT_EQ(*ParseSignal("SIGRTMIN+3"), 37);
  EXPECT_EQ(*ParseSignal("RTMAX-2"), 62);
}

TEST(ParseSignal, Rejects) {
  for (const char* bad : {"", "0", "65", "-1", "TERMX", "SIG", "RTMIN+31", "RTMIN-1", "RTMAX+1",
                          "RTMIN+", "RTMIN++1", "1x", " 9", "SIGRTMIN+-1"}) {
    absl::StatusOr<int> s = ParseSignal(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) EXPECT_NE(s.status().message().find("not a signal"), std::string::npos);
  }
}

TEST(SignalName, RoundTrips) {
  for (int sig = 1; sig <= 64; ++sig) {
    std::string name = SignalName(sig);
    if (name.rfind("signal ", 0) == 0) continue;
    absl::StatusOr<int> back = ParseSignal(name);
    ASSERT_TRUE(back.ok()) << name;
    EXPECT_EQ(*back, sig) << name;
  }
}

}  // namespace
}  // namespace nucleus
