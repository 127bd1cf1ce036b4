#!/usr/bin/env python3
"""Runs a test helper server so that it never outlives the test process.

    supervise.py COMMAND [ARGS...]

- Unblocks every signal first (the Swift test process blocks SIGTERM, and children inherit the
  mask), so the helper can be stopped with SIGTERM.
- Forwards SIGTERM/SIGINT to the helper, waits up to 10 s, then kills it.
- Watches the parent *process* (not the spawning thread, as PR_SET_PDEATHSIG would): when the
  test process is gone, the helper is stopped.
"""
import os
import signal
import subprocess
import sys
import time

signal.pthread_sigmask(signal.SIG_SETMASK, [])
parent = os.getppid()
child = subprocess.Popen(sys.argv[1:])


def stop(*_):
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while child.poll() is None:
    if os.getppid() != parent:
        stop()
    time.sleep(0.25)
sys.exit(child.returncode)
