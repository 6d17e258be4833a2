#include "backends/gvisor/runsc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "absl/time/clock.h"
#include "runtime/cgroup/cgroup.h"
#include "runtime/cgroup/layout.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

extern char** environ;

namespace nucleus {
namespace {

using Json = nlohmann::json;

constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr size_t kMaxCapture = 1 << 20;
constexpr const char* kKnownPlatforms[] = {"kvm", "systrap", "ptrace"};

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// One cache file per runsc path, so that runscs side by side (a test's stand-in, a newer one
// in /usr/local) do not evict each other's proofs.
std::optional<std::string> CachePath(const std::string& runsc) {
  uint64_t hash = 14695981039346656037ULL;  // FNV-1a: stable across builds, unlike std::hash
  for (unsigned char c : runsc) hash = (hash ^ c) * 1099511628211ULL;
  const std::string file =
      absl::StrCat("/nucleus/runsc-", absl::Hex(hash, absl::kZeroPad16), ".json");
  if (::geteuid() == 0) return absl::StrCat("/var/cache", file);
  const char* xdg = ::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return absl::StrCat(xdg, file);
  const char* home = ::getenv("HOME");
  if (home != nullptr && home[0] == '/') return absl::StrCat(home, "/.cache", file);
  return std::nullopt;
}

bool KnownPlatform(const std::string& name) {
  return std::find(std::begin(kKnownPlatforms), std::end(kKnownPlatforms), name) !=
         std::end(kKnownPlatforms);
}

// The binary and the kernel it runs on: a platform proven on one kernel may fail on the next.
Json BinaryIdentity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Json();
  struct utsname u;
  if (::uname(&u) != 0) return Json();
  return Json{
      {"path", path},
      {"kernel", absl::StrCat(u.release, " ", u.version)},
      {"dev", static_cast<uint64_t>(st.st_dev)},
      {"ino", static_cast<uint64_t>(st.st_ino)},
      {"size", static_cast<int64_t>(st.st_size)},
      {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

std::optional<RunscInfo> ReadCache(const std::string& cache, const Json& identity) {
  absl::StatusOr<std::string> text = ReadFileToString(cache, 64 << 10);
  if (!text.ok()) return std::nullopt;
  Json j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("binary", Json()) != identity) {
    return std::nullopt;
  }
  const Json* platforms = j.contains("platforms") ? &j["platforms"] : nullptr;
  if (platforms == nullptr || !platforms->is_array() || !j.contains("oci_seccomp") ||
      !j["oci_seccomp"].is_boolean()) {
    return std::nullopt;
  }
  RunscInfo info;
  info.path = identity["path"].get<std::string>();
  for (const Json& p : *platforms) {
    if (!p.is_string()) return std::nullopt;
    const std::string name = p.get<std::string>();
    // Only names nucleus knows: a tampered cache cannot inject a flag.
    if (!KnownPlatform(name)) return std::nullopt;
    info.platforms.push_back(name);
  }
  info.oci_seccomp = j["oci_seccomp"].get<bool>();
  if (j.contains("proofs")) {
    const Json& proofs = j["proofs"];
    if (!proofs.is_object()) return std::nullopt;
    for (const auto& [name, why] : proofs.items()) {
      if (!KnownPlatform(name) || !why.is_string()) return std::nullopt;
      info.proofs[name] = why.get<std::string>();
    }
  }
  return info;
}

void WriteCache(const std::string& cache, const Json& identity, const RunscInfo& info) {
  std::string dir = cache.substr(0, cache.rfind('/'));
  std::string parent = dir.substr(0, dir.rfind('/'));
  (void)::mkdir(parent.c_str(), 0755);
  (void)::mkdir(dir.c_str(), 0755);
  Json j = {{"binary", identity},
            {"platforms", info.platforms},
            {"oci_seccomp", info.oci_seccomp},
            {"proofs", info.proofs}};
  std::string tmp = absl::StrCat(cache, ".", ::getpid(), ".tmp");
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return;
  bool ok = WriteAll(fd.get(), j.dump(), tmp).ok();
  fd.Reset();
  if (!ok || ::rename(tmp.c_str(), cache.c_str()) != 0) (void)::unlink(tmp.c_str());
}

}  // namespace

absl::StatusOr<std::string> FindRunsc() {
  const char* env = ::getenv("NUCLEUS_RUNSC");
  if (env != nullptr && env[0] != '\0') {
    if (env[0] != '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("NUCLEUS_RUNSC: '", env, "' is not an absolute path"));
    }
    if (!IsExecutableFile(env)) {
      return absl::NotFoundError(absl::StrCat("NUCLEUS_RUNSC: '", env, "' is not executable"));
    }
    return std::string(env);
  }
  const char* path = ::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : kDefaultPath, ':')) {
    if (dir.empty() || dir[0] != '/') continue;
    std::string candidate = absl::StrCat(dir, "/runsc");
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::NotFoundError(
      "runsc not found in PATH (install Debian's runsc, or set NUCLEUS_RUNSC)");
}

bool RunscInfo::Has(absl::string_view platform) const {
  return std::find(platforms.begin(), platforms.end(), platform) != platforms.end();
}

RunscInfo ParseProbeOutput(const std::string& path, const std::string& platforms_text,
                           bool oci_seccomp) {
  RunscInfo info;
  info.path = path;
  info.oci_seccomp = oci_seccomp;
  for (absl::string_view line : absl::StrSplit(platforms_text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    for (const char* known : kKnownPlatforms) {
      if (line == known && !info.Has(known)) info.platforms.push_back(known);
    }
  }
  return info;
}

absl::StatusOr<RunscInfo> ProbeRunsc() {
  static std::mutex mu;
  static std::optional<RunscInfo> memo;
  ASSIGN_OR_RETURN(std::string path, FindRunsc());
  std::lock_guard<std::mutex> lock(mu);
  if (memo && memo->path == path) return *memo;
  const Json identity = BinaryIdentity(path);
  const std::optional<std::string> cache = CachePath(path);
  if (cache && !identity.is_null()) {
    if (std::optional<RunscInfo> cached = ReadCache(*cache, identity)) {
      memo = *cached;
      return *memo;
    }
  }
  RunscGlobals g;
  g.path = path;
  bool oci_seccomp = true;
  absl::StatusOr<std::string> out = RunRunsc(g, {"--oci-seccomp", "help", "platforms"});
  if (!out.ok() && absl::StrContains(out.status().message(), "flag provided but not defined")) {
    oci_seccomp = false;
    out = RunRunsc(g, {"help", "platforms"});
  }
  if (!out.ok()) return Annotate(out.status(), "probing runsc");
  RunscInfo info = ParseProbeOutput(path, *out, oci_seccomp);
  if (info.platforms.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     " help platforms: lists no platform nucleus knows (kvm, systrap, "
                     "ptrace)"));
  }
  if (cache && !identity.is_null()) WriteCache(*cache, identity, info);
  memo = info;
  return info;
}

bool KvmUsable() {
  UniqueFd fd(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
  return fd.valid();
}

absl::StatusOr<PlatformChoice> SelectPlatformFor(const std::vector<std::string>& platforms,
                                                 bool kvm_usable, const std::string& requested,
                                                 const PlatformProver& prove) {
  auto has = [&](const char* p) {
    return std::find(platforms.begin(), platforms.end(), p) != platforms.end();
  };
  if (requested == "auto") {
    std::vector<std::string> candidates;
    if (kvm_usable && has("kvm")) candidates.push_back("kvm");
    if (has("systrap")) candidates.push_back("systrap");
    if (has("ptrace")) candidates.push_back("ptrace");
    if (candidates.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("gvisor platform auto: this runsc has none of kvm (with /dev/kvm), "
                       "systrap, ptrace (it has: ",
                       absl::StrJoin(platforms, ", "), ")"));
    }
    std::vector<std::string> failed;
    for (const std::string& p : candidates) {
      absl::Status proof = prove(p);
      if (proof.ok()) {
        PlatformChoice choice{p, ""};
        if (!failed.empty()) {
          choice.warning =
              absl::StrCat("gvisor platform auto: ", absl::StrJoin(failed, "; "), "; using ", p);
        }
        return choice;
      }
      failed.push_back(absl::StrCat(p, " failed its proof (", proof.message(), ")"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "gvisor platform auto: no platform runs a sandbox here: ", absl::StrJoin(failed, "; ")));
  }
  if (requested != "kvm" && requested != "systrap" && requested != "ptrace") {
    return absl::InvalidArgumentError(
        absl::StrCat("gvisor platform: '", requested, "' is not auto, kvm, systrap or ptrace"));
  }
  if (!has(requested.c_str())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "gvisor platform ", requested,
        ": this runsc does not have it (it has: ", absl::StrJoin(platforms, ", "), ")"));
  }
  if (requested == "kvm" && !kvm_usable) {
    return absl::FailedPreconditionError(
        "gvisor platform kvm: /dev/kvm cannot be opened read-write on this host");
  }
  absl::Status proof = prove(requested);
  if (!proof.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("gvisor platform ", requested,
                                                      ": it failed its proof on this host (",
                                                      proof.message(), ")"));
  }
  return PlatformChoice{requested, ""};
}

absl::StatusOr<PlatformChoice> SelectPlatform(const RunscInfo& info, const std::string& requested) {
  return SelectPlatformFor(info.platforms, KvmUsable(), requested,
                           [&](const std::string& p) { return ProvePlatform(info, p); });
}

absl::Status RunPlatformProof(const std::string& runsc, const std::string& platform,
                              absl::Duration timeout) {
  char tmpl[] = "/tmp/nucleus-runsc-proof-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return ErrnoStatus("mkdtemp", "/tmp/nucleus-runsc-proof-XXXXXX");
  const std::string root = tmpl;
  // As root, a group of its own: a proof that hangs is killed with every process it started
  // (runsc's sandbox and gofer are its children, but not only they may linger).
  std::unique_ptr<Cgroup> group;
  if (::geteuid() == 0) {
    if (absl::StatusOr<CgroupHierarchies> h = DetectCgroupHierarchies(); h.ok()) {
      CgroupConfig config;
      config.parent = "nucleus";
      config.name = absl::StrCat("runsc-proof-", ::getpid());
      if (absl::StatusOr<std::unique_ptr<Cgroup>> cg = CreateCgroup(*h, config); cg.ok()) {
        group = *std::move(cg);
      }
    }
  }
  RunscGlobals g;
  g.path = runsc;
  g.root = root;
  g.platform = platform;
  g.network = "none";
  g.rootless = ::geteuid() != 0;
  absl::StatusOr<std::string> out = RunRunsc(g, {"do", "/bin/true"}, timeout, group.get());
  // cleanup: the proof's verdict is the result.
  if (group) (void)group->KillAndRemove();
  (void)RemoveTree(root);  // as above
  return out.status();
}

absl::Status ProvePlatform(const RunscInfo& info, const std::string& platform) {
  static std::mutex mu;
  static std::map<std::string, std::map<std::string, std::string>> proven;  // runsc -> proofs
  std::lock_guard<std::mutex> lock(mu);
  auto verdict = [](const std::string& why) {
    return why.empty() ? absl::OkStatus() : absl::FailedPreconditionError(why);
  };
  if (auto it = info.proofs.find(platform); it != info.proofs.end()) return verdict(it->second);
  std::map<std::string, std::string>& mine = proven[info.path];
  if (auto it = mine.find(platform); it != mine.end()) return verdict(it->second);
  absl::Status proof = RunPlatformProof(info.path, platform, kPlatformProofTimeout);
  std::string why;
  if (!proof.ok()) {
    // "runsc do /bin/true: did not finish ..." reads better without the command.
    absl::string_view msg = proof.message();
    absl::ConsumePrefix(&msg, "runsc do /bin/true: ");
    why = absl::StrCat("runsc do: ", msg);
  }
  mine[platform] = why;
  // Into the cache, beside the probe (read again: another process may have added proofs).
  const Json identity = BinaryIdentity(info.path);
  const std::optional<std::string> cache = CachePath(info.path);
  if (cache && !identity.is_null()) {
    RunscInfo updated = info;
    if (std::optional<RunscInfo> cached = ReadCache(*cache, identity)) updated = *cached;
    for (const auto& [p, w] : mine) updated.proofs[p] = w;
    WriteCache(*cache, identity, updated);
  }
  return verdict(why);
}

std::vector<std::string> RunscArgv(const RunscGlobals& g, const std::vector<std::string>& sub) {
  std::vector<std::string> argv = {g.path};
  if (!g.root.empty()) argv.insert(argv.end(), {"--root", g.root});
  if (!g.log.empty()) argv.insert(argv.end(), {"--log", g.log});
  // runsc reads its configuration from the flags of each command, not from its state: a
  // `runsc start` without the create's --network would set up the default network.
  if (!g.platform.empty()) argv.push_back(absl::StrCat("--platform=", g.platform));
  if (!g.network.empty()) argv.push_back(absl::StrCat("--network=", g.network));
  if (g.oci_seccomp) argv.push_back("--oci-seccomp");
  // nucleus made the group runsc starts in (gvisor_backend.h); runsc adds none of its own.
  if (!g.platform.empty()) argv.push_back("--ignore-cgroups");
  if (g.rootless) argv.push_back("--rootless");
  argv.insert(argv.end(), sub.begin(), sub.end());
  return argv;
}

void PlaceInCgroup(Cgroup* cgroup, SpawnOptions& options) {
  if (cgroup == nullptr) return;
  options.cgroup_fd = cgroup->clone_into_fd();
  options.admit = [cgroup](pid_t pid, bool cloned_into_cgroup) {
    return cgroup->AddProcess(pid, /*joined_by_clone=*/cloned_into_cgroup);
  };
}

absl::StatusOr<std::string> RunRunsc(const RunscGlobals& g, const std::vector<std::string>& sub,
                                     absl::Duration timeout, Cgroup* cgroup) {
  // "runsc start web", for messages: the subcommand and its last argument (the id).
  std::string what = "runsc";
  for (const std::string& s : sub) {
    if (!absl::StartsWith(s, "-")) absl::StrAppend(&what, " ", s);
  }
  SpawnOptions o;
  PlaceInCgroup(cgroup, o);
  o.die_with_parent = true;
  o.new_process_group = true;
  RunOptions run;
  run.keep = kMaxCapture;
  run.timeout = timeout;
  absl::StatusOr<Finished> done = RunCommand(RunscArgv(g, sub), o, run);
  if (!done.ok()) return Annotate(done.status(), what);
  if (done->timed_out) {
    return absl::DeadlineExceededError(
        absl::StrCat(what, ": did not finish within ", absl::FormatDuration(timeout), " (killed)"));
  }
  if (done->Succeeded()) return std::move(done->out);
  std::string line = RunscErrorLine(done->err);
  if (line.empty()) line = g.log.empty() ? "" : LastRunscLogError(g.log);
  if (line.empty()) line = DescribeWaitStatus(done->wstatus);
  if (absl::StrContains(line, "does not exist") || absl::StrContains(line, "not found")) {
    return absl::NotFoundError(absl::StrCat(what, ": ", line));
  }
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", line));
}

std::string RunscErrorLine(absl::string_view text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    // runsc prints its usage after a flag error: the first line says what was wrong.
    if (absl::StartsWith(line, "Usage:")) break;
    lines.emplace_back(line);
  }
  std::string joined = absl::StrJoin(lines, "; ");
  if (joined.size() > 1000) joined = absl::StrCat(joined.substr(0, 1000), "...");
  return joined;
}

std::string LastRunscLogError(const std::string& log_path) {
  absl::StatusOr<std::string> text = ReadFileToString(log_path, kMaxCapture);
  if (!text.ok()) return "";
  std::string last;
  // One JSON object per error ({"msg": ..., "level": "error", ...}), not always separated
  // by a newline.
  absl::string_view rest = *text;
  while (!rest.empty()) {
    size_t start = rest.find('{');
    if (start == absl::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find("}");
    // Messages may contain braces: take the shortest prefix that parses.
    while (end != absl::string_view::npos) {
      Json j = Json::parse(rest.substr(0, end + 1), nullptr, /*allow_exceptions=*/false);
      if (!j.is_discarded()) {
        if (j.is_object() && j.contains("msg") && j["msg"].is_string()) {
          last = RunscErrorLine(j["msg"].get<std::string>());
        }
        break;
      }
      end = rest.find('}', end + 1);
    }
    if (end == absl::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return last;
}

}  // namespace nucleus
