// The person's commands on detached containers: ps, logs, stop, rm, inspect (docker's names
// and flags). kill and exec are shared with the OCI front end (cli/oci.cc).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "runtime/cli/commands.h"
#include "runtime/cli/common.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/signals.h"
#include "runtime/state/state.h"
#include "runtime/util/status.h"
#include "runtime/util/syscall.h"

namespace nucleus {
namespace {

using Json = nlohmann::json;

std::string Ago(absl::Time t) {
  absl::Duration d = absl::Now() - t;
  if (d < absl::Minutes(1)) return absl::StrCat(absl::ToInt64Seconds(d), " seconds ago");
  if (d < absl::Hours(1)) return absl::StrCat(absl::ToInt64Minutes(d), " minutes ago");
  if (d < absl::Hours(48)) return absl::StrCat(absl::ToInt64Hours(d), " hours ago");
  return absl::StrCat(absl::ToInt64Hours(d) / 24, " days ago");
}

std::string StatusText(const ContainerState& s) {
  if (s.status != ContainerStatus::kStopped) {
    if (!s.health_status.empty()) {
      return absl::StrCat(ContainerStatusName(s.status), " (", s.health_status, ")");
    }
    return ContainerStatusName(s.status);
  }
  if (!s.exit) return "stopped";
  return s.exit->reason.empty() ? "stopped" : s.exit->reason;
}

// Resolves every ref; reports the bad ones and returns the rest.
std::vector<std::string> ResolveAll(const StateStore& store, const std::vector<std::string>& refs,
                                    int* rc) {
  std::vector<std::string> ids;
  for (const std::string& ref : refs) {
    absl::StatusOr<std::string> id = ResolveContainer(store, ref);
    if (!id.ok()) {
      *rc = Fail(std::string(id.status().message()));
      continue;
    }
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace

int ListContainersMain(const std::vector<std::string>& args) {
  bool json = false, all = false, quiet = false;
  for (const std::string& a : args) {
    if (a == "--json" || a == "--format=json") {
      json = true;
    } else if (a == "-a" || a == "--all") {
      all = true;
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else {
      return Fail(absl::StrCat("ps: unexpected argument '", a, "'"));
    }
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<StateList> list = store->List();
  if (!list.ok()) return Fail(std::string(list.status().message()));
  Json out = Json::array();
  if (!json && !quiet) {
    printf("%-14s %-20s %-28s %-8s %-16s %s\n", "ID", "NAME", "STATUS", "PID", "CREATED",
           "COMMAND");
  }
  for (ContainerState& s : list->states) {
    s.status = CurrentStatus(*store, s);
    if (!all && s.status == ContainerStatus::kStopped) continue;
    pid_t pid = s.status == ContainerStatus::kStopped ? 0 : s.pid;
    std::string command;
    if (absl::StatusOr<ContainerSpec> spec = LoadContainerSpec(*store, s.id); spec.ok()) {
      for (const std::string& a : spec->process.args)
        absl::StrAppend(&command, command.empty() ? "" : " ", a);
    }
    if (json) {
      Json j = Json::parse(ToJson(s), nullptr, false);
      j["status"] = ContainerStatusName(s.status);
      j["pid"] = pid;
      j["command"] = command;
      out.push_back(j);
    } else if (quiet) {
      printf("%s\n", s.id.c_str());
    } else {
      if (command.size() > 40) command = command.substr(0, 37) + "...";
      printf("%-14s %-20s %-28s %-8d %-16s %s\n", s.id.substr(0, 12).c_str(), s.name.c_str(),
             StatusText(s).c_str(), pid, Ago(s.created).c_str(), command.c_str());
    }
  }
  for (const BrokenEntry& b : list->broken) {
    if (!all) continue;
    if (json) {
      out.push_back(
          {{"id", b.name}, {"status", "stopped"}, {"error", std::string(b.error.message())}});
    } else {
      printf("%-14s %-20s %-28s\n", b.name.substr(0, 12).c_str(), "", "stopped (broken state)");
    }
  }
  if (json) printf("%s\n", out.dump(2).c_str());
  return 0;
}

int LogsMain(const std::vector<std::string>& args) {
  ArgReader r("logs", args);
  bool follow = false;
  std::string ref;
  while (r.More()) {
    if (r.Bool("--follow", "-f", &follow)) continue;
    if (!r.Positional(&ref)) break;
  }
  if (!r.ok()) return Fail(r.error());
  if (ref.empty()) return Fail("logs: missing container (usage: logs [-f] ID)");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
  if (!id.ok()) return Fail(std::string(id.status().message()));
  absl::StatusOr<UniqueFd> dir = store->OpenContainerDir(*id);
  if (!dir.ok()) return Fail(std::string(dir.status().message()));
  UniqueFd log(::openat(dir->get(), kLogFileName, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!log.valid()) {
    return Fail(absl::StrCat("logs: container ", *id, " has no log (only `run -d` keeps one)"));
  }
  char buf[65536];
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(log.get(), buf, sizeof(buf)); });
    if (n < 0) return Fail(ErrnoStatus("read", kLogFileName).ToString());
    if (n > 0) {
      if (fwrite(buf, 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) return 0;
      continue;
    }
    fflush(stdout);
    if (!follow) return 0;
    // At the end: wait for more while the container runs; drain once more after it stops.
    absl::StatusOr<ContainerState> st = store->Load(*id);
    if (!st.ok() || CurrentStatus(*store, *st) == ContainerStatus::kStopped) {
      while ((n = RetryEintr([&] { return ::read(log.get(), buf, sizeof(buf)); })) > 0) {
        (void)!fwrite(buf, 1, static_cast<size_t>(n), stdout);
      }
      fflush(stdout);
      return 0;
    }
    ::usleep(100 * 1000);
  }
}

int StopMain(const std::vector<std::string>& args) {
  ArgReader r("stop", args);
  std::string timeout_text = "10", signal_text = "TERM";
  std::vector<std::string> refs;
  while (r.More()) {
    if (r.Flag("--time", "-t", &timeout_text) || r.Flag("--signal", "-s", &signal_text)) continue;
    std::string p;
    if (!r.Positional(&p)) break;
    refs.push_back(p);
  }
  if (!r.ok()) return Fail(r.error());
  int seconds;
  if (!absl::SimpleAtoi(timeout_text, &seconds) || seconds < 0 || seconds > 86400) {
    return Fail(absl::StrCat("stop: --time: '", timeout_text, "' is not 0..86400 seconds"));
  }
  absl::StatusOr<int> sig = ParseSignal(signal_text);
  if (!sig.ok()) return Fail(absl::StrCat("stop: --signal: ", sig.status().message()));
  if (refs.empty()) return Fail("stop: missing container (usage: stop [-t SECONDS] ID...)");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  int rc = 0;
  for (const std::string& id : ResolveAll(*store, refs, &rc)) {
    absl::Status st = StopContainer(*store, id, absl::Seconds(seconds), *sig);
    if (!st.ok()) {
      rc = Fail(std::string(st.message()));
      continue;
    }
    printf("%s\n", id.c_str());
  }
  return rc;
}

int RmMain(const std::vector<std::string>& args) {
  ArgReader r("rm", args);
  bool force = false;
  std::vector<std::string> refs;
  while (r.More()) {
    if (r.Bool("--force", "-f", &force)) continue;
    std::string p;
    if (!r.Positional(&p)) break;
    refs.push_back(p);
  }
  if (!r.ok()) return Fail(r.error());
  if (refs.empty()) return Fail("rm: missing container (usage: rm [-f] ID...)");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  int rc = 0;
  for (const std::string& id : ResolveAll(*store, refs, &rc)) {
    std::vector<std::string> warnings;
    absl::Status st = DeleteContainer(*store, id, force, &warnings);
    for (const std::string& w : warnings) Warn(w);
    if (!st.ok()) {
      rc = Fail(std::string(st.message()));
      continue;
    }
    printf("%s\n", id.c_str());
  }
  return rc;
}

int InspectMain(const std::vector<std::string>& args) {
  std::vector<std::string> refs;
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '-') return Fail(absl::StrCat("inspect: unknown flag '", a, "'"));
    refs.push_back(a);
  }
  if (refs.empty()) return Fail("inspect: missing container (usage: inspect ID...)");
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  int rc = 0;
  Json out = Json::array();
  for (const std::string& id : ResolveAll(*store, refs, &rc)) {
    absl::StatusOr<ContainerState> st = store->Load(id);
    if (!st.ok()) {
      rc = Fail(std::string(st.status().message()));
      continue;
    }
    st->status = CurrentStatus(*store, *st);
    Json j = Json::parse(ToJson(*st), nullptr, false);
    absl::StatusOr<std::string> config = store->ReadFile(id, kConfigFileName, 4 << 20);
    if (config.ok()) j["config"] = Json::parse(*config, nullptr, false);
    out.push_back(j);
  }
  printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  return rc;
}

int WaitMain(const std::vector<std::string>& args) {
  ArgReader r("wait", args);
  bool ready = false;
  std::string timeout_text;
  std::string ref;
  while (r.More()) {
    if (r.Bool("--ready", nullptr, &ready) || r.Flag("--timeout", "-t", &timeout_text)) continue;
    if (!r.Positional(&ref)) break;
  }
  if (!r.ok()) return Fail(r.error());
  if (ref.empty())
    return Fail("wait: missing container (usage: wait [--ready] [--timeout DUR] ID)");
  absl::Duration timeout = absl::InfiniteDuration();
  if (!timeout_text.empty() &&
      (!absl::ParseDuration(timeout_text, &timeout) || timeout < absl::ZeroDuration())) {
    return Fail(absl::StrCat("wait: --timeout: '", timeout_text, "' is not a duration (e.g. 30s)"));
  }
  absl::StatusOr<StateStore> store = OpenStore();
  if (!store.ok()) return Fail(std::string(store.status().message()));
  absl::StatusOr<std::string> id = ResolveContainer(*store, ref);
  if (!id.ok()) return Fail(std::string(id.status().message()));
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    absl::StatusOr<ContainerState> st = store->Load(*id);
    if (!st.ok()) return Fail(std::string(st.status().message()));
    ContainerStatus now = CurrentStatus(*store, *st);
    if (ready && st->ready && now != ContainerStatus::kStopped) return 0;
    if (now == ContainerStatus::kStopped) {
      if (ready) {
        return Fail(absl::StrCat("wait: container ", *id, " stopped before it was ready",
                                 st->exit ? absl::StrCat(" (", st->exit->reason, ")") : ""));
      }
      // docker's wait: the exit status, once the monitor recorded it (a moment after the
      // process died). An OCI container has no monitor: nobody records it.
      for (int i = 0; i < 40 && !st->exit; ++i) {
        absl::SleepFor(absl::Milliseconds(50));
        absl::StatusOr<ContainerState> again = store->Load(*id);
        if (!again.ok()) break;
        *st = *again;
      }
      if (!st->exit) {
        printf("unknown\n");
        return 0;
      }
      printf("%d\n", st->exit
                         ? (st->exit->kind == ExitRecord::Kind::kExited ? st->exit->code
                                                                        : 128 + st->exit->signal)
                         : -1);
      return 0;
    }
    if (absl::Now() >= deadline) {
      return Fail(absl::StrCat("wait: container ", *id, ": timed out after ",
                               absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

}  // namespace nucleus
