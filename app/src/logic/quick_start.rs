//! The snippets an empty project shows so its first run can be logged: with the
//! official `wandb` client pointed at this server, and with `curl` against
//! `/api/v1`. Text only; the page shows it in `<pre>` blocks (escaped by the view).

use crate::model::ProjectRef;

/// Shell lines and a Python script that log a first run with the `wandb` client.
pub fn wandb_snippet(origin: &str, at: &ProjectRef) -> String {
    format!(
        "pip install wandb\n\
         export WANDB_BASE_URL={origin}\n\
         export WANDB_API_KEY=your-api-key   # make one at {origin}/settings\n\
         \n\
         python - <<'PY'\n\
         import wandb\n\
         run = wandb.init(entity={entity:?}, project={project:?}, config={{\"lr\": 0.01}})\n\
         for step in range(100):\n\
         \x20   run.log({{\"train/loss\": 1 / (step + 1)}})\n\
         run.finish()\n\
         PY",
        entity = at.entity,
        project = at.project,
    )
}

/// `curl` calls that create a run, log a metric and finish it through `/api/v1`.
pub fn curl_snippet(origin: &str, at: &ProjectRef) -> String {
    let run_url = format!(
        "{origin}/api/v1/runs/{}/{}/first-run",
        crate::logic::url::encode_segment(&at.entity),
        crate::logic::url::encode_segment(&at.project)
    );
    let body = serde_json::json!({"entity": at.entity, "project": at.project, "id": "first-run"});
    format!(
        "KEY=your-api-key   # make one at {origin}/settings\n\
         curl -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\\n\
         \x20    -d '{body}' {origin}/api/v1/runs\n\
         curl -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\\n\
         \x20    -d '{{\"rows\": [{{\"step\": 1, \"values\": {{\"loss\": 0.5}}}}]}}' {run_url}/metrics\n\
         curl -H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' \\\n\
         \x20    -d '{{\"exit_code\": 0}}' {run_url}/finish",
        body = body.to_string().replace('\'', "'\\''"),
    )
}

/// A Python script that logs a first artifact (a dataset folder) from a run.
pub fn artifact_log_snippet(at: &ProjectRef) -> String {
    format!(
        "import wandb\n\
         run = wandb.init(entity={entity:?}, project={project:?}, job_type=\"upload\")\n\
         artifact = wandb.Artifact(\"my-dataset\", type=\"dataset\")\n\
         artifact.add_dir(\"data/\")          # or artifact.add_file(\"train.csv\")\n\
         run.log_artifact(artifact, aliases=[\"baseline\"])\n\
         run.finish()",
        entity = at.entity,
        project = at.project,
    )
}

/// How a script fetches a version with the `wandb` client (and records the use).
pub fn artifact_use_snippet(origin: &str, at: &ProjectRef, name: &str) -> String {
    format!(
        "export WANDB_BASE_URL={origin}\n\
         \n\
         import wandb\n\
         run = wandb.init(entity={entity:?}, project={project:?})\n\
         artifact = run.use_artifact({full:?})\n\
         path = artifact.download()",
        entity = at.entity,
        project = at.project,
        full = format!("{}/{}/{name}", at.entity, at.project),
    )
}

/// How to fetch a version as a zip, or one file of it, with `curl`.
pub fn artifact_curl_snippet(origin: &str, version: &crate::model::VersionRef) -> String {
    use crate::logic::url::encode_segment as enc;
    let base = format!(
        "{origin}/api/v1/artifacts/{}/{}/{}/{}/versions/{}",
        enc(&version.project.entity),
        enc(&version.project.project),
        enc(&version.type_name),
        enc(&version.collection),
        enc(&version.version)
    );
    format!(
        "KEY=your-api-key   # make one at {origin}/settings\n\
         curl -H \"Authorization: Bearer $KEY\" -o {zip}.zip {base}/zip\n\
         curl -H \"Authorization: Bearer $KEY\" {base}/files   # the file list",
        zip = version.collection.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_',
            "_"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_name_this_server_and_project() {
        let at = ProjectRef::new("alice", "my project");
        let w = wandb_snippet("http://cairn.local:3000", &at);
        assert!(w.contains("WANDB_BASE_URL=http://cairn.local:3000"));
        assert!(w.contains("project=\"my project\""));
        let c = curl_snippet("http://cairn.local:3000", &at);
        assert!(c.contains("/api/v1/runs/alice/my%20project/first-run/metrics"));
        assert!(c.contains("\"project\":\"my project\""));
    }
}
