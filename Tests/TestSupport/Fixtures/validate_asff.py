#!/usr/bin/env python3
"""Validates BatchImportFindings request bodies against botocore's model of the API (the
reference): every required ASFF field there, every field known, every type and length right.

  validate_asff.py FILE...   each FILE a request body {"Findings": [...]}; prints one line per
                             problem, exit 1 if any

Offline: botocore's bundled service model only, no request is sent.
"""
import json
import sys

import botocore.session
from botocore.validate import ParamValidator

model = botocore.session.get_session().get_service_model("securityhub")
shape = model.operation_model("BatchImportFindings").input_shape
problems = []
for path in sys.argv[1:]:
    with open(path) as file:
        report = ParamValidator().validate(json.load(file), shape)
    if report.has_errors():
        problems.append(f"{path}: {report.generate_report()}")
for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
