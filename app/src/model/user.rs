use serde::{Deserialize, Serialize};

/// Who is looking at a page: the signed-in user, as the UI needs them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Viewer {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
}
