//! sea-orm entities, one per table. They stay inside `server`; `app::model`
//! types are what leaves this crate.

pub mod api_key;
pub mod artifact;
pub mod artifact_alias;
pub mod artifact_collection;
pub mod artifact_dir;
pub mod artifact_event;
pub mod artifact_file;
pub mod artifact_usage;
pub mod automation;
pub mod automation_attempt;
pub mod automation_event;
pub mod automation_execution;
pub mod automation_metric_state;
pub mod automation_secret;
pub mod console_line;
pub mod entity;
pub mod project;
pub mod project_alias;
pub mod project_member;
pub mod run;
pub mod run_event;
pub mod run_file;
pub mod run_history;
pub mod run_wandb;
pub mod server_secret;
pub mod session;
pub mod site_setting;
pub mod star;
pub mod team_member;
pub mod user;
