//! The reverse mapping, Entra → Drupal: the Drupal account values a Graph user implies, beside
//! the forward mapping (`map_user`) whose configuration it reads the other way round.

use super::{MappingConfig, UpnSource};
use serde_json::{Map, Value, json};

/// Drupal's `UserInterface::USERNAME_MAX_LENGTH`.
const DRUPAL_NAME_MAX: usize = 60;

/// The Drupal values a Graph user implies, for the properties present in `user` (a delta page
/// carries only what changed).
pub fn reverse_map(user: &Value, mapping: &MappingConfig) -> Map<String, Value> {
    let mut out = Map::new();
    let text = |key: &str| {
        user.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name_source = match mapping.upn_source {
        UpnSource::Mail => text("mail").or_else(|| text("userPrincipalName")),
        UpnSource::Name => text("userPrincipalName"),
    };
    if let Some(source) = name_source {
        let local = match mapping.upn_source {
            UpnSource::Mail => source,
            UpnSource::Name => source.split('@').next().unwrap_or_default(),
        };
        let name = drupal_name(local);
        if !name.is_empty() {
            out.insert("name".into(), json!(name));
        }
    }
    if user.get("mail").is_some() {
        out.insert("mail".into(), json!(text("mail")));
    }
    if let Some(enabled) = user.get("accountEnabled").and_then(Value::as_bool) {
        out.insert("status".into(), json!(u8::from(enabled)));
    }
    let mut fields = Map::new();
    for (field, property) in &mapping.properties {
        if let Some(value) = user.get(property) {
            let value = match value {
                Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
                other => other.clone(),
            };
            fields.insert(field.clone(), value);
        }
    }
    if mapping.display_name_field != "name"
        && mapping.display_name_field != "mail"
        && let Some(display) = user.get("displayName")
    {
        fields.insert(mapping.display_name_field.clone(), display.clone());
    }
    if !fields.is_empty() {
        out.insert("fields".into(), Value::Object(fields));
    }
    out
}

/// A Drupal username from a UPN local part or mail: Drupal accepts letters (any script),
/// digits, space and `. - _ @ + '`; at most 60 characters.
pub fn drupal_name(source: &str) -> String {
    let cleaned: String = source
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '@' | '+' | '\''))
        .take(DRUPAL_NAME_MAX)
        .collect();
    cleaned.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_mapping_of_a_full_user() {
        let mut mapping = MappingConfig::default();
        mapping
            .properties
            .insert("field_title".into(), "jobTitle".into());
        mapping
            .properties
            .insert("field_phone".into(), "businessPhones".into());
        let user = json!({"id": "1", "userPrincipalName": "jane.doe@contoso.com", "mail": "Jane@Example.com",
            "accountEnabled": false, "jobTitle": "CTO", "businessPhones": ["+1 555"]});
        let d = reverse_map(&user, &mapping);
        assert_eq!(d["name"], "jane.doe");
        assert_eq!(d["mail"], "Jane@Example.com");
        assert_eq!(d["status"], 0);
        assert_eq!(
            d["fields"],
            json!({"field_title": "CTO", "field_phone": "+1 555"})
        );
    }

    #[test]
    fn partial_delta_items_give_only_what_they_carry() {
        let d = reverse_map(
            &json!({"id": "1", "accountEnabled": true}),
            &MappingConfig::default(),
        );
        assert_eq!(Value::Object(d), json!({"status": 1}));
    }

    #[test]
    fn names_follow_drupal_rules() {
        assert_eq!(drupal_name("o'brien!#^~x"), "o'brienx");
        assert_eq!(drupal_name(&"a".repeat(80)).len(), 60);
        assert_eq!(drupal_name("zoë"), "zoë");
        let mapping = MappingConfig {
            upn_source: UpnSource::Mail,
            ..MappingConfig::default()
        };
        let d = reverse_map(
            &json!({"userPrincipalName": "x@c.com", "mail": "jd@example.org"}),
            &mapping,
        );
        assert_eq!(d["name"], "jd@example.org");
    }
}
