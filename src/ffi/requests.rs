//! The JSON shapes of the exports' requests that are not a core type of their own.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(super) struct EntraIdRequest {
    pub(super) entra_id: String,
}

#[derive(Deserialize)]
pub(super) struct UpdateRequest {
    pub(super) entra_id: String,
    #[serde(deserialize_with = "crate::json::map_or_empty_array")]
    pub(super) user: crate::mapping::DrupalUser,
    /// The link's facts; without them the update is not restricted (ABI 2 callers).
    #[serde(default, deserialize_with = "crate::json::option_map_or_empty_array")]
    pub(super) link: Option<LinkFacts>,
    /// Write the Drupal mail to Entra's `mail` (default false; see `UpdateRules::sync_mail`).
    #[serde(default)]
    pub(super) sync_mail: bool,
    /// Write the Drupal status to `accountEnabled` (default true); false leaves it as it is
    /// in Entra, whatever `user.status` says.
    #[serde(default = "yes")]
    pub(super) sync_status: bool,
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Deserialize)]
pub(super) struct LinkFacts {
    pub(super) provenance: Option<crate::matching::Provenance>,
    #[serde(default)]
    pub(super) deprovision_matched: bool,
}

#[derive(Deserialize)]
pub(super) struct LinkRequest {
    pub(super) entra_id: String,
    #[serde(deserialize_with = "crate::json::map_or_empty_array")]
    pub(super) user: crate::mapping::DrupalUser,
}

/// `entra_bulk_provision` takes the users as an array, or as `{"users": [...]}` (the form that
/// can carry `budget_ms` and `workers`). Read without buffering the input (an untagged enum would
/// copy every user once more).
pub(super) struct BulkRequest {
    pub(super) users: Vec<Value>,
    /// How many processes work against the application's quota now, this one included (the
    /// host counts them); the call keeps to its equal part of the write budget.
    pub(super) workers: Option<u32>,
}

impl<'de> Deserialize<'de> for BulkRequest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = BulkRequest;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of users, or an object with \"users\"")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<BulkRequest, A::Error> {
                let users =
                    Deserialize::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(BulkRequest {
                    users,
                    workers: None,
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<BulkRequest, A::Error> {
                let mut users = None;
                let mut workers = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "users" => users = Some(map.next_value()?),
                        "workers" => workers = map.next_value()?,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                users
                    .map(|users| BulkRequest { users, workers })
                    .ok_or_else(|| serde::de::Error::missing_field("users"))
            }
        }
        d.deserialize_any(Visit)
    }
}
