#!/usr/bin/env python3
"""Open a local HTML page in headless Chromium and say what the browser saw.

Usage: render_page.py PAGE.html SCREENSHOT.png [HEIGHT]

Drives Debian's `chromium` over the DevTools protocol on a pipe (--remote-debugging-pipe: no
port, no websocket library). Prints one JSON object:
  requests   every request the page made or tried (URL), the page's own file:// load excepted
  console    console messages, uncaught exceptions, log entries and DevTools issues (CSP
             violations among them), each "<source> <level>: <text>"
  tiles      {data-tile: text of its .value} of the rendered DOM
  text       the body's rendered text (innerText)
  elements   counts of script, img, iframe, object, embed, link, form, style elements, and of
             elements with an on* attribute
  styleApplied  whether the page's style block was applied (its --uv-style custom property)
  svg        counts of the charts' bars (rect.open), trend dots (circle.dot.findings) and svg elements
  screenshot {width, height} of the full-page PNG written to SCREENSHOT.png (its top HEIGHT
             CSS pixels only, when given: the README's picture)
Chromium gets a fresh profile, no background networking and a host resolver that resolves
nothing, so nothing leaves the machine whatever the page asks. It dies with this process.
Exit 0 with the JSON; 1 with one line on stderr when the browser could not render the page.
"""
import base64
import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

WIDTH = 1280
# A guard against a browser that hangs, not a measure of speed: the test machine may be very busy.
HANG_GUARD_SECONDS = 600

EXTRACT = r"""
(() => {
  const count = (selector) => document.querySelectorAll(selector).length;
  const tiles = {};
  for (const tile of document.querySelectorAll('[data-tile]')) {
    const value = tile.querySelector('.value');
    tiles[tile.dataset.tile] = value ? value.textContent : null;
  }
  let handlers = 0;
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) { if (attribute.name.startsWith('on')) handlers++; }
  }
  return JSON.stringify({
    title: document.title,
    tiles,
    text: document.body ? document.body.innerText : '',
    elements: {script: count('script'), img: count('img'), iframe: count('iframe'), object: count('object'),
               embed: count('embed'), link: count('link'), form: count('form'), style: count('style'),
               onHandlers: handlers},
    styleApplied: getComputedStyle(document.documentElement).getPropertyValue('--uv-style').trim() === 'loaded',
    svg: {svg: count('svg'), bars: count('svg rect.open'), dots: count('svg circle.dot.findings')},
  });
})()
"""


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands in) and 4 (replies and events out)."""

    def __init__(self, profile, log):
        commands_r, commands_w = os.pipe()
        replies_r, replies_w = os.pipe()
        # Out of the way of 3 and 4, so the child's dup2 calls cannot clobber each other.
        commands_r, replies_w = (self._high(fd) for fd in (commands_r, replies_w))

        def child_setup():
            os.dup2(commands_r, 3)
            os.dup2(replies_w, 4)
            # The test process blocks signals its children inherit; and the browser dies with us.
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

        executable = shutil.which("chromium") or shutil.which("chromium-browser")
        if executable is None:
            raise RuntimeError("chromium is not installed (scripts/bootstrap.sh --test installs it)")
        arguments = [
            executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            f"--user-data-dir={profile}", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-breakpad",
            "--no-pings", "--metrics-recording-only", "--password-store=basic", "--mute-audio", "--hide-scrollbars",
            "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={WIDTH},900", "about:blank",
        ]
        self.process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        pass_fds=(3, 4), preexec_fn=child_setup)
        os.close(commands_r)
        os.close(replies_w)
        self.commands = commands_w
        self.replies = replies_r
        self.buffer = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + HANG_GUARD_SECONDS

    @staticmethod
    def _high(fd):
        duplicate = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return duplicate

    def _read_message(self):
        while b"\0" not in self.buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError("the browser stopped answering")
            ready, _, _ = select.select([self.replies], [], [], min(remaining, 5))
            if not ready:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the browser exited with {self.process.returncode}")
                continue
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                raise RuntimeError("the browser closed its DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_for(self, method, session):
        """Waits for an event of the session (one that already came counts)."""
        while True:
            for event in self.events:
                if event.get("method") == method and event.get("sessionId") == session:
                    return event
            reply = self._read_message()
            if "method" in reply:
                self.events.append(reply)

    def close(self):
        try:
            if self.process.poll() is None:
                self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self.commands, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass


def console_lines(events, session):
    lines = []
    for event in events:
        if event.get("sessionId") != session:
            continue
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(argument.get("value", argument.get("description", ""))) for argument in params.get("args", []))
            lines.append(f"console {params.get('type')}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            lines.append(f"exception error: {details.get('text')} {details.get('exception', {}).get('description', '')}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            lines.append(f"{entry.get('source')} {entry.get('level')}: {entry.get('text')}")
        elif method == "Audits.issueAdded":
            issue = params.get("issue", {})
            lines.append(f"issue {issue.get('code')}: {json.dumps(issue.get('details', {}), sort_keys=True)}")
    return lines


def render(page, screenshot, clip_height=None):
    url = "file://" + os.path.abspath(page)
    profile = tempfile.mkdtemp(prefix="render-page-")
    log_path = os.path.join(profile, "chromium.log")
    with open(log_path, "wb") as log:
        browser = Browser(os.path.join(profile, "profile"), log)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Network", "Runtime", "Log", "Audits"):
                browser.send(f"{domain}.enable", session=session)
            browser.send("Emulation.setDeviceMetricsOverride",
                         {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=session)
            navigation = browser.send("Page.navigate", {"url": url}, session=session)
            if navigation.get("errorText"):
                raise RuntimeError(f"cannot open {url}: {navigation['errorText']}")
            browser.wait_for("Page.loadEventFired", session)
            seen = json.loads(browser.send("Runtime.evaluate", {"expression": EXTRACT, "returnByValue": True},
                                           session=session)["result"]["value"])
            metrics = browser.send("Page.getLayoutMetrics", session=session)
            height = int(metrics.get("cssContentSize", metrics.get("contentSize"))["height"])
            height = min(height, clip_height or height)
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}}, session=session)
            with open(screenshot, "wb") as handle:
                handle.write(base64.b64decode(shot["data"]))
            # Everything the page did has been reported by now: one more round trip flushes it.
            browser.send("Runtime.evaluate", {"expression": "0"}, session=session)
            requests = [event["params"]["request"]["url"] for event in browser.events
                        if event.get("sessionId") == session and event["method"] == "Network.requestWillBeSent"
                        and event["params"]["request"]["url"] != url]
            seen.update(requests=requests, console=console_lines(browser.events, session),
                        screenshot={"width": WIDTH, "height": height})
            return seen
        except RuntimeError as error:
            log.flush()
            with open(log_path, "rb") as handle:
                tail = handle.read().decode(errors="replace")[-800:]
            raise RuntimeError(f"{error}; chromium's log ends: {tail}") from None
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)


def main(argv):
    if len(argv) not in (3, 4) or (len(argv) == 4 and not argv[3].isdigit()):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        seen = render(argv[1], argv[2], int(argv[3]) if len(argv) == 4 else None)
    except (RuntimeError, OSError) as error:
        print(f"render_page.py: {error}", file=sys.stderr)
        return 1
    print(json.dumps(seen, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
