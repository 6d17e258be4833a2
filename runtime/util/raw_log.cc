#include "runtime/util/raw_log.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace nucleus {

size_t RawCopy(char* dst, size_t cap, const char* src) {
  if (cap == 0) return 0;
  size_t i = 0;
  for (; i + 1 < cap && src[i] != '\0'; ++i) dst[i] = src[i];
  dst[i] = '\0';
  return i;
}

const char* RawStrerror(int err) {
  // strerror() may allocate for locale translation; these are the ones container setup hits.
  switch (err) {
    case EPERM:
      return "Operation not permitted";
    case ENOENT:
      return "No such file or directory";
    case ESRCH:
      return "No such process";
    case EINTR:
      return "Interrupted system call";
    case EIO:
      return "Input/output error";
    case E2BIG:
      return "Argument list too long";
    case ENOEXEC:
      return "Exec format error";
    case EBADF:
      return "Bad file descriptor";
    case ECHILD:
      return "No child processes";
    case EAGAIN:
      return "Resource temporarily unavailable";
    case ENOMEM:
      return "Cannot allocate memory";
    case EACCES:
      return "Permission denied";
    case EFAULT:
      return "Bad address";
    case EBUSY:
      return "Device or resource busy";
    case EEXIST:
      return "File exists";
    case EXDEV:
      return "Invalid cross-device link";
    case ENODEV:
      return "No such device";
    case ENOTDIR:
      return "Not a directory";
    case EISDIR:
      return "Is a directory";
    case EINVAL:
      return "Invalid argument";
    case EMFILE:
      return "Too many open files";
    case ENOSPC:
      return "No space left on device";
    case EROFS:
      return "Read-only file system";
    case EPIPE:
      return "Broken pipe";
    case ERANGE:
      return "Numerical result out of range";
    case ENAMETOOLONG:
      return "File name too long";
    case ENOSYS:
      return "Function not implemented";
    case ELOOP:
      return "Too many levels of symbolic links";
    case EOPNOTSUPP:
      return "Operation not supported";
    case ETXTBSY:
      return "Text file busy";
    case EUSERS:
      return "Too many users";
    default:
      return "Unknown error";
  }
}

void RawWriteLine(int fd, const char* s) {
  char buf[1024];
  size_t n = RawCopy(buf, sizeof(buf) - 1, s);
  buf[n++] = '\n';
  size_t off = 0;
  while (off < n) {
    ssize_t w = ::write(fd, buf + off, n - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    off += static_cast<size_t>(w);
  }
}

}  // namespace nucleus
