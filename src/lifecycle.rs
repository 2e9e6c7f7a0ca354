//! Drupal → Entra: which queue operation a saved Drupal account needs. The host compares
//! nothing itself: it sends the account before and after the save, the site's rules and the
//! mapping, and queues what the answer names.

use crate::mapping::{DrupalUser, MappingConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The site's lifecycle settings that bear on an account save.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub struct SaveRules {
    /// PATCH the mapped properties that changed.
    pub update_on_change: bool,
    /// Drupal's blocked/active status is written to `accountEnabled`.
    pub sync_status: bool,
    /// A changed e-mail address is written to Entra's `mail` (else a mail change needs nothing).
    pub sync_mail: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveOp {
    Update,
    Disable,
    Enable,
}

#[derive(Debug, Serialize)]
pub struct SaveDecision {
    /// `None`: nothing to send.
    pub op: Option<SaveOp>,
    /// The inputs that differ: `name`, `mail`, `status`, `field:<name>`.
    pub changed: Vec<String>,
}

/// What the mapping reads of an account, as text: a value the mapping does not read cannot
/// make an update necessary.
fn mapped_inputs(
    mapping: &MappingConfig,
    rules: SaveRules,
    user: &DrupalUser,
) -> BTreeMap<String, Option<String>> {
    let mut inputs = BTreeMap::new();
    inputs.insert("name".to_owned(), Some(user.name.clone()));
    if rules.sync_mail {
        inputs.insert(
            "mail".to_owned(),
            Some(user.mail.clone().unwrap_or_default()),
        );
    }
    for field in mapping.drupal_fields() {
        let value = user.fields.get(field).and_then(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
            other => Some(other.to_string()),
        });
        inputs.insert(format!("field:{field}"), value);
    }
    inputs
}

/// The rule: with no `before` (the host had no original), an update when updates are on; a
/// changed mapped input, or a changed status with status sync, is an update when updates are
/// on; otherwise a changed status with status sync is a disable or an enable.
pub fn on_save(
    mapping: &MappingConfig,
    rules: SaveRules,
    before: Option<&DrupalUser>,
    after: &DrupalUser,
) -> SaveDecision {
    let Some(before) = before else {
        return SaveDecision {
            op: rules.update_on_change.then_some(SaveOp::Update),
            changed: vec![],
        };
    };
    let (old, new) = (
        mapped_inputs(mapping, rules, before),
        mapped_inputs(mapping, rules, after),
    );
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    let enabled = |u: &DrupalUser| u.status.unwrap_or(false);
    let status_changed = enabled(before) != enabled(after);
    if status_changed {
        changed.push("status".into());
    }
    let status_counts = status_changed && rules.sync_status;
    let profile_changed = changed.iter().any(|c| c != "status");
    let op = if rules.update_on_change && (profile_changed || status_counts) {
        Some(SaveOp::Update)
    } else if status_counts {
        Some(if enabled(after) {
            SaveOp::Enable
        } else {
            SaveOp::Disable
        })
    } else {
        None
    };
    SaveDecision { op, changed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(v: Value) -> DrupalUser {
        serde_json::from_value(v).unwrap()
    }

    fn mapping() -> MappingConfig {
        serde_json::from_value(json!({"display_name_field": "field_full",
            "properties": {"field_dept": "department"}}))
        .unwrap()
    }

    const ALL_ON: SaveRules = SaveRules {
        update_on_change: true,
        sync_status: true,
        sync_mail: false,
    };

    #[test]
    fn only_what_the_mapping_reads_makes_an_update() {
        let before = user(json!({"name": "a", "mail": "a@x.com", "status": 1,
            "fields": {"field_dept": "IT", "field_full": "A", "field_other": "1"}}));
        let unmapped = user(json!({"name": "a", "mail": "b@x.com", "status": 1,
            "fields": {"field_dept": "IT", "field_full": "A", "field_other": "2"}}));
        let d = on_save(&mapping(), ALL_ON, Some(&before), &unmapped);
        assert_eq!(d.op, None, "mail without mail sync, and an unmapped field");
        let with_mail = SaveRules {
            sync_mail: true,
            ..ALL_ON
        };
        let d = on_save(&mapping(), with_mail, Some(&before), &unmapped);
        assert_eq!(
            (d.op, d.changed),
            (Some(SaveOp::Update), vec!["mail".into()])
        );
        let dept = user(json!({"name": "a", "mail": "a@x.com", "status": 1,
            "fields": {"field_dept": 7, "field_full": "A"}}));
        let d = on_save(&mapping(), ALL_ON, Some(&before), &dept);
        assert_eq!(d.changed, vec!["field:field_dept".to_string()]);
        let display = user(json!({"name": "a", "mail": "a@x.com", "status": 1,
            "fields": {"field_dept": "IT", "field_full": null}}));
        assert_eq!(
            on_save(&mapping(), ALL_ON, Some(&before), &display).op,
            Some(SaveOp::Update)
        );
    }

    #[test]
    fn a_status_change_follows_status_sync() {
        let active = user(json!({"name": "a", "status": "1"}));
        let blocked = user(json!({"name": "a", "status": 0}));
        let m = MappingConfig::default();
        assert_eq!(
            on_save(&m, ALL_ON, Some(&active), &blocked).op,
            Some(SaveOp::Update)
        );
        let no_updates = SaveRules {
            update_on_change: false,
            ..ALL_ON
        };
        assert_eq!(
            on_save(&m, no_updates, Some(&active), &blocked).op,
            Some(SaveOp::Disable)
        );
        assert_eq!(
            on_save(&m, no_updates, Some(&blocked), &active).op,
            Some(SaveOp::Enable)
        );
        let no_sync = SaveRules {
            sync_status: false,
            ..ALL_ON
        };
        assert_eq!(on_save(&m, no_sync, Some(&active), &blocked).op, None);
        assert_eq!(
            on_save(&m, no_updates, None, &blocked).op,
            None,
            "no original and no updates"
        );
        assert_eq!(on_save(&m, ALL_ON, None, &blocked).op, Some(SaveOp::Update));
    }
}
