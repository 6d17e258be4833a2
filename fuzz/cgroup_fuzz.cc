// Fuzzes the cgroup control-file parsers (runtime/cgroup/parse.h) and the layout detection
// (runtime/cgroup/layout.h) on arbitrary text. The first byte picks the parser, so one corpus
// covers them all; the rest is the file's text.
#include "fuzz/fuzz_input.h"
#include "runtime/cgroup/layout.h"
#include "runtime/cgroup/parse.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  absl::string_view text = nucleus::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 8) {
    case 0: {
      auto kv = nucleus::ParseKeyedFile(text);
      if (kv.ok()) Check(kv->size() <= text.size() / 3 + 1, "one key per 'K V' line");
      break;
    }
    case 1:
      (void)nucleus::ParseSingleValue(text);
      break;
    case 2: {
      auto m = nucleus::ParseMaxValue(text);
      if (m.ok() && !m->has_value()) Check(text.find("max") != absl::string_view::npos, "max");
      break;
    }
    case 3: {
      auto io = nucleus::ParseIoStat(text);
      if (io.ok() && text.find("rbytes=") == absl::string_view::npos) {
        Check(io->read_bytes == 0, "no rbytes, no reads");
      }
      break;
    }
    case 4:
      (void)nucleus::ParseBlkioBytes(text);
      break;
    case 5: {
      auto pids = nucleus::ParsePidList(text);
      if (pids.ok()) {
        for (pid_t p : *pids) Check(p > 0, "pids are positive");
      }
      break;
    }
    case 6: {
      // Layout from mountinfo text; fs_root points nowhere, so no file is found.
      auto h = nucleus::ParseCgroupHierarchies(text, "/nonexistent-fuzz-root");
      if (h.ok() && h->kind == nucleus::CgroupHierarchies::Kind::kV2) {
        Check(h->v1_mounts.empty() && !h->v2_root.empty(), "v2 means no v1 mounts");
      }
      break;
    }
    case 7: {
      auto entries = nucleus::ParseProcCgroup(text);
      if (entries.ok()) {
        for (const nucleus::ProcCgroupEntry& e : *entries) {
          Check(!e.path.empty() && e.path[0] == '/', "paths are absolute");
          Check(e.path.find('\n') == std::string::npos, "one line, one entry");
          for (const std::string& c : e.controllers) Check(!c.empty(), "no empty controller");
        }
      }
      break;
    }
  }
  return 0;
}
