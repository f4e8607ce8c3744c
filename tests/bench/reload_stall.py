#!/usr/bin/env python3
"""How late the master replaces a worker that dies during a reload.

As root (CAP_NET_ADMIN; a worker binds its queue without any iptables
rule): starts NFQD -c CONF (write one with tests/tools/bigconf.py, on
queues 30000+), and RUNS times: SIGHUP, AFTER seconds later SIGKILL one
worker, and the time until the master has forked its replacement (a new
child of the master, polled every millisecond) and until the reload is
logged done.  Then SIGTERM, and a check that no nfqd of CONF is left.

    tests/bench/reload_stall.py build/nfqd /tmp/big/nfqd.conf 5
"""
import os
import signal
import statistics
import subprocess
import sys
import time


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return {int(p) for p in f.read().split()}
    except OSError:
        return set()


def wait_for(cond, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.001)
    raise SystemExit("timed out waiting for " + what)


def main():
    nfqd, conf = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    after = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
    logpath = conf + ".log"
    log = open(logpath, "w")
    p = subprocess.Popen([nfqd, "-c", conf], stdout=log, stderr=log)
    text = lambda: open(logpath).read()
    try:
        wait_for(lambda: "started" in text() and len(children(p.pid)) >= 2,
                 120, "the start")
        late, done = [], []
        for r in range(runs):
            time.sleep(1.0)     # workers past the early-death back-off
            n0 = text().count("reloaded:")
            workers = sorted(children(p.pid))
            os.kill(p.pid, signal.SIGHUP)
            t_hup = time.monotonic()
            time.sleep(after)
            before = children(p.pid)
            os.kill(workers[0], signal.SIGKILL)
            t0 = time.monotonic()
            wall = time.strftime("%H:%M:%S", time.localtime()) + \
                ".%03d" % (time.time() % 1 * 1000)
            wait_for(lambda: children(p.pid) - before - {workers[0]}, 60,
                     "the replacement")
            late.append(time.monotonic() - t0)
            wait_for(lambda: text().count("reloaded:") > n0, 60,
                     "the reload")
            done.append(time.monotonic() - t_hup)
            print("run %d: killed pid %d at %s; replacement forked %.1f ms "
                  "after the kill; reload done %.2f s after SIGHUP"
                  % (r + 1, workers[0], wall, late[-1] * 1e3, done[-1]),
                  flush=True)
        print("median: replacement %.1f ms, reload %.2f s"
              % (statistics.median(late) * 1e3, statistics.median(done)))
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        left = subprocess.run(["pgrep", "-f", "nfqd -c " + conf], capture_output=True,
                              text=True).stdout.split()
        print("left after SIGTERM: %s" % (" ".join(left) or "none"))


if __name__ == "__main__":
    main()
