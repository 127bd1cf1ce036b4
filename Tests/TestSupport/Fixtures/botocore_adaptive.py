"""botocore's adaptive retry rate limiter, driven by a script: the reference for ours.

Reads {"start": t0, "steps": [...]} on stdin. A step is {"t": seconds, "event": "send"} (a request
asks for a token, never blocking) or {"t": seconds, "event": "answer", "status": int|null,
"code": str|null} (an answer reaches the limiter; no status means a connection error). Prints, per
step, a JSON object: for a send {"wait": null|seconds}, for an answer the limiter's state. The
limiter is wired by botocore's own adaptive.register_retry_handler, with a clock the script moves;
its state is read from botocore's private attributes (this is a test fixture, not an API).
"""
import json
import sys

from botocore.exceptions import CapacityNotAvailableError, EndpointConnectionError
from botocore.retries import adaptive, bucket


class ScriptedClock:
    now = 0.0

    def current_time(self):
        return ScriptedClock.now

    def sleep(self, amount):
        raise AssertionError("the reference never sleeps")


class Events:
    def __init__(self):
        self.handlers = {}

    def register(self, name, handler, **kwargs):
        self.handlers[name] = handler


class Response:
    def __init__(self, status):
        self.status_code = status
        self.headers = {}


def answer_kwargs(step):
    kwargs = {"attempts": 1, "operation": None, "request_dict": {"context": {}}, "caught_exception": None}
    status = step.get("status")
    if status is None:
        kwargs["response"] = None
        kwargs["caught_exception"] = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    elif 200 <= status < 300:
        kwargs["response"] = (Response(status), {"ResponseMetadata": {"HTTPStatusCode": status}})
    else:
        # botocore's JSON parser: the code, or the status when the body has none.
        code = step.get("code") or str(status)
        kwargs["response"] = (Response(status), {"Error": {"Code": code, "Message": ""},
                                                 "ResponseMetadata": {"HTTPStatusCode": status}})
    return kwargs


def main():
    script = json.load(sys.stdin)
    ScriptedClock.now = script["start"]
    bucket.Clock = ScriptedClock
    client = type("Client", (), {})()
    client.meta = type("Meta", (), {})()
    client.meta.events = Events()
    limiter = adaptive.register_retry_handler(client)
    detector = limiter._throttling_detector
    out = []
    for step in script["steps"]:
        ScriptedClock.now = step["t"]
        if step["event"] == "send":
            wait = None
            if limiter._enabled:
                try:
                    limiter._token_bucket.acquire(block=False)
                except CapacityNotAvailableError:
                    wait = limiter._token_bucket._sleep_amount(1)
            out.append({"wait": wait})
            continue
        kwargs = answer_kwargs(step)
        throttled = detector.is_throttling_error(**kwargs)
        client.meta.events.handlers["needs-retry"](**kwargs)
        tokens, cubic = limiter._token_bucket, limiter._rate_adjustor.get_params_snapshot()
        out.append({
            "throttled": throttled, "enabled": limiter._enabled,
            "measuredRate": limiter._rate_clocker.measured_rate,
            "fillRate": tokens.max_rate, "maxCapacity": tokens.max_capacity, "capacity": tokens.available_capacity,
            "lastMaxRate": cubic.w_max, "timeWindow": cubic.k, "lastThrottleTime": cubic.last_fail,
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
