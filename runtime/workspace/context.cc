#include "runtime/workspace/context.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/quote.h"
#include "runtime/util/sha256.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"
#include "runtime/util/unique_fd.h"

namespace nucleus {
namespace {

bool Matches(const std::string& pattern, absl::string_view rel) {
  const bool whole_path = pattern.find('/') != std::string::npos;
  std::string subject(rel);
  if (!whole_path) {
    size_t slash = subject.rfind('/');
    if (slash != std::string::npos) subject = subject.substr(slash + 1);
  }
  return ::fnmatch(pattern.c_str(), subject.c_str(), whole_path ? FNM_PATHNAME : 0) == 0;
}

class Walker {
 public:
  Walker(const ContextSpec& spec, uid_t uid, gid_t gid, bool hash)
      : spec_(spec), uid_(uid), gid_(gid), hash_(hash) {}

  absl::Status Dir(int src_fd, int dest_fd, const std::string& prefix, int depth) {
    ASSIGN_OR_RETURN(std::vector<std::string> names, List(src_fd, prefix));
    for (const std::string& name : names) {
      const std::string rel = prefix.empty() ? name : absl::StrCat(prefix, "/", name);
      if (ContextExcluded(spec_, rel)) {
        walk_.excluded.push_back(rel);
        continue;
      }
      struct stat st;
      if (::fstatat(src_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return Error(rel, ErrnoStatus("stat").message());
      }
      if (++count_ > spec_.max_files) {
        return Error(
            rel, absl::StrCat("more than ", spec_.max_files, " entries (--context-limit files=N)"));
      }
      if (S_ISDIR(st.st_mode)) {
        if (depth + 1 > spec_.max_depth) {
          return Error(rel, absl::StrCat("more than ", spec_.max_depth,
                                         " directory levels (--context-limit depth=N)"));
        }
        ++walk_.dirs;
        UniqueFd sub(
            ::openat(src_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.valid()) return Error(rel, ErrnoStatus("open").message());
        UniqueFd dest_sub;
        if (dest_fd >= 0) {
          if (::mkdirat(dest_fd, name.c_str(), 0700) != 0) {
            return Error(rel, ErrnoStatus("mkdir in the workspace").message());
          }
          dest_sub.Reset(
              ::openat(dest_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
          if (!dest_sub.valid()) return Error(rel, ErrnoStatus("open in the workspace").message());
        }
        RETURN_IF_ERROR(Dir(sub.get(), dest_sub.get(), rel, depth + 1));
        if (dest_fd >= 0) RETURN_IF_ERROR(Own(dest_sub.get(), rel, st.st_mode));
      } else if (S_ISREG(st.st_mode)) {
        ++walk_.files;
        RETURN_IF_ERROR(File(src_fd, dest_fd, name, rel, st.st_mode));
      } else if (S_ISLNK(st.st_mode)) {
        ++walk_.symlinks;
        if (dest_fd >= 0) RETURN_IF_ERROR(Link(src_fd, dest_fd, name, rel));
      } else {
        walk_.special.push_back(rel);
      }
    }
    return absl::OkStatus();
  }

  ContextWalk Take() { return std::move(walk_); }

 private:
  absl::Status Error(const std::string& rel, absl::string_view why) const {
    return absl::InvalidArgumentError(
        absl::StrCat("--context ", Quote(spec_.source), ": ", Quote(rel), ": ", why));
  }

  absl::StatusOr<std::vector<std::string>> List(int fd, const std::string& rel) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR* dir = copy >= 0 ? ::fdopendir(copy) : nullptr;
    if (dir == nullptr) {
      if (copy >= 0) ::close(copy);
      return Error(rel.empty() ? "." : rel, ErrnoStatus("opendir").message());
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(dir)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return Error(rel.empty() ? "." : rel, ErrnoStatus("readdir", "", err).message());
    std::sort(names.begin(), names.end());
    return names;
  }

  // Owner and permission bits (never setuid, setgid or sticky) of a made entry.
  absl::Status Own(int fd, const std::string& rel, mode_t mode) const {
    if (::fchown(fd, uid_, gid_) != 0) return Error(rel, ErrnoStatus("chown").message());
    if (::fchmod(fd, mode & 0777) != 0) return Error(rel, ErrnoStatus("chmod").message());
    return absl::OkStatus();
  }

  absl::Status File(int src_fd, int dest_fd, const std::string& name, const std::string& rel,
                    mode_t mode) {
    // O_NONBLOCK: an entry swapped for a FIFO after the lstat must not hang the walk.
    UniqueFd in(
        ::openat(src_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!in.valid()) return Error(rel, ErrnoStatus("open").message());
    struct stat st;
    if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Error(rel, "changed during the walk (no longer a regular file)");
    }
    if (!hash_ && dest_fd < 0) {  // bind mode without a manifest: the size is enough
      return Count(rel, static_cast<uint64_t>(st.st_size));
    }
    UniqueFd out;
    if (dest_fd >= 0) {
      out.Reset(::openat(dest_fd, name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!out.valid()) return Error(rel, ErrnoStatus("create in the workspace").message());
    }
    Sha256 sha;
    char buf[65536];
    for (;;) {
      ssize_t n = RetryEintr([&] { return ::read(in.get(), buf, sizeof(buf)); });
      if (n < 0) return Error(rel, ErrnoStatus("read").message());
      if (n == 0) break;
      RETURN_IF_ERROR(Count(rel, static_cast<uint64_t>(n)));
      if (hash_) sha.Update(buf, static_cast<size_t>(n));
      if (out.valid()) {
        absl::Status w = WriteAll(out.get(), absl::string_view(buf, static_cast<size_t>(n)), rel);
        if (!w.ok()) return Error(rel, w.message());
      }
    }
    if (out.valid()) RETURN_IF_ERROR(Own(out.get(), rel, mode));
    if (hash_) walk_.sha256[rel] = sha.Hex();
    return absl::OkStatus();
  }

  absl::Status Count(const std::string& rel, uint64_t n) {
    walk_.bytes += n;
    if (walk_.bytes > spec_.max_bytes) {
      return Error(rel, absl::StrCat("more than ", spec_.max_bytes,
                                     " bytes in all (--context-limit size=SIZE)"));
    }
    return absl::OkStatus();
  }

  absl::Status Link(int src_fd, int dest_fd, const std::string& name, const std::string& rel) {
    char target[4096];
    ssize_t n = ::readlinkat(src_fd, name.c_str(), target, sizeof(target) - 1);
    if (n < 0) return Error(rel, ErrnoStatus("readlink").message());
    target[n] = '\0';
    if (::symlinkat(target, dest_fd, name.c_str()) != 0) {
      return Error(rel, ErrnoStatus("symlink in the workspace").message());
    }
    if (::fchownat(dest_fd, name.c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW) != 0) {
      return Error(rel, ErrnoStatus("chown").message());
    }
    return absl::OkStatus();
  }

  const ContextSpec& spec_;
  const uid_t uid_;
  const gid_t gid_;
  const bool hash_;
  uint64_t count_ = 0;
  ContextWalk walk_;
};

bool IsHex64(absl::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// A manifest path: relative, clean, no empty, "." or ".." component.
bool CleanRelative(absl::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  for (absl::string_view c : absl::StrSplit(p, '/')) {
    if (c.empty() || c == "." || c == "..") return false;
  }
  return p.find('\0') == absl::string_view::npos;
}

}  // namespace

bool ContextExcluded(const ContextSpec& spec, absl::string_view rel) {
  bool excluded = false;
  for (const std::string& p : spec.exclude) excluded = excluded || Matches(p, rel);
  if (!excluded) return false;
  for (const std::string& p : spec.include) {
    if (Matches(p, rel)) return false;
  }
  return true;
}

absl::StatusOr<ContextWalk> WalkContext(const ContextSpec& spec, int dest_dirfd, uid_t uid,
                                        gid_t gid, bool hash) {
  UniqueFd root(::open(spec.source.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--context ", Quote(spec.source), ": ", ErrnoStatus("open").message()));
  }
  Walker w(spec, uid, gid, hash);
  RETURN_IF_ERROR(w.Dir(root.get(), dest_dirfd, "", 0));
  return w.Take();
}

std::string FormatManifest(const std::map<std::string, std::string>& sha256) {
  std::string out;
  for (const auto& [path, hex] : sha256) absl::StrAppend(&out, hex, "  ./", path, "\n");
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ParseManifest(absl::string_view text) {
  std::map<std::string, std::string> out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (line.empty()) continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": ", why));
    };
    if (line.size() < 68 || line.substr(64, 2) != "  " || !IsHex64(line.substr(0, 64))) {
      return bad("is not 'SHA256  ./PATH' (64 lower-case hex digits, two spaces, the path)");
    }
    absl::string_view path = line.substr(66);
    if (!absl::ConsumePrefix(&path, "./") || !CleanRelative(path)) {
      return bad(absl::StrCat(Quote(path), " is not a clean path below ./"));
    }
    if (!out.emplace(std::string(path), std::string(line.substr(0, 64))).second) {
      return bad(absl::StrCat(Quote(path), " is listed twice"));
    }
  }
  return out;
}

absl::Status CheckManifest(const std::map<std::string, std::string>& found,
                           absl::string_view manifest_text) {
  ASSIGN_OR_RETURN(auto want, ParseManifest(manifest_text));
  for (const auto& [path, hex] : want) {
    auto it = found.find(path);
    if (it == found.end()) {
      return absl::FailedPreconditionError(absl::StrCat(Quote(path), ": missing"));
    }
    if (it->second != hex) {
      return absl::FailedPreconditionError(absl::StrCat(Quote(path), ": sha256 differs"));
    }
  }
  for (const auto& [path, hex] : found) {
    if (want.count(path) == 0) {
      return absl::FailedPreconditionError(absl::StrCat(Quote(path), ": not in the manifest"));
    }
  }
  return absl::OkStatus();
}

absl::Status FinishContext(const ContextSpec& spec, const ContextWalk& walk) {
  if (!spec.verify.empty()) {
    absl::StatusOr<std::string> text = ReadFileToString(spec.verify, 64 << 20);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--verify-context ", Quote(spec.verify), ": ", text.status().message()));
    }
    absl::Status checked = CheckManifest(walk.sha256, *text);
    if (!checked.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--verify-context ", Quote(spec.verify), ": ", checked.message()));
    }
  }
  if (!spec.manifest.empty()) {
    absl::Status w = WriteStringToFile(spec.manifest, FormatManifest(walk.sha256),
                                       /*create=*/true, 0644);
    if (!w.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--context-manifest ", Quote(spec.manifest), ": ", w.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status MaskBoundContext(ContainerSpec* spec) {
  const ContextSpec& c = spec->context;
  if (c.source.empty() || c.mode != ContextSpec::Mode::kBind) return absl::OkStatus();
  const bool hash = !c.manifest.empty() || !c.verify.empty();
  ASSIGN_OR_RETURN(ContextWalk walk, WalkContext(c, -1, 0, 0, hash));
  RETURN_IF_ERROR(FinishContext(c, walk));
  for (const std::string& rel : walk.excluded) {
    spec->masked_paths.push_back(absl::StrCat(kWorkspaceDir, "/", rel));
  }
  return absl::OkStatus();
}

}  // namespace nucleus
