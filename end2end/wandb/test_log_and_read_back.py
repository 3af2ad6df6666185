"""Log an ordinary run with the official wandb client, then read it back two ways.

1. through `wandb.Api()`, which is what W&B users' scripts and notebooks do;
2. through Cairn's own `/api/v1`, which is what Cairn's pages show.

The run: config with a nested value, 300 steps of `loss` (falling) and `acc`, a separate
key `spiky` logged at three steps, one of them NaN, three stdout lines and one stderr
line, an explicit summary value. Every value is computed, not random, so the read-back
can compare exactly.
"""

import math
import sys
import traceback

import wandb

from _cairn import (
    ENTITY,
    CheckFailed,
    check,
    cairn_json,
    is_nan,
    main,
    run_path,
    wait_for_final_state,
)

PROJECT = "wandb-compat"
NAME = "compat-run"
STEPS = 300
CONFIG = {"lr": 0.01, "arch": "resnet", "nested": {"depth": 3}}
# `spiky` is logged only at these steps; NaN at one of them.
SPIKY = {100: 0.5, 150: float("nan"), 200: 0.25}
STDOUT_LINES = [f"compat stdout line {i}" for i in range(3)]
STDERR_LINE = "compat stderr line"


def loss_at(step):
    return 1.0 / (step + 1) + 0.05


def acc_at(step):
    return step / STEPS


def log_run():
    run = wandb.init(entity=ENTITY, project=PROJECT, name=NAME, config=CONFIG)
    for step in range(STEPS):
        row = {"loss": loss_at(step), "acc": acc_at(step)}
        if step in SPIKY:
            row["spiky"] = SPIKY[step]
        run.log(row)
        if step in (0, 120, 240):
            print(STDOUT_LINES[(0, 120, 240).index(step)], flush=True)
    print(STDERR_LINE, file=sys.stderr, flush=True)
    run.summary["best_acc"] = 0.99
    run.finish()
    print(f"logged run {run.id}", flush=True)
    return run.id


def close(a, b):
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def read_back_with_wandb_api(run_id):
    print("read back through wandb.Api():", flush=True)
    api = wandb.Api(timeout=30)
    r = api.run(f"{ENTITY}/{PROJECT}/{run_id}")
    check(r.id == run_id, f"run id is {run_id} (got {r.id!r})")
    check(r.name == NAME, f"display name is {NAME} (got {r.name!r})")
    check(r.state == "finished", f"state is finished (got {r.state!r})")
    config = dict(r.config)
    check(config.get("lr") == 0.01, "config lr == 0.01", config)
    check(config.get("arch") == "resnet", "config arch == resnet", config)
    check(config.get("nested") == {"depth": 3}, "config nested == {'depth': 3}", config)
    summary = dict(r.summary)
    check(summary.get("best_acc") == 0.99, "summary best_acc == 0.99", summary)
    check(close(summary.get("loss"), loss_at(STEPS - 1)), "summary loss is the last logged loss", summary)
    check(close(summary.get("acc"), acc_at(STEPS - 1)), "summary acc is the last logged acc", summary)

    rows = r.history(samples=1000, pandas=False)
    check(len(rows) == STEPS, f"history(samples=1000) has {STEPS} rows (got {len(rows)})", rows[:3])
    steps = sorted(row.get("_step") for row in rows)
    check(steps == list(range(STEPS)), f"history steps are 0..{STEPS - 1}", steps[:10])
    by_step = {row["_step"]: row for row in rows}
    check(close(by_step[7].get("loss"), loss_at(7)), "history loss at step 7 is exact", by_step[7])
    check(is_nan(by_step[150].get("spiky")), "history spiky at step 150 is NaN", by_step[150])
    check(close(by_step[200].get("spiky"), 0.25), "history spiky at step 200 is 0.25", by_step[200])

    scanned = list(r.scan_history(keys=["loss"]))
    check(len(scanned) == STEPS, f"scan_history(keys=['loss']) yields {STEPS} rows (got {len(scanned)})", scanned[:3])
    check(
        all(close(row.get("loss"), loss_at(row.get("_step", -1))) for row in scanned),
        "every scanned loss matches its step",
        scanned[:3],
    )


def read_back_with_cairn_api(detail, run_id):
    print("read back through Cairn's /api/v1:", flush=True)
    base = f"runs/{run_path(PROJECT, run_id)}"
    check(detail.get("state") == "finished", f"state is finished (got {detail.get('state')!r})", detail)
    check(detail.get("display_name") == NAME, f"display_name is {NAME}", detail.get("display_name"))
    config = detail.get("config") or {}
    # Cairn shows the config as the user wrote it: plain values, not W&B's {"value": …} wrappers.
    check(config.get("lr") == 0.01, "config lr == 0.01 (plain value)", config)
    check(config.get("arch") == "resnet", "config arch == resnet", config)
    check(config.get("nested") == {"depth": 3}, "config nested == {'depth': 3}", config)
    summary = detail.get("summary") or {}
    check(summary.get("best_acc") == 0.99, "summary best_acc == 0.99", summary)
    check("loss" in summary, "summary has loss", summary)
    check(close(summary.get("loss"), loss_at(STEPS - 1)), "summary loss is the last logged loss", summary)
    keys = detail.get("metric_keys") or []
    check({"loss", "acc", "spiky"} <= set(keys), "metric_keys has loss, acc and spiky", keys)

    # Console: the printed lines, the stderr one marked as stderr (wandb sends it as
    # "ERROR <timestamp> <text>" in output.log).
    console = detail.get("console") or []
    texts = [line.get("text", "") for line in console]
    for wanted in STDOUT_LINES:
        check(any(wanted in t for t in texts), f"console has {wanted!r}", texts[-20:])
    err = [line for line in console if STDERR_LINE in line.get("text", "")]
    check(len(err) == 1, f"console has {STDERR_LINE!r} once", console[-20:])
    check(err[0].get("stream") == "stderr", "the stderr line is on the stderr stream", err[0])
    out = [line for line in console if STDOUT_LINES[0] in line.get("text", "")]
    check(out[0].get("stream") == "stdout", "stdout lines are on the stdout stream", out[0])

    series = cairn_json(f"{base}/metrics", {"key": "loss"})
    check(series.get("total_points") == STEPS, f"metrics?key=loss has {STEPS} points", {k: series.get(k) for k in ("key", "total_points")})
    check(bool(series.get("buckets")), "metrics?key=loss has buckets to draw", series)
    spiky = cairn_json(f"{base}/metrics", {"key": "spiky"})
    check(spiky.get("total_points") == len(SPIKY), f"metrics?key=spiky has {len(SPIKY)} points (NaN counts)", spiky)
    buckets = spiky.get("buckets") or []
    if isinstance(buckets, list):
        nonfinite = sum(b.get("nonfinite", 0) for b in buckets if isinstance(b, dict))
        check(nonfinite == 1, "metrics?key=spiky counts one non-finite point", spiky)

    page = cairn_json(f"{base}/history", {"from_step": 0, "limit": 1000})
    rows = page.get("rows") or []
    check(len(rows) == STEPS, f"history?from_step=0&limit=1000 has {STEPS} rows (got {len(rows)})", rows[:3])
    check([row.get("step") for row in rows] == list(range(STEPS)), f"history steps are 0..{STEPS - 1} in order", [row.get("step") for row in rows[:10]])
    check(page.get("next_step") is None, "history has no next page", page.get("next_step"))
    values = {row["step"]: row.get("values", {}) for row in rows}
    check(close(values[299].get("loss"), loss_at(299)), "history loss at step 299 is exact", values[299])
    check(close(values[299].get("acc"), acc_at(299)), "history acc at step 299 is exact", values[299])
    check(is_nan(values[150].get("spiky")), "history spiky at step 150 is NaN", values[150])
    check(close(values[100].get("spiky"), 0.5), "history spiky at step 100 is 0.5", values[100])
    check("spiky" not in values[101], "spiky is absent where it was not logged", values[101])


def test():
    run_id = log_run()
    detail = wait_for_final_state(PROJECT, run_id)
    print(f"run detail keys: {sorted(detail)}", flush=True)
    # Both read paths always run, so one report shows everything that is off.
    failures = []
    for what, section in (
        ("wandb.Api()", lambda: read_back_with_wandb_api(run_id)),
        ("Cairn /api/v1", lambda: read_back_with_cairn_api(detail, run_id)),
    ):
        try:
            section()
        except CheckFailed as e:
            print(f"  FAILED ({what}): {e}", flush=True)
            failures.append(f"{what}: {e}")
        except Exception as e:  # noqa: BLE001 - e.g. wandb.Api raising on a GraphQL error
            traceback.print_exc()
            failures.append(f"{what}: {type(e).__name__}: {e}")
    check(not failures, "both read paths agree with what was logged", "\n".join(failures))


if __name__ == "__main__":
    main(test)
