mod get_run_detail;
mod run_series;
mod series_query;

pub use get_run_detail::*;
pub use run_series::*;
pub use series_query::*;
