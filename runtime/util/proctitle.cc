#include "runtime/util/proctitle.h"

#include <string.h>

namespace nucleus {
namespace {

char* g_start = nullptr;
size_t g_len = 0;

}  // namespace

void RememberArgvArea(int argc, char** argv) {
  if (argc < 1 || argv == nullptr || argv[0] == nullptr) return;
  char* end = argv[0] + strlen(argv[0]) + 1;
  // Only the strings laid out back to back (as the kernel does) are ours to overwrite.
  for (int i = 1; i < argc && argv[i] == end; ++i) end = argv[i] + strlen(argv[i]) + 1;
  g_start = argv[0];
  g_len = static_cast<size_t>(end - argv[0]);
}

void SetProcessTitle(const char* title) {
  if (g_start == nullptr || g_len == 0) return;
  memset(g_start, 0, g_len);
  size_t n = strlen(title);
  if (n > g_len - 1) n = g_len - 1;
  memcpy(g_start, title, n);
}

}  // namespace nucleus
