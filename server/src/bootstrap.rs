//! First start: on an empty database, create the admin user with a password and an
//! API key (printed once, or taken from the environment) and log the demo project.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

use crate::auth::credentials::{is_valid_api_key, new_api_key, new_password, token_hash};
use crate::db::entities::user;
use crate::db::now_ms;
use crate::db::repo::users;
use crate::error::ApiError;

/// Username of the first-start admin.
pub const ADMIN_USERNAME: &str = "admin";

/// Secrets for the first admin; `None` fields are generated.
#[derive(Debug, Clone, Default)]
pub struct AdminSecrets {
    pub password: Option<String>,
    pub api_key: Option<String>,
}

/// What a first start created.
pub struct FirstStart {
    pub admin: user::Model,
    pub password: String,
    pub api_key: String,
    /// Whether the secrets were generated (and so must be shown).
    pub generated_password: bool,
    pub generated_key: bool,
}

/// Create a user with a password; also their personal entity.
pub async fn create_user(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
    is_admin: bool,
) -> Result<user::Model, ApiError> {
    app::logic::validate::entity_name(username)?;
    check_password(password)?;
    if users::find_by_username(db, username).await?.is_some()
        || crate::db::repo::projects::find_entity(db, username)
            .await?
            .is_some()
    {
        return Err(ApiError::Unprocessable(format!(
            "the name {username:?} is taken"
        )));
    }
    let hash = crate::auth::credentials::hash_password_limited(password)
        .await
        .map_err(ApiError::Internal)?;
    Ok(users::create_user(db, username, username, &hash, is_admin, now_ms()).await?)
}

fn check_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 8 {
        return Err(ApiError::Unprocessable(
            "password must be at least 8 characters".into(),
        ));
    }
    Ok(())
}

fn check_api_key(key: &str) -> Result<(), ApiError> {
    if !is_valid_api_key(key) {
        return Err(ApiError::Unprocessable(
            "an API key must be at least 40 characters of letters, digits, '-' and '_'".into(),
        ));
    }
    Ok(())
}

/// Give a user an API key (the given one, or a new one); returns the key.
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    user: &user::Model,
    name: &str,
    key: Option<String>,
) -> Result<String, ApiError> {
    let key = key.unwrap_or_else(new_api_key);
    check_api_key(&key)?;
    users::insert_api_key(db, user.id, name, &token_hash(&key), &key[..6], now_ms()).await?;
    Ok(key)
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
    check_password(&password)
        .map_err(|e| ApiError::Unprocessable(format!("CAIRN_ADMIN_PASSWORD: {e}")))?;
    let generated_key = secrets.api_key.is_none();
    let api_key = secrets.api_key.unwrap_or_else(new_api_key);
    check_api_key(&api_key)
        .map_err(|e| ApiError::Unprocessable(format!("CAIRN_ADMIN_API_KEY: {e}")))?;
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
