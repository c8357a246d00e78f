#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, as if typed in an interactive shell, and presses
Ctrl-C on that terminal once PATTERN has appeared in its output.

usage: ctrl_c.py LOG PATTERN PRESSES COMMAND...

The command's output goes to LOG. PRESSES Ctrl-Cs are typed 0.2 s apart. Exits with the command's
status (128+N for a death by signal N); 124 when PATTERN did not appear or the command did not end
within 120 s each (the command's process group is then killed)."""
import os
import pty
import re
import select
import signal
import sys
import time


def main():
    log_path, pattern, presses, command = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    pid, terminal = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b""
    with open(log_path, "wb") as log:

        def pump(seconds, until=None):
            nonlocal output
            end = time.time() + seconds
            while time.time() < end:
                ready, _, _ = select.select([terminal], [], [], 0.1)
                if ready:
                    try:
                        data = os.read(terminal, 65536)
                    except OSError:  # the command and its terminal are gone
                        return False
                    if not data:
                        return False
                    output += data
                    log.write(data)
                    log.flush()
                if until is not None and until():
                    return True
            return False

        if not pump(120, lambda: re.search(pattern.encode(), output) is not None):
            os.killpg(pid, signal.SIGKILL)
            sys.exit(124)
        for i in range(presses):
            if i:
                time.sleep(0.2)
            os.write(terminal, b"\x03")
        finished = []

        def ended():
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                finished.append(status)
            return bool(done)

        if not pump(120, ended) and not finished:
            try:
                done, status = os.waitpid(pid, 0)  # the terminal closed: the command is ending
                finished.append(status)
            except ChildProcessError:
                pass
        if not finished:
            os.killpg(pid, signal.SIGKILL)
            sys.exit(124)
        pump(0.5)  # the last words
    status = finished[0]
    sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


if __name__ == "__main__":
    main()
