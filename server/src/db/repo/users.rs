//! Users, their personal entities, API keys and sessions.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, Set,
};

use crate::db::entities::{api_key, entity, session, site_setting, user};

/// Create a user and their personal entity (same name).
pub async fn create_user(
    db: &impl ConnectionTrait,
    username: &str,
    display_name: &str,
    password_hash: &str,
    is_admin: bool,
    now: i64,
) -> Result<user::Model, DbErr> {
    let user = user::ActiveModel {
        username: Set(username.to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(password_hash.to_owned()),
        is_admin: Set(is_admin),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    entity::ActiveModel {
        name: Set(username.to_owned()),
        kind: Set("user".to_owned()),
        user_id: Set(Some(user.id)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(user)
}

pub async fn count_users(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    user::Entity::find().count(db).await
}

pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(db)
        .await
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// Store a new API key by its hash.
pub async fn insert_api_key(
    db: &impl ConnectionTrait,
    user_id: i32,
    name: &str,
    key_hash: &str,
    prefix: &str,
    now: i64,
) -> Result<api_key::Model, DbErr> {
    api_key::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_owned()),
        key_hash: Set(key_hash.to_owned()),
        prefix: Set(prefix.to_owned()),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// The owner of a live (not revoked) key with this hash; marks the key used.
pub async fn user_for_api_key(
    db: &impl ConnectionTrait,
    key_hash: &str,
    now: i64,
) -> Result<Option<user::Model>, DbErr> {
    let Some(key) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(key_hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Record use at most once a minute: a busy client must not turn reads into writes.
    if key.last_used_at.is_none_or(|t| now - t > 60_000) {
        let mut active: api_key::ActiveModel = key.clone().into();
        active.last_used_at = Set(Some(now));
        active.update(db).await?;
    }
    find_by_id(db, key.user_id).await
}

pub async fn insert_session(
    db: &impl ConnectionTrait,
    user_id: i32,
    token_hash: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), DbErr> {
    session::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token_hash.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The user of an unexpired session.
pub async fn user_for_session(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: i64,
) -> Result<Option<user::Model>, DbErr> {
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    find_by_id(db, s.user_id).await
}

pub async fn delete_session(db: &impl ConnectionTrait, token_hash: &str) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(token_hash))
        .exec(db)
        .await?;
    Ok(())
}

/// A user's API keys, newest first (revoked ones included, marked).
pub async fn api_keys_of(
    db: &impl ConnectionTrait,
    user_id: i32,
) -> Result<Vec<api_key::Model>, DbErr> {
    use sea_orm::QueryOrder;
    api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(user_id))
        .order_by_desc(api_key::Column::Id)
        .all(db)
        .await
}

/// Revoke one of the user's keys (idempotent); false when the user has no such key.
pub async fn revoke_api_key(
    db: &impl ConnectionTrait,
    user_id: i32,
    key_id: i32,
    now: i64,
) -> Result<bool, DbErr> {
    let Some(key) = api_key::Entity::find_by_id(key_id)
        .filter(api_key::Column::UserId.eq(user_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if key.revoked_at.is_none() {
        let mut active: api_key::ActiveModel = key.into();
        active.revoked_at = Set(Some(now));
        active.update(db).await?;
    }
    Ok(true)
}

/// Replace a user's password hash and end their other sessions.
pub async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i32,
    password_hash: &str,
    keep_session_hash: Option<&str>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    let mut del = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep_session_hash {
        del = del.filter(session::Column::TokenHash.ne(keep));
    }
    del.exec(db).await?;
    Ok(())
}

/// A site setting's value, if set.
pub async fn site_setting(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(site_setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|s| s.value))
}

/// Set a site setting.
pub async fn set_site_setting(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
) -> Result<(), DbErr> {
    site_setting::Entity::delete_by_id(key.to_owned())
        .exec(db)
        .await?;
    site_setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The usernames of users `ids`.
pub async fn usernames(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    let mut out = std::collections::HashMap::new();
    for part in ids.chunks(500) {
        for u in user::Entity::find()
            .filter(user::Column::Id.is_in(part.iter().copied()))
            .all(db)
            .await?
        {
            out.insert(u.id, u.username);
        }
    }
    Ok(out)
}

// ---- failed sign-ins (auth::limiter) ----

/// Count one sign-in attempt for `username` (lowercased by the caller) at `now`, in one
/// statement: a window that started at or before `window_over` starts again at `now`.
/// The window's count after this attempt, and when the window started.
pub async fn count_sign_in_attempt(
    db: &impl ConnectionTrait,
    username: &str,
    now: i64,
    window_over: i64,
) -> Result<(i64, i64), DbErr> {
    let mut q = crate::db::sql::Sql::new(db.get_database_backend());
    q.push("INSERT INTO login_failures (username, failures, window_start) VALUES (")
        .bind(username)
        .push(", 1, ")
        .bind(now)
        .push(") ON CONFLICT (username) DO UPDATE SET failures = CASE WHEN login_failures.window_start <= ")
        .bind(window_over)
        .push(" THEN 1 ELSE login_failures.failures + 1 END, window_start = CASE WHEN login_failures.window_start <= ")
        .bind(window_over)
        .push(" THEN excluded.window_start ELSE login_failures.window_start END RETURNING failures, window_start");
    let row = db
        .query_one_raw(q.build())
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("login_failures".into()))?;
    let failures: i32 = row.try_get("", "failures")?;
    let start: i64 = row.try_get("", "window_start")?;
    Ok((i64::from(failures), start))
}

/// Forget `username`'s failed sign-ins (it signed in).
pub async fn clear_sign_in_failures(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<(), DbErr> {
    let mut q = crate::db::sql::Sql::new(db.get_database_backend());
    q.push("DELETE FROM login_failures WHERE username = ")
        .bind(username);
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// Drop counts whose window started at or before `window_over` (the purge job).
pub async fn purge_sign_in_failures(
    db: &impl ConnectionTrait,
    window_over: i64,
) -> Result<u64, DbErr> {
    let mut q = crate::db::sql::Sql::new(db.get_database_backend());
    q.push("DELETE FROM login_failures WHERE window_start <= ")
        .bind(window_over);
    Ok(db.execute_raw(q.build()).await?.rows_affected())
}
