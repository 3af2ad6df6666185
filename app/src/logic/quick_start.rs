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
