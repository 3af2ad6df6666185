//! The native JSON API under `/api/v1` (SPEC.md §5), documented in the README.
//! The wandb protocol lives beside it, in `crate::wandb`.

mod artifacts;
mod automations;
pub mod extract;
mod reports;
pub mod routes;
mod sweeps;

pub use routes::api_router;
