#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal (its standard input, output and error), typing answers at
its prompts, as a person at a terminal would.

Usage: pty_run.py COMMAND [ARG...] < answers
Each line of standard input is one answer, typed (with Enter) once the terminal's output, since
the last answer, ends in a prompt (text ending with ':' and a space). Prints everything the
terminal showed, then exits with the command's exit code. A command that neither ends nor asks
within 120 s is killed (exit 124): a safety net, not a measure.
"""
import os
import pty
import select
import signal
import sys
import time

answers = sys.stdin.read().splitlines()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

shown = b""
since_answer = b""
deadline = time.monotonic() + 120
while True:
    if time.monotonic() > deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.write(shown.decode("utf-8", "replace"))
        sys.exit(124)
    ready, _, _ = select.select([fd], [], [], 0.5)
    if ready:
        try:
            data = os.read(fd, 4096)
        except OSError:  # EIO: the command closed the terminal (it ended)
            data = b""
        if not data:
            break
        shown += data
        since_answer += data
    if answers and since_answer.endswith(b": "):
        os.write(fd, answers.pop(0).encode() + b"\n")
        since_answer = b""

_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
