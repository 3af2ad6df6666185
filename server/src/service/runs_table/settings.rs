//! The viewer's saved column settings (order, pinned, hidden, widths) per project.

use super::*;

pub(super) const SETTINGS_NAME: &str = "runs.columns";

pub(super) async fn load_settings(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
) -> Result<ColumnSettings, ApiError> {
    Ok(view_settings::load(db, user_id, project_id, SETTINGS_NAME)
        .await?
        .and_then(|doc| serde_json::from_str(&doc).ok())
        .unwrap_or_default())
}

/// Save the viewer's column settings for the project (any reader may arrange their
/// own view).
pub async fn save_settings(
    db: &impl ConnectionTrait,
    viewer: &user::Model,
    at: &ProjectRef,
    mut settings: ColumnSettings,
) -> Result<(), ApiError> {
    let (project, _) = open(db, Some(viewer), at).await?;
    let total =
        settings.order.len() + settings.pinned.len() + settings.hidden.len() + settings.shown.len();
    if total > 20_000 || settings.order.iter().any(|c| c.len() > 1_000) {
        return Err(bad("column settings are too large"));
    }
    settings.version = COLUMN_SETTINGS_VERSION;
    let doc = serde_json::to_string(&settings).map_err(|e| ApiError::Internal(e.to_string()))?;
    view_settings::save(db, viewer.id, project.id, SETTINGS_NAME, doc).await?;
    Ok(())
}
