#!/usr/bin/env python3
"""A loopback Lambda Runtime API for jobs/check-image.sh: runs the function, feeds it events, checks answers.

    runtime-api-stand-in.py api|job --root DIR --log FILE [--users N] [--template FILE] -- COMMAND...

Listens on 127.0.0.1 (a free port), starts COMMAND with every `{api}` in it replaced by
`127.0.0.1:<port>` (the value for AWS_LAMBDA_RUNTIME_API; COMMAND's stdout and stderr go to
--log), serves the scenario's events one at a time through `GET .../invocation/next`, and checks
what the function posts back to `.../response`:

- api: an HTTP API (payload 2.0) POST /users is 201 with a Location, GET of it is 200 with the
  same id, GET /users lists it; the password appears in no response.
- job: an EventBridge "Scheduled Event" runs the nightly audit: complete, exit code 0, --users
  users verified, no finding, report.json written (under --root); the weekly export's input as
  the template passes it (--template): complete, --users users, the archive's SHA-256 as reported.

Exits 0 when every answer is as expected; else 1 with one line on stderr: an /error or
init/error post, a wrong answer, the function exiting (its loader or last log line), or no
answer within --timeout seconds for one invocation.
"""
import argparse
import hashlib
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"
PASSWORD = "check-image: correct horse battery staple"


class Failure(Exception):
    pass


class StandIn:
    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}
        self.answered = threading.Condition()
        self.init_error = None

    def answer(self, request_id, outcome):
        with self.answered:
            self.answers[request_id] = outcome
            self.answered.notify_all()

    def fail_init(self, outcome):
        with self.answered:
            self.init_error = outcome
            self.answered.notify_all()

    def invoke(self, event, process, timeout):
        """Queues one event; waits for its answer, the function's exit, or the timeout."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, json.dumps(event).encode()))
        deadline = time.monotonic() + timeout
        with self.answered:
            while request_id not in self.answers:
                if self.init_error:
                    raise Failure("init error: " + describe(self.init_error))
                if process.poll() is not None:
                    raise Failure(f"the function exited with status {process.returncode}")
                if time.monotonic() >= deadline:
                    raise Failure(f"no answer from the function within {timeout:g} s")
                self.answered.wait(0.2)  # woken by an answer; else checks the function and the clock again
            kind, error_type, body = self.answers.pop(request_id)
        if kind == "error":
            raise Failure("invocation error: " + describe((error_type, body)))
        return json.loads(body)


def describe(outcome):
    error_type, body = outcome
    try:
        message = json.loads(body).get("errorMessage", "")
    except ValueError:
        message = body.decode(errors="replace")
    return f"{error_type}: {message}".strip()


def handler_class(stand_in):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body=b'{"status":"OK"}', headers=()):
            self.send_response(status)
            for name, value in [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers]:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path != PREFIX + "invocation/next":
                return self.reply(404)
            request_id, event = stand_in.events.get()  # the long poll
            deadline_ms = int((time.time() + 600) * 1000)
            self.reply(200, event, [
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:uservault"),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
            ])

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "Unknown")
            parts = self.path[len(PREFIX):].split("/") if self.path.startswith(PREFIX) else []
            if parts == ["init", "error"]:
                stand_in.fail_init((error_type, body))
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                stand_in.answer(parts[1], (parts[2], error_type, body))
            else:
                return self.reply(404)
            self.reply(202)

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the function hanging up (it exited, or was stopped): its outcome says more


def http_event(method, path, query="", body=None):
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": {"accept": "application/vnd.api+json", "content-type": "application/vnd.api+json"},
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
                           "requestId": str(uuid.uuid4()), "stage": "$default"},
        "isBase64Encoded": False, **({"body": body} if body is not None else {}),
    }


def expect(condition, message):
    if not condition:
        raise Failure(message)


def api_scenario(invoke, args):
    create = {"data": {"type": "users", "attributes": {
        "firstname": "Ada", "lastname": "Lovelace", "email": "ada@example.com", "username": "ada",
        "credentials": PASSWORD}}}
    created = invoke(http_event("POST", "/users", body=json.dumps(create)))
    expect(created.get("statusCode") == 201, f"POST /users answered {created.get('statusCode')}, not 201")
    location = (created.get("headers") or {}).get("Location", "")
    expect(location.startswith("/users/"), f"POST /users gave no Location (headers {created.get('headers')})")
    user_id = location.rsplit("/", 1)[1]
    fetched = invoke(http_event("GET", location))
    expect(fetched.get("statusCode") == 200, f"GET {location} answered {fetched.get('statusCode')}, not 200")
    expect(json.loads(fetched["body"])["data"]["id"] == user_id, f"GET {location} returned another user")
    listed = invoke(http_event("GET", "/users", query="page%5Bsize%5D=100"))
    expect(listed.get("statusCode") == 200, f"GET /users answered {listed.get('statusCode')}, not 200")
    expect(user_id in [user["id"] for user in json.loads(listed["body"])["data"]], "GET /users does not list the new user")
    for answer in (created, fetched, listed):
        expect(PASSWORD not in json.dumps(answer), "a response carries the password")
    return ["POST /users 201", f"GET {location} 200", "GET /users 200 (lists it)"]


def job_scenario(invoke, args):
    scheduled = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                 "account": "123456789012", "time": "2026-01-01T02:00:00Z", "region": "us-east-1",
                 "resources": ["arn:aws:events:us-east-1:123456789012:rule/nightly-audit"], "detail": {}}
    audit = invoke(scheduled)
    report = audit.get("report") or {}
    expect(audit.get("job") == "audit" and audit.get("complete") is True and audit.get("exitCode") == 0,
           f"the scheduled audit did not complete cleanly: {audit}")
    expect(report.get("complete") is True and report.get("users") == args.users == report.get("verified")
           and report.get("findings") == 0, f"the audit's report is not complete over {args.users} users: {report}")
    written = os.path.join(args.root, report["report"].lstrip("/"))
    expect(os.path.isfile(written) and json.load(open(written)).get("complete") is True, f"no complete {report['report']}")

    # The weekly export, with the input the template's schedule passes to the job function.
    inputs = [json.loads(match) for match in re.findall(r"^\s*Input: '(.*)'\s*$", open(args.template).read(), re.M)]
    weekly = next((event for event in inputs if event.get("job") == "export"), None)
    expect(weekly is not None, f"{args.template} has no export schedule input")
    export = invoke(weekly)
    archive = export.get("export") or {}
    expect(export.get("complete") is True and export.get("exitCode") == 0 and archive.get("users") == args.users,
           f"the export did not complete over {args.users} users: {export}")
    path = os.path.join(args.root, archive["output"].lstrip("/"))
    expect(os.path.isfile(path), f"no archive at {archive['output']}")
    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    expect(digest == archive.get("sha256"), f"{archive['output']}: SHA-256 {digest}, reported {archive.get('sha256')}")
    return [f"scheduled audit: complete, {report['users']} users verified, 0 findings, {report['report']}",
            f"weekly export: complete, {archive['users']} users, {archive['output']} ({archive.get('bytes')} bytes, SHA-256 checked)"]


def last_words(log):
    """The loader's complaint if there is one, else the log's last line."""
    try:
        lines = [line.strip() for line in open(log, errors="replace") if line.strip()]
    except OSError:
        return ""
    loader = [line for line in lines if "error while loading shared libraries" in line]
    return (loader or lines or [""])[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", choices=["api", "job"])
    parser.add_argument("--root", required=True, help="the function's root filesystem (for the files it writes)")
    parser.add_argument("--log", required=True, help="where the function's stdout and stderr go")
    parser.add_argument("--users", type=int, default=0, help="job: how many users the store holds")
    parser.add_argument("--template", default="jobs/template.yaml", help="job: the CloudFormation template")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to wait for each answer")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1:]
    if not command:
        parser.error("no function command after --")

    stand_in = StandIn()
    server = Server(("127.0.0.1", 0), handler_class(stand_in))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"127.0.0.1:{server.server_address[1]}"
    with open(args.log, "ab") as log:
        process = subprocess.Popen([part.replace("{api}", api) for part in command], stdout=log, stderr=log,
                                   stdin=subprocess.DEVNULL)
    scenario = api_scenario if args.scenario == "api" else job_scenario
    try:
        for line in scenario(lambda event: stand_in.invoke(event, process, args.timeout), args):
            print(f"  ok  {args.scenario}: {line}")
        return 0
    except Failure as failure:
        reason = str(failure)
        if reason.startswith("the function exited"):
            words = last_words(args.log)
            reason += f" ({words})" if words else ""
        print(f"{args.scenario} function: {reason}", file=sys.stderr)
        return 1
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
