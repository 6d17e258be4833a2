#!/usr/bin/env bash
# Installs every Debian 12 package that nucleus's build, tests, benchmarks and runtime need.
#
#   tools/setup.sh           install what is missing (root, or sudo); one line per action
#   tools/setup.sh --check   exit 0 when everything is present, 1 otherwise; prints nothing
#
# Idempotent and fast when there is nothing to do: one dpkg-query call, no apt-get.
# `apt-get update` runs only when a package is missing (a fresh image has no package lists).
set -euo pipefail

# Build: Bazel 4.2.3 in WORKSPACE mode, offline (WORKSPACE points rules_java at
# bazel-rules-java); g++ is the compiler Bazel autodetects.
build_pkgs=(
  bazel-bootstrap bazel-rules-java build-essential
  # Libraries //third_party wraps; nucleus links absl, glog+gflags, seccomp and cap
  # statically (the .a files come with these -dev packages) and libunwind dynamically.
  libabsl-dev libgoogle-glog-dev libgflags-dev libunwind-dev
  libseccomp-dev libcap-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev
  # --config=fuzz / --config=asan: clang 14 with libFuzzer and the sanitizer runtimes.
  clang libclang-rt-14-dev
  clang-format-14  # tools/lint: the tree stays formatted (.clang-format)
)
# Tests, tools/mkrootfs, tools/bench and the runtime's neighbours.
run_pkgs=(
  busybox-static  # tools/mkrootfs: a static busybox rootfs for tests and bench
  python3         # tools/bench.py (the timing), bundles' config.json
  runc bubblewrap crun # tools/bench: the runtimes nucleus is compared with
  runsc           # gVisor (Debian 12 has 0.0~20221219): the planned gvisor backend, `nucleus check`
  podman          # tests/podman: drives nucleus through the OCI runtime CLI (Debian 12: 4.3.1)
  containerd      # tests/containerd: ctr and the runc v2 shim drive nucleus (Debian 12: 1.6.20)
  python3-grpcio  # tests/containerd/update_task.py: containerd's Tasks.Update (ctr 1.6 has none)
  golang-go       # tools/oci-suite: builds the OCI runtime-tools validation suite (go 1.19)
  make            # tools/oci-suite: the suite's Makefile
  iproute2        # `ip`: network namespace tests
  util-linux      # unshare, nsenter, mount: tests and the bench baseline
  procps          # ps: the README quick start runs it inside the default sandbox
)
# runsc, podman, containerd, python3-grpcio and golang-go all exist in Debian 12 (bookworm/main, checked with apt-cache policy), so
# nothing is left out. Not a Debian package: nothing else.

# Files the static link needs (third_party/BUILD: -l:libglog.a, -l:libgflags.a, -lunwind, ...).
# A package can be "installed" with a file removed by hand; check the files themselves too.
link_files=(
  libglog.a libgflags.a libunwind.so libseccomp.a libcap.a
  libgtest.a libgmock.a libgtest_main.a libabsl_base.a libabsl_status.a
)

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) echo "usage: tools/setup.sh [--check]" >&2; exit 2 ;;
esac

say() { echo "setup: $*"; }

all_pkgs=("${build_pkgs[@]}" "${run_pkgs[@]}")

# One dpkg-query for all of them. Unknown packages go to stderr and count as missing.
missing_pkgs() {
  local -A ok=()
  local name status
  while read -r name status; do
    [[ "$status" == ii ]] && ok[$name]=1
  done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${all_pkgs[@]}" 2>/dev/null || true)
  local p
  for p in "${all_pkgs[@]}"; do
    [[ -n "${ok[$p]:-}" ]] || echo "$p"
  done
}

libdir_has() {
  local f=$1 d
  for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib/*-linux-gnu /usr/lib /usr/local/lib; do
    [[ -e "$d/$f" ]] && return 0
  done
  return 1
}

missing_files() {
  local f
  for f in "${link_files[@]}"; do libdir_has "$f" || echo "$f"; done
}

mapfile -t missing < <(missing_pkgs)
mapfile -t missing_libs < <(missing_files)

if ((${#missing[@]} == 0 && ${#missing_libs[@]} == 0)); then
  ((check_only)) || say "all ${#all_pkgs[@]} packages present, nothing to do"
  exit 0
fi
((check_only)) && exit 1

if ((${#missing_libs[@]} > 0)); then
  # The packages are installed but a file is gone: reinstall the -dev packages that own them.
  say "missing link libraries: ${missing_libs[*]} (reinstalling their -dev packages)"
fi

if [[ ! -r /etc/debian_version ]] || ! command -v apt-get >/dev/null; then
  say "error: not a Debian system; install by hand: ${missing[*]}" >&2
  exit 1
fi

sudo=()
if ((EUID != 0)); then
  if command -v sudo >/dev/null; then
    sudo=(sudo -n)
  else
    say "error: need root to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp /tmp/nucleus-setup.XXXXXX.log)
apt_opts=(-q -o Dpkg::Use-Pty=0 -o APT::Color=0)

((${#missing[@]} > 0)) && say "missing: ${missing[*]}"
say "apt-get update"
"${sudo[@]}" apt-get "${apt_opts[@]}" update >"$log" 2>&1 || {
  cat "$log" >&2
  say "error: apt-get update failed (log above)" >&2
  exit 1
}

install=("${missing[@]}")
reinstall=()
if ((${#missing_libs[@]} > 0)); then
  reinstall=(--reinstall libgoogle-glog-dev libgflags-dev libunwind-dev libseccomp-dev libcap-dev
             libgtest-dev libgmock-dev libabsl-dev)
fi
say "apt-get install $(echo ${install[*]} ${reinstall[*]})"
"${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends \
  "${install[@]}" "${reinstall[@]}" >>"$log" 2>&1 || {
  tail -n 40 "$log" >&2
  say "error: apt-get install failed (last lines of $log above)" >&2
  exit 1
}

mapfile -t still < <(missing_pkgs)
mapfile -t still_libs < <(missing_files)
if ((${#still[@]} > 0 || ${#still_libs[@]} > 0)); then
  say "error: still missing after install: ${still[*]} ${still_libs[*]}" >&2
  exit 1
fi
rm -f "$log"
say "done: all ${#all_pkgs[@]} packages present"
