mod create_team;
mod get_entity_profile;
mod set_team_member;

pub use create_team::*;
pub use get_entity_profile::*;
pub use set_team_member::*;
