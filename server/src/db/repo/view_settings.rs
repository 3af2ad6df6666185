//! Per-user documents about how a project is viewed (`view_settings`): the runs
//! table's columns (`runs.columns`), the Workspace (`workspace`). Stored as JSON
//! text, one row per user, project and name.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::sql::Sql;

/// The stored document, if the user saved one.
pub async fn load(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
    name: &str,
) -> Result<Option<String>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT doc FROM view_settings WHERE user_id = ")
        .bind(user_id)
        .push(" AND project_id = ")
        .bind(project_id)
        .push(" AND name = ")
        .bind(name.to_owned());
    match db.query_one_raw(q.build()).await? {
        Some(row) => Ok(Some(row.try_get::<String>("", "doc")?)),
        None => Ok(None),
    }
}

/// Insert or replace the document (one statement, so a retry is harmless).
pub async fn save(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
    name: &str,
    doc: String,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("INSERT INTO view_settings (user_id, project_id, name, doc, updated_at) VALUES (")
        .bind(user_id)
        .push(", ")
        .bind(project_id)
        .push(", ")
        .bind(name.to_owned())
        .push(", ")
        .bind(doc)
        .push(", ")
        .bind(crate::db::now_ms())
        .push(
            ") ON CONFLICT (user_id, project_id, name) DO UPDATE SET doc = excluded.doc, \
             updated_at = excluded.updated_at",
        );
    db.execute_raw(q.build()).await?;
    Ok(())
}

/// The user's documents in a project whose name starts with `prefix`: (name, doc).
pub async fn with_prefix(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
    prefix: &str,
) -> Result<Vec<(String, String)>, DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    // A range on the name instead of LIKE: the prefix may hold `%` or `_`.
    q.push("SELECT name, doc FROM view_settings WHERE user_id = ")
        .bind(user_id)
        .push(" AND project_id = ")
        .bind(project_id)
        .push(" AND substr(name, 1, ")
        .bind(prefix.chars().count() as i32)
        .push(") = ")
        .bind(prefix.to_owned())
        .push(" ORDER BY updated_at DESC");
    let mut out = Vec::new();
    for row in db.query_all_raw(q.build()).await? {
        out.push((row.try_get("", "name")?, row.try_get("", "doc")?));
    }
    Ok(out)
}

/// Remove a document (idempotent).
pub async fn delete(
    db: &impl ConnectionTrait,
    user_id: i32,
    project_id: i32,
    name: &str,
) -> Result<(), DbErr> {
    let mut q = Sql::new(db.get_database_backend());
    q.push("DELETE FROM view_settings WHERE user_id = ")
        .bind(user_id)
        .push(" AND project_id = ")
        .bind(project_id)
        .push(" AND name = ")
        .bind(name.to_owned());
    db.execute_raw(q.build()).await?;
    Ok(())
}
