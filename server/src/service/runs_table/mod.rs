//! The Runs tab over SQL: the filter AST compiled to a parameterised `WHERE`, sorting
//! with missing values last, paging, grouping with histograms, bulk actions, CSV rows
//! and the saved column settings. Config and summary values come from `run_fields`
//! (see `db::repo::run_fields`), so no query parses run JSON.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DbErr, QueryResult};

use app::logic::filter::{parse_filter, Builtin, CmpOp, Column, Expr, FieldValue, Literal};
use app::logic::runs_table::{builtin_columns, histogram};
use app::model::{
    BulkAction, BulkTarget, ColumnInfo, ColumnKind, ColumnSettings, GroupsAnswer, GroupsQuery,
    Histogram, ProjectRef, RunGroup, RunId, RunRow, RunState, RunsPage, RunsQuery, RunsTableMeta,
    SortSpec, COLUMN_SETTINGS_VERSION, MAX_GROUPS, MAX_PAGE_ROWS,
};

use super::reads::readable_project;
use crate::auth::access::{project_access, Access};
use crate::db::entities::{project, user};
use crate::db::repo::{runs, view_settings};
use crate::db::sql::Sql;
use crate::error::ApiError;

/// Bins of a group's histogram.
pub const HISTOGRAM_BINS: usize = 12;
/// Most columns one grouping draws histograms for.
pub const MAX_HISTOGRAM_COLUMNS: usize = 30;
/// Most columns a page may ask values for.
pub const MAX_VALUE_COLUMNS: usize = 1_000;

mod bulk;
mod export;
mod groups;
mod page;
mod settings;
mod sql;

pub use bulk::bulk;
pub use export::csv;
pub use groups::groups;
pub(crate) use page::matching;
pub use page::{column_values, runs_page};
pub use settings::save_settings;
pub use sql::{compile, parse};

use page::*;
use settings::*;
use sql::*;

fn bad(e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest(e.to_string())
}

/// A readable project and whether the viewer may change it.
pub(crate) async fn open(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<(project::Model, Access), ApiError> {
    let (project, owner) = readable_project(db, viewer, at).await?;
    let access = project_access(db, viewer, &project, &owner).await?;
    Ok((project, access))
}

/// Columns, saved settings and permissions for the Runs tab.
pub async fn table_meta(
    db: &impl ConnectionTrait,
    viewer: Option<&user::Model>,
    at: &ProjectRef,
) -> Result<RunsTableMeta, ApiError> {
    let (project, access) = open(db, viewer, at).await?;
    let mut columns = builtin_columns();
    let mut q = Sql::new(db.get_database_backend());
    q.push("SELECT key, numeric FROM project_columns WHERE project_id = ")
        .bind(project.id)
        .push(" AND key <> 'tags' ORDER BY key");
    let mut config = Vec::new();
    let mut summary = Vec::new();
    for row in db.query_all_raw(q.build()).await? {
        let key: String = row.try_get("", "key")?;
        let numeric: bool = row.try_get("", "numeric")?;
        let info = ColumnInfo {
            kind: if numeric {
                ColumnKind::Number
            } else {
                ColumnKind::Text
            },
            id: key,
        };
        if info.id.starts_with("config.") {
            config.push(info);
        } else {
            summary.push(info);
        }
    }
    columns.extend(config);
    columns.extend(summary);
    let settings = match viewer {
        Some(v) => load_settings(db, v.id, project.id).await?,
        None => ColumnSettings::default(),
    };
    Ok(RunsTableMeta {
        columns,
        settings,
        can_write: access == Access::Write,
        signed_in: viewer.is_some(),
    })
}
