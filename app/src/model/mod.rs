//! Typed wire models shared by the server and the browser. Plain serde
//! structs: no database derives, no behaviour beyond small conveniences.

mod account;
mod artifact;
mod automation;
mod ids;
mod metrics;
mod project;
mod report;
mod run;
mod runs_table;
mod sweep;
mod user;
mod workspace;

pub use account::*;
pub use artifact::*;
pub use automation::*;
pub use ids::{ProjectRef, RunId};
pub use metrics::{
    BucketColumns, ChartSeries, GroupBucket, GroupBy, GroupSeries, HistoryPage, HistoryRow,
    MetricBucket, MetricPoint, MetricValue, RunSeries, SeriesAnswer, SeriesQuery, XAxis,
};
pub use project::{ProjectCard, ProjectOverview, Visibility};
pub use report::*;
pub use run::{
    ConsoleLine, ConsoleStream, RunDetail, RunFileInfo, RunState, RunSummaryRow,
    MAX_RUN_FILES_LISTED,
};
pub use runs_table::*;
pub use sweep::*;
pub use user::Viewer;
pub use workspace::*;
