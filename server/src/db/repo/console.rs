//! Console output: numbered lines per run. Writing at a line number overwrites
//! what was there, which makes retries idempotent and lets progress bars rewrite.

use sea_orm::sea_query::{Expr, Func, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use app::model::{ConsoleLine, ConsoleStream};

use crate::db::entities::console_line::{self, Column};

const ROWS_PER_STATEMENT: usize = 2_000;

/// Write `lines` at line numbers `first_line`, `first_line + 1`, …
pub async fn write_lines(
    db: &impl ConnectionTrait,
    run_pk: i32,
    first_line: u64,
    lines: &[(ConsoleStream, String)],
) -> Result<(), DbErr> {
    for (chunk_no, chunk) in lines.chunks(ROWS_PER_STATEMENT).enumerate() {
        let mut insert = Query::insert();
        insert
            .into_table(console_line::Entity)
            .columns([Column::RunId, Column::LineNo, Column::Stream, Column::Text])
            .on_conflict(
                OnConflict::columns([Column::RunId, Column::LineNo])
                    .update_columns([Column::Stream, Column::Text])
                    .to_owned(),
            );
        for (i, (stream, text)) in chunk.iter().enumerate() {
            let line_no = first_line + (chunk_no * ROWS_PER_STATEMENT + i) as u64;
            insert.values_panic([
                run_pk.into(),
                (line_no as i64).into(),
                stream.as_str().into(),
                text.as_str().into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

/// One past the highest line number stored (0 for none): where an append goes.
pub async fn next_line(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, DbErr> {
    let q = Query::select()
        .expr_as(Func::max(Expr::col(Column::LineNo)), "m")
        .from(console_line::Entity)
        .and_where(Column::RunId.eq(run_pk))
        .to_owned();
    let row = db.query_one(&q).await?;
    let max: Option<i64> = row.map(|r| r.try_get("", "m")).transpose()?.flatten();
    Ok(max.map(|m| m as u64 + 1).unwrap_or(0))
}

/// The last `limit` lines, in order.
pub async fn tail(
    db: &impl ConnectionTrait,
    run_pk: i32,
    limit: u64,
) -> Result<Vec<ConsoleLine>, DbErr> {
    let mut rows = console_line::Entity::find()
        .filter(Column::RunId.eq(run_pk))
        .order_by_desc(Column::LineNo)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|r| ConsoleLine {
            line: r.line_no as u64,
            stream: if r.stream == "stderr" {
                ConsoleStream::Stderr
            } else {
                ConsoleStream::Stdout
            },
            text: r.text,
        })
        .collect())
}

/// How many lines are stored.
pub async fn count(db: &impl ConnectionTrait, run_pk: i32) -> Result<u64, DbErr> {
    let q = Query::select()
        .expr_as(Func::count(Expr::col(Column::LineNo)), "n")
        .from(console_line::Entity)
        .and_where(Column::RunId.eq(run_pk))
        .to_owned();
    let row = db.query_one(&q).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64)
}
