#!/usr/bin/env python3
"""Line coverage of Sources/ after `swift test --enable-code-coverage`, checked against floors.

Usage: scripts/coverage.py [--bin-path .build-coverage/debug] [--skip-html]

`make test` runs it after the tests. It merges the profiles the run left in <bin>/codecov/
(the test processes') and <bin>/codecov/children/ (every `uservault` and `uservault-bench`
the tests started: Tests/TestSupport/ChildCoverage.swift), then, with the toolchain's llvm-cov
over the test bundle and the `uservault` binary:
  - prints line coverage per module (Sources/<Module>/) and overall;
  - writes coverage/lcov.info and coverage/html/index.html (coverage/ is ignored by git);
  - compares each figure with its floor in scripts/coverage-floors.txt and exits 1, with one
    line per floor missed, when any is below (or a module has no floor).
Only Sources/ counts: not Tests/, Benchmarks/ or the dependencies' checkouts. The generated
Sources/HTTPAPI/OpenAPIDocument+JSON.swift (openapi.yaml as one string literal) is left out.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(ROOT, "Sources")
FLOORS = os.path.join(ROOT, "scripts", "coverage-floors.txt")
OUTPUT = os.path.join(ROOT, "coverage")
TEST_BUNDLE = "uservaultPackageTests.xctest"
BINARY = "uservault"
# Generated data, not code: one expression whose ~1,100 lines would count as covered or not all
# at once (and so hide or inflate HTTPAPI's real figure). A test already compares it with openapi.yaml.
EXCLUDED = [r"Sources/HTTPAPI/OpenAPIDocument\+JSON\.swift$"]


@dataclass
class Lines:
    count: int = 0
    covered: int = 0

    def add(self, other):
        self.count += other.count
        self.covered += other.covered

    @property
    def percent(self):
        return 100.0 * self.covered / self.count if self.count else 100.0


def tool(name):
    """The toolchain's own llvm tool: beside the `swift` that builds, else on PATH."""
    swift = shutil.which("swift")
    if swift:
        beside = os.path.join(os.path.dirname(os.path.realpath(swift)), name)
        if os.access(beside, os.X_OK):
            return beside
    found = shutil.which(name)
    if not found:
        sys.exit(f"coverage: {name} not found (it comes with the Swift toolchain)")
    return found


def profiles(bin_path):
    """The .profraw files of the run: the test processes' and their children's."""
    folder = os.path.join(bin_path, "codecov")
    found = []
    for where in (folder, os.path.join(folder, "children")):
        if os.path.isdir(where):
            found += [os.path.join(where, name) for name in sorted(os.listdir(where)) if name.endswith(".profraw")]
    return found


def merge(raw_files, profdata):
    """One profile out of all; a file that a killed child left short is skipped with a warning."""
    listing = profdata + ".inputs"
    with open(listing, "w", encoding="utf-8") as handle:
        handle.write("\n".join(raw_files) + "\n")
    run = subprocess.run([tool("llvm-profdata"), "merge", "-sparse", "--failure-mode=all",
                          f"--input-files={listing}", "-o", profdata], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"coverage: llvm-profdata merge failed:\n{run.stderr}")
    skipped = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    for line in skipped:
        print(f"coverage: {line}", file=sys.stderr)
    return len(skipped)


def llvm_cov(command, profdata, objects, extra):
    arguments = [tool("llvm-cov"), command, f"-instr-profile={profdata}", objects[0]]
    for other in objects[1:]:
        arguments += ["-object", other]
    arguments += [f"-ignore-filename-regex={pattern}" for pattern in EXCLUDED]
    return arguments + extra + [SOURCES]


def module_lines(summary):
    """Per module (the folder under Sources/), the line counts of its files."""
    modules = {}
    for data in summary["data"]:
        for entry in data["files"]:
            relative = os.path.relpath(entry["filename"], SOURCES)
            module = relative.split(os.sep)[0]
            lines = entry["summary"]["lines"]
            modules.setdefault(module, Lines()).add(Lines(lines["count"], lines["covered"]))
    return modules


def read_floors(path):
    """`NAME PERCENT` a line (NAME a module or `overall`); `#` starts a comment."""
    floors = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if len(words) != 2:
                sys.exit(f"coverage: {path}:{number}: expected 'NAME PERCENT', got {line.strip()!r}")
            floors[words[0]] = float(words[1])
    return floors


def table(modules, total, floors):
    rows = [("module", "lines", "covered", "missed", "cover", "floor")]
    for name in sorted(modules, key=str.lower):
        lines = modules[name]
        rows.append((name, lines.count, lines.covered, lines.count - lines.covered, f"{lines.percent:.1f}%",
                     f"{floors[name]:.1f}%" if name in floors else "-"))
    rows.append(("overall", total.count, total.covered, total.count - total.covered, f"{total.percent:.1f}%",
                 f"{floors['overall']:.1f}%" if "overall" in floors else "-"))
    widths = [max(len(str(row[column])) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        if index == len(rows) - 1:
            print("  ".join("-" * width for width in widths))
        cells = [str(cell).ljust(widths[0]) if column == 0 else str(cell).rjust(widths[column])
                 for column, cell in enumerate(row)]
        print("  ".join(cells))


def failures(modules, total, floors):
    """One line per floor missed, and per module without a floor or floor without a module."""
    problems = []
    measured = dict(modules, overall=total)
    for name, lines in sorted(measured.items()):
        if name not in floors:
            problems.append(f"{name}: no floor in {os.path.relpath(FLOORS, ROOT)} (measured {lines.percent:.1f}%)")
        elif lines.percent < floors[name]:
            problems.append(f"{name}: {lines.percent:.1f}% of lines, below its floor of {floors[name]:.1f}% "
                            f"by {floors[name] - lines.percent:.1f} points ({lines.count - lines.covered} lines missed)")
    for name in sorted(set(floors) - set(measured)):
        problems.append(f"{name}: a floor in {os.path.relpath(FLOORS, ROOT)} but no such module under Sources/")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-path", default=os.path.join(ROOT, ".build-coverage", "debug"))
    parser.add_argument("--skip-html", action="store_true", help="no coverage/html (faster)")
    options = parser.parse_args()

    objects = [os.path.join(options.bin_path, TEST_BUNDLE), os.path.join(options.bin_path, BINARY)]
    for path in objects:
        if not os.path.exists(path):
            sys.exit(f"coverage: {path} is missing: run make test (swift build --build-tests --enable-code-coverage)")
    raw_files = profiles(options.bin_path)
    if not raw_files:
        sys.exit(f"coverage: no profiles in {options.bin_path}/codecov: run swift test --enable-code-coverage first")
    os.makedirs(OUTPUT, exist_ok=True)
    profdata = os.path.join(OUTPUT, "uservault.profdata")
    skipped = merge(raw_files, profdata)

    summary = json.loads(subprocess.run(llvm_cov("export", profdata, objects, ["-summary-only"]),
                                        capture_output=True, text=True, check=True).stdout)
    with open(os.path.join(OUTPUT, "lcov.info"), "w", encoding="utf-8") as lcov:
        subprocess.run(llvm_cov("export", profdata, objects, ["-format=lcov"]), stdout=lcov, check=True)
    if not options.skip_html:
        html = os.path.join(OUTPUT, "html")
        shutil.rmtree(html, ignore_errors=True)
        subprocess.run(llvm_cov("show", profdata, objects, ["-format=html", f"-output-dir={html}",
                                                            "-show-line-counts-or-regions",
                                                            "-project-title=UserVault (Sources/)"]),
                       check=True)

    modules = module_lines(summary)
    total = Lines()
    for lines in modules.values():
        total.add(lines)
    floors = read_floors(FLOORS)
    print(f"\nLine coverage of Sources/ ({len(raw_files)} profiles, {skipped} unreadable skipped; "
          f"report: coverage/html/index.html, coverage/lcov.info)")
    table(modules, total, floors)
    problems = failures(modules, total, floors)
    for problem in problems:
        print(f"coverage FAILED: {problem}")
    if problems:
        print(f"coverage: {len(problems)} floor(s) missed: scripts/coverage-floors.txt holds the floors")
        return 1
    print("coverage: every floor met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
