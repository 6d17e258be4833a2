#!/usr/bin/env python3
"""tools/bench.py CONFIG.json: the measuring half of tools/bench (which builds and prepares).

CONFIG (written by tools/bench):
  startup:  [{"name", "argv", "base"?: "unshare"|"runsc"}]  one sandboxed /bin/true each
  rss:      [{"name", "argv", "kind": "foreground"|"monitor"}]  a 2 s sleep each
  parallel: {"nucleus": PATH, "root": STATE_ROOT, "counts": [1, 10, 50, 100]}
  runs, warmup, deadline_s

Three tables, in one run:
 1. Start-up: rounds interleave the commands (one run of each per round), so that a noisy VM
    slows every row alike; median, mean +- stddev, p10-p90 and ratios to unshare, to bwrap
    with the host root and (gVisor rows) to raw runsc. Every run has a deadline: a command
    past it is killed (its process group) and its row reports the failure, never a hang.
 2. Supervisor memory: the process that stays beside a running container (nucleus run in
    the foreground, the `run -d` monitor, runc/crun run, bwrap's parent): VmHWM (peak) and
    VmRSS (now) and RssAnon (its own pages; the rest is the binary's, shared by every copy)
    from /proc/PID/status, read while the container runs.
 3. Parallel start: N `nucleus run -d` at once (a 60 s sleep each), all must start; then one
    `rm -f` of all; nothing may be left (state entries, cgroups, processes). Prints the wall
    time and the time per container.
"""
import glob
import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

DEVNULL = os.open(os.devnull, os.O_RDWR)


def spawn(argv, err_fd=DEVNULL):
    return os.posix_spawnp(argv[0], argv, os.environ, setsid=True,
                           file_actions=[(os.POSIX_SPAWN_DUP2, DEVNULL, 0),
                                         (os.POSIX_SPAWN_DUP2, DEVNULL, 1),
                                         (os.POSIX_SPAWN_DUP2, err_fd, 2)])


def wait_deadline(pid, deadline_s):
    """Exit status of pid, or None after killing its process group at the deadline."""
    fd = os.pidfd_open(pid)
    try:
        p = select.poll()
        p.register(fd, select.POLLIN)
        if not p.poll(deadline_s * 1000):
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(pid, 0)
            return None
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    finally:
        os.close(fd)


def timed_run(argv, deadline_s):
    """(ms, None) or (None, why)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        pid = spawn(argv, err.fileno())
        code = wait_deadline(pid, deadline_s)
        ms = (time.perf_counter() - t0) * 1e3
        if code == 0:
            return ms, None
        err.seek(0)
        last = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
        why = f"timed out after {deadline_s} s" if code is None else f"exit {code}"
        return None, f"{why}: {last[0][:100]}"


def startup(cfg):
    rows = cfg["startup"]
    if not rows:
        return True
    times = {r["name"]: [] for r in rows}
    failed = {}
    for rnd in range(cfg["warmup"] + cfg["runs"]):
        for r in rows:
            if r["name"] in failed:
                continue
            ms, why = timed_run(r["argv"], cfg["deadline_s"])
            if why:
                failed[r["name"]] = why
            elif rnd >= cfg["warmup"]:
                times[r["name"]].append(ms)
    med = {n: statistics.median(t) for n, t in times.items() if t and n not in failed}
    unshare, bwrap_host, runsc = med.get("unshare"), med.get("bwrap (host root)"), med.get("runsc")
    width = max(len(r["name"]) for r in rows)
    print(f"Start-up of one /bin/true: {cfg['runs']} interleaved rounds after {cfg['warmup']}"
          f" warm-ups, deadline {cfg['deadline_s']} s per run")
    print(f"{'command':<{width}}  {'median':>7}  {'mean ± sd':>13}  {'p10-p90':>13}  "
          f"{'/unshare':>8}  {'/bwrap host':>11}  {'/runsc':>6}")

    def ratio(m, base):
        return f"{m / base:.2f}x" if base else "-"

    for r in rows:
        n = r["name"]
        if n in failed:
            print(f"{n:<{width}}  FAILED ({failed[n]})")
            continue
        t = sorted(times[n])
        m = med[n]
        sd = statistics.stdev(t) if len(t) > 1 else 0.0
        p10, p90 = t[len(t) // 10], t[(9 * len(t)) // 10]
        gv = ratio(m, runsc) if r.get("base") == "runsc" else "-"
        print(f"{n:<{width}}  {m:7.2f}  {statistics.mean(t):6.2f} ± {sd:4.2f}  "
              f"{p10:6.2f}-{p90:6.2f}  {ratio(m, unshare):>8}  {ratio(m, bwrap_host):>11}  {gv:>6}")
    print("(milliseconds)")
    return not failed


def descendants(pid):
    """Every process below pid (via /proc/*/stat ppid)."""
    children = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = open(stat).read()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(stat.split("/")[2]))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in children.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def comm(pid):
    try:
        return open(f"/proc/{pid}/comm").read().strip()
    except OSError:
        return ""


def status_kb(pid, key):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def supervisor_rss(cfg):
    if not cfg["rss"]:
        return True
    print("\nSupervisor memory while a container runs /bin/sleep (kB, /proc/PID/status; RssAnon:"
          " the process's own pages, the rest of VmRSS is its binary's, shared)")
    width = max(len(r["name"]) for r in cfg["rss"])
    print(f"{'supervisor':<{width}}  {'VmHWM':>6}  {'VmRSS':>6}  {'RssAnon':>7}  process")
    ok = True
    for r in cfg["rss"]:
        pid = spawn(r["argv"])
        sup, why = None, None
        deadline = time.monotonic() + cfg["deadline_s"]
        if r["kind"] == "monitor":
            # `run -d` returns once the container runs; the monitor is its init's parent.
            code = wait_deadline(pid, cfg["deadline_s"])
            info = subprocess.run(r["inspect"], capture_output=True, text=True,
                                  timeout=cfg["deadline_s"]) if code == 0 else None
            try:
                j = json.loads(info.stdout)
                init = (j[0] if isinstance(j, list) else j)["pid"]
                stat = open(f"/proc/{init}/stat").read()
                sup = int(stat[stat.rfind(")") + 2:].split()[1])
            except (AttributeError, ValueError, KeyError, IndexError, TypeError, OSError):
                why = f"run -d: exit {code}" if code != 0 else "inspect gave no running pid"
        else:
            sup = pid
            while time.monotonic() < deadline and not any(
                    comm(c) == "sleep" for c in descendants(pid)):
                time.sleep(0.02)
            if not any(comm(c) == "sleep" for c in descendants(pid)):
                why = "the container's sleep never ran"
        if sup is not None and why is None:
            time.sleep(0.2)  # settled: the container runs, the supervisor waits
            hwm, rss, anon = (status_kb(sup, k) for k in ("VmHWM", "VmRSS", "RssAnon"))
            print(f"{r['name']:<{width}}  {hwm:>6}  {rss:>6}  {anon:>7}  {comm(sup)} (pid {sup})")
        else:
            ok = False
            print(f"{r['name']:<{width}}  FAILED ({why or 'no supervisor found'})")
        if r["kind"] == "monitor":
            subprocess.run(r["cleanup"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=cfg["deadline_s"])
        elif wait_deadline(pid, cfg["deadline_s"]) is None:
            ok = False
    return ok


def parallel(cfg):
    p = cfg["parallel"]
    if not p["counts"]:
        return True
    nucleus, root = p["nucleus"], p["root"]
    print("\nParallel start: N `nucleus run -d` at once (/bin/sleep 60), then one `rm -f` of all")
    print(f"{'N':>4}  {'started':>7}  {'wall ms':>8}  {'ms/container':>12}  {'rm ms':>7}  left behind")
    ok = True
    for n in p["counts"]:
        names = [f"bench-par-{n}-{i}" for i in range(n)]
        t0 = time.perf_counter()
        pids = [spawn([nucleus, "--root", root, "run", "-d", "--name", name, "--",
                       "/bin/sleep", "60"]) for name in names]
        codes = [wait_deadline(pid, cfg["deadline_s"] * 6) for pid in pids]
        wall = (time.perf_counter() - t0) * 1e3
        started = sum(1 for c in codes if c == 0)
        t1 = time.perf_counter()
        rm = subprocess.run([nucleus, "--root", root, "rm", "-f"] + names,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            timeout=cfg["deadline_s"] * 6)
        rm_ms = (time.perf_counter() - t1) * 1e3
        left = []
        entries = [e for e in os.listdir(root) if e.startswith("bench-par-")]
        if entries:
            left.append(f"{len(entries)} state entries")
        groups = glob.glob("/sys/fs/cgroup/*/nucleus/bench-par-*") + glob.glob(
            "/sys/fs/cgroup/nucleus/bench-par-*")
        if groups:
            left.append(f"{len(groups)} cgroups")
        procs = []
        for q in glob.glob("/proc/[0-9]*/cmdline"):
            try:
                if "bench-par-" in open(q).read():
                    procs.append(q)
            except OSError:
                pass
        if procs:
            left.append(f"{len(procs)} processes")
        if rm.returncode != 0:
            left.append(f"rm -f: exit {rm.returncode}: {rm.stderr.strip()[:80]}")
        if started != n or left:
            ok = False
        print(f"{n:>4}  {started:>3}/{n:<3}  {wall:8.1f}  {wall / n:12.2f}  {rm_ms:7.1f}  "
              f"{', '.join(left) or 'nothing'}")
    return ok


def main():
    cfg = json.load(open(sys.argv[1]))
    ok = startup(cfg)
    ok = supervisor_rss(cfg) and ok
    ok = parallel(cfg) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
