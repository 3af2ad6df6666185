#![recursion_limit = "256"]
//! The `cairn` server: storage, ingest APIs, auth, and the web app's SSR host.

pub mod auth;
#[cfg(feature = "bench")]
pub mod bench;
pub mod blobs;
pub mod body_budget;
pub mod bootstrap;
pub mod config;
pub mod csrf;
pub mod db;
pub mod demo;
pub mod error;
pub mod headers;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod service;
pub mod state;
pub mod telemetry;
pub mod wandb;
pub mod web;
