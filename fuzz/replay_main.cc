// main() for fuzz targets outside libFuzzer: runs LLVMFuzzerTestOneInput once per input file.
//
//   replay FILE_OR_DIR...   each directory is walked recursively; every regular file is one
//                           input. Exits 1 when no input was found (an empty or missing corpus
//                           must not pass silently), 0 after replaying all of them. A crash
//                           aborts, naming the file on stderr first.
// Each input is copied into a buffer of exactly its size, so sanitizers catch over-reads.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

bool ReplayFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::unique_ptr<uint8_t[]> exact(new uint8_t[bytes.size() ? bytes.size() : 1]);
  std::copy(bytes.begin(), bytes.end(), exact.get());
  fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
  LLVMFuzzerTestOneInput(exact.get(), bytes.size());
  return true;
}

// Returns the number of inputs replayed from `arg`, or -1 on a read error.
long Replay(const fs::path& arg) {
  std::error_code ec;
  if (fs::is_regular_file(arg, ec)) return ReplayFile(arg) ? 1 : -1;
  if (!fs::is_directory(arg, ec)) {
    fprintf(stderr, "replay: %s is neither a file nor a directory\n", arg.c_str());
    return -1;
  }
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator
           it(arg, fs::directory_options::follow_directory_symlink, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    fprintf(stderr, "replay: walking %s: %s\n", arg.c_str(), ec.message().c_str());
    return -1;
  }
  std::sort(files.begin(), files.end());  // stable order, reproducible logs
  for (const fs::path& f : files) {
    if (!ReplayFile(f)) return -1;
  }
  return static_cast<long>(files.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 1;
  }
  long total = 0;
  for (int i = 1; i < argc; ++i) {
    long n = Replay(argv[i]);
    if (n < 0) return 1;
    if (n == 0) {
      fprintf(stderr, "replay: no inputs in %s: seed the corpus (fuzz/corpus/<target>/seed-*)\n",
              argv[i]);
      return 1;
    }
    total += n;
  }
  fprintf(stderr, "replay: %ld inputs, all passed\n", total);
  return 0;
}
