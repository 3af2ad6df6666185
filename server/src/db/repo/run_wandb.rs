//! The wandb-only part of a run (`run_wandb`): the config's `_wandb` block, the
//! program, and the whole summary as the client sent it.

use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::db::entities::run_wandb;

/// The wandb-only row of a run, if it has one.
pub async fn find(
    db: &impl ConnectionTrait,
    run_pk: i32,
) -> Result<Option<run_wandb::Model>, DbErr> {
    run_wandb::Entity::find_by_id(run_pk).one(db).await
}

/// The wandb-only row of a run that has none yet.
pub fn empty(run_pk: i32) -> run_wandb::Model {
    run_wandb::Model {
        run_id: run_pk,
        wandb_config: "{}".into(),
        summary: None,
        program: None,
    }
}

/// Save the wandb-only row (insert or replace).
pub async fn save(db: &impl ConnectionTrait, row: run_wandb::Model) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(run_wandb::Entity)
        .columns([
            run_wandb::Column::RunId,
            run_wandb::Column::WandbConfig,
            run_wandb::Column::Summary,
            run_wandb::Column::Program,
        ])
        .values_panic([
            row.run_id.into(),
            row.wandb_config.into(),
            row.summary.into(),
            row.program.into(),
        ])
        .on_conflict(
            OnConflict::column(run_wandb::Column::RunId)
                .update_columns([
                    run_wandb::Column::WandbConfig,
                    run_wandb::Column::Summary,
                    run_wandb::Column::Program,
                ])
                .to_owned(),
        )
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}
