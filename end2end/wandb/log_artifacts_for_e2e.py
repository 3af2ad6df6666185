"""Log artifacts with the official wandb client for the Playwright test artifacts.spec.ts.

Not a test by itself: the browser test runs it, then browses what was logged here.
Project `artifacts-e2e` of entity WB_ENTITY (default admin) gets:
  - dataset `mnist-small` v0 (run `prep-0`, alias `baseline`): a CSV, a PNG in images/,
    a wandb table file, a notes file, nested metadata;
  - dataset `mnist-small` v1 (run `prep-1`): notes changed, one file added;
  - run `train`, which uses `mnist-small:latest` and logs model `cnn` v0;
  - runs `eval-0` .. `eval-5`, which each use `cnn:latest` (six consumers: a cluster);
  - through `wandb.Api()`: cnn:v0 gets a new description and the tag `reviewed`.
The last line on stdout is `DONE`.
"""

import json
import os

import wandb
from PIL import Image

ENTITY = os.environ.get("WB_ENTITY", "admin")
PROJECT = "artifacts-e2e"


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def dataset(version):
    root = f"ds{version}"
    write(f"{root}/data.csv", "label,pixels,split\n3,\"0,1,2\",train\n7,\"3,4,5\",train\n1,\"6,7,8\",test\n")
    write(f"{root}/notes.txt", "MNIST, small.\nThree rows.\n" + ("Second cut: labels checked.\n" if version else ""))
    write(
        f"{root}/samples.table.json",
        json.dumps({"_type": "table", "columns": ["id", "label"], "data": [[1, "three"], [2, "seven"]]}),
    )
    os.makedirs(f"{root}/images", exist_ok=True)
    img = Image.new("RGB", (28, 28), (255, 255, 255))
    for x in range(8, 20):
        img.putpixel((x, 14), (30, 30, 200))
    img.save(f"{root}/images/digit.png")
    if version:
        write(f"{root}/images/README.md", "# images\n")
    art = wandb.Artifact(
        "mnist-small",
        type="dataset",
        description=f"A tiny MNIST cut, version {version}",
        metadata={"rows": 3, "source": {"url": "http://example.invalid/mnist", "split": [0.8, 0.2]}},
    )
    art.add_dir(root)
    return art


for version in (0, 1):
    run = wandb.init(entity=ENTITY, project=PROJECT, name=f"prep-{version}", id=f"prep-{version}", job_type="prep")
    run.log_artifact(dataset(version), aliases=["baseline"] if version == 0 else [])
    run.finish()

run = wandb.init(entity=ENTITY, project=PROJECT, name="train", id="train", job_type="train", config={"lr": 0.01})
data = run.use_artifact("mnist-small:latest")
data.download()
run.summary["acc"] = 0.93
write("model/model.bin", "weights\n" * 64)
model = wandb.Artifact("cnn", type="model", metadata={"layers": 3})
model.add_file("model/model.bin")
run.log_artifact(model)
run.finish()

for i in range(6):
    run = wandb.init(entity=ENTITY, project=PROJECT, name=f"eval-{i}", id=f"eval-{i}", job_type="eval")
    run.use_artifact("cnn:latest")
    run.finish()

# Edits through the public API, which the browser test then looks for on the page.
model = wandb.Api().artifact(f"{ENTITY}/{PROJECT}/cnn:v0")
model.description = "edited through wandb.Api()"
model.tags = ["reviewed"]
model.save()

print("DONE", flush=True)
