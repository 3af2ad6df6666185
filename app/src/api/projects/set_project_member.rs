use leptos::prelude::*;

use crate::api::AppError;
use crate::model::ProjectRef;

/// Put a user on, or take them off, a restricted project's member list.
#[server(input = leptos::server_fn::codec::Json, client = crate::api::csrf::CsrfClient)]
pub async fn set_project_member(
    project: ProjectRef,
    username: String,
    member: bool,
) -> Result<(), AppError> {
    let services = crate::api::service::services()?;
    let viewer =
        crate::api::service::require_viewer(&services, "sign in to change members").await?;
    services
        .set_project_member(&viewer, &project, &username, member)
        .await
}
