//! sea-orm entities, one per table. They stay inside `server`; `app::model`
//! types are what leaves this crate.

pub mod api_key;
pub mod console_line;
pub mod entity;
pub mod project;
pub mod run;
pub mod run_file;
pub mod session;
pub mod team_member;
pub mod user;
