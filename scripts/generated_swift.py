"""What the scripts/generate-*.py scripts share: a Swift file made from a source file of the
repository, written, or compared with what is there (--check)."""
import os
import sys


def raw_string_hashes(text):
    """The `#`s of a Swift raw string literal that can hold `text`: its delimiter must not occur
    in it (nor its escape, a backslash and the hashes)."""
    hashes = "#"
    while f'"{hashes}' in text or f"\\{hashes}" in text:
        hashes += "#"
    return hashes


def main(argv, usage, target, rendered, root):
    """Writes `rendered` to `target`; with --check writes nothing and exits 1 when they differ."""
    command = f"python3 {os.path.relpath(os.path.abspath(argv[0]), root)}"
    if argv[1:] == ["--check"]:
        try:
            with open(target, encoding="utf-8", newline="") as handle:
                current = handle.read()
        except FileNotFoundError:
            current = None
        if current != rendered:
            print(f"{os.path.relpath(target, root)} is stale: run {command}", file=sys.stderr)
            return 1
        return 0
    if argv[1:]:
        print(usage, file=sys.stderr)
        return 2
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(rendered)
    return 0
