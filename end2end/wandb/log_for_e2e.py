"""Log one run with the official wandb client for the Playwright test wandb.spec.ts.

Not a test by itself (hence no test_ prefix): the browser test runs it, then checks that
the run page shows what was logged here. The entity comes from WB_ENTITY (default admin,
the e2e server's user); WANDB_BASE_URL and WANDB_API_KEY name the server and the key.

The last line on stdout is `RUN_ID=<id>`.
"""

import os

import wandb

ENTITY = os.environ.get("WB_ENTITY", "admin")
STEPS = 100

run = wandb.init(
    entity=ENTITY,
    project="wandb-e2e",
    name="wandb-e2e-run",
    config={"optimizer": "adam", "lr": 0.003},
)
best = 0.0
for step in range(STEPS):
    val_acc = 0.5 + 0.45 * step / (STEPS - 1)
    best = max(best, val_acc)
    run.log({"train/loss": 2.0 / (step + 1) + 0.1, "val/acc": val_acc})
    if step == STEPS // 2:
        print("wandb e2e line", flush=True)
run.summary["best_val_acc"] = best
run.finish()
print(f"RUN_ID={run.id}", flush=True)
