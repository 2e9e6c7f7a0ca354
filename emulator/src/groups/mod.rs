//! Groups: security groups, Microsoft 365 groups, dynamic and role-assignable groups, their
//! direct members (users and nested groups), and the Graph endpoints that read and change them.
//!
//! - `kind`: the kinds of group a seed can ask for.
//! - `store`: groups, memberships and the change log behind delta.
//! - `schema`: properties and rendering.
//! - `query`: `$filter` and `$search` on groups.
//! - `routes`: `/groups`, `/groups/{id}` and the dispatch of relationship routes.
//! - `listing`: member and membership collections (`members`, `transitiveMembers`, `memberOf`,
//!   `transitiveMemberOf`), shared by users and groups.
//! - `membership`: `$ref` adds and removes.
//! - `delta`: `/groups/delta` with `members@delta`.

mod delta;
mod kind;
mod listing;
mod membership;
mod query;
mod routes;
mod schema;
mod store;

pub(crate) use delta::{DeltaSession, DeltaToken, handle as delta};
pub(crate) use kind::GroupKind;
pub(crate) use routes::{count, get, list, navigation, user_memberships};
pub(crate) use store::{GroupStore, Member, MemberType, NewGroup};
