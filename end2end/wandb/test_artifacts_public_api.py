"""Artifacts with the official wandb client: log, use, then read and edit through
`wandb.Api()`, and check each change through Cairn's own `/api/v1` (what the
Artifacts tab shows).

1. run `prep` logs dataset `digits` v0; run `train` uses `digits:latest` and logs
   model `net`: the dataset's Usage names both runs, and its lineage links them;
2. `wandb.Api().artifact(...)`: description, metadata, a new alias and a tag, then
   `artifact.save()` (UpdateArtifact, AddAliases); removing the alias again
   (DeleteAliases); `used_by()`, `logged_by()`, `api.artifact_types()`,
   `api.artifact_collections()`;
3. `artifact.delete(delete_aliases=True)` on the model: gone from both APIs.
"""

import os

import wandb

from _cairn import ENTITY, CheckFailed, cairn_get, cairn_json, check, main

PROJECT = "wandb-artifacts"


def write(path, text):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def log_and_use():
    write("data/train.csv", "x,y\n1,2\n3,4\n")
    write("data/README.md", "# digits\n")
    run = wandb.init(entity=ENTITY, project=PROJECT, id="prep", name="prep", job_type="prep")
    art = wandb.Artifact("digits", type="dataset", description="two rows", metadata={"rows": 2})
    art.add_dir("data")
    run.log_artifact(art, aliases=["raw"])
    run.finish()

    run = wandb.init(entity=ENTITY, project=PROJECT, id="train", name="train", job_type="train")
    used = run.use_artifact("digits:latest")
    path = used.download()
    check(open(os.path.join(path, "train.csv")).read() == "x,y\n1,2\n3,4\n", "the used artifact downloads")
    write("model/net.bin", "weights\n")
    model = wandb.Artifact("net", type="model")
    model.add_file("model/net.bin")
    run.log_artifact(model, aliases=["candidate"])
    run.finish()


def base(collection, kind):
    return f"artifacts/{ENTITY}/{PROJECT}/{kind}/{collection}"


def test():
    log_and_use()
    v = cairn_json(f"{base('digits', 'dataset')}/versions/latest")
    check(v["row"]["created_by"]["run_id"] == "prep", "Cairn: digits:v0 was logged by prep", v["row"])
    check([c["run_id"] for c in v["consumers"]] == ["train"], "Cairn: digits:v0 was used by train", v["consumers"])
    g = cairn_json(f"{base('digits', 'dataset')}/versions/v0/lineage", {"depth": 2})
    hrefs = sorted(n["href"] for n in g["nodes"])
    check(
        any(h.endswith("/runs/prep") for h in hrefs)
        and any(h.endswith("/runs/train") for h in hrefs)
        and any(h.endswith("/artifacts/model/net/v0") for h in hrefs),
        "Cairn: the lineage links prep → digits:v0 → train → net:v0",
        g,
    )

    api = wandb.Api()
    art = api.artifact(f"{ENTITY}/{PROJECT}/digits:v0")
    check(art.description == "two rows", "wandb.Api(): the description reads back", art.description)
    check(art.metadata.get("rows") == 2, "wandb.Api(): the metadata reads back", art.metadata)
    check(set(art.aliases) >= {"latest", "raw"}, "wandb.Api(): the aliases read back", art.aliases)
    check([r.id for r in art.used_by()] == ["train"], "wandb.Api(): used_by() is train", art.used_by())
    check(art.logged_by().id == "prep", "wandb.Api(): logged_by() is prep", art.logged_by())

    art.description = "two rows, checked"
    art.metadata["checked"] = True
    art.aliases.append("golden")
    art.tags = art.tags + ["reviewed"]
    art.save()
    v = cairn_json(f"{base('digits', 'dataset')}/versions/v0")
    check(v["description"] == "two rows, checked", "Cairn: the new description", v["description"])
    check('"checked":true' in (v["metadata"] or "").replace(" ", ""), "Cairn: the new metadata", v["metadata"])
    check("golden" in v["row"]["aliases"], "Cairn: the new alias", v["row"]["aliases"])
    check(v["row"]["tags"] == ["reviewed"], "Cairn: the new tag", v["row"]["tags"])
    again = wandb.Api().artifact(f"{ENTITY}/{PROJECT}/digits:golden")
    check(again.description == "two rows, checked", "wandb.Api(): the edit reads back by the new alias")

    art.aliases.remove("golden")
    art.save()
    v = cairn_json(f"{base('digits', 'dataset')}/versions/v0")
    check("golden" not in v["row"]["aliases"], "Cairn: the alias was removed", v["row"]["aliases"])
    h = cairn_json(f"{base('digits', 'dataset')}/history")
    actions = [(e["action"], e["via"]) for e in h]
    for wanted in [("created", "wandb"), ("alias_added", "wandb"), ("description", "wandb"),
                   ("metadata", "wandb"), ("tag_added", "wandb"), ("alias_removed", "wandb")]:
        check(wanted in actions, f"Cairn: the history holds {wanted}", actions)

    types = sorted(t.name for t in api.artifact_types(f"{ENTITY}/{PROJECT}"))
    check(types == ["dataset", "model"], "wandb.Api(): artifact_types()", types)
    names = [c.name for c in api.artifact_collections(f"{ENTITY}/{PROJECT}", "dataset")]
    check(names == ["digits"], "wandb.Api(): artifact_collections(dataset)", names)

    model = api.artifact(f"{ENTITY}/{PROJECT}/net:v0")
    try:
        model.delete()
        raise CheckFailed("deleting a version with an alias of its own needs delete_aliases=True")
    except CheckFailed:
        raise
    except Exception as e:  # noqa: BLE001 - the client raises its own CommError
        check("candidate" in str(e), "delete() without delete_aliases is refused, naming the alias", str(e))
    model.delete(delete_aliases=True)
    status, body = cairn_get(f"{base('net', 'model')}/versions/v0")
    check(status == 404, "Cairn: the deleted model version is gone", body)
    try:
        api.artifact(f"{ENTITY}/{PROJECT}/net:v0")
        raise CheckFailed("wandb.Api() still finds the deleted version")
    except CheckFailed:
        raise
    except Exception:  # noqa: BLE001 - not found is an exception in the client
        check(True, "wandb.Api(): the deleted version is not found")


if __name__ == "__main__":
    main(test)
