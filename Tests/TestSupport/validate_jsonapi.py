#!/usr/bin/env python3
"""Validate JSON documents against the JSON:API 1.0 response schema.

Usage: validate_jsonapi.py SCHEMA DIR

Every *.json file in DIR (sorted by name) is validated with jsonschema-rs (module
`jsonschema_rs`). One line per problem, `FAIL <file>: <message>`, is printed on stdout.
Exit status: 0 when every document is valid, 1 when any is not, 2 on a usage or setup error.
"""
import json
import os
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: validate_jsonapi.py SCHEMA DIR", file=sys.stderr)
        return 2
    try:
        import jsonschema_rs
    except ImportError as error:
        print(f"jsonschema-rs is not installed (pip install jsonschema-rs): {error}", file=sys.stderr)
        return 2
    schema_path, directory = argv[1], argv[2]
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    validator = jsonschema_rs.validator_for(schema)

    failures = 0
    names = sorted(name for name in os.listdir(directory) if name.endswith(".json"))
    for name in names:
        path = os.path.join(directory, name)
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (ValueError, UnicodeDecodeError) as error:
            print(f"FAIL {name}: not JSON: {error}")
            failures += 1
            continue
        for error in validator.iter_errors(document):
            location = "/" + "/".join(str(part) for part in error.instance_path)
            print(f"FAIL {name}: at {location}: {error.message}")
            failures += 1
    print(f"checked {len(names)} document(s), {failures} failure(s)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
