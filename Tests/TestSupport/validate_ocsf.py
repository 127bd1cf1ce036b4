"""Validates OCSF event files (findings.ocsf.json: a JSON array of events) with py-ocsf-models,
the models Prowler publishes on PyPI: every event must validate as a DetectionFinding, and every
attribute it carries must be one the model knows (pydantic ignores unknown ones by default).

usage: validate_ocsf.py FILE...
prints: FAIL <file> #<event>: <problem> per problem, then OK <events> <ocsf version>
exit:   0 all valid, 1 problems, 2 the validator cannot run (py-ocsf-models missing)
"""
import json
import sys

try:
    from py_ocsf_models import OCSF_VERSION
    from py_ocsf_models.events.findings.detection_finding import DetectionFinding
    from pydantic import ValidationError
except ImportError as error:
    print(f"py-ocsf-models is not installed: {error}", file=sys.stderr)
    sys.exit(2)


def unknown(data, dumped, path):
    """Keys in `data` that the validated model does not have."""
    problems = []
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(dumped, dict) or key not in dumped:
                problems.append(f"{path}/{key}: not an attribute of the model")
            else:
                problems += unknown(value, dumped[key], f"{path}/{key}")
    elif isinstance(data, list) and isinstance(dumped, list):
        for index, (item, dumped_item) in enumerate(zip(data, dumped)):
            problems += unknown(item, dumped_item, f"{path}/{index}")
    return problems


failures = 0
events = 0
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as file:
        document = json.load(file)
    if not isinstance(document, list):
        print(f"FAIL {name}: not a JSON array of events")
        failures += 1
        continue
    for index, event in enumerate(document):
        events += 1
        try:
            model = DetectionFinding.model_validate(event)
        except ValidationError as error:
            print(f"FAIL {name} #{index}: " + "; ".join(f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
            failures += 1
            continue
        if event.get("metadata", {}).get("version") != OCSF_VERSION:
            print(f"FAIL {name} #{index}: metadata/version is not {OCSF_VERSION}")
            failures += 1
        for problem in unknown(event, model.model_dump(), ""):
            print(f"FAIL {name} #{index}: {problem}")
            failures += 1
print(f"OK {events} {OCSF_VERSION}")
sys.exit(1 if failures else 0)
