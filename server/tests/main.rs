//! Every integration test of the server, linked into one binary.
//!
//! One test binary instead of one per file: each binary links the whole server with its
//! database drivers, and on a two-core machine thirteen links of that size cost minutes
//! of every cold `make test`. The files stay one per area; they are modules here.

mod common;

mod api;
mod automations;
mod blobs;
mod cli;
mod db_copy;
mod durability;
mod hardening;
mod layers;
mod metrics;
mod permissions;
mod reports;
mod runs_table;
mod scale_out;
mod storage;
mod sweeps;
mod wandb;
mod workspace;
