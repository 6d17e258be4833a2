#include "runtime/rootfs/default_root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/identity.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

// Top-level directories programs are loaded from.
constexpr const char* kProgramDirs[] = {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"};
// /etc files copied when the host has them: what the loader, libc and common tools read;
// none holds a secret. Symlinks (os-release, localtime) are copied as symlinks.
constexpr const char* kEtcFiles[] = {"ld.so.cache", "ld.so.conf",  "os-release", "localtime",
                                     "protocols",   "services",    "host.conf",  "gai.conf",
                                     "mime.types",  "bash.bashrc", "profile",    "inputrc"};
// /etc directories bound read-only when the host has them: CA certificates, and the
// alternatives that /usr/bin/awk, editor, ... link through.
constexpr const char* kEtcDirs[] = {"ssl", "alternatives"};
constexpr size_t kMaxCopiedFile = 4 << 20;

RootEntry Dir(std::string path, uint32_t mode = 0755) {
  return RootEntry{RootEntry::Kind::kDir, std::move(path), "", mode};
}
RootEntry File(std::string path, std::string data) {
  return RootEntry{RootEntry::Kind::kFile, std::move(path), std::move(data), 0644};
}
RootEntry Symlink(std::string path, std::string target) {
  return RootEntry{RootEntry::Kind::kSymlink, std::move(path), std::move(target), 0777};
}

// The host entry `from` as an entry at `to`: a symlink as a symlink, a regular file's bytes.
// Nothing when the host has no such entry, it is something else, too large or unreadable.
std::optional<RootEntry> CopyOf(const std::string& from, const std::string& to) {
  struct stat st;
  if (::lstat(from.c_str(), &st) != 0) return std::nullopt;
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = ::readlink(from.c_str(), target, sizeof(target) - 1);
    if (n < 0) return std::nullopt;
    return Symlink(to, std::string(target, static_cast<size_t>(n)));
  }
  if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxCopiedFile)) return std::nullopt;
  absl::StatusOr<std::string> text = ReadFileToString(from, kMaxCopiedFile);
  if (!text.ok()) return std::nullopt;
  return File(to, *std::move(text));
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

// passwd/group: root, nobody and the workload's own ids as the host names them.
std::string PasswdText(const ContainerSpec& spec, const std::string& host) {
  std::string out = "root:x:0:0:root:/root:/bin/sh\n";
  const uint32_t uid = spec.process.uid;
  if (uid != 0 && uid != 65534) {
    UserDb db = UserDb::Load(host.empty() ? "/" : host).value_or(UserDb());
    if (const PasswdEntry* e = db.FindUid(uid)) {
      absl::StrAppend(&out, e->name, ":x:", e->uid, ":", e->gid,
                      "::", e->home.empty() ? "/nonexistent" : e->home, ":/bin/sh\n");
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
  if (!gids.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(host + "/etc/group", 1 << 20);
    if (text.ok()) {
      for (const GroupEntry& g : ParseGroup(*text)) {
        if (gids.erase(g.gid) > 0) absl::StrAppend(&out, g.name, ":x:", g.gid, ":\n");
      }
    }
  }
  absl::StrAppend(&out, "nogroup:x:65534:\n");
  return out;
}

void LayOutEtc(const ContainerSpec& spec, const std::string& host, std::vector<RootEntry>* entries,
               std::vector<MountSpec>* mounts) {
  entries->push_back(Dir("etc"));
  entries->push_back(File("etc/passwd", PasswdText(spec, host)));
  entries->push_back(File("etc/group", GroupText(spec, host)));
  const std::string hostname = HostnameOf(spec);
  entries->push_back(File("etc/hostname", hostname + "\n"));
  entries->push_back(File("etc/hosts", absl::StrCat("127.0.0.1\tlocalhost\n::1\tlocalhost "
                                                    "ip6-localhost ip6-loopback\n127.0.1.1\t",
                                                    hostname, "\n")));
  entries->push_back(File("etc/nsswitch.conf",
                          "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                          "networks: files\nprotocols: files\nservices: files\n"
                          "ethers: files\nrpc: files\n"));
  // The host's resolver configuration (it names servers, no secret); read through a symlink.
  entries->push_back(
      File("etc/resolv.conf", ReadFileToString(host + "/etc/resolv.conf", 1 << 16).value_or("")));
  for (const char* name : kEtcFiles) {
    if (std::optional<RootEntry> e =
            CopyOf(absl::StrCat(host, "/etc/", name), absl::StrCat("etc/", name))) {
      entries->push_back(*std::move(e));
    }
  }
  for (const char* name : kEtcDirs) {
    const std::string from = absl::StrCat(host, "/etc/", name);
    if (!IsDir(from)) continue;
    entries->push_back(Dir(absl::StrCat("etc/", name)));
    mounts->push_back(ReadOnlyBind(from, absl::StrCat("/etc/", name)));
  }
}

}  // namespace

bool WantsDefaultRoot(const ContainerSpec& spec) {
  return spec.rootfs.empty() && spec.root_entries.empty() && !spec.host_root &&
         spec.default_filesystems;
}

bool IsProgramBind(const MountSpec& m) {
  if (m.type != MountSpec::Type::kBind || !m.read_only || m.source != m.destination) {
    return false;
  }
  for (const char* name : kProgramDirs) {
    if (m.destination == absl::StrCat("/", name)) return true;
  }
  for (const char* name : kEtcDirs) {
    if (m.destination == absl::StrCat("/etc/", name)) return true;
  }
  return false;
}

absl::StatusOr<ContainerSpec> LayOutDefaultRoot(const ContainerSpec& spec,
                                                const std::string& host_in) {
  const std::string host = host_in == "/" ? "" : host_in;
  std::vector<RootEntry> entries;
  std::vector<MountSpec> mounts;
  for (const char* name : kProgramDirs) {
    const std::string from = absl::StrCat(host, "/", name);
    struct stat st;
    if (::lstat(from.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      if (std::optional<RootEntry> e = CopyOf(from, name)) entries.push_back(*std::move(e));
    } else if (S_ISDIR(st.st_mode)) {
      entries.push_back(Dir(name));
      mounts.push_back(ReadOnlyBind(from, absl::StrCat("/", name)));
    }
  }
  for (const char* name :
       {"proc", "sys", "dev", "run", "var", "var/tmp", "home", "srv", "opt", "mnt", "media"}) {
    entries.push_back(Dir(name));
  }
  entries.push_back(Dir("tmp", 01777));
  entries.push_back(Dir("root", 0700));
  entries.push_back(Symlink("var/run", "../run"));
  LayOutEtc(spec, host, &entries, &mounts);
  mounts.push_back(PrivateTmpfs("/run", 0755, spec.tmp_exec));
  mounts.push_back(PrivateTmpfs("/var/tmp", 01777, spec.tmp_exec));

  ContainerSpec out = spec;
  out.root_entries = std::move(entries);
  out.readonly_rootfs = true;
  out.mounts = std::move(mounts);
  out.mounts.insert(out.mounts.end(), spec.mounts.begin(), spec.mounts.end());
  return out;
}

absl::Status MaterializeRootEntries(const std::vector<RootEntry>& entries, const std::string& dir) {
  RETURN_IF_ERROR(RemoveTree(dir));
  if (::mkdir(dir.c_str(), 0755) != 0) return ErrnoStatus("mkdir", dir);
  for (const RootEntry& e : entries) {
    const std::string path = absl::StrCat(dir, "/", e.path);
    switch (e.kind) {
      case RootEntry::Kind::kDir:
        if (::mkdir(path.c_str(), e.mode) != 0) return ErrnoStatus("mkdir", path);
        break;
      case RootEntry::Kind::kSymlink:
        if (::symlink(e.data.c_str(), path.c_str()) != 0) return ErrnoStatus("symlink", path);
        continue;  // no mode of its own
      case RootEntry::Kind::kFile:
        RETURN_IF_ERROR(WriteStringToFile(path, e.data, /*create=*/true, e.mode));
        break;
    }
    // The umask filtered the mode; the entries' modes are exact.
    if (::chmod(path.c_str(), e.mode) != 0) return ErrnoStatus("chmod", path);
  }
  return absl::OkStatus();
}

}  // namespace nucleus
