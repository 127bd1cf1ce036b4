#!/usr/bin/env python3
"""Summarises the sanitizer reports that a `make sanitize` run left in its log folder.

    scripts/sanitizers/summarize.py LOG_DIR

Every process of the run (the test bundle and each `uservault` child) writes its reports to
LOG_DIR/<tsan|asan>.<executable>.<pid> (the `log_path` and `log_exe_name` options). This reads
them all, splits them into reports (a ThreadSanitizer warning, an AddressSanitizer error, one
LeakSanitizer leak), groups equal reports (the same kind and the same top frames of each stack),
and prints one entry a group: the kind, how many reports, from which executables and pids, the
frames, and the first report's SUMMARY line. Exit status 1 when there is any report, else 0.
"""
import collections
import os
import re
import shutil
import subprocess
import sys

TOP_FRAMES = 4
HEADER = re.compile(r"(WARNING: ThreadSanitizer: .*?|ERROR: AddressSanitizer: .*?|ERROR: LeakSanitizer: .*?)"
                    r"( \(pid=\d+\)| on address .*| on unknown address .*)?$")
LEAK = re.compile(r"^(Direct|Indirect) leak of \d+ byte\(s\) in \d+ object\(s\) allocated from:")
FRAME = re.compile(r"^\s+#(\d+) (?:0x[0-9a-f]+ in )?(.*)$")
# Frames of the allocator and of the sanitizer runtime say nothing about who leaked or raced.
RUNTIME = re.compile(r"^(malloc|calloc|realloc|posix_memalign|aligned_alloc|operator new|__interceptor_|"
                     r"__sanitizer|__tsan|__asan|swift_slowAlloc|swift_allocObject|swift_allocBox|"
                     r"swift::swift_slowAlloc|strdup)")


def demangle(names):
    """Swift symbols readable (`swift demangle --simplified`), when the tool is there."""
    tool = shutil.which("swift-demangle")
    if not tool or not names:
        return names
    done = subprocess.run([tool, "--simplified", "--compact"], input="\n".join(names), capture_output=True,
                          text=True, check=False)
    lines = done.stdout.split("\n")
    return lines[:len(names)] if done.returncode == 0 and len(lines) >= len(names) else names


def split_reports(text):
    """Yields (kind, lines) for each report in one log file."""
    current = None
    for line in text.splitlines():
        bare = re.sub(r"^==\d+==", "", line)
        header = HEADER.search(bare)
        if header and "LeakSanitizer: detected memory leaks" not in bare:
            if current:
                yield current
            current = (header.group(1).replace("WARNING: ", "").replace("ERROR: ", ""), [bare])
            continue
        leak = LEAK.match(bare)
        if leak:
            if current:
                yield current
            current = ("LeakSanitizer: %s leak" % leak.group(1).lower(), [bare])
            continue
        if bare.startswith("SUMMARY:") and current and not current[0].startswith("LeakSanitizer"):
            current[1].append(bare)
            yield current
            current = None
            continue
        if current:
            current[1].append(bare)
    if current:
        yield current


def parse_frame(text):
    """(function, location) of a frame's text after `#N [0x... in ]`."""
    text = re.sub(r" \(BuildId: [0-9a-f]+\)$", "", text)
    text = re.sub(r" \(\S+\+0x[0-9a-f]+\)$", "", text)
    function, _, location = text.rpartition(" ")
    if not function:
        return text, ""
    return function, location.replace(os.getcwd() + "/", "")


def stacks(lines):
    """The frames of each stack of a report, as lists of (function, location)."""
    result, stack = [], None
    for line in lines:
        frame = FRAME.match(line)
        if frame:
            if frame.group(1) == "0" or stack is None:
                stack = []
                result.append(stack)
            stack.append(parse_frame(frame.group(2).strip()))
        else:
            stack = None
    return result


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    folder = sys.argv[1]
    files = sorted(os.listdir(folder)) if os.path.isdir(folder) else []
    groups = collections.OrderedDict()
    for name in files:
        parts = name.split(".")
        pid = parts[-1]
        executable = ".".join(parts[1:-1]) or "?"
        with open(os.path.join(folder, name), errors="replace") as handle:
            text = handle.read()
        for kind, lines in split_reports(text):
            top = [[f for f in stack if not RUNTIME.match(f[0])][:TOP_FRAMES] for stack in stacks(lines)[:2]]
            key = (kind, tuple(tuple(function for function, _ in stack) for stack in top))
            group = groups.setdefault(key, {"count": 0, "where": collections.Counter(), "pids": set(), "top": top,
                                            "summary": next((l for l in lines if l.startswith("SUMMARY:")), ""),
                                            "first": name})
            group["count"] += 1
            group["where"][executable] += 1
            group["pids"].add(pid)
    if not groups:
        print("sanitizer reports: none (%d log files in %s)" % (len(files), folder))
        return 0
    total = sum(g["count"] for g in groups.values())
    print("sanitizer reports: %d, %d distinct (logs in %s)" % (total, len(groups), folder))
    for index, ((kind, _), group) in enumerate(groups.items(), 1):
        where = ", ".join("%s x%d" % item for item in sorted(group["where"].items()))
        print("\n%d. %s: %d report(s) from %s (%d process(es); first in %s)"
              % (index, kind, group["count"], where, len(group["pids"]), group["first"]))
        for number, stack in enumerate(group["top"]):
            print("   stack %d:" % (number + 1))
            for function, location in zip(demangle([f for f, _ in stack]), [l for _, l in stack]):
                print("     %s  %s" % (function[:160], location))
        if group["summary"]:
            print("   " + group["summary"].replace(os.getcwd() + "/", "")[:300])
    return 1


if __name__ == "__main__":
    sys.exit(main())
