#!/usr/bin/env python3
"""Reads back the Security Hub findings a test's runs imported, with boto3 (the reference client).

  security_hub.py findings      every finding, all pages (GetFindings, no filter: moto ignores
                                them); one JSON line each {"Id", "RecordState", "Workflow",
                                "CreatedAt", "UpdatedAt", "ProductArn", "Severity", "Note",
                                "NoteBy"} (Note: the note's text, NoteBy: its UpdatedBy)

Aimed at moto through AWS_ENDPOINT_URL; never at real AWS.
"""
import json
import os
import sys

import boto3

endpoint = os.environ["AWS_ENDPOINT_URL"]
assert endpoint.startswith("http://127.0.0.1:"), "fixtures run against a loopback moto only"
hub = boto3.client("securityhub", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"))

if __name__ == "__main__":
    if sys.argv[1:] != ["findings"]:
        sys.exit("usage: security_hub.py findings")
    for page in hub.get_paginator("get_findings").paginate(PaginationConfig={"PageSize": 50}):
        for finding in page["Findings"]:
            print(json.dumps({"Id": finding["Id"], "RecordState": finding.get("RecordState"),
                              "Workflow": finding.get("Workflow", {}).get("Status"), "CreatedAt": finding["CreatedAt"],
                              "UpdatedAt": finding["UpdatedAt"], "ProductArn": finding["ProductArn"],
                              "Severity": finding["Severity"].get("Label"), "Note": finding.get("Note", {}).get("Text"),
                              "NoteBy": finding.get("Note", {}).get("UpdatedBy")}))
