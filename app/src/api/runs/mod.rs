mod get_run_detail;
mod run_series;

pub use get_run_detail::*;
pub use run_series::*;
