#include "runtime/rootfs/default_root.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class DefaultRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                       "/default-root-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    host_ = base_ + "/host";
    // A fake host: merged /usr, a secret-laden /etc, /run with a socket-like file, /home.
    for (const char* d : {"", "/usr", "/usr/bin", "/usr/lib", "/etc", "/etc/ssl", "/run", "/home",
                          "/home/alice", "/root"}) {
      ASSERT_EQ(mkdir((host_ + d).c_str(), 0755), 0) << d;
    }
    ASSERT_EQ(symlink("usr/bin", (host_ + "/bin").c_str()), 0);
    ASSERT_EQ(symlink("usr/lib", (host_ + "/lib").c_str()), 0);
    Write("/etc/passwd",
          "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
          "bob:x:1001:1001::/home/bob:/bin/sh\n");
    Write("/etc/group", "root:x:0:\nalice:x:1000:\nbob:x:1001:alice\nstaff:x:50:alice,bob\n");
    Write("/etc/shadow", "root:$6$secret:19000:0:99999:7:::\n");
    Write("/etc/resolv.conf", "nameserver 10.0.0.53\n");
    Write("/etc/protocols", "tcp 6 TCP\n");
    Write("/etc/machine-id", "0123456789abcdef\n");
    ASSERT_EQ(symlink("../usr/lib/os-release", (host_ + "/etc/os-release").c_str()), 0);
    Write("/home/alice/.ssh_key", "secret\n");
  }
  void TearDown() override { (void)RemoveTree(base_); }

  void Write(const std::string& rel, const std::string& text) {
    ASSERT_TRUE(WriteStringToFile(host_ + rel, text, true).ok()) << rel;
  }
  std::string Read(const std::string& path) { return ReadFileToString(path).value_or("<none>"); }
  bool Exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
  }

  std::string base_, host_;
};

const RootEntry* Find(const ContainerSpec& spec, const std::string& path) {
  for (const RootEntry& e : spec.root_entries) {
    if (e.path == path) return &e;
  }
  return nullptr;
}

std::string Text(const ContainerSpec& spec, const std::string& path) {
  const RootEntry* e = Find(spec, path);
  return e != nullptr && e->kind == RootEntry::Kind::kFile ? e->data : "<none>";
}

TEST_F(DefaultRootTest, HoldsProgramsAndAGeneratedEtcOnly) {
  ContainerSpec spec;
  spec.id = "c1";
  spec.hostname = "box";
  spec.process.uid = 1000;
  spec.process.gid = 1000;
  spec.process.additional_gids = {50};
  MountSpec mine;
  mine.source = "/data";
  mine.destination = "/data";
  spec.mounts.push_back(mine);
  absl::StatusOr<ContainerSpec> out = LayOutDefaultRoot(spec, host_);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->rootfs, "");
  EXPECT_TRUE(out->readonly_rootfs);
  EXPECT_FALSE(WantsDefaultRoot(*out)) << "laid out once";

  // Programs: /usr bound read-only; merged-/usr symlinks copied.
  const RootEntry* bin = Find(*out, "bin");
  ASSERT_NE(bin, nullptr);
  EXPECT_EQ(bin->kind, RootEntry::Kind::kSymlink);
  EXPECT_EQ(bin->data, "usr/bin");
  bool usr = false, ssl = false, run = false;
  for (const MountSpec& m : out->mounts) {
    if (m.destination == "/usr") {
      usr = true;
      EXPECT_EQ(m.source, host_ + "/usr");
      EXPECT_TRUE(m.read_only && m.nosuid && m.nodev);
    }
    ssl = ssl || (m.destination == "/etc/ssl" && m.read_only);
    if (m.destination == "/run") {
      run = true;
      EXPECT_EQ(m.type, MountSpec::Type::kTmpfs);
      EXPECT_TRUE(m.noexec);
    }
    EXPECT_NE(m.source, host_ + "/run");
    EXPECT_NE(m.source, host_ + "/home");
    EXPECT_NE(m.source, host_ + "/etc");
  }
  EXPECT_TRUE(usr && ssl && run);
  EXPECT_EQ(out->mounts.back().destination, "/data") << "the caller's mounts come last";

  // /etc: generated identity, no secrets.
  EXPECT_EQ(Find(*out, "etc/shadow"), nullptr);
  EXPECT_EQ(Find(*out, "etc/machine-id"), nullptr);
  const std::string passwd = Text(*out, "etc/passwd");
  EXPECT_THAT(passwd, HasSubstr("root:x:0:0:"));
  EXPECT_THAT(passwd, HasSubstr("alice:x:1000:1000::/home/alice:"));
  EXPECT_THAT(passwd, HasSubstr("nobody:x:65534:"));
  EXPECT_THAT(passwd, Not(HasSubstr("bob")));
  const std::string group = Text(*out, "etc/group");
  EXPECT_THAT(group, HasSubstr("alice:x:1000:\n"));
  EXPECT_THAT(group, HasSubstr("staff:x:50:\n")) << "no member lists";
  EXPECT_THAT(group, Not(HasSubstr("bob")));
  EXPECT_THAT(Text(*out, "etc/hosts"), HasSubstr("127.0.1.1\tbox\n"));
  EXPECT_EQ(Text(*out, "etc/hostname"), "box\n");
  EXPECT_EQ(Text(*out, "etc/resolv.conf"), "nameserver 10.0.0.53\n");
  EXPECT_EQ(Text(*out, "etc/protocols"), "tcp 6 TCP\n");
  const RootEntry* os_release = Find(*out, "etc/os-release");
  ASSERT_NE(os_release, nullptr);
  EXPECT_EQ(os_release->data, "../usr/lib/os-release");

  // Empty homes, mount points for the backend's filesystems; parents before children.
  EXPECT_EQ(Find(*out, "home/alice"), nullptr);
  for (const char* d : {"proc", "sys", "dev", "tmp", "root", "home", "run", "var/tmp"}) {
    const RootEntry* e = Find(*out, d);
    ASSERT_NE(e, nullptr) << d;
    EXPECT_EQ(e->kind, RootEntry::Kind::kDir) << d;
  }
  EXPECT_EQ(Find(*out, "root")->mode, 0700u);
  EXPECT_EQ(Find(*out, "tmp")->mode, 01777u);
}

TEST_F(DefaultRootTest, MaterializedOnTheHostWithExactModes) {
  ContainerSpec spec;
  spec.id = "c2";
  absl::StatusOr<ContainerSpec> out = LayOutDefaultRoot(spec, host_);
  ASSERT_TRUE(out.ok()) << out.status();
  const std::string dir = base_ + "/root";
  ASSERT_TRUE(MaterializeRootEntries(out->root_entries, dir).ok());
  ASSERT_TRUE(WriteStringToFile(dir + "/stale", "x", true).ok());
  absl::Status again = MaterializeRootEntries(out->root_entries, dir);
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_FALSE(Exists(dir + "/stale")) << "built again from nothing";
  EXPECT_THAT(Read(dir + "/etc/passwd"), HasSubstr("root:x:0:0:"));
  struct stat st;
  ASSERT_EQ(stat((dir + "/root").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat((dir + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  char link[64] = {0};
  ASSERT_GT(readlink((dir + "/bin").c_str(), link, sizeof(link) - 1), 0);
  EXPECT_STREQ(link, "usr/bin");
}

TEST_F(DefaultRootTest, TmpExecLeavesRunExecutable) {
  ContainerSpec spec;
  spec.tmp_exec = true;
  absl::StatusOr<ContainerSpec> out = LayOutDefaultRoot(spec, host_);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const MountSpec& m : out->mounts) {
    if (m.type == MountSpec::Type::kTmpfs) EXPECT_FALSE(m.noexec) << m.destination;
  }
}

TEST(WantsDefaultRoot, OnlyWithoutRootfsOrHostRoot) {
  ContainerSpec spec;
  EXPECT_TRUE(WantsDefaultRoot(spec));
  spec.host_root = true;
  EXPECT_FALSE(WantsDefaultRoot(spec));
  spec.host_root = false;
  spec.rootfs = "/srv/root";
  EXPECT_FALSE(WantsDefaultRoot(spec));
  spec.rootfs.clear();
  spec.default_filesystems = false;  // config.json always names its root
  EXPECT_FALSE(WantsDefaultRoot(spec));
}

}  // namespace
}  // namespace nucleus
