// Fork-safe formatting and logging for code that runs between clone() and execve(), and in
// the PID 1 init: no allocation, no locks, no glog, no stdio. Only write(2) to a raw fd.
//
//   RawBuf<256> b;
//   b.Add("nucleus-init: waitpid: ").AddErrno(errno);
//   RawWriteLine(STDERR_FILENO, b);
#ifndef NUCLEUS_RUNTIME_UTIL_RAW_LOG_H_
#define NUCLEUS_RUNTIME_UTIL_RAW_LOG_H_

#include <cstddef>
#include <cstdint>

namespace nucleus {

// Copies at most cap-1 bytes of src into dst and NUL-terminates. Returns bytes copied.
size_t RawCopy(char* dst, size_t cap, const char* src);
// strerror without locale or allocation: a static table, "errno N" for the rest.
const char* RawStrerror(int err);

// A fixed-size, NUL-terminated text buffer; appends that do not fit are truncated.
template <size_t N>
class RawBuf {
 public:
  RawBuf() { buf_[0] = '\0'; }
  RawBuf& Add(const char* s) {
    len_ += RawCopy(buf_ + len_, N - len_, s ? s : "(null)");
    return *this;
  }
  RawBuf& AddInt(int64_t v) {
    char tmp[24];
    int i = sizeof(tmp) - 1;
    tmp[i] = '\0';
    uint64_t u = v < 0 ? -static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    do {
      tmp[--i] = static_cast<char>('0' + u % 10);
      u /= 10;
    } while (u != 0 && i > 1);
    if (v < 0) tmp[--i] = '-';
    return Add(tmp + i);
  }
  RawBuf& AddErrno(int err) { return Add(RawStrerror(err)); }
  const char* c_str() const { return buf_; }
  size_t size() const { return len_; }

 private:
  char buf_[N];
  size_t len_ = 0;
};

// write(2)s s and a newline to fd, retrying EINTR and short writes; ignores errors.
void RawWriteLine(int fd, const char* s);
template <size_t N>
void RawWriteLine(int fd, const RawBuf<N>& b) {
  RawWriteLine(fd, b.c_str());
}

}  // namespace nucleus

#endif  // NUCLEUS_RUNTIME_UTIL_RAW_LOG_H_
