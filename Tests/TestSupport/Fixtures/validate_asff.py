#!/usr/bin/env python3
"""Validates Security Hub request bodies against botocore's model of the API (the reference):
every required field there, every field known, every type and length right.

  validate_asff.py FILE...                            each FILE a BatchImportFindings body {"Findings": [...]}
  validate_asff.py --operation BatchUpdateFindings FILE...   each FILE that operation's body
                             prints one line per problem, exit 1 if any

Offline: botocore's bundled service model only, no request is sent.
"""
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

arguments = sys.argv[1:]
operation = "BatchImportFindings"
if arguments[:1] == ["--operation"]:
    operation, arguments = arguments[1], arguments[2:]
model = botocore.session.get_session().get_service_model("securityhub")
shape = model.operation_model(operation).input_shape
problems = []
for path in arguments:
    with open(path) as file:
        report = ParamValidator().validate(json.load(file), shape)
    if report.has_errors():
        problems.append(f"{path}: {report.generate_report()}")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
