#![recursion_limit = "256"]
//! The `cairn` server: storage, ingest APIs, auth, and the web app's SSR host.

pub mod auth;
pub mod bench;
pub mod bench_runs;
pub mod bench_workspace;
pub mod blobs;
pub mod bootstrap;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod error;
pub mod headers;
pub mod ingest;
pub mod metrics;
pub mod service;
pub mod wandb;
pub mod web;
