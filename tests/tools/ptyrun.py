#!/usr/bin/python3
"""ptyrun: run a full-screen command on a pseudo-terminal (TERM=xterm),
answer it, and say how it left the terminal.

  ptyrun.py MODE WAIT_FOR TIMEOUT COMMAND...

Waits until the output holds WAIT_FOR (the screen drawn), then
MODE "q" types q, MODE "term" sends SIGTERM; then waits for the command
to exit.  Prints, one per line: "status N" (or "status timeout" after
TIMEOUT seconds; the command is then killed), "echo on|off",
"icanon on|off" (the terminal's mode after it exited), "rmcup after the
screen yes|no" and "cnorm after the screen yes|no" (xterm's terminfo
strings: the screen and the cursor given back; curses ends with them and
rmkx, keypad mode off).
"""
import curses
import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time


def main():
    mode, wait_for, timeout = sys.argv[1], sys.argv[2].encode(), \
        float(sys.argv[3])
    cmd = sys.argv[4:]
    master, slave = os.openpty()
    # 100 x 30: wide enough for a worker's row.
    fcntl.ioctl(slave, termios.TIOCSWINSZ,
                bytes([30, 0, 100, 0, 0, 0, 0, 0]))
    env = dict(os.environ, TERM="xterm")

    def child():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                         env=env, preexec_fn=child, close_fds=True)
    out = b""
    sent = False
    deadline = time.monotonic() + timeout
    status = "timeout"
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.05)
        if r:
            try:
                out += os.read(master, 65536)
            except OSError:
                pass
        if not sent and wait_for in out:
            if mode == "q":
                os.write(master, b"q")
            else:
                p.send_signal(signal.SIGTERM)
            sent = True
        if p.poll() is not None:
            # What it wrote last.
            while select.select([master], [], [], 0.1)[0]:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            status = str(p.returncode)
            break
    if status == "timeout":
        p.kill()
        p.wait()
    attr = termios.tcgetattr(slave)
    curses.setupterm("xterm", sys.stdout.fileno() if sys.stdout.isatty()
                     else os.open(os.devnull, os.O_WRONLY))
    rmcup = curses.tigetstr("rmcup")
    cnorm = curses.tigetstr("cnorm")
    last = out.rfind(wait_for)
    print("status", status)
    print("echo", "on" if attr[3] & termios.ECHO else "off")
    print("icanon", "on" if attr[3] & termios.ICANON else "off")
    print("rmcup after the screen", "yes" if last >= 0 and
          out.find(rmcup, last) >= 0 else "no")
    print("cnorm after the screen", "yes" if last >= 0 and
          out.find(cnorm, last) >= 0 else "no")
    if os.environ.get("PTYRUN_DUMP"):
        sys.stderr.write(repr(out[-400:]) + "\n")


main()
