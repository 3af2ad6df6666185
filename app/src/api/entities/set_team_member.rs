use leptos::prelude::*;

use crate::api::AppError;
use crate::model::TeamRole;

/// Add a user to a team, change their role, or remove them (no role).
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn set_team_member(
    team: String,
    username: String,
    role: Option<TeamRole>,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::require_viewer(&services, "sign in to manage a team").await?;
    services
        .set_team_member(&viewer, &team, &username, role)
        .await
}
