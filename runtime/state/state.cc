#include "runtime/state/state.h"

#include <climits>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "runtime/quote.h"
#include "runtime/state/ids.h"
#include "runtime/util/status.h"

namespace nucleus {
namespace {

using Json = nlohmann::json;

constexpr int kMaxSignal = 64;  // SIGRTMAX on Linux

// Years outside [1970, 9999] are refused: RFC 3339 has four-digit years, and absl would
// otherwise accept "infinite-future" and far-off years that do not format back the same.
const absl::Time kMinTime = absl::UnixEpoch();
const absl::Time kMaxTime =
    absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0), absl::UTCTimeZone());

std::string Rfc3339(absl::Time t) {
  // "Z" rather than RFC3339_full's "+00:00": what runc and docker write.
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// A JSON value as it appears in messages: numbers, booleans and null as written; strings and
// containers quoted and shortened so a hostile value cannot flood the message.
std::string Show(const Json& v) {
  if (v.is_string()) return Quote(v.get_ref<const std::string&>());
  std::string dump = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (v.is_structured()) return Quote(dump, 64);
  return dump;
}

std::string Key(absl::string_view parent, absl::string_view key) {
  return absl::StrCat(parent, "[", Quote(key), "]");
}

absl::Status Bad(absl::string_view path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("state.json: ", path, ": ", what));
}
absl::Status BadValue(absl::string_view path, const Json& v, absl::string_view what) {
  return Bad(path, absl::StrCat(Show(v), " ", what));
}

// Reads one field of an object. `required` fields that are absent are an error; optional
// ones leave *out untouched. null counts as present (and is then the wrong type).
class Reader {
 public:
  Reader(const Json& obj, std::string prefix) : obj_(obj), prefix_(std::move(prefix)) {}

  std::string Path(absl::string_view key) const { return absl::StrCat(prefix_, key); }

  const Json* Find(absl::string_view key) const {
    auto it = obj_.find(std::string(key));
    return it == obj_.end() ? nullptr : &*it;
  }

  absl::Status String(absl::string_view key, bool required, std::string* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return required ? Bad(Path(key), "missing") : absl::OkStatus();
    if (!v->is_string()) return BadValue(Path(key), *v, "is not a string");
    *out = v->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Int(absl::string_view key, bool required, int64_t min, int64_t max,
                   absl::string_view what, int64_t* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return required ? Bad(Path(key), "missing") : absl::OkStatus();
    int64_t n;
    if (v->is_number_unsigned()) {
      uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return BadValue(Path(key), *v, what);
      n = static_cast<int64_t>(u);
    } else if (v->is_number_integer()) {
      n = v->get<int64_t>();
    } else {
      return BadValue(Path(key), *v, what);
    }
    if (n < min || n > max) return BadValue(Path(key), *v, what);
    *out = n;
    return absl::OkStatus();
  }

  absl::Status Bool(absl::string_view key, bool* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_boolean()) return BadValue(Path(key), *v, "is not true or false");
    *out = v->get<bool>();
    return absl::OkStatus();
  }

  absl::Status Uint64(absl::string_view key, absl::string_view what, uint64_t* out) const {
    const Json* v = Find(key);
    if (v == nullptr) return absl::OkStatus();
    if (!v->is_number_unsigned()) return BadValue(Path(key), *v, what);
    *out = v->get<uint64_t>();
    return absl::OkStatus();
  }

  // An absolute path without NUL; empty allowed unless required.
  absl::Status AbsPath(absl::string_view key, bool required, std::string* out) const {
    std::string s;
    if (absl::Status st = String(key, required, &s); !st.ok()) return st;
    if (const Json* v = Find(key); v != nullptr) {
      if (required && s.empty()) return BadValue(Path(key), *v, "is empty");
      if (!s.empty() && s[0] != '/') return BadValue(Path(key), *v, "is not an absolute path");
      if (s.find('\0') != std::string::npos) return BadValue(Path(key), *v, "contains NUL");
    }
    *out = std::move(s);
    return absl::OkStatus();
  }

  // An object of strings.
  absl::Status StringMap(absl::string_view key, std::map<std::string, std::string>* out) const {
    const Json* v = Find(key);
    if (v == nullptr || v->is_null()) return absl::OkStatus();  // OCI tools write null
    if (!v->is_object()) return BadValue(Path(key), *v, "is not an object");
    std::map<std::string, std::string> m;
    for (auto it = v->begin(); it != v->end(); ++it) {
      if (!it.value().is_string()) {
        return BadValue(Key(Path(key), it.key()), it.value(), "is not a string");
      }
      m[it.key()] = it.value().get<std::string>();
    }
    *out = std::move(m);
    return absl::OkStatus();
  }

 private:
  const Json& obj_;
  std::string prefix_;
};

absl::StatusOr<ContainerStatus> ParseStatus(const Json& v) {
  static constexpr ContainerStatus kAll[] = {ContainerStatus::kCreating, ContainerStatus::kCreated,
                                             ContainerStatus::kRunning, ContainerStatus::kPaused,
                                             ContainerStatus::kStopped};
  if (v.is_string()) {
    for (ContainerStatus s : kAll) {
      if (v.get_ref<const std::string&>() == ContainerStatusName(s)) return s;
    }
  }
  return BadValue("status", v, "is not a status (creating, created, running, paused, stopped)");
}

absl::StatusOr<ExitRecord> ParseExit(const Json& v) {
  if (!v.is_object()) return BadValue("exit", v, "is not an object");
  Reader r(v, "exit.");
  ExitRecord e;
  std::string kind;
  RETURN_IF_ERROR(r.String("kind", true, &kind));
  static constexpr ExitRecord::Kind kKinds[] = {
      ExitRecord::Kind::kExited, ExitRecord::Kind::kSignaled, ExitRecord::Kind::kOom,
      ExitRecord::Kind::kSeccompKill, ExitRecord::Kind::kTimeout};
  bool found = false;
  for (ExitRecord::Kind k : kKinds) {
    if (kind == ExitKindName(k)) {
      e.kind = k;
      found = true;
    }
  }
  if (!found) {
    return BadValue("exit.kind", *r.Find("kind"),
                    "is not an exit kind (exited, signaled, oom, seccomp, timeout)");
  }
  int64_t n = 0;
  if (e.kind == ExitRecord::Kind::kExited) {
    RETURN_IF_ERROR(r.Int("code", true, 0, 255, "is not an exit code (0-255)", &n));
    e.code = static_cast<int>(n);
    n = 0;
    RETURN_IF_ERROR(r.Int("signal", false, 0, 0, "is not 0 for an exit", &n));
  } else {
    RETURN_IF_ERROR(r.Int("signal", true, 1, kMaxSignal, "is not a signal number (1-64)", &n));
    e.signal = static_cast<int>(n);
    n = 0;
    RETURN_IF_ERROR(r.Int("code", false, 0, 0, "is not 0 for a signal death", &n));
  }
  RETURN_IF_ERROR(r.String("reason", false, &e.reason));
  return e;
}

Json ToJsonObject(const ContainerState& s, bool oci_only) {
  Json j = Json::object();
  j["ociVersion"] = s.oci_version;
  j["id"] = s.id;
  j["status"] = ContainerStatusName(s.status);
  j["pid"] = s.pid;
  j["bundle"] = s.bundle;
  j["annotations"] = Json::object();
  for (const auto& [k, v] : s.annotations) j["annotations"][k] = v;
  if (oci_only) return j;
  if (!s.name.empty()) j["name"] = s.name;
  j["pidStartTime"] = s.pid_start_time;
  if (!s.rootfs.empty()) j["rootfs"] = s.rootfs;
  j["created"] = Rfc3339(s.created);
  j["backend"] = StateBackendName(s.backend);
  if (s.exit.has_value()) {
    Json e = Json::object();
    e["kind"] = ExitKindName(s.exit->kind);
    e["code"] = s.exit->code;
    e["signal"] = s.exit->signal;
    if (!s.exit->reason.empty()) e["reason"] = s.exit->reason;
    j["exit"] = std::move(e);
  }
  j["cgroupPaths"] = Json::object();
  for (const auto& [k, v] : s.cgroup_paths) j["cgroupPaths"][k] = v;
  if (!s.log_path.empty()) j["logPath"] = s.log_path;
  j["restartCount"] = s.restart_count;
  if (s.ready) j["ready"] = true;
  if (s.stop_requested) j["stopRequested"] = true;
  if (!s.health_status.empty()) {
    j["health"] = {{"status", s.health_status},
                   {"failingStreak", s.health_failing_streak},
                   {"lastOutput", s.health_last_output}};
  }
  return j;
}

std::string Dump(const Json& j) {
  // replace: a string that is not UTF-8 (an annotation copied from a hostile config) must
  // not make the state unwritable.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

// The text as a JSON object (size-capped; a parse error on one line, without nlohmann's tag).
absl::StatusOr<Json> ParseRoot(absl::string_view text) {
  if (text.size() > kMaxStateJsonBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("state.json: ", text.size(), " bytes, more than ", kMaxStateJsonBytes));
  }
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." without the tag.
    absl::string_view what = e.what();
    if (size_t close = what.find("] "); close != absl::string_view::npos) {
      what.remove_prefix(close + 2);
    }
    std::string msg(what);
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    return absl::InvalidArgumentError(absl::StrCat("state.json: not JSON: ", msg));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("state.json: ", Show(root), " is not a JSON object"));
  }
  return root;
}

// "health": {"status": "starting"|"healthy"|"unhealthy", "failingStreak", "lastOutput"}.
absl::Status ParseHealth(const Json& h, ContainerState* s) {
  if (!h.is_object()) return BadValue("health", h, "is not an object");
  const Json* st = h.contains("status") ? &h["status"] : nullptr;
  if (st == nullptr || !st->is_string() ||
      (*st != "starting" && *st != "healthy" && *st != "unhealthy")) {
    return BadValue("health.status", st ? *st : Json(nullptr),
                    "is not starting, healthy or unhealthy");
  }
  s->health_status = st->get<std::string>();
  const Json* n = h.contains("failingStreak") ? &h["failingStreak"] : nullptr;
  if (n != nullptr) {
    if (!n->is_number_integer() || n->get<int64_t>() < 0 || n->get<int64_t>() > INT_MAX) {
      return BadValue("health.failingStreak", *n, "is not a count");
    }
    s->health_failing_streak = static_cast<int>(n->get<int64_t>());
  }
  const Json* out = h.contains("lastOutput") ? &h["lastOutput"] : nullptr;
  if (out != nullptr) {
    if (!out->is_string() || out->get<std::string>().size() > 4096) {
      return BadValue("health.lastOutput", *out, "is not a string of at most 4096 bytes");
    }
    s->health_last_output = out->get<std::string>();
  }
  return absl::OkStatus();
}

}  // namespace

const char* ContainerStatusName(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreating:
      return "creating";
    case ContainerStatus::kCreated:
      return "created";
    case ContainerStatus::kRunning:
      return "running";
    case ContainerStatus::kPaused:
      return "paused";
    case ContainerStatus::kStopped:
      return "stopped";
  }
  return "unknown";
}

const char* StateBackendName(StateBackend b) {
  return b == StateBackend::kGvisor ? "gvisor" : "native";
}

const char* ExitKindName(ExitRecord::Kind k) {
  switch (k) {
    case ExitRecord::Kind::kExited:
      return "exited";
    case ExitRecord::Kind::kSignaled:
      return "signaled";
    case ExitRecord::Kind::kOom:
      return "oom";
    case ExitRecord::Kind::kSeccompKill:
      return "seccomp";
    case ExitRecord::Kind::kTimeout:
      return "timeout";
  }
  return "unknown";
}

bool ContainerState::operator==(const ContainerState& o) const {
  return oci_version == o.oci_version && id == o.id && name == o.name && status == o.status &&
         pid == o.pid && pid_start_time == o.pid_start_time && bundle == o.bundle &&
         rootfs == o.rootfs && annotations == o.annotations && created == o.created &&
         backend == o.backend && exit == o.exit && cgroup_paths == o.cgroup_paths &&
         log_path == o.log_path && restart_count == o.restart_count && ready == o.ready &&
         stop_requested == o.stop_requested && health_status == o.health_status &&
         health_failing_streak == o.health_failing_streak &&
         health_last_output == o.health_last_output;
}

std::string ToJson(const ContainerState& state) { return Dump(ToJsonObject(state, false)); }

std::string ToOciStateJson(const ContainerState& state) { return Dump(ToJsonObject(state, true)); }

absl::StatusOr<ContainerState> ParseStateJson(absl::string_view text) {
  ASSIGN_OR_RETURN(Json root, ParseRoot(text));
  Reader r(root, "");
  ContainerState s;

  RETURN_IF_ERROR(r.String("ociVersion", true, &s.oci_version));
  if (s.oci_version.rfind("1.", 0) != 0) {
    return BadValue("ociVersion", *r.Find("ociVersion"), "is not a 1.x OCI version");
  }
  RETURN_IF_ERROR(r.String("id", true, &s.id));
  if (absl::Status st = ValidateContainerId(s.id); !st.ok()) {
    return Bad("id", st.message());
  }
  RETURN_IF_ERROR(r.String("name", false, &s.name));
  if (r.Find("name") != nullptr && !s.name.empty()) {
    if (absl::Status st = ValidateContainerName(s.name); !st.ok()) {
      return Bad("name", st.message());
    }
  }
  const Json* status = r.Find("status");
  if (status == nullptr) return Bad("status", "missing");
  absl::StatusOr<ContainerStatus> parsed_status = ParseStatus(*status);
  if (!parsed_status.ok()) return parsed_status.status();
  s.status = *parsed_status;

  int64_t n = 0;
  RETURN_IF_ERROR(r.Int("pid", true, 0, kMaxPid, "is not a pid", &n));
  s.pid = static_cast<pid_t>(n);
  if (s.pid == 0 &&
      (s.status == ContainerStatus::kCreated || s.status == ContainerStatus::kRunning ||
       s.status == ContainerStatus::kPaused)) {
    return Bad("pid", absl::StrCat("0 but status is ", ContainerStatusName(s.status)));
  }
  RETURN_IF_ERROR(r.Uint64("pidStartTime", "is not a start time", &s.pid_start_time));
  RETURN_IF_ERROR(r.AbsPath("bundle", true, &s.bundle));
  RETURN_IF_ERROR(r.AbsPath("rootfs", false, &s.rootfs));
  RETURN_IF_ERROR(r.StringMap("annotations", &s.annotations));

  std::string created;
  RETURN_IF_ERROR(r.String("created", true, &created));
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, created, &s.created, &err) || s.created < kMinTime ||
      s.created >= kMaxTime) {
    return BadValue("created", *r.Find("created"), "is not an RFC 3339 time between 1970 and 9999");
  }

  if (const Json* b = r.Find("backend"); b != nullptr) {
    if (b->is_string() && b->get_ref<const std::string&>() == "native") {
      s.backend = StateBackend::kNative;
    } else if (b->is_string() && b->get_ref<const std::string&>() == "gvisor") {
      s.backend = StateBackend::kGvisor;
    } else {
      return BadValue("backend", *b, "is not a backend (native, gvisor)");
    }
  }
  if (const Json* e = r.Find("exit"); e != nullptr && !e->is_null()) {
    absl::StatusOr<ExitRecord> exit = ParseExit(*e);
    if (!exit.ok()) return exit.status();
    s.exit = *std::move(exit);
  }
  RETURN_IF_ERROR(r.StringMap("cgroupPaths", &s.cgroup_paths));
  for (const auto& [k, v] : s.cgroup_paths) {
    if (v.empty() || v[0] != '/' || v.find('\0') != std::string::npos) {
      return BadValue(Key("cgroupPaths", k), Json(v), "is not an absolute path");
    }
  }
  RETURN_IF_ERROR(r.AbsPath("logPath", false, &s.log_path));
  n = 0;
  RETURN_IF_ERROR(r.Int("restartCount", false, 0, INT_MAX, "is not a restart count", &n));
  s.restart_count = static_cast<int>(n);
  RETURN_IF_ERROR(r.Bool("ready", &s.ready));
  RETURN_IF_ERROR(r.Bool("stopRequested", &s.stop_requested));
  if (const Json* h = r.Find("health"); h != nullptr) RETURN_IF_ERROR(ParseHealth(*h, &s));
  return s;
}

}  // namespace nucleus
