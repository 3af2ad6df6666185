mod bulk_update_runs;
mod column_values;
mod export_runs_csv;
mod get_runs_table_meta;
mod query_run_groups;
mod query_runs;
mod save_column_settings;

pub use bulk_update_runs::*;
pub use column_values::*;
pub use export_runs_csv::*;
pub use get_runs_table_meta::*;
pub use query_run_groups::*;
pub use query_runs::*;
pub use save_column_settings::*;
