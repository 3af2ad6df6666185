"""Shared helpers of the wandb client tests (not a test itself: .ci/wandb runs test_*.py).

The tests log with the official `wandb` client and then read back twice: through
`wandb.Api()` and through Cairn's own JSON API (`/api/v1`, Bearer key). This module holds
the second path and the checks, so each test reads as a list of expectations.

Environment (set by .ci/wandb): WANDB_BASE_URL, WANDB_API_KEY, CAIRN_URL, CAIRN_API_KEY,
WB_ENTITY (default alice).
"""

import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

CAIRN_URL = (os.environ.get("CAIRN_URL") or os.environ.get("WANDB_BASE_URL") or "").rstrip("/")
API_KEY = os.environ.get("CAIRN_API_KEY") or os.environ.get("WANDB_API_KEY") or ""
ENTITY = os.environ.get("WB_ENTITY", "alice")


class CheckFailed(AssertionError):
    """An expectation about the server's behaviour did not hold."""


def check(cond, msg, context=None):
    """Assert `cond`; on failure say what was expected and show `context` (often JSON)."""
    if not cond:
        detail = ""
        if context is not None:
            detail = "\n    got: " + (context if isinstance(context, str) else pretty(context))
        raise CheckFailed(msg + detail)
    print("  ok:", msg, flush=True)


def pretty(value, limit=4000):
    """JSON for a failure message, cut so one bad answer does not flood the log."""
    text = json.dumps(value, indent=1, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + f"\n    … ({len(text)} chars in all)"


def run_path(project, run_id, entity=None):
    """`entity/project/run` with each segment percent-encoded, as /api/v1 URLs want it."""
    segments = (entity or ENTITY, project, run_id)
    return "/".join(urllib.parse.quote(s, safe="") for s in segments)


def http(method, url, body=None, headers=None, timeout=30):
    """One HTTP request; returns (status, body text) for any status, 4xx and 5xx included."""
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in req.headers:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, res.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def cairn_get(path, params=None, key=API_KEY):
    """GET /api/v1/<path>[?params] with the Bearer key; returns (status, parsed JSON or text)."""
    url = f"{CAIRN_URL}/api/v1/{path.lstrip('/')}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    status, text = http("GET", url, headers=headers)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def cairn_json(path, params=None):
    """Like cairn_get, but a non-2xx answer is a failed check showing the body."""
    status, body = cairn_get(path, params)
    shown = f"/api/v1/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    check(200 <= status < 300, f"GET {shown} answers 2xx (got {status})", body)
    return body


def wait_for_final_state(project, run_id, timeout=30.0):
    """The run detail once the run left `running`, or after `timeout` seconds.

    `run.finish()` returns when the final file_stream post was answered; a server that
    applies it asynchronously still gets a moment to catch up.
    """
    path = f"runs/{run_path(project, run_id)}"
    deadline = time.time() + timeout
    while True:
        status, detail = cairn_get(path)
        # Only a run still `running` is worth waiting for; an error answer will not change.
        running = 200 <= status < 300 and isinstance(detail, dict) and detail.get("state") == "running"
        if not running or time.time() > deadline:
            break
        time.sleep(0.5)
    check(200 <= status < 300, f"GET /api/v1/{path} answers 2xx (got {status})", detail)
    check(isinstance(detail, dict), "the run detail is a JSON object", detail)
    return detail


def is_nan(value):
    """NaN as either path may carry it: a float NaN, or Cairn's string "NaN"."""
    if isinstance(value, float):
        return value != value
    return isinstance(value, str) and value.lower() == "nan"


def main(test):
    """Run `test()`; exit 0 on success, 1 with a readable reason on any failure."""
    name = os.path.basename(sys.argv[0])
    if not CAIRN_URL or not API_KEY:
        print(f"FAIL {name}: CAIRN_URL/WANDB_BASE_URL and CAIRN_API_KEY/WANDB_API_KEY must be set")
        sys.exit(1)
    try:
        test()
    except CheckFailed as e:
        print(f"FAIL {name}: {e}", flush=True)
        sys.exit(1)
    except Exception:  # noqa: BLE001 - any crash of the test is a failure with its traceback
        traceback.print_exc()
        print(f"FAIL {name}: crashed (traceback above)", flush=True)
        sys.exit(1)
    print(f"PASS {name}", flush=True)
