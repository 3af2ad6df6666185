mod create_api_key;
mod get_account_settings;
mod restore_project;
mod revoke_api_key;
mod set_signup_enabled;

pub use create_api_key::*;
pub use get_account_settings::*;
pub use restore_project::*;
pub use revoke_api_key::*;
pub use set_signup_enabled::*;
