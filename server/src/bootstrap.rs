//! First start: on an empty database, create the admin user with a password and an
//! API key (printed once, or taken from the environment) and log the demo project.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use crate::auth::credentials::{is_valid_api_key, new_api_key, new_password};
use crate::db::entities::user;
use crate::db::repo::users;
use crate::error::ApiError;

/// Username of the first-start admin.
pub const ADMIN_USERNAME: &str = "admin";

pub use crate::config::AdminSecrets;

/// What a first start created.
pub struct FirstStart {
    pub admin: user::Model,
    pub password: String,
    pub api_key: String,
    /// Whether the secrets were generated (and so must be shown).
    pub generated_password: bool,
    pub generated_key: bool,
}

/// Create a user with a password (and their personal entity), by the account rules
/// of `service::accounts::new_account`; the display name is the username.
pub async fn create_user(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
    is_admin: bool,
) -> Result<user::Model, ApiError> {
    crate::service::accounts::new_account(db, username, username, password, is_admin).await
}

/// Give a user an API key (the given one, or a new one) by the rules of
/// `service::accounts::add_api_key`; returns the key.
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    user: &user::Model,
    name: &str,
    key: Option<String>,
) -> Result<String, ApiError> {
    Ok(crate::service::accounts::add_api_key(db, user, name, key)
        .await?
        .key)
}

/// On an empty database create the admin; `None` when users already exist.
pub async fn first_start(
    db: &DatabaseConnection,
    secrets: AdminSecrets,
) -> Result<Option<FirstStart>, ApiError> {
    if users::count_users(db).await? > 0 {
        return Ok(None);
    }
    // Check the given secrets before writing anything, and write everything in one
    // transaction: a refused secret must not leave an admin whose password nobody saw.
    let generated_password = secrets.password.is_none();
    let password = secrets.password.unwrap_or_else(new_password);
    crate::service::accounts::check_password(&password)
        .map_err(|e| ApiError::Unprocessable(format!("CAIRN_ADMIN_PASSWORD: {e}")))?;
    let generated_key = secrets.api_key.is_none();
    let api_key = secrets.api_key.unwrap_or_else(new_api_key);
    if !is_valid_api_key(&api_key) {
        return Err(ApiError::Unprocessable(
            "CAIRN_ADMIN_API_KEY: an API key must be at least 40 characters of letters, digits, '-' and '_'"
                .into(),
        ));
    }
    let tx = db.begin().await?;
    let admin = create_user(&tx, ADMIN_USERNAME, &password, true).await?;
    create_api_key(&tx, &admin, "first start", Some(api_key.clone())).await?;
    tx.commit().await?;
    Ok(Some(FirstStart {
        admin,
        password,
        api_key,
        generated_password,
        generated_key,
    }))
}
