use leptos::prelude::*;

use crate::api::AppError;
use crate::model::EntityProfile;

/// The `/{entity}` profile page.
#[server(client = crate::api::csrf::CsrfClient)]
pub async fn get_entity_profile(name: String) -> Result<EntityProfile, AppError> {
    let services = crate::api::service::services()?;
    let viewer = crate::api::service::current_viewer(&services).await?;
    services.entity_profile(viewer.as_ref(), &name).await
}
