// Fuzzes runtime/notify ParseNotifyMessage on arbitrary sd_notify datagrams, and checks the
// round trip: whatever parses must serialize (ToNotifyDatagram) to a datagram, no longer than
// the input, that parses back to an equal message and serializes the same again.
#include <cstdint>
#include <string>

#include "fuzz/fuzz_input.h"
#include "runtime/notify/message.h"

using nucleus::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text = nucleus::fuzz::AsText(data, size);
  absl::StatusOr<nucleus::NotifyMessage> m = nucleus::ParseNotifyMessage(text);
  if (!m.ok()) {
    absl::string_view msg = m.status().message();
    Check(m.status().code() == absl::StatusCode::kInvalidArgument,
          "parse errors are InvalidArgument");
    Check(msg.substr(0, 9) == "sd_notify", "parse errors start with sd_notify");
    Check(msg.find('\n') == absl::string_view::npos, "parse errors are one line");
    Check(msg.size() < 1024, "parse errors are short");
    return 0;
  }
  Check(!(m->watchdog_ping && m->watchdog_trigger), "one WATCHDOG value");
  Check(!m->main_pid || (*m->main_pid >= 1 && *m->main_pid <= nucleus::kMaxNotifyPid),
        "MAINPID in range");
  Check(!m->errno_value || (*m->errno_value >= 0 && *m->errno_value <= nucleus::kMaxNotifyErrno),
        "ERRNO in range");
  std::string datagram = nucleus::ToNotifyDatagram(*m);
  Check(datagram.size() <= size, "the canonical datagram is no longer than the input");
  absl::StatusOr<nucleus::NotifyMessage> back = nucleus::ParseNotifyMessage(datagram);
  Check(back.ok(), "ToNotifyDatagram output re-parses");
  Check(*back == *m, "ToNotifyDatagram/ParseNotifyMessage round trip is exact");
  Check(nucleus::ToNotifyDatagram(*back) == datagram, "ToNotifyDatagram is canonical");
  return 0;
}
