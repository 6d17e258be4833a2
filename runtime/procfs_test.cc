#include "runtime/procfs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/status_matchers.h"

namespace nucleus {
namespace {

using ::nucleus::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

// A real line (cat, Linux 6.x), 52 fields.
constexpr char kCatStat[] =
    "13652 (cat) R 13522 13522 3577 0 -1 4194304 97 0 0 0 0 0 0 0 20 0 1 0 478299 3133440 412 "
    "18446744073709551615 94175236251648 94175236271529 140721497291152 0 0 0 0 0 0 0 0 0 17 1 0 "
    "0 0 0 0 94175236287536 94175236289152 94176288133120 140721497299383 140721497299403 "
    "140721497299403 140721497300971 0\n";

std::string StatWithComm(const std::string& comm) {
  return "42 (" + comm +
         ") S 1 42 42 34816 42 4194560 10 11 12 13 14 15 -16 -17 20 -5 3 0 "
         "987654 1000000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

TEST(ParseProcStatTest, RealLine) {
  ASSERT_OK_AND_ASSIGN(ProcStat st, ParseProcStat(kCatStat));
  EXPECT_EQ(st.pid, 13652);
  EXPECT_EQ(st.comm, "cat");
  EXPECT_EQ(st.state, 'R');
  EXPECT_EQ(st.ppid, 13522);
  EXPECT_EQ(st.pgrp, 13522);
  EXPECT_EQ(st.session, 3577);
  EXPECT_EQ(st.tty_nr, 0);
  EXPECT_EQ(st.tpgid, -1);
  EXPECT_EQ(st.flags, 4194304u);
  EXPECT_EQ(st.minflt, 97u);
  EXPECT_EQ(st.priority, 20);
  EXPECT_EQ(st.nice, 0);
  EXPECT_EQ(st.num_threads, 1);
  EXPECT_EQ(st.starttime, 478299u);
  EXPECT_EQ(st.vsize, 3133440u);
  EXPECT_EQ(st.rss, 412);
}

TEST(ParseProcStatTest, CommWithParenthesesAndSpaces) {
  ASSERT_OK_AND_ASSIGN(ProcStat st, ParseProcStat(StatWithComm("a) b (c")));
  EXPECT_EQ(st.comm, "a) b (c");
  EXPECT_EQ(st.state, 'S');
  EXPECT_EQ(st.ppid, 1);
  EXPECT_EQ(st.starttime, 987654u);
  EXPECT_EQ(st.nice, -5);
  EXPECT_EQ(st.utime, 14u);
  EXPECT_EQ(st.stime, 15u);
}

TEST(ParseProcStatTest, HostileComms) {
  for (const std::string comm : {"", ")", "))", "(", ") R 1 2 3", "x\ny", "  ", ") 9 9 9 ("}) {
    ASSERT_OK_AND_ASSIGN(ProcStat st, ParseProcStat(StatWithComm(comm)));
    EXPECT_EQ(st.comm, comm);
    EXPECT_EQ(st.state, 'S');
    EXPECT_EQ(st.starttime, 987654u);
  }
}

TEST(ParseProcStatTest, Malformed) {
  EXPECT_THAT(ParseProcStat(""), StatusIs(kInvalid, HasSubstr("is not 'PID (COMM) STATE ...'")));
  EXPECT_THAT(ParseProcStat("42 cat R 1"), StatusIs(kInvalid, HasSubstr("PID (COMM)")));
  EXPECT_THAT(ParseProcStat(") 42 (cat R"), StatusIs(kInvalid, HasSubstr("PID (COMM)")));
  EXPECT_THAT(ParseProcStat("(cat) R 1"), StatusIs(kInvalid, HasSubstr("PID (COMM)")));
  EXPECT_THAT(ParseProcStat("x (cat) R 1 2 3"),
              StatusIs(kInvalid, Eq("stat: pid 'x' is not a number")));
  EXPECT_THAT(ParseProcStat("1 (cat)R 1"), StatusIs(kInvalid, HasSubstr("no space after comm")));
  EXPECT_THAT(ParseProcStat("1 (cat) R 1 2 3"),
              StatusIs(kInvalid, Eq("stat: 6 fields, at least 24 expected")));
  std::string bad_ppid = StatWithComm("c");
  bad_ppid.replace(bad_ppid.find(" 1 42"), 2, " x");
  EXPECT_THAT(ParseProcStat(bad_ppid),
              StatusIs(kInvalid, Eq("stat: field 4 (ppid) 'x' is not a number")));
  std::string bad_state = StatWithComm("c");
  bad_state.replace(bad_state.find(" S "), 3, " SS ");
  EXPECT_THAT(ParseProcStat(bad_state), StatusIs(kInvalid, HasSubstr("(state) 'SS'")));
  std::string neg_start = StatWithComm("c");
  neg_start.replace(neg_start.find(" 987654"), 7, " -98765");
  EXPECT_THAT(ParseProcStat(neg_start), StatusIs(kInvalid, HasSubstr("starttime")));
  std::string plus = StatWithComm("c");
  plus.replace(plus.find(" 1 42"), 2, " +1");
  EXPECT_THAT(ParseProcStat(plus), StatusIs(kInvalid, HasSubstr("ppid")));
}

constexpr char kStatus[] =
    "Name:\thead\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Tgid:\t13653\n"
    "Ngid:\t0\n"
    "Pid:\t13653\n"
    "PPid:\t13522\n"
    "TracerPid:\t0\n"
    "Uid:\t1000\t1001\t1002\t1003\n"
    "Gid:\t0\t0\t0\t0\n"
    "FDSize:\t256\n"
    "Groups:\t4 24 27 \n"
    "NStgid:\t13653\t1\n"
    "NSpid:\t13653\t1\n"
    "VmRSS:\t    1772 kB\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000400\n"
    "NoNewPrivs:\t1\n"
    "Seccomp:\t2\n"
    "Seccomp_filters:\t1\n"
    "Cpus_allowed_list:\t0-1\n";

TEST(ParseProcStatusTest, RealText) {
  ASSERT_OK_AND_ASSIGN(ProcStatus s, ParseProcStatus(kStatus));
  EXPECT_EQ(s.name, "head");
  EXPECT_EQ(s.state, 'R');
  EXPECT_EQ(s.tgid, 13653);
  EXPECT_EQ(s.pid, 13653);
  EXPECT_EQ(s.ppid, 13522);
  EXPECT_THAT(s.uid, ElementsAre(1000u, 1001u, 1002u, 1003u));
  EXPECT_THAT(s.gid, ElementsAre(0u, 0u, 0u, 0u));
  EXPECT_THAT(s.groups, ElementsAre(4u, 24u, 27u));
  EXPECT_THAT(s.ns_pid, ElementsAre(13653, 1));
  EXPECT_EQ(s.cap_inh, 0u);
  EXPECT_EQ(s.cap_eff, 0x000001fffeffffffull);
  EXPECT_EQ(s.cap_bnd, 0x000001ffffffffffull);
  EXPECT_EQ(s.cap_amb, 0x400u);
  EXPECT_EQ(s.no_new_privs, true);
  EXPECT_EQ(s.seccomp, 2);
  EXPECT_EQ(s.fields.at("VmRSS"), "1772 kB");
  EXPECT_EQ(s.fields.at("Cpus_allowed_list"), "0-1");
}

TEST(ParseProcStatusTest, OptionalFieldsAbsentAndEmptyGroups) {
  std::string old_kernel =
      "Name:\tx\nState:\tS (sleeping)\nPid:\t5\nPPid:\t1\nUid:\t0 0 0 0\nGid:\t0 0 0 0\n"
      "Groups:\t\nCapInh:\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\tffffffffffffffff\n";
  ASSERT_OK_AND_ASSIGN(ProcStatus s, ParseProcStatus(old_kernel));
  EXPECT_THAT(s.groups, IsEmpty());
  EXPECT_EQ(s.cap_amb, std::nullopt);
  EXPECT_EQ(s.no_new_privs, std::nullopt);
  EXPECT_EQ(s.seccomp, std::nullopt);
  EXPECT_EQ(s.cap_bnd, ~0ull);
}

TEST(ParseProcStatusTest, EscapedNameStaysOneLine) {
  std::string text = kStatus;
  text.replace(0, 10, "Name:\ta\\nb: c\n");
  ASSERT_OK_AND_ASSIGN(ProcStatus s, ParseProcStatus(text));
  EXPECT_EQ(s.name, "a\\nb: c");
}

TEST(ParseProcStatusTest, Malformed) {
  std::string text = kStatus;
  EXPECT_THAT(ParseProcStatus(text + "garbage\n"),
              StatusIs(kInvalid, Eq("status: line 25 'garbage' is not 'Key: value'")));
  EXPECT_THAT(ParseProcStatus(text + "Pid:\t1\n"),
              StatusIs(kInvalid, Eq("status: key 'Pid' repeated")));
  EXPECT_THAT(ParseProcStatus("Name:\tx\n"), StatusIs(kInvalid, Eq("status: no State line")));

  auto with = [&](const std::string& key, const std::string& value) {
    std::string t = kStatus;
    size_t at = t.find(key + ":\t");
    size_t end = t.find('\n', at);
    t.replace(at, end - at, key + ":\t" + value);
    return ParseProcStatus(t);
  };
  EXPECT_THAT(with("Uid", "0 0 0"), StatusIs(kInvalid, HasSubstr("Uid '0 0 0' does not hold 4")));
  EXPECT_THAT(with("Uid", "0 0 0 0 0"), StatusIs(kInvalid, HasSubstr("does not hold 4")));
  EXPECT_THAT(with("Gid", "0 x 0 0"), StatusIs(kInvalid, HasSubstr("not a list of ids")));
  EXPECT_THAT(with("Uid", "0 0 0 4294967296"), StatusIs(kInvalid, HasSubstr("not a list")));
  EXPECT_THAT(with("CapEff", "00000000000000000"),  // 17 digits
              StatusIs(kInvalid, HasSubstr("CapEff '00000000000000000' is not a capability mask")));
  EXPECT_THAT(with("CapEff", "0x1"), StatusIs(kInvalid, HasSubstr("capability mask")));
  EXPECT_THAT(with("CapEff", ""), StatusIs(kInvalid, HasSubstr("capability mask")));
  EXPECT_THAT(with("CapAmb", "zz"), StatusIs(kInvalid, HasSubstr("capability mask")));
  EXPECT_THAT(with("NoNewPrivs", "2"), StatusIs(kInvalid, HasSubstr("is not 0 or 1")));
  EXPECT_THAT(with("Pid", "-"), StatusIs(kInvalid, HasSubstr("Pid '-' is not a number")));
  EXPECT_THAT(with("State", ""), StatusIs(kInvalid, HasSubstr("State '' is empty")));
}

TEST(UnescapeMountFieldTest, Escapes) {
  EXPECT_EQ(UnescapeMountField("/a\\040b"), "/a b");
  EXPECT_EQ(UnescapeMountField("\\011\\012\\134"), "\t\n\\");
  EXPECT_EQ(UnescapeMountField("\\377"), "\xff");
  EXPECT_EQ(UnescapeMountField("\\400"), "\\400");  // not a byte: kept
  EXPECT_EQ(UnescapeMountField("\\08"), "\\08");
  EXPECT_EQ(UnescapeMountField("end\\04"), "end\\04");
  EXPECT_EQ(UnescapeMountField("\\"), "\\");
  EXPECT_EQ(UnescapeMountField("\\000"), std::string(1, '\0'));
  EXPECT_EQ(UnescapeMountField("plain"), "plain");
}

TEST(ParseMountInfoLineTest, ManPageExample) {
  ASSERT_OK_AND_ASSIGN(
      MountInfo m, ParseMountInfoLine("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root "
                                      "rw,errors=continue"));
  EXPECT_EQ(m.mount_id, 36);
  EXPECT_EQ(m.parent_id, 35);
  EXPECT_EQ(m.major, 98u);
  EXPECT_EQ(m.minor, 0u);
  EXPECT_EQ(m.root, "/mnt1");
  EXPECT_EQ(m.mount_point, "/mnt2");
  EXPECT_THAT(m.mount_options, ElementsAre("rw", "noatime"));
  EXPECT_THAT(m.optional_fields, ElementsAre("master:1"));
  EXPECT_EQ(m.fstype, "ext3");
  EXPECT_EQ(m.source, "/dev/root");
  EXPECT_THAT(m.super_options, ElementsAre("rw", "errors=continue"));
}

TEST(ParseMountInfoLineTest, EscapedSpacesAndSeveralOptionalFields) {
  ASSERT_OK_AND_ASSIGN(MountInfo m,
                       ParseMountInfoLine("100 25 0:50 /my\\040dir /mnt/with\\040space\\011tab "
                                          "rw,nosuid shared:5 master:2 propagate_from:1 - "
                                          "fuse.sshfs user@host:/a\\040b rw,user_id=0"));
  EXPECT_EQ(m.root, "/my dir");
  EXPECT_EQ(m.mount_point, "/mnt/with space\ttab");
  EXPECT_THAT(m.optional_fields, ElementsAre("shared:5", "master:2", "propagate_from:1"));
  EXPECT_EQ(m.fstype, "fuse.sshfs");
  EXPECT_EQ(m.source, "user@host:/a b");
}

TEST(ParseMountInfoLineTest, NoOptionalFieldsEmptySourceDashSource) {
  ASSERT_OK_AND_ASSIGN(MountInfo a,
                       ParseMountInfoLine("21 26 0:20 / /proc rw,relatime - proc proc rw"));
  EXPECT_THAT(a.optional_fields, IsEmpty());
  EXPECT_EQ(a.source, "proc");
  ASSERT_OK_AND_ASSIGN(MountInfo b, ParseMountInfoLine("30 26 0:40 / /x rw - tmpfs  rw,size=4k"));
  EXPECT_EQ(b.source, "");
  EXPECT_THAT(b.super_options, ElementsAre("rw", "size=4k"));
  ASSERT_OK_AND_ASSIGN(MountInfo c, ParseMountInfoLine("31 26 0:41 / /y rw - tmpfs - rw"));
  EXPECT_EQ(c.source, "-");
  ASSERT_OK_AND_ASSIGN(MountInfo d, ParseMountInfoLine("32 26 0:42 / /- rw - tmpfs x rw"));
  EXPECT_EQ(d.mount_point, "/-");
}

TEST(ParseMountInfoLineTest, Malformed) {
  EXPECT_THAT(ParseMountInfoLine(""), StatusIs(kInvalid, HasSubstr("has too few fields")));
  EXPECT_THAT(ParseMountInfoLine("1 2 0:1 / /x rw shared:1 ext4 /dev/sda rw"),
              StatusIs(kInvalid, HasSubstr("too few fields")));
  EXPECT_THAT(ParseMountInfoLine("1 2 0:1 / /x rw - ext4 /dev/sda rw extra"),
              StatusIs(kInvalid, HasSubstr("does not end in")));
  EXPECT_THAT(ParseMountInfoLine("1 2 0:1 / /x rw - ext4 /dev/sda"),
              StatusIs(kInvalid, HasSubstr("too few fields")));
  EXPECT_THAT(ParseMountInfoLine("a 2 0:1 / /x rw - ext4 /dev/sda rw"),
              StatusIs(kInvalid, HasSubstr("bad mount id")));
  for (const char* dev : {"01", "0:", ":1", "0:1:2", "x:1", "0:-1", "99999999999:0"}) {
    EXPECT_THAT(ParseMountInfoLine(std::string("1 2 ") + dev + " / /x rw - ext4 s rw"),
                StatusIs(kInvalid, HasSubstr("bad MAJOR:MINOR")))
        << dev;
  }
  EXPECT_THAT(ParseMountInfoLine("1 2 0:1  /x rw - ext4 s rw"),
              StatusIs(kInvalid, HasSubstr("empty path")));
  EXPECT_THAT(ParseMountInfoLine("1 2 0:1 / /x rw -  s rw"),
              StatusIs(kInvalid, HasSubstr("empty fstype")));
  EXPECT_THAT(
      ParseMountInfoLine("1 2 0:1 / /x rw - ext4 s rw\nsecond"),
      StatusIs(kInvalid, HasSubstr("'1 2 0:1 / /x rw - ext4 s rw\\nsecond' holds a newline")));
}

TEST(ParseMountInfoTest, WholeFileAndLineNumbers) {
  ASSERT_OK_AND_ASSIGN(std::vector<MountInfo> all,
                       ParseMountInfo("21 26 0:20 / /proc rw,relatime - proc proc rw\n"
                                      "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n"));
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_EQ(all[1].mount_point, "/sys");
  EXPECT_THAT(ParseMountInfo("21 26 0:20 / /proc rw - proc proc rw\n\nbroken\n"),
              StatusIs(kInvalid, HasSubstr("line 3: mountinfo: 'broken'")));
  ASSERT_OK_AND_ASSIGN(std::vector<MountInfo> none, ParseMountInfo(""));
  EXPECT_THAT(none, IsEmpty());
}

TEST(ReadProcTest, Self) {
  ASSERT_OK_AND_ASSIGN(ProcStat st, ReadProcStat(0));
  EXPECT_EQ(st.pid, getpid());
  EXPECT_EQ(st.ppid, getppid());
  EXPECT_GT(st.starttime, 0u);
  ASSERT_OK_AND_ASSIGN(ProcStat by_pid, ReadProcStat(getpid()));
  EXPECT_EQ(by_pid.starttime, st.starttime);

  ASSERT_OK_AND_ASSIGN(ProcStatus s, ReadProcStatus(0));
  EXPECT_EQ(s.pid, getpid());
  EXPECT_EQ(s.uid[0], getuid());
  EXPECT_EQ(s.uid[1], geteuid());

  ASSERT_OK_AND_ASSIGN(std::vector<MountInfo> mounts, ReadMountInfo(0));
  ASSERT_FALSE(mounts.empty());
  bool has_root = false;
  for (const MountInfo& m : mounts) has_root |= m.mount_point == "/";
  EXPECT_TRUE(has_root);
}

TEST(ReadProcTest, FakeProcRootAndErrors) {
  std::string root = ::testing::TempDir() + "/procfs_test_proc";
  std::system(("rm -rf '" + root + "'").c_str());
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/77").c_str(), 0755), 0);
  FILE* f = fopen((root + "/77/stat").c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs(StatWithComm("fake) (x").c_str(), f);
  fclose(f);
  f = fopen((root + "/77/mountinfo").c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("bad line\n", f);
  fclose(f);

  ASSERT_OK_AND_ASSIGN(ProcStat st, ReadProcStat(77, root));
  EXPECT_EQ(st.comm, "fake) (x");
  EXPECT_THAT(ReadProcStatus(77, root),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(root + "/77/status")));
  EXPECT_THAT(ReadMountInfo(77, root),
              StatusIs(kInvalid, HasSubstr(root + "/77/mountinfo: line 1: mountinfo:")));
  EXPECT_THAT(ReadProcStat(-1, root), StatusIs(kInvalid, HasSubstr("pid -1 is negative")));
  std::system(("rm -rf '" + root + "'").c_str());
}

}  // namespace
}  // namespace nucleus
