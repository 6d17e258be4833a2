#include "runtime/notify/message.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

NotifyMessage Full() {
  NotifyMessage m;
  m.ready = true;
  m.reloading = true;
  m.stopping = true;
  m.watchdog_trigger = true;
  m.fdstore = true;
  m.fdstore_remove = true;
  m.fdpoll_disabled = true;
  m.barrier = true;
  m.status = "Serving 3 clients \xff\r (not UTF-8)";
  m.buserror = "org.freedesktop.DBus.Error.TimedOut";
  m.fdname = "http socket #1";
  m.notify_access = "exec";
  m.errno_value = 4095;
  m.main_pid = 4194304;
  m.watchdog_usec = uint64_t{1} << 63;
  m.extend_timeout_usec = 18446744073709551615u;
  m.monotonic_usec = 0;
  m.unknown = {{"X_APP", "a=b"}, {"X_APP", ""}, {"9_LIVES", "cat"}};
  return m;
}

TEST(NotifyMessageTest, ReadyAlone) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage("READY=1"));
  NotifyMessage want;
  want.ready = true;
  EXPECT_EQ(m, want);
  EXPECT_EQ(ToNotifyDatagram(m), "READY=1");
}

TEST(NotifyMessageTest, RealisticMultiLine) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage m,
                       ParseNotifyMessage("READY=1\nSTATUS=Processing requests...\n"
                                          "MAINPID=4711\n\nX_NGINX_WORKERS=4\n"));
  EXPECT_TRUE(m.ready);
  EXPECT_EQ(m.status, "Processing requests...");
  EXPECT_EQ(m.main_pid, 4711);
  EXPECT_THAT(m.unknown, ::testing::ElementsAre(Pair("X_NGINX_WORKERS", "4")));
  EXPECT_FALSE(m.reloading);
  EXPECT_FALSE(m.errno_value.has_value());
  EXPECT_EQ(ToNotifyDatagram(m),
            "READY=1\nSTATUS=Processing requests...\nMAINPID=4711\nX_NGINX_WORKERS=4");
}

TEST(NotifyMessageTest, WatchdogForms) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage ping, ParseNotifyMessage("WATCHDOG=1\n"));
  EXPECT_TRUE(ping.watchdog_ping);
  EXPECT_FALSE(ping.watchdog_trigger);
  ASSERT_OK_AND_ASSIGN(NotifyMessage trig, ParseNotifyMessage("WATCHDOG=trigger"));
  EXPECT_TRUE(trig.watchdog_trigger);
  EXPECT_FALSE(trig.watchdog_ping);
  EXPECT_EQ(ToNotifyDatagram(trig), "WATCHDOG=trigger");
}

TEST(NotifyMessageTest, EveryKnownKey) {
  std::string text =
      "FDPOLL=0\nBARRIER=1\nFDSTOREREMOVE=1\nFDSTORE=1\nFDNAME=a b~!\nNOTIFYACCESS=none\n"
      "MONOTONIC_USEC=0\nEXTEND_TIMEOUT_USEC=0\nWATCHDOG_USEC=1\nMAINPID=1\nBUSERROR=\n"
      "ERRNO=0\nSTATUS=\nSTOPPING=1\nRELOADING=1\nREADY=1\nWATCHDOG=1";
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage(text));
  EXPECT_TRUE(m.ready && m.reloading && m.stopping && m.watchdog_ping && m.fdstore &&
              m.fdstore_remove && m.fdpoll_disabled && m.barrier);
  EXPECT_EQ(m.status, "");
  EXPECT_EQ(m.buserror, "");
  EXPECT_EQ(m.fdname, "a b~!");
  EXPECT_EQ(m.notify_access, "none");
  EXPECT_EQ(m.errno_value, 0);
  EXPECT_EQ(m.main_pid, 1);
  EXPECT_EQ(m.watchdog_usec, 1u);
  EXPECT_EQ(m.extend_timeout_usec, 0u);
  EXPECT_EQ(m.monotonic_usec, 0u);
  EXPECT_TRUE(m.unknown.empty());
  // Canonical order, whatever the input order.
  EXPECT_EQ(ToNotifyDatagram(m),
            "READY=1\nRELOADING=1\nSTOPPING=1\nSTATUS=\nERRNO=0\nBUSERROR=\nMAINPID=1\n"
            "MONOTONIC_USEC=0\nWATCHDOG=1\nWATCHDOG_USEC=1\nEXTEND_TIMEOUT_USEC=0\n"
            "NOTIFYACCESS=none\nFDSTORE=1\nFDSTOREREMOVE=1\nFDNAME=a b~!\nFDPOLL=0\nBARRIER=1");
}

TEST(NotifyMessageTest, NotifyAccessValues) {
  for (const char* v : {"main", "all", "exec", "none"}) {
    ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage(absl::StrCat("NOTIFYACCESS=", v)));
    EXPECT_EQ(m.notify_access, v);
  }
}

TEST(NotifyMessageTest, ValuesKeepBytesAndSplitAtFirstEquals) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage("STATUS=a=b\r\t\x80\xfe end \nX=y=z"));
  EXPECT_EQ(m.status, "a=b\r\t\x80\xfe end ");
  EXPECT_THAT(m.unknown, ::testing::ElementsAre(Pair("X", "y=z")));
}

TEST(NotifyMessageTest, EmptyLinesAndEmptyMessage) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage empty, ParseNotifyMessage(""));
  EXPECT_EQ(empty, NotifyMessage());
  ASSERT_OK_AND_ASSIGN(NotifyMessage newlines, ParseNotifyMessage("\n\n\n"));
  EXPECT_EQ(newlines, NotifyMessage());
  EXPECT_EQ(ToNotifyDatagram(NotifyMessage()), "");
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage("\n\nREADY=1\n\n"));
  EXPECT_TRUE(m.ready);
}

TEST(NotifyMessageTest, NumbersAcceptLeadingZerosAndCanonicalize) {
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage("MAINPID=00042\nERRNO=007"));
  EXPECT_EQ(m.main_pid, 42);
  EXPECT_EQ(m.errno_value, 7);
  EXPECT_EQ(ToNotifyDatagram(m), "ERRNO=7\nMAINPID=42");
}

TEST(NotifyMessageTest, NumericBoundaries) {
  EXPECT_OK(ParseNotifyMessage("ERRNO=4095"));
  EXPECT_OK(ParseNotifyMessage("MAINPID=4194304"));
  EXPECT_OK(ParseNotifyMessage("WATCHDOG_USEC=9223372036854775808"));
  EXPECT_OK(ParseNotifyMessage("EXTEND_TIMEOUT_USEC=18446744073709551615"));
  EXPECT_OK(ParseNotifyMessage("MONOTONIC_USEC=18446744073709551615"));
  EXPECT_THAT(ParseNotifyMessage("ERRNO=4096"), StatusIs(kInvalid, HasSubstr("'4096'")));
  EXPECT_THAT(ParseNotifyMessage("MAINPID=4194305"), StatusIs(kInvalid, HasSubstr("not a pid")));
  EXPECT_THAT(ParseNotifyMessage("WATCHDOG_USEC=9223372036854775809"),
              StatusIs(kInvalid, HasSubstr("WATCHDOG_USEC")));
  EXPECT_THAT(ParseNotifyMessage("EXTEND_TIMEOUT_USEC=18446744073709551616"),
              StatusIs(kInvalid, HasSubstr("EXTEND_TIMEOUT_USEC")));
  EXPECT_THAT(ParseNotifyMessage("MONOTONIC_USEC=99999999999999999999"),
              StatusIs(kInvalid, HasSubstr("MONOTONIC_USEC")));
}

TEST(NotifyMessageTest, LengthBoundaries) {
  // Exactly kMaxNotifyMessageBytes: accepted, and a STATUS may fill all of it.
  std::string status = "STATUS=" + std::string(kMaxNotifyMessageBytes - 7, 's');
  ASSERT_EQ(status.size(), kMaxNotifyMessageBytes);
  ASSERT_OK_AND_ASSIGN(NotifyMessage m, ParseNotifyMessage(status));
  EXPECT_EQ(m.status->size(), kMaxNotifyMessageBytes - 7);
  EXPECT_EQ(ToNotifyDatagram(m), status);
  EXPECT_THAT(ParseNotifyMessage(status + "\n"),
              StatusIs(kInvalid, Eq("sd_notify: message is 4097 bytes, more than 4096")));
  // Keys: 64 bytes accepted, 65 refused.
  std::string key64(kMaxNotifyKeyBytes, 'K');
  ASSERT_OK_AND_ASSIGN(NotifyMessage k, ParseNotifyMessage(key64 + "=v"));
  EXPECT_THAT(k.unknown, ::testing::ElementsAre(Pair(key64, "v")));
  EXPECT_THAT(ParseNotifyMessage(key64 + "K=v"),
              StatusIs(kInvalid, HasSubstr("is longer than 64 bytes")));
  // FDNAME: 255 accepted, 256 refused.
  std::string name255(kMaxNotifyFdNameBytes, 'n');
  ASSERT_OK_AND_ASSIGN(NotifyMessage f, ParseNotifyMessage("FDNAME=" + name255));
  EXPECT_EQ(f.fdname, name255);
  EXPECT_THAT(ParseNotifyMessage("FDNAME=" + name255 + "n"),
              StatusIs(kInvalid, HasSubstr("is not an fd name")));
}

TEST(NotifyMessageTest, RoundTripFull) {
  NotifyMessage m = Full();
  std::string text = ToNotifyDatagram(m);
  ASSERT_OK_AND_ASSIGN(NotifyMessage back, ParseNotifyMessage(text));
  EXPECT_EQ(back, m) << text;
  EXPECT_EQ(ToNotifyDatagram(back), text);
}

TEST(NotifyMessageTest, RoundTripWatchdogPing) {
  NotifyMessage m = Full();
  m.watchdog_trigger = false;
  m.watchdog_ping = true;
  ASSERT_OK_AND_ASSIGN(NotifyMessage back, ParseNotifyMessage(ToNotifyDatagram(m)));
  EXPECT_EQ(back, m);
}

TEST(NotifyMessageTest, EqualityComparesEveryField) {
  NotifyMessage a = Full();
  NotifyMessage b = Full();
  EXPECT_EQ(a, b);
  b.unknown.back().second = "dog";
  EXPECT_NE(a, b);
  b = Full();
  b.fdpoll_disabled = false;
  EXPECT_NE(a, b);
  b = Full();
  b.monotonic_usec.reset();
  EXPECT_NE(a, b);
}

struct BadCase {
  const char* text;
  const char* message;  // the whole error message
};

TEST(NotifyMessageTest, RejectsBadInput) {
  const BadCase cases[] = {
      {"READY", "sd_notify line 1: 'READY' is not KEY=VALUE"},
      {"READY=1\n\nSTATUS", "sd_notify line 3: 'STATUS' is not KEY=VALUE"},
      {" READY=1", "sd_notify line 1: key ' READY' is not [A-Z0-9_]+"},
      {"ready=1", "sd_notify line 1: key 'ready' is not [A-Z0-9_]+"},
      {"=1", "sd_notify line 1: key '' is not [A-Z0-9_]+"},
      {"X-Y=1", "sd_notify line 1: key 'X-Y' is not [A-Z0-9_]+"},
      {"READY=0", "sd_notify line 1: READY: '0' is not 1"},
      {"READY=1 ", "sd_notify line 1: READY: '1 ' is not 1"},
      {"READY=1\r", "sd_notify line 1: READY: '1\\r' is not 1"},
      {"RELOADING=yes", "sd_notify line 1: RELOADING: 'yes' is not 1"},
      {"STOPPING=", "sd_notify line 1: STOPPING: '' is not 1"},
      {"WATCHDOG=0", "sd_notify line 1: WATCHDOG: '0' is not 1 or trigger"},
      {"FDPOLL=1", "sd_notify line 1: FDPOLL: '1' is not 0"},
      {"BARRIER=2", "sd_notify line 1: BARRIER: '2' is not 1"},
      {"FDSTORE=true", "sd_notify line 1: FDSTORE: 'true' is not 1"},
      {"FDSTOREREMOVE=0", "sd_notify line 1: FDSTOREREMOVE: '0' is not 1"},
      {"READY=1\nMAINPID=abc", "sd_notify line 2: MAINPID: 'abc' is not a pid (1..4194304)"},
      {"MAINPID=0", "sd_notify line 1: MAINPID: '0' is not a pid (1..4194304)"},
      {"MAINPID=-1", "sd_notify line 1: MAINPID: '-1' is not a pid (1..4194304)"},
      {"MAINPID=+5", "sd_notify line 1: MAINPID: '+5' is not a pid (1..4194304)"},
      {"MAINPID= 5", "sd_notify line 1: MAINPID: ' 5' is not a pid (1..4194304)"},
      {"MAINPID=0x10", "sd_notify line 1: MAINPID: '0x10' is not a pid (1..4194304)"},
      {"ERRNO=", "sd_notify line 1: ERRNO: '' is not an errno (0..4095)"},
      {"ERRNO=-2", "sd_notify line 1: ERRNO: '-2' is not an errno (0..4095)"},
      {"WATCHDOG_USEC=0",
       "sd_notify line 1: WATCHDOG_USEC: '0' is not a watchdog interval in microseconds "
       "(1..2^63)"},
      {"EXTEND_TIMEOUT_USEC=1.5",
       "sd_notify line 1: EXTEND_TIMEOUT_USEC: '1.5' is not a number of microseconds "
       "(0..2^64-1)"},
      {"MONOTONIC_USEC=",
       "sd_notify line 1: MONOTONIC_USEC: '' is not a number of microseconds (0..2^64-1)"},
      {"FDNAME=",
       "sd_notify line 1: FDNAME: '' is not an fd name (1..255 printable ASCII "
       "bytes, no ':')"},
      {"FDNAME=a:b",
       "sd_notify line 1: FDNAME: 'a:b' is not an fd name (1..255 printable "
       "ASCII bytes, no ':')"},
      {"FDNAME=a\tb",
       "sd_notify line 1: FDNAME: 'a\\tb' is not an fd name (1..255 printable "
       "ASCII bytes, no ':')"},
      {"FDNAME=caf\xc3\xa9",
       "sd_notify line 1: FDNAME: 'caf\\303\\251' is not an fd name "
       "(1..255 printable ASCII bytes, no ':')"},
      {"NOTIFYACCESS=MAIN",
       "sd_notify line 1: NOTIFYACCESS: 'MAIN' is not main, all, exec or "
       "none"},
      {"MAINPID=1\nREADY=1\nMAINPID=2", "sd_notify line 3: MAINPID: given twice (first on line 1)"},
      {"WATCHDOG=1\nWATCHDOG=trigger", "sd_notify line 2: WATCHDOG: given twice (first on line 1)"},
      {"READY=1\nREADY=1", "sd_notify line 2: READY: given twice (first on line 1)"},
  };
  for (const BadCase& c : cases) {
    EXPECT_THAT(ParseNotifyMessage(c.text), StatusIs(kInvalid, Eq(c.message))) << c.text;
  }
}

TEST(NotifyMessageTest, RejectsNulAnywhere) {
  using namespace std::string_literals;
  EXPECT_THAT(ParseNotifyMessage("READY=1\0"s),
              StatusIs(kInvalid, Eq("sd_notify line 1: 'READY=1\\000' contains a NUL byte")));
  EXPECT_THAT(ParseNotifyMessage("READY=1\nSTATUS=a\0b"s),
              StatusIs(kInvalid, HasSubstr("line 2: 'STATUS=a\\000b' contains a NUL byte")));
  EXPECT_THAT(ParseNotifyMessage("\0"s), StatusIs(kInvalid, HasSubstr("NUL")));
  EXPECT_THAT(ParseNotifyMessage("X_\0=1"s), StatusIs(kInvalid, HasSubstr("NUL")));
}

TEST(NotifyMessageTest, ErrorsAreOneShortLine) {
  std::string hostile = "MAINPID=" + std::string(3000, '\n');
  hostile[9] = 'x';  // line 2 ("x") is bad too, but line 1's error is the one reported
  EXPECT_THAT(ParseNotifyMessage(hostile), StatusIs(kInvalid, Eq("sd_notify line 1: MAINPID: "
                                                                 "'' is not a pid (1..4194304)")));
  std::string long_status = "STATUS=" + std::string(4000, '\n') + "\x01";
  absl::Status st = ParseNotifyMessage(long_status).status();
  EXPECT_THAT(st, StatusIs(kInvalid, StartsWith("sd_notify line 4001: ")));
  std::string long_value = "MAINPID=" + std::string(4000, '9');
  st = ParseNotifyMessage(long_value).status();
  EXPECT_THAT(st, StatusIs(kInvalid, HasSubstr("...' is not a pid")));
  EXPECT_LT(st.message().size(), 200u);
  EXPECT_EQ(st.message().find('\n'), absl::string_view::npos);
}

}  // namespace
}  // namespace nucleus
