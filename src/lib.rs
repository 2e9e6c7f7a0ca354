//! entra_provisioning: keeps Drupal accounts in step with Microsoft Entra ID through Microsoft
//! Graph. Plain safe Rust in every module but `ffi`, which exposes it to PHP through a C ABI.

pub mod advice;
pub mod bulk;
pub mod certificate;
pub mod config;
pub mod credential;
pub mod deadline;
pub mod decide;
pub mod describe;
pub mod direction;
pub mod error;
pub mod feature;
pub mod ffi;
pub mod graph;
pub mod groups;
pub mod import;
pub mod json;
pub mod lifecycle;
pub mod mapping;
pub mod matching;
pub mod operation;
pub mod panic;
pub mod password;
pub mod per_process;
pub mod provision;
pub mod redact;
pub mod runtime;
pub mod secret;
pub mod token;
pub mod transport;

pub use config::Config;
pub use error::{Detail, Error, ErrorKind, Result};
pub use provision::{Action, Outcome, Provisioner};
