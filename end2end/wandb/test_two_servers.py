"""Two Cairn servers on one PostgreSQL database and one object store, one of them killed.

The test starts its own pair, A and B, on a fresh database and a fresh bucket prefix,
behind a small TCP proxy that sends each new connection to A while A accepts them and
to B once it does not (what a load balancer's health check does, minus the delay).
Twenty runs log through the proxy with the unchanged wandb client: an artifact at the
start, 300 steps of metrics, a file at the end. A third of the way in, A is killed with
SIGKILL. The clients' retries land on B, and everything is then read back through B
alone, with wandb.Api(): every run finished, every step with its exact values, every
file and artifact with its bytes.

A twenty-first run's process is killed too (no finish, no more heartbeats). It must be
marked crashed, once: an automation on crashed runs delivers exactly one webhook for it
and none for the twenty healthy runs, whose heartbeats moved to B in time.

Needs PostgreSQL and object storage: .ci/wandb runs it in its PostgreSQL + S3 pass, with
CAIRN_BIN (the binary), CAIRN_WANDB_PG (the PostgreSQL server) and CAIRN_BLOB_URL set.
"""

import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from _cairn import check, http, main

ENTITY = "bob"
PROJECT = "two-servers"
RUNS = 20
PROCESSES = 4  # each logs RUNS / PROCESSES runs side by side
STEPS = 300
# Long enough that a healthy run's client (which posts at least every 30 s) is never
# taken for crashed while its retries move from A to B.
CRASH_AFTER_SECS = 40

WORKER = r"""
import hashlib, os, sys, time
import wandb

first, count, steps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
runs = []
for i in range(first, first + count):
    run = wandb.init(entity="bob", project="two-servers", id=f"run-{i:02d}", name=f"run-{i:02d}",
                     reinit="create_new", config={"index": i})
    data = os.path.join(os.environ["WANDB_DIR"], f"data-{i}.bin")
    with open(data, "wb") as f:
        f.write(hashlib.sha256(f"data {i}".encode()).digest() * 2048)  # 64 KiB
    art = wandb.Artifact(f"data-{i:02d}", type="dataset")
    art.add_file(data, name="data.bin")
    run.log_artifact(art)
    runs.append((i, run))
print("STARTED", flush=True)
for step in range(steps):
    for i, run in runs:
        run.log({"loss": 1.0 / (step + 1) + i, "index": i, "step_seen": step})
    time.sleep(0.03)
for i, run in runs:
    path = os.path.join(os.environ["WANDB_DIR"], f"result-{i}.txt")
    with open(path, "w") as f:
        f.write(f"run {i} logged {steps} steps\n")
    run.save(path, base_path=os.environ["WANDB_DIR"], policy="now")
    run.finish()
print("FINISHED", flush=True)
"""

DOOMED = r"""
import time
import wandb
run = wandb.init(entity="bob", project="two-servers", id="doomed", name="doomed")
for step in range(20):
    run.log({"loss": float(step)})
print("LOGGED", flush=True)
time.sleep(600)
"""

PG = os.environ.get("CAIRN_WANDB_PG", "")
BLOB_URL = os.environ.get("CAIRN_BLOB_URL", "")
BIN = os.environ.get("CAIRN_BIN", "")
SITE_ROOT = os.environ.get("LEPTOS_SITE_ROOT", "")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """A TCP proxy: new connections go to the first backend that accepts them."""

    def __init__(self, backends):
        self.backends = backends
        self.port = free_port()
        self.connections = {b: 0 for b in backends}
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self.loop.run_until_complete(server.serve_forever())

    async def _serve(self, reader, writer):
        for port in self.backends:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                continue
            self.connections[port] += 1
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            return
        writer.close()

    @staticmethod
    async def _pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            try:
                writer.close()
            except OSError:
                pass


RECEIVED = []
LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the stdlib's name)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with LOCK:
            RECEIVED.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def descendants(pid):
    """Every process below `pid` (wandb's service may leave the process group)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc):
    for pid in [proc.pid, *descendants(proc.pid)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def cairn(args, env):
    out = subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, f"cairn {' '.join(args[2:4])} works", out.stdout + out.stderr)
    return out.stdout


def wait_healthy(port, proc, log):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            check(False, f"the server on {port} is running", open(log).read()[-3000:])
        status, _ = http("GET", f"http://127.0.0.1:{port}/healthz", timeout=2) if port_open(port) else (0, "")
        if status == 200:
            return
        time.sleep(0.25)
    check(False, f"the server on {port} answered /healthz with 200 within 60 s", open(log).read()[-3000:])


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test():
    check(BIN and PG and BLOB_URL.startswith("s3://"),
          "CAIRN_BIN, CAIRN_WANDB_PG and an s3:// CAIRN_BLOB_URL are set (.ci/wandb's PostgreSQL + S3 pass)",
          {"CAIRN_BIN": BIN, "CAIRN_WANDB_PG": PG, "CAIRN_BLOB_URL": BLOB_URL[:12]})
    work = tempfile.mkdtemp(prefix="two-servers-", dir=os.environ.get("WANDB_DIR"))
    database = f"cairn_two_{os.getpid()}_{random.randrange(1 << 30)}"
    subprocess.run(["psql", f"{PG}/postgres", "-qc", f'CREATE DATABASE "{database}"'], check=True)
    bucket_url = urllib.parse.urlsplit(BLOB_URL)
    blob_url = urllib.parse.urlunsplit(bucket_url._replace(path=f"/two-servers-{database}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "CAIRN_"))}
    env.update({
        "DATABASE_URL": f"{PG}/{database}",
        "CAIRN_BLOB_URL": blob_url,
        "CAIRN_SECRET_KEY": os.urandom(32).hex(),
        "CAIRN_NO_DEMO": "1",
        "CAIRN_CRASH_AFTER_SECS": str(CRASH_AFTER_SECS),
        "CAIRN_AUTOMATION_POLL_MS": "200",
        "RUST_LOG": "warn",
        "LEPTOS_OUTPUT_NAME": "cairn",
    })
    if SITE_ROOT:
        env["LEPTOS_SITE_ROOT"] = SITE_ROOT
    servers = {}
    clients = []
    try:
        cairn(["--data-dir", f"{work}/a", "user", "create", ENTITY, "--password", "two-servers-pw"], env)
        key_out = cairn(["--data-dir", f"{work}/a", "apikey", "create", "--user", ENTITY], env)
        key = [line for line in key_out.split() if len(line) >= 40][-1]
        cairn(["--data-dir", f"{work}/a", "site", "private-webhooks", "on"], env)

        for name in ("a", "b"):
            port = free_port()
            log = f"{work}/{name}.log"
            proc = subprocess.Popen([BIN, "--data-dir", f"{work}/{name}", "serve", "--addr", f"127.0.0.1:{port}"],
                                    env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
            servers[name] = (proc, port, log)
        for proc, port, log in servers.values():
            wait_healthy(port, proc, log)
        a_port, b_port = servers["a"][1], servers["b"][1]
        proxy = Proxy([a_port, b_port])
        base = f"http://127.0.0.1:{proxy.port}"
        b_base = f"http://127.0.0.1:{b_port}"
        print(f"  A on {a_port}, B on {b_port}, the proxy on {proxy.port}", flush=True)

        receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=receiver.serve_forever, daemon=True).start()
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"

        client_env = dict(env)
        client_env.update({"WANDB_BASE_URL": base, "WANDB_API_KEY": key, "WANDB_MODE": "online",
                           "WANDB_SILENT": "true", "HOME": f"{work}/home",
                           "WANDB_CONFIG_DIR": f"{work}/config", "WANDB_CACHE_DIR": f"{work}/cache"})
        for k in ("DATABASE_URL", "CAIRN_BLOB_URL", "CAIRN_SECRET_KEY"):
            client_env.pop(k)
        os.makedirs(f"{work}/home", exist_ok=True)

        def spawn(script, *args, tag):
            d = f"{work}/{tag}"
            os.makedirs(d, exist_ok=True)
            path = f"{d}/script.py"
            with open(path, "w") as f:
                f.write(script)
            e = dict(client_env, WANDB_DIR=d, WANDB_DATA_DIR=f"{d}/data")
            out = open(f"{d}/output.log", "w")
            p = subprocess.Popen([sys.executable, path, *map(str, args)], env=e, stdout=out,
                                 stderr=subprocess.STDOUT, cwd=d, start_new_session=True)
            return p, f"{d}/output.log"

        # The doomed run first: it also makes the project, which the automation needs.
        doomed, doomed_log = spawn(DOOMED, tag="doomed")
        deadline = time.time() + 120
        while "LOGGED" not in open(doomed_log).read():
            if doomed.poll() is not None or time.time() > deadline:
                check(False, "the doomed run logged", open(doomed_log).read()[-3000:])
            time.sleep(0.2)
        print("  the doomed run logged", flush=True)
        status, made = http("POST", f"{base}/api/v1/automations/{ENTITY}/{PROJECT}",
                            {"name": "crashed runs", "trigger": {"event": "run_state", "states": ["crashed"]},
                             "action": {"kind": "webhook", "url": hook, "payload": '{"run": "${run_name}"}'}},
                            {"Authorization": f"Bearer {key}"})
        check(status == 201, f"the crashed-runs automation is made (got {status})", made)
        # Its process and its wandb-core, gone at once: the run just stops being heard from.
        kill_tree(doomed)

        per = RUNS // PROCESSES
        for p in range(PROCESSES):
            clients.append(spawn(WORKER, p * per, per, STEPS, tag=f"worker-{p}"))
        deadline = time.time() + 180
        while not all("STARTED" in open(log).read() for _, log in clients):
            for proc, log in clients:
                if proc.poll() is not None or time.time() > deadline:
                    check(False, "every worker started its runs", open(log).read()[-3000:])
            time.sleep(0.2)
        print("  every worker started its runs", flush=True)
        time.sleep(3)
        a_connections = proxy.connections[a_port]
        servers["a"][0].send_signal(signal.SIGKILL)
        servers["a"][0].wait()
        print(f"  A killed with SIGKILL after {a_connections} connections, mid-ingest", flush=True)

        for proc, log in clients:
            try:
                code = proc.wait(timeout=300)
            except subprocess.TimeoutExpired:
                code = None
            check(code == 0 and "FINISHED" in open(log).read(), "a worker finished all its runs through B",
                  open(log).read()[-3000:])
        check(proxy.connections[b_port] > 0, f"B took over ({proxy.connections[b_port]} connections after the kill)")

        # Everything read back through B alone.
        os.environ["WANDB_BASE_URL"] = b_base
        os.environ["WANDB_API_KEY"] = key
        import wandb
        api = wandb.Api(overrides={"base_url": b_base}, api_key=key, timeout=60)
        points = 0
        for i in range(RUNS):
            run = api.run(f"{ENTITY}/{PROJECT}/run-{i:02d}")
            check(run.state == "finished", f"run-{i:02d} finished (got {run.state})")
            rows = list(run.scan_history(keys=["loss", "index", "step_seen"]))
            ok = len(rows) == STEPS and all(
                r["step_seen"] == s and r["index"] == i and abs(r["loss"] - (1.0 / (s + 1) + i)) < 1e-9
                for s, r in enumerate(rows))
            check(ok, f"run-{i:02d}: {STEPS} steps, every value as logged (got {len(rows)} rows)", rows[:3])
            points += 3 * len(rows)
            got = run.file(f"result-{i}.txt").download(root=f"{work}/read/{i}", replace=True).read()
            check(got == f"run {i} logged {STEPS} steps\n", f"run-{i:02d}'s file reads back", got)
            art = api.artifact(f"{ENTITY}/{PROJECT}/data-{i:02d}:v0")
            path = art.download(root=f"{work}/read/art-{i}")
            with open(os.path.join(path, "data.bin"), "rb") as f:
                data = f.read()
            check(data == hashlib.sha256(f"data {i}".encode()).digest() * 2048,
                  f"artifact data-{i:02d}:v0 reads back byte for byte")
        print(f"  {RUNS} runs, {points} points, {RUNS} files and {RUNS} artifacts read back through B", flush=True)

        # The doomed run: crashed, and said so once.
        deadline = time.time() + CRASH_AFTER_SECS * 4 + 30
        while time.time() < deadline and not RECEIVED:
            time.sleep(0.5)
        time.sleep(CRASH_AFTER_SECS / 2)  # room for a second (wrong) delivery to arrive
        check(api.run(f"{ENTITY}/{PROJECT}/doomed").state == "crashed", "the doomed run is marked crashed")
        with LOCK:
            got = list(RECEIVED)
        check(got == [{"run": "doomed"}], "one crashed-run webhook, for the doomed run only", got)
    finally:
        for proc, _ in clients:
            if proc.poll() is None:
                kill_tree(proc)
        for proc, _, log in servers.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=30)
        subprocess.run(["psql", f"{PG}/postgres", "-qc", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'])
        if not os.environ.get("CAIRN_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(test)
