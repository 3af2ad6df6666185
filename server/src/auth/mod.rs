//! Credentials and access: password hashing, API keys, session tokens, and the one
//! place that decides who may read or write a project.

pub mod access;
pub mod api_keys;
pub mod credentials;
pub mod limiter;
