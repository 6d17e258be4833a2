#include "runtime/rootfs/default_root.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/identity.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

// Top-level directories programs are loaded from.
constexpr const char* kProgramDirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
// /etc files copied when the host has them: what the loader, libc and common tools read;
// none holds a secret. Symlinks (os-release, localtime, mtab) are copied as symlinks.
constexpr const char* kEtcFiles[] = {
    "ld.so.cache", "ld.so.conf",   "protocols",  "services",   "networks", "ethertypes",
    "rpc",         "gai.conf",     "host.conf",  "mime.types", "os-release", "debian_version",
    "localtime",   "timezone",     "shells",     "inputrc",    "bash.bashrc", "profile",
    "magic",       "magic.mime",   "mailcap",    "papersize"};
// /etc directories bound read-only when the host has them.
constexpr const char* kEtcDirs[] = {"ssl", "ca-certificates", "alternatives", "ld.so.conf.d",
                                    "profile.d"};
constexpr size_t kMaxCopiedFile = 4 << 20;

absl::Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
  // mkdir's mode is filtered by the umask; the skeleton's modes are fixed.
  if (::chmod(path.c_str(), mode) != 0) return ErrnoStatus("chmod", path);
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& path, const std::string& text, mode_t mode = 0644) {
  RETURN_IF_ERROR(WriteStringToFile(path, text, /*create=*/true, mode));
  if (::chmod(path.c_str(), mode) != 0) return ErrnoStatus("chmod", path);
  return absl::OkStatus();
}

// Copies host entry `from` to `to`: a symlink as a symlink, a regular file's bytes. false when
// the host has no such entry (or it is something else).
absl::StatusOr<bool> CopyEntry(const std::string& from, const std::string& to) {
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return false;
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(from.c_str(), target, sizeof(target) - 1);
    if (n < 0) return ErrnoStatus("readlink", from);
    target[n] = '\0';
    if (::symlink(target, to.c_str()) != 0) return ErrnoStatus("symlink", to);
    return true;
  }
  if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxCopiedFile)) return false;
  absl::StatusOr<std::string> text = ReadFileToString(from, kMaxCopiedFile);
  if (!text.ok()) return false;  // unreadable: left out, as if absent
  RETURN_IF_ERROR(WriteFile(to, *text, 0644));
  return true;
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

MountSpec ReadOnlyBind(const std::string& host_path, const std::string& destination) {
  MountSpec m;
  m.type = MountSpec::Type::kBind;
  m.source = host_path;
  m.destination = destination;
  m.read_only = true;
  m.nosuid = true;
  m.nodev = true;
  return m;
}

MountSpec PrivateTmpfs(const std::string& destination, uint32_t mode, bool exec) {
  MountSpec m;
  m.type = MountSpec::Type::kTmpfs;
  m.source = "tmpfs";
  m.destination = destination;
  m.read_only = false;
  m.tmpfs_mode = mode;
  m.noexec = !exec;
  return m;
}

// passwd/group lines: root, nobody and the workload's own ids as the host names them.
std::string PasswdText(const ContainerSpec& spec, const UserDb& db) {
  std::string out = "root:x:0:0:root:/root:/bin/sh\n";
  const uint32_t uid = spec.process.uid;
  if (uid != 0 && uid != 65534) {
    if (const PasswdEntry* e = db.FindUid(uid)) {
      absl::StrAppend(&out, e->name, ":x:", e->uid, ":", e->gid, "::",
                      e->home.empty() ? "/nonexistent" : e->home, ":/bin/sh\n");
    }
  }
  absl::StrAppend(&out, "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
  return out;
}

std::string GroupText(const ContainerSpec& spec, const std::string& host) {
  std::string out = "root:x:0:\n";
  std::set<uint32_t> gids = {spec.process.gid};
  gids.insert(spec.process.additional_gids.begin(), spec.process.additional_gids.end());
  gids.erase(0);
  gids.erase(65534);
  // UserDb looks groups up by name only: read the host's group file for the gids.
  absl::StatusOr<std::string> text = ReadFileToString(host + "/etc/group", 1 << 20);
  if (text.ok()) {
    for (const GroupEntry& g : ParseGroup(*text)) {
      if (gids.erase(g.gid) > 0) absl::StrAppend(&out, g.name, ":x:", g.gid, ":\n");
    }
  }
  absl::StrAppend(&out, "nogroup:x:65534:\n");
  return out;
}

absl::Status BuildEtc(const ContainerSpec& spec, const std::string& etc, const std::string& host,
                      std::vector<MountSpec>* mounts) {
  RETURN_IF_ERROR(MakeDir(etc, 0755));
  UserDb db = UserDb::Load(host).value_or(UserDb());
  RETURN_IF_ERROR(WriteFile(etc + "/passwd", PasswdText(spec, db)));
  RETURN_IF_ERROR(WriteFile(etc + "/group", GroupText(spec, host)));
  const std::string hostname = HostnameOf(spec);
  RETURN_IF_ERROR(WriteFile(etc + "/hostname", hostname + "\n"));
  RETURN_IF_ERROR(WriteFile(
      etc + "/hosts", absl::StrCat("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                   "ip6-loopback\n127.0.1.1\t",
                                   hostname, "\n")));
  RETURN_IF_ERROR(WriteFile(etc + "/nsswitch.conf",
                            "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                            "networks: files\nprotocols: files\nservices: files\n"
                            "ethers: files\nrpc: files\n"));
  // The host's resolver configuration (it names servers, no secret); read through a symlink.
  absl::StatusOr<std::string> resolv = ReadFileToString(host + "/etc/resolv.conf", 1 << 16);
  RETURN_IF_ERROR(WriteFile(etc + "/resolv.conf", resolv.value_or("")));
  for (const char* name : kEtcFiles) {
    ASSIGN_OR_RETURN(bool copied, CopyEntry(absl::StrCat(host, "/etc/", name),
                                            absl::StrCat(etc, "/", name)));
    (void)copied;
  }
  for (const char* name : kEtcDirs) {
    const std::string from = absl::StrCat(host, "/etc/", name);
    if (!IsDir(from)) continue;
    RETURN_IF_ERROR(MakeDir(absl::StrCat(etc, "/", name), 0755));
    mounts->push_back(ReadOnlyBind(from, absl::StrCat("/etc/", name)));
  }
  return absl::OkStatus();
}

}  // namespace

bool WantsDefaultRoot(const ContainerSpec& spec) {
  return spec.rootfs.empty() && !spec.host_root && spec.default_filesystems;
}

absl::StatusOr<ContainerSpec> BuildDefaultRoot(const ContainerSpec& spec, const std::string& dir,
                                               const std::string& host_in) {
  const std::string host = host_in == "/" ? "" : host_in;
  RETURN_IF_ERROR(RemoveTree(dir));
  RETURN_IF_ERROR(MakeDir(dir, 0755));
  std::vector<MountSpec> mounts;
  for (const char* name : kProgramDirs) {
    const std::string from = absl::StrCat(host, "/", name), to = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(from.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      ASSIGN_OR_RETURN(bool copied, CopyEntry(from, to));
      (void)copied;
    } else if (S_ISDIR(st.st_mode)) {
      RETURN_IF_ERROR(MakeDir(to, 0755));
      mounts.push_back(ReadOnlyBind(from, absl::StrCat("/", name)));
    }
  }
  for (const char* name : {"proc", "sys", "dev", "run", "var", "var/tmp", "home", "srv", "opt",
                           "mnt", "media"}) {
    RETURN_IF_ERROR(MakeDir(absl::StrCat(dir, "/", name), 0755));
  }
  RETURN_IF_ERROR(MakeDir(dir + "/tmp", 01777));
  RETURN_IF_ERROR(MakeDir(dir + "/root", 0700));
  if (::symlink("../run", (dir + "/var/run").c_str()) != 0) {
    return ErrnoStatus("symlink", dir + "/var/run");
  }
  RETURN_IF_ERROR(BuildEtc(spec, dir + "/etc", host, &mounts));
  mounts.push_back(PrivateTmpfs("/run", 0755, spec.tmp_exec));
  mounts.push_back(PrivateTmpfs("/var/tmp", 01777, spec.tmp_exec));

  ContainerSpec out = spec;
  out.rootfs = dir;
  out.readonly_rootfs = true;
  out.mounts = std::move(mounts);
  out.mounts.insert(out.mounts.end(), spec.mounts.begin(), spec.mounts.end());
  return out;
}

}  // namespace nucleus
