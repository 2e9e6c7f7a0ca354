//! The user directory, in three parts: [`schema`], the properties of `microsoft.graph.user` the
//! emulator knows; [`store`], the in-memory collection with its lookups and the uniqueness of
//! UPN and mail; and [`validation`], the rules the directory applies to creates and updates,
//! with the error bodies Graph answers.

mod schema;
mod store;
mod validation;

pub(crate) use schema::{DELETED, ID, Kind, PROPS, prop_index_ci};
pub(crate) use store::{Store, User, looks_like_guid};
pub(crate) use validation::{Mode, validate};

// Used only by other modules' unit tests.
#[cfg(test)]
pub(crate) use schema::DEFAULT_SET;
