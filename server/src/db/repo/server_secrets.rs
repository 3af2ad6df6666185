//! Secrets the server makes for itself (the storage-URL signing key), kept in the
//! database so every server sharing it uses the same ones.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::db::entities::server_secret;

/// The secret called `name`, made by `make` and stored when there is none yet. When
/// two servers race, the first stored value wins and both return it.
pub async fn get_or_create(
    db: &impl ConnectionTrait,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, DbErr> {
    if let Some(row) = server_secret::Entity::find_by_id(name).one(db).await? {
        return Ok(row.value);
    }
    let insert = Query::insert()
        .into_table(server_secret::Entity)
        .columns([server_secret::Column::Name, server_secret::Column::Value])
        .values_panic([name.into(), make().into()])
        .on_conflict(
            OnConflict::column(server_secret::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    server_secret::Entity::find_by_id(name)
        .one(db)
        .await?
        .map(|row| row.value)
        .ok_or_else(|| DbErr::RecordNotFound(format!("server secret {name:?} was not stored")))
}
