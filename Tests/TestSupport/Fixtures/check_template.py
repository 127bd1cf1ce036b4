#!/usr/bin/env python3
"""Checks jobs/template.yaml's IAM promises (issue #6), reading it with cfn-lint's own loader:

- the API role reads the table (GetItem, Query, Scan, BatchGetItem) only under a
  dynamodb:Attributes allow-list, and `credentials` is not on it;
- the job role has no kms:Decrypt (nor kms:*), and every kms:ReEncrypt* it may call is
  conditioned on kms:ReEncryptOnSameKey = true;
- the repair role has no kms:Decrypt (nor kms:*), and every KMS action on existing keys it may
  call is conditioned on the per-user tag (aws:ResourceTag/CreatedBy present);
- the job role may securityhub:BatchImportFindings into the account's default product only, and
  securityhub:GetFindings and securityhub:BatchUpdateFindings on its hub only: no other Security
  Hub action, nor on anything else; and it has all three (accepted findings are SUPPRESSED with
  BatchUpdateFindings, issue #24);
- the repair role can run rotate-keys --mode prune-orphans: it may scan the table, re-read a
  user, list keys by tag, describe keys and schedule their deletion (on per-user keys only, as
  above).
- point-in-time exports (issue #25): the table has point-in-time recovery on; the job role may
  dynamodb:ExportTableToPointInTime and dynamodb:DescribeContinuousBackups on the table and
  dynamodb:DescribeExport on the table's exports, each on exactly that and nothing more, and
  the S3 actions it has on the bucket are each on one of its prefixes (reports/, exports/,
  checkpoints/, staging/, config/), never on the whole bucket; on staging/ read and write only,
  on config/ read only;
- the continuous proofs (issue #26): the table's stream is KEYS_ONLY; the stream function's event
  source mapping reads it with ReportBatchItemFailures, BisectBatchOnFunctionError, bounded
  MaximumRetryAttempts and MaximumRecordAgeInSeconds, and an SQS on-failure destination; the
  key-events function gets the KMS API calls (one rule) and the DeleteKey service event (a rule of
  its own) and KMS's own deletion and rotation events; alarms watch the on-failure queue's depth
  and the stream's iterator age; the stream and key-event roles never write the table, cannot
  Decrypt, ReEncrypt only on the same key and publish findings as the job role does;
- accepted findings (issues #24, #26): the job, stream and key-events functions get
  USERVAULT_SUPPRESSIONS, their roles may read config/ (read only; the only S3 the continuous
  proofs have) and securityhub:BatchUpdateFindings.

Usage: check_template.py TEMPLATE. Prints one line per broken promise; exit 1 if any.
"""
import sys

from cfnlint.decode import cfn_yaml

# KMS actions that name no existing key (or are S3's, through kms:ViaService).
KEYLESS = {"kms:CreateKey", "kms:ListKeys", "kms:GenerateDataKey"}
READS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:*"}


def statements(template, role):
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"]
            yield statement, [actions] if isinstance(actions, str) else list(actions)


def same_key_reencrypt(statement, action):
    """The job role may ReEncrypt only to the same key: a proof, never a move."""
    if action.startswith("kms:ReEncrypt"):
        same = statement.get("Condition", {}).get("Bool", {}).get("kms:ReEncryptOnSameKey")
        if str(same).lower() != "true":
            return f"{action} without kms:ReEncryptOnSameKey"
    return None


def per_user_keys(statement, action):
    """The repair role touches only keys that carry (or are created with) the CreatedBy tag."""
    if action.startswith("kms:") and action not in KEYLESS:
        tagged = statement.get("Condition", {}).get("Null", {})
        if str(tagged.get("aws:ResourceTag/CreatedBy", tagged.get("aws:RequestTag/CreatedBy"))).lower() != "false":
            return f"{action} on keys without the CreatedBy tag"
    return None


# The Security Hub actions the job role may call, each on its one resource.
SECURITY_HUB = {
    "securityhub:BatchImportFindings": ":product/${AWS::AccountId}/default",
    "securityhub:GetFindings": ":hub/default",
    "securityhub:BatchUpdateFindings": ":hub/default",
}


def security_hub(statement, action):
    """The job role publishes into its own account's default product, and reads back from its hub."""
    if action.startswith("securityhub:"):
        resource = statement.get("Resource")
        text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
        expected = SECURITY_HUB.get(action)
        if expected is None or not isinstance(text, str) or not text.startswith("arn:${AWS::Partition}:securityhub:${AWS::Region}:${AWS::AccountId}:") \
                or not text.endswith(expected):
            return f"{action} beyond the account's default product and hub"
    return None


# What rotate-keys --mode prune-orphans calls, with the repair role.
PRUNE_ORPHANS = {"dynamodb:Scan", "dynamodb:GetItem", "tag:GetResources", "kms:DescribeKey", "kms:ScheduleKeyDeletion"}


def prune_orphans(template):
    granted = {action for statement, actions in statements(template, "RepairRole")
               if statement.get("Effect") == "Allow" for action in actions}
    return [f"RepairRole: cannot {action} (rotate-keys --mode prune-orphans)" for action in sorted(PRUNE_ORPHANS - granted)]


# The DynamoDB actions of point-in-time exports, each on its one resource (as the template writes it).
EXPORTS = {
    "dynamodb:ExportTableToPointInTime": "UsersTable.Arn",
    "dynamodb:DescribeContinuousBackups": "UsersTable.Arn",
    "dynamodb:DescribeExport": "${UsersTable.Arn}/export/*",
}
PREFIXES = ("reports/*", "exports/*", "checkpoints/*", "staging/*", "config/*")
STAGING_ACTIONS = {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"}


def resource_texts(statement):
    resources = statement.get("Resource")
    resources = resources if isinstance(resources, list) else [resources]
    texts = []
    for resource in resources:
        if isinstance(resource, dict):
            resource = resource.get("Fn::Sub") or ".".join(resource.get("Fn::GetAtt", [])) or str(resource)
        texts.append(str(resource))
    return texts


def point_in_time_exports(template):
    problems = []
    table = template["Resources"]["UsersTable"]["Properties"]
    if not table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
        problems.append("UsersTable: point-in-time recovery is off (export --as-of needs it)")
    granted = set()
    for statement, actions in statements(template, "JobRole"):
        if statement.get("Effect") != "Allow":
            continue
        texts = resource_texts(statement)
        for action in actions:
            if action in ("dynamodb:*", "s3:*"):
                problems.append(f"JobRole: may {action}")
            elif action in EXPORTS:
                granted.add(action)
                if texts != [EXPORTS[action]]:
                    problems.append(f"JobRole: {action} on {texts}, not on {EXPORTS[action]} alone")
            elif action == "s3:ListBucket":
                # Listing is of the bucket, narrowed to a prefix by its condition (--baseline auto).
                listed = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                listed = listed if isinstance(listed, list) else [listed]
                if texts != ["OutputBucket.Arn"] or not all(isinstance(p, str) and p.endswith(PREFIXES) for p in listed):
                    problems.append(f"JobRole: s3:ListBucket on {texts} for {listed}, beyond the bucket's prefixes")
            elif action.startswith("s3:"):
                for text in texts:
                    if not (text.startswith("${OutputBucket.Arn}/") and text.endswith(PREFIXES)):
                        problems.append(f"JobRole: {action} on {text}, beyond the bucket's prefixes")
                    elif text.endswith("staging/*") and action not in STAGING_ACTIONS:
                        problems.append(f"JobRole: {action} on the staging prefix (read and write only)")
                    elif text.endswith("config/*") and action != "s3:GetObject":
                        problems.append(f"JobRole: {action} on the config prefix (read only)")
    for action in sorted(set(EXPORTS) - granted):
        problems.append(f"JobRole: no {action} (export --as-of needs it)")
    return problems


# The KMS API calls the key-events function must receive (issue #26).
KMS_API_CALLS = {"DisableKey", "EnableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "PutKeyPolicy", "DisableKeyRotation",
                 "EnableKeyRotation", "TagResource", "UntagResource", "DeleteAlias"}
TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
                "dynamodb:TransactWriteItems", "dynamodb:*", "*"}


def ref(value):
    """The logical id a !Ref or !GetAtt names, or None."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return target[0] if isinstance(target, list) else str(target).split(".")[0]
    return None


def function_with_command(resources, command):
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::Lambda::Function" and \
                resource.get("Properties", {}).get("ImageConfig", {}).get("Command") == [command]:
            return name
    return None


def continuous_proofs(template):
    resources = template["Resources"]
    problems = []
    stream = resources.get("UsersTable", {}).get("Properties", {}).get("StreamSpecification", {})
    if stream.get("StreamViewType") != "KEYS_ONLY":
        problems.append("UsersTable: the stream is not KEYS_ONLY (credential ciphertext would leave the table through it)")
    stream_function = function_with_command(resources, "stream")
    key_function = function_with_command(resources, "key-events")
    if not stream_function:
        problems.append("no stream function (CMD stream)")
    if not key_function:
        problems.append("no key-events function (CMD key-events)")
    mappings = [(n, r.get("Properties", {})) for n, r in resources.items() if r.get("Type") == "AWS::Lambda::EventSourceMapping"
                and ref(r.get("Properties", {}).get("EventSourceArn")) == "UsersTable"]
    if not mappings:
        problems.append("no event source mapping on the table's stream")
    failure_queues = set()
    for name, mapping in mappings:
        if ref(mapping.get("FunctionName")) != stream_function:
            problems.append(f"{name}: the stream goes to {ref(mapping.get('FunctionName'))}, not the stream function")
        if "ReportBatchItemFailures" not in (mapping.get("FunctionResponseTypes") or []):
            problems.append(f"{name}: without FunctionResponseTypes ReportBatchItemFailures")
        if str(mapping.get("BisectBatchOnFunctionError")).lower() != "true":
            problems.append(f"{name}: without BisectBatchOnFunctionError")
        retries = mapping.get("MaximumRetryAttempts")
        if not isinstance(retries, int) or not 0 <= retries <= 10000:
            problems.append(f"{name}: MaximumRetryAttempts unbounded")
        age = mapping.get("MaximumRecordAgeInSeconds")
        if not isinstance(age, int) or not 60 <= age <= 604800:
            problems.append(f"{name}: MaximumRecordAgeInSeconds unbounded")
        queue = ref(mapping.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
        if resources.get(queue, {}).get("Type") != "AWS::SQS::Queue":
            problems.append(f"{name}: no SQS on-failure destination")
        else:
            failure_queues.add(queue)
            if queue == "KeyEventsFailureQueue":
                problems.append(f"{name}: the stream's failures go to the key events' queue")
    rules = [(n, r.get("Properties", {})) for n, r in resources.items() if r.get("Type") == "AWS::Events::Rule"]

    def targets_key_function(rule):
        return any(ref(target.get("Arn")) == key_function for target in rule.get("Targets", []))

    api_rules = [(n, r) for n, r in rules if "AWS API Call via CloudTrail" in r.get("EventPattern", {}).get("detail-type", [])]
    service_rules = [(n, r) for n, r in rules if "AWS Service Event via CloudTrail" in r.get("EventPattern", {}).get("detail-type", [])]
    own_rules = [(n, r) for n, r in rules if {"KMS CMK Deletion", "KMS CMK Rotation"} <= set(r.get("EventPattern", {}).get("detail-type", []))]
    names = set()
    for _, rule in api_rules:
        if targets_key_function(rule):
            names |= set(rule["EventPattern"].get("detail", {}).get("eventName", []))
    if not KMS_API_CALLS <= names:
        problems.append(f"no rule sends the KMS API calls {sorted(KMS_API_CALLS - names)} to the key-events function")
    if not any(targets_key_function(r) and "DeleteKey" in r["EventPattern"].get("detail", {}).get("eventName", [])
               and "AWS API Call via CloudTrail" not in r["EventPattern"].get("detail-type", []) for _, r in service_rules):
        problems.append("no rule of its own sends the DeleteKey service event to the key-events function")
    if not any(targets_key_function(r) for _, r in own_rules):
        problems.append("no rule sends KMS's own deletion and rotation events to the key-events function")
    alarms = [r.get("Properties", {}) for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
    for queue in failure_queues:
        if not any(a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
                   and any(ref(d.get("Value")) == queue for d in a.get("Dimensions", [])) for a in alarms):
            problems.append(f"no alarm on the depth of {queue}")
    if not any(a.get("MetricName") == "IteratorAge" and any(ref(d.get("Value")) == stream_function for d in a.get("Dimensions", []))
               for a in alarms):
        problems.append("no alarm on the stream function's iterator age")
    for function in (stream_function, key_function):
        role = ref(resources.get(function, {}).get("Properties", {}).get("Role"))
        if not role:
            continue
        for statement, actions in statements(template, role):
            if statement.get("Effect") != "Allow":
                continue
            for action in actions:
                if action in TABLE_WRITES:
                    problems.append(f"{role}: may {action} (the proofs never write the table)")
                elif action in ("kms:Decrypt", "kms:*"):
                    problems.append(f"{role}: may {action}")
                elif (problem := same_key_reencrypt(statement, action) or security_hub(statement, action)):
                    problems.append(f"{role}: {problem}")
    return problems


# The functions that apply accepted findings, and the roles they run as.
ACCEPTING_FUNCTIONS = ("JobFunction", "StreamFunction", "KeyEventsFunction")
CONFIG = "${OutputBucket.Arn}/config/*"


def accepted_findings(template):
    """The suppressions file reaches the nightly audit and both continuous proofs, whose roles may
    read it (config/, read only) and set the accepted findings SUPPRESSED (issues #24, #26)."""
    resources = template["Resources"]
    problems = []
    for function in ACCEPTING_FUNCTIONS:
        properties = resources.get(function, {}).get("Properties", {})
        if "USERVAULT_SUPPRESSIONS" not in properties.get("Environment", {}).get("Variables", {}):
            problems.append(f"{function}: no USERVAULT_SUPPRESSIONS (accepted findings would not apply)")
        role = ref(properties.get("Role"))
        if not role:
            continue
        reads = update = False
        for statement, actions in statements(template, role):
            if statement.get("Effect") != "Allow":
                continue
            texts = resource_texts(statement)
            for action in actions:
                if action == "securityhub:BatchUpdateFindings":
                    update = True
                elif action.startswith("s3:") and function != "JobFunction":
                    if action != "s3:GetObject" or texts != [CONFIG]:
                        problems.append(f"{role}: {action} on {texts} (the continuous proofs read config/ only)")
                    else:
                        reads = True
                elif action == "s3:GetObject" and CONFIG in texts:
                    reads = True
        if not reads:
            problems.append(f"{role}: cannot read the suppressions file (s3:GetObject on config/*)")
        if not update:
            problems.append(f"{role}: lacks securityhub:BatchUpdateFindings (accepted findings are set SUPPRESSED)")
    return problems


def main(path):
    template = cfn_yaml.load(path)
    problems = continuous_proofs(template)
    for statement, actions in statements(template, "ApiRole"):
        if statement.get("Effect") == "Allow" and READS & set(actions):
            allowed = statement.get("Condition", {}).get("ForAllValues:StringEquals", {}).get("dynamodb:Attributes")
            if not allowed:
                problems.append(f"ApiRole: {sorted(READS & set(actions))} without a dynamodb:Attributes allow-list")
            elif "credentials" in allowed:
                problems.append("ApiRole: credentials is on the attribute allow-list")
    granted = set()
    for role, rule in (("JobRole", same_key_reencrypt), ("RepairRole", per_user_keys)):
        for statement, actions in statements(template, role):
            if statement.get("Effect") != "Allow":
                continue
            for action in actions:
                if action in ("kms:Decrypt", "kms:*", "*"):
                    problems.append(f"{role}: may {action}")
                elif (problem := rule(statement, action) or security_hub(statement, action)):
                    problems.append(f"{role}: {problem}")
                elif role == "JobRole" and action in SECURITY_HUB:
                    granted.add(action)
    for action in sorted(set(SECURITY_HUB) - granted):
        problems.append(f"JobRole: lacks {action} (--publish-findings securityhub needs it)")
    problems += prune_orphans(template)
    problems += point_in_time_exports(template)
    problems += accepted_findings(template)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
