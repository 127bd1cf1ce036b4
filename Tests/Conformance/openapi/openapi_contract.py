#!/usr/bin/env python3
"""Checks of openapi.yaml for OpenAPIDocumentTests and OpenAPIContractTests.

Usage:
  openapi_contract.py validate SPEC          openapi-spec-validator accepts SPEC (OpenAPI 3.1)
  openapi_contract.py same SPEC FILE...      every FILE (a GET /openapi.json body) is SPEC as JSON
  openapi_contract.py examples SPEC          every response example matches its own schema; prints
                                             the JSON:API ones as a JSON array on stdout

Exit status: 0 when the check holds, 1 when it does not (one `FAIL ...` line per problem on
stdout), 2 on a usage or setup error (a missing PyPI package: scripts/bootstrap.sh --test).
"""
import json
import sys

JSONAPI = "application/vnd.api+json"


def load(spec):
    import yaml

    with open(spec, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def validate(spec):
    from openapi_spec_validator import validate as validate_spec
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate_spec(load(spec))
    except OpenAPIValidationError as error:
        print(f"FAIL {spec}: {error.message} at /{'/'.join(str(part) for part in error.absolute_path)}")
        return 1
    return 0


def same(spec, files):
    expected = load(spec)
    failures = 0
    for name in files:
        with open(name, encoding="utf-8") as handle:
            try:
                served = json.load(handle)
            except ValueError as error:
                print(f"FAIL {name}: not JSON: {error}")
                failures += 1
                continue
        if served != expected:
            differing = sorted(key for key in set(served) | set(expected) if served.get(key) != expected.get(key))
            print(f"FAIL {name}: differs from openapi.yaml in {differing}; "
                  "run python3 scripts/generate-openapi-json.py and rebuild")
            failures += 1
    return 1 if failures else 0


def resolve(document, node):
    """A Reference Object's target (its summary/description siblings dropped), else the node."""
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def examples(spec):
    from jsonschema import Draft202012Validator

    document = load(spec)
    failures, documents = 0, []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                response = resolve(document, response)
                for media_type, media in response.get("content", {}).items():
                    # The schema's references resolve against a root that holds the components.
                    schema = {"components": document["components"], **media["schema"]}
                    validator = Draft202012Validator(schema)
                    for name, example in media.get("examples", {}).items():
                        value = resolve(document, example)["value"]
                        where = f"{method.upper()} {path} {status} {media_type} example '{name}'"
                        for error in validator.iter_errors(value):
                            print(f"FAIL {where}: {error.message}")
                            failures += 1
                        if media_type == JSONAPI:
                            documents.append({"where": where, "value": value})
    print(json.dumps(documents))
    return 1 if failures else 0


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "validate":
            return validate(argv[2])
        if len(argv) >= 4 and argv[1] == "same":
            return same(argv[2], argv[3:])
        if len(argv) == 3 and argv[1] == "examples":
            return examples(argv[2])
    except ImportError as error:
        print(f"a test tool is missing (run scripts/bootstrap.sh --test): {error}", file=sys.stderr)
        return 2
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
