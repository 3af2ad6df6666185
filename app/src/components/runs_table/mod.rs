//! The Runs tab: filter bar (text with autocompletion and a builder), column control,
//! a virtualised table paged from the server, grouping with histograms, bulk actions
//! and CSV export. Shareable view state (filter, sort, grouping) lives in the URL;
//! column order, pins and visibility are saved per user and project.

mod bulk_bar;
mod cells;
mod columns_dialog;
mod filter_bar;
mod filter_builder;
mod group_list;
mod runs_grid;
mod runs_tab;

pub use runs_tab::RunsTab;

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::logic::runs_table::{resolve_columns, TableColumn};
use crate::model::{ColumnInfo, ColumnSettings, ProjectRef, SortSpec};

/// State shared by the pieces of the Runs tab (provided as context).
#[derive(Clone, Copy)]
pub struct TableCtx {
    pub project: StoredValue<ProjectRef>,
    pub columns: RwSignal<Vec<ColumnInfo>>,
    pub settings: RwSignal<ColumnSettings>,
    pub can_write: RwSignal<bool>,
    pub signed_in: RwSignal<bool>,
    /// The applied filter, sort and grouping (read from the URL).
    pub filter: Memo<String>,
    pub sort: Memo<Option<SortSpec>>,
    pub group_by: Memo<Vec<String>>,
    /// Bumped after a change to runs, so every table refetches.
    pub refresh: RwSignal<u64>,
    pub selected: RwSignal<BTreeSet<String>>,
    /// "Every run matching the filter" is selected (even rows not loaded).
    pub all_matching: RwSignal<bool>,
    /// Runs matching the filter, once the first page said.
    pub total: RwSignal<Option<u64>>,
    /// A message about the last action (bulk change, save failure).
    pub status: RwSignal<Option<String>>,
}

impl TableCtx {
    /// Every column in display order with pin and visibility.
    pub fn layout(&self) -> Vec<TableColumn> {
        resolve_columns(&self.columns.get(), &self.settings.get())
    }

    /// The visible columns in display order.
    pub fn visible(&self) -> Vec<TableColumn> {
        self.layout().into_iter().filter(|c| c.visible).collect()
    }

    /// Change the column settings and save them for a signed-in viewer.
    pub fn change_settings(&self, f: impl FnOnce(&mut ColumnSettings)) {
        self.settings.update(f);
        if !self.signed_in.get_untracked() {
            return;
        }
        let (project, settings, status) = (
            self.project.get_value(),
            self.settings.get_untracked(),
            self.status,
        );
        leptos::task::spawn_local(async move {
            if let Err(e) = crate::api::runs_table::save_column_settings(project, settings).await {
                status.try_set(Some(format!("Could not save the column settings: {e}")));
            }
        });
    }
}

pub fn use_table() -> TableCtx {
    expect_context::<TableCtx>()
}

/// What a view change sets; the parts left `None` keep their current value.
#[derive(Default)]
pub struct ViewChange {
    pub filter: Option<String>,
    pub sort: Option<Option<SortSpec>>,
    pub group: Option<Vec<String>>,
}

/// A function that puts a changed view (filter, sort, grouping) into the URL, replacing
/// the history entry; the table follows the URL. Call it while setting up a component.
pub fn use_set_view() -> impl Fn(ViewChange) + Clone {
    let ctx = use_table();
    let navigate = leptos_router::hooks::use_navigate();
    move |change: ViewChange| {
        let filter = change.filter.unwrap_or_else(|| ctx.filter.get_untracked());
        let sort = change.sort.unwrap_or_else(|| ctx.sort.get_untracked());
        let group = change.group.unwrap_or_else(|| ctx.group_by.get_untracked());
        let url = format!(
            "{}/runs{}",
            ctx.project.get_value().href(),
            crate::logic::runs_table::view_query_string(&filter, sort.as_ref(), &group)
        );
        navigate(
            &url,
            leptos_router::NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    }
}
