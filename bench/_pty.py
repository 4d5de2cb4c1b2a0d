"""Runs programs in a pseudo-terminal for bench/startup.mjs (python3's pty module: no extra package).

Usage: python3 bench/_pty.py '<json>' where the JSON says:
  {"mode": "startup", "runs": N, "rows": R, "columns": C, "timeout": S,
   "subjects": [{"name": ..., "argv": [...], "env": {...}, "marker": "regex or null (EOF)", "quit": "q"}]}
    -> {"name": [ms, ...], ...}: time from just before fork+exec to the first output
       (colour stripped) matching the marker, or to EOF; subjects alternate run by run.
  {"mode": "soak", "argv": [...], "env": {...}, "rows": R, "columns": C, "marker": "...",
   "keys": "l", "seconds": S, "sampleEvery": S, "snapshotsAt": [S, ...]}
    -> {"samples": [[seconds, rssKiB], ...], "snapshots": [seconds, ...], "exit": status}: RSS
       of the program while its output is drained (a full pty would stop it), keys sent once
       the marker showed, SIGUSR2 (a heap snapshot) at the times asked.
"""
import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]")


def spawn(argv, env, rows, columns):
    pid, fd = pty.fork()
    if pid == 0:
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        os.execvpe(argv[0], argv, env)
    return pid, fd


def read_until(fd, marker, timeout):
    """Seconds until the marker shows (or EOF when marker is None); None on time-out."""
    start = time.perf_counter()
    seen = b""
    pattern = re.compile(marker.encode()) if marker else None
    while True:
        left = timeout - (time.perf_counter() - start)
        if left <= 0:
            return None, seen
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            return (time.perf_counter() if pattern is None else None), seen
        seen += chunk
        if pattern is not None and pattern.search(ANSI.sub(b"", seen)):
            return time.perf_counter(), seen


def finish(pid, fd, quit_keys, timeout=10):
    if quit_keys:
        try:
            os.write(fd, quit_keys.encode())
        except OSError:
            pass
    end = time.time() + timeout
    status = None
    while time.time() < end:
        try:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                os.read(fd, 65536)
        except OSError:
            pass
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(st)
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, st = os.waitpid(pid, 0)
        status = os.waitstatus_to_exitcode(st)
    try:
        os.close(fd)
    except OSError:
        pass
    return status


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def startup(cfg):
    out = {s["name"]: [] for s in cfg["subjects"]}
    for _ in range(cfg["runs"]):
        for s in cfg["subjects"]:
            t0 = time.perf_counter()
            pid, fd = spawn(s["argv"], s["env"], cfg["rows"], cfg["columns"])
            t, seen = read_until(fd, s.get("marker"), cfg["timeout"])
            status = finish(pid, fd, s.get("quit"))
            if t is None:
                sys.stderr.write(f"{s['name']}: no first frame within {cfg['timeout']} s; output:\n{ANSI.sub(b'', seen)[-2000:].decode(errors='replace')}\n")
                sys.exit(1)
            if s.get("marker") is None and status != 0:
                sys.stderr.write(f"{s['name']}: exit status {status}\n")
                sys.exit(1)
            out[s["name"]].append((t - t0) * 1000)
    return out


def soak(cfg):
    pid, fd = spawn(cfg["argv"], cfg["env"], cfg["rows"], cfg["columns"])
    t, seen = read_until(fd, cfg["marker"], 60)
    if t is None:
        finish(pid, fd, None)
        sys.stderr.write(f"no main screen; output:\n{ANSI.sub(b'', seen)[-2000:].decode(errors='replace')}\n")
        sys.exit(1)
    os.write(fd, cfg["keys"].encode())
    samples = []
    start = time.time()
    next_sample = start
    snapshots = list(cfg.get("snapshotsAt", []))
    taken = []
    tail = b""
    while True:
        now = time.time()
        if snapshots and now - start >= snapshots[0]:
            # The program writes a heap snapshot (after a full GC) on SIGUSR2 (--heapsnapshot-signal).
            os.kill(pid, signal.SIGUSR2)
            taken.append(round(now - start, 1))
            snapshots.pop(0)
        if now >= next_sample:
            rss = rss_kib(pid)
            if rss is None:
                break
            samples.append([round(now - start, 1), rss])
            next_sample += cfg["sampleEvery"]
            if now - start >= cfg["seconds"]:
                break
        ready, _, _ = select.select([fd], [], [], max(0.0, min(1.0, next_sample - time.time())))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            tail = (tail + chunk)[-20000:]
    screen = ANSI.sub(b"", tail).decode(errors="replace")
    status = finish(pid, fd, "q")
    return {"samples": samples, "snapshots": taken, "exit": status, "lastOutput": screen[-8000:]}


def main():
    cfg = json.loads(sys.argv[1])
    result = startup(cfg) if cfg["mode"] == "startup" else soak(cfg)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
