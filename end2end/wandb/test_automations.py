"""Automations fed by the unchanged wandb client, delivered into a real HTTP receiver.

A run logs `loss` past a threshold, calls `run.alert()` and fails; another logs an
artifact with the alias `production`. Each automation (metric window, failed run,
alert, alias) must be delivered exactly once, with the run's and artifact's names in
its payload, and show as delivered in its history (/api/v1).

Needs the site switch for private targets (the receiver is on 127.0.0.1); .ci/wandb
turns it on with `cairn site private-webhooks on` before starting the server.
"""

import json
import os
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import wandb

from _cairn import API_KEY, CAIRN_URL, ENTITY, check, http, main

PROJECT = "automations"
RECEIVED = []
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the stdlib's name)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            value = json.loads(body)
        except ValueError:
            value = {"raw": body.decode("utf-8", "replace")}
        with LOCK:
            RECEIVED.append({"headers": dict(self.headers), "body": value})
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def api(method, path, body=None):
    status, text = http(method, f"{CAIRN_URL}/api/v1/{path}", body,
                        {"Authorization": f"Bearer {API_KEY}"})
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def webhook(name, trigger, url, fields):
    payload = "{" + ", ".join([f'"name": "{name}"'] + [f'"{k}": {v}' for k, v in fields.items()]) + "}"
    return {"name": name, "trigger": trigger,
            "action": {"kind": "webhook", "url": url, "payload": payload}}


def by_name(name):
    with LOCK:
        return [r["body"] for r in RECEIVED if r["body"].get("name") == name]


def automations_fire_once():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    # The project exists once a first run is logged.
    setup = wandb.init(entity=ENTITY, project=PROJECT, name="setup")
    setup.log({"loss": 0.0})
    setup.finish()

    specs = [
        webhook("metric", {"event": "run_metric", "metric": "loss", "window": 3, "agg": "mean", "op": "gt", "threshold": 5},
                url, {"run": '"${run_name}"', "value": "${value}"}),
        webhook("failed", {"event": "run_state", "states": ["failed"]},
                url, {"run": '"${run_name}"', "state": '"${run_state}"'}),
        webhook("alert", {"event": "run_alert", "min_level": "INFO"},
                url, {"title": '"${alert_title}"', "level": '"${alert_level}"', "run": '"${run_name}"'}),
        webhook("alias", {"event": "alias_added", "alias_regex": "^production$"},
                url, {"alias": '"${alias}"', "artifact": '"${artifact_version_string}"'}),
    ]
    ids = {}
    for spec in specs:
        status, made = api("POST", f"automations/{ENTITY}/{PROJECT}", spec)
        check(status == 201, f"automation {spec['name']!r} created (got {status})", made)
        ids[spec["name"]] = made["id"]

    run = wandb.init(entity=ENTITY, project=PROJECT, name="diverging")
    for step in range(12):
        run.log({"loss": float(step)})
    run.alert(title="loss exploded", text="loss went past 5", level=wandb.AlertLevel.WARN)
    run.finish(exit_code=1)

    producer = wandb.init(entity=ENTITY, project=PROJECT, name="producer", job_type="train")
    path = os.path.join(tempfile.mkdtemp(), "weights.bin")
    with open(path, "wb") as f:
        f.write(os.urandom(2048))
    art = wandb.Artifact("classifier", type="model")
    art.add_file(path)
    producer.log_artifact(art, aliases=["production"])
    producer.finish()

    deadline = time.time() + 90
    while time.time() < deadline and not all(by_name(n) for n in ids):
        time.sleep(0.5)
    time.sleep(3)  # anything more that would arrive (a duplicate) has time to
    for name in ids:
        got = by_name(name)
        check(len(got) == 1, f"{name}: delivered exactly once (got {len(got)})", got)
    check(by_name("metric")[0]["run"] == "diverging", "the metric automation names the run", by_name("metric"))
    # mean of 4, 5, 6 is 5 (not above 5); mean of 5, 6, 7 is the first above.
    check(by_name("metric")[0]["value"] == 6.0, "the window's mean at the crossing is 6", by_name("metric"))
    check(by_name("failed")[0] == {"name": "failed", "run": "diverging", "state": "failed"},
          "the failed-run automation", by_name("failed"))
    check(by_name("alert")[0]["title"] == "loss exploded" and by_name("alert")[0]["level"] == "WARN",
          "run.alert() is delivered with its title and level", by_name("alert"))
    check(by_name("alias")[0]["alias"] == "production" and by_name("alias")[0]["artifact"].startswith("classifier:v"),
          "the alias automation names the artifact version", by_name("alias"))

    for name, automation in ids.items():
        status, h = api("GET", f"automations/{ENTITY}/{PROJECT}/{automation}/history")
        check(status == 200 and h["total"] == 1 and h["executions"][0]["status"] == "delivered",
              f"{name}: the history shows one delivered execution", h)
    server.shutdown()


if __name__ == "__main__":
    main(automations_fire_once)
