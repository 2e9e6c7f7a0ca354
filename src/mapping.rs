//! Drupal user → Graph user. Pure and deterministic (but for the generated password), so every
//! rule Graph enforces on names is checked here, before any request: a user that Graph would
//! reject becomes a validation error naming the field, never a doomed request.

use crate::error::{Detail, Error, ErrorKind, Result};
use crate::password;
use crate::secret::{REDACTED, Secret};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

mod reverse;
pub use reverse::{drupal_name, reverse_map};

/// Which Drupal value becomes the local part of the UPN and the mailNickname.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpnSource {
    #[default]
    Name,
    Mail,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MappingConfig {
    pub upn_source: UpnSource,
    /// `name`, `mail` or a key of the user's `fields`.
    pub display_name_field: String,
    pub force_change_password: bool,
    /// Rename the Entra account (UPN, mailNickname) when the Drupal name changes. Off by default:
    /// a sign-in name changing under a user's feet is rarely what an admin wants.
    pub update_upn: bool,
    pub password_length: usize,
    /// Drupal field → Graph property, for the properties beyond the fixed ones.
    #[serde(deserialize_with = "crate::json::map_or_empty_array")]
    pub properties: BTreeMap<String, String>,
}

impl MappingConfig {
    /// The Drupal fields (keys of a user's `fields`) the mapping reads: the mapped properties'
    /// sources and a display name taken from a field.
    pub fn drupal_fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = self.properties.keys().map(String::as_str).collect();
        let display = self.display_name_field.as_str();
        if !matches!(display, "name" | "mail") && !fields.contains(&display) {
            fields.push(display);
        }
        fields
    }
}

impl Default for MappingConfig {
    fn default() -> Self {
        MappingConfig {
            upn_source: UpnSource::Name,
            display_name_field: "name".into(),
            force_change_password: true,
            update_upn: false,
            password_length: password::DEFAULT_LENGTH,
            properties: BTreeMap::new(),
        }
    }
}

/// The Graph user properties a Drupal field may be mapped to, with their documented maximum
/// lengths (user resource type, Microsoft Graph v1.0).
const MAPPABLE: &[(&str, usize)] = &[
    ("givenName", 64),
    ("surname", 64),
    ("jobTitle", 128),
    ("department", 64),
    ("companyName", 64),
    ("officeLocation", 128),
    ("employeeId", 16),
    ("employeeType", 64),
    ("mobilePhone", 64),
    ("businessPhones", 64),
    ("faxNumber", 64),
    ("streetAddress", 1024),
    ("city", 128),
    ("state", 128),
    ("postalCode", 40),
    ("country", 128),
    ("usageLocation", 2),
    ("preferredLanguage", 10),
];

/// Properties the mapping sets itself; mapping a field onto them would fight the fixed rules.
const FIXED: &[&str] = &[
    "id",
    "userPrincipalName",
    "mailNickname",
    "displayName",
    "mail",
    "accountEnabled",
    "passwordProfile",
];

const UPN_MAX: usize = 113;
const LOCAL_MAX: usize = 64;
const NICKNAME_MAX: usize = 64;
const DISPLAY_NAME_MAX: usize = 256;

impl MappingConfig {
    pub fn validate(&self) -> Result<()> {
        let mut targets = BTreeSet::new();
        for (field, property) in &self.properties {
            let path = format!("mapping.properties.{field}");
            if FIXED.contains(&property.as_str()) {
                return Err(Error::config(
                    &path,
                    format!(
                        "{property} is set by the mapping itself and cannot be mapped from a field"
                    ),
                ));
            }
            if max_len(property).is_none() {
                let known: Vec<&str> = MAPPABLE.iter().map(|(p, _)| *p).collect();
                return Err(Error::config(
                    &path,
                    format!(
                        "{property} is not a Graph user property that can be mapped (one of: {})",
                        known.join(", ")
                    ),
                ));
            }
            if !targets.insert(property) {
                return Err(Error::config(
                    &path,
                    format!("{property} is mapped from more than one field"),
                ));
            }
        }
        if self.display_name_field.trim().is_empty() {
            return Err(Error::config(
                "mapping.display_name_field",
                "display_name_field is empty",
            ));
        }
        Ok(())
    }

    /// The `$select` that returns everything the mapping compares.
    pub fn select(&self) -> Vec<&str> {
        let mut props = vec![
            "id",
            "userPrincipalName",
            "displayName",
            "mail",
            "mailNickname",
            "accountEnabled",
        ];
        props.extend(self.properties.values().map(String::as_str));
        props
    }
}

/// The Graph properties a Drupal field may be mapped to, for a host's mapping form.
pub fn mappable_properties() -> Value {
    let list: Vec<Value> = MAPPABLE
        .iter()
        .map(|(name, max)| json!({"name": name, "max_length": max}))
        .collect();
    json!({"properties": list, "fixed": FIXED})
}

fn max_len(property: &str) -> Option<usize> {
    MAPPABLE
        .iter()
        .find(|(p, _)| *p == property)
        .map(|(_, n)| *n)
}

/// The Drupal account as the module sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct DrupalUser {
    #[serde(default)]
    pub uid: Option<Value>,
    pub name: String,
    #[serde(default)]
    pub mail: Option<String>,
    /// `None` (absent or null): leave Entra's `accountEnabled` as it is on update and link; a
    /// new account is created enabled.
    #[serde(default, deserialize_with = "drupal_status")]
    pub status: Option<bool>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, deserialize_with = "crate::json::map_or_empty_array")]
    pub fields: BTreeMap<String, Value>,
    /// An earlier create of this account whose outcome the host never learned (a lost answer,
    /// a crash before the link was stored): the UPN it was about to use and when.
    #[serde(default, deserialize_with = "crate::json::option_map_or_empty_array")]
    pub previous_attempt: Option<PreviousAttempt>,
}

/// What the host recorded before sending a create (`entra_map_user` tells it the UPN).
#[derive(Debug, Clone, Deserialize)]
pub struct PreviousAttempt {
    #[serde(rename = "userPrincipalName")]
    pub user_principal_name: String,
    /// Unix time (seconds) of the first attempt with that UPN.
    pub started: i64,
}

/// Drupal sends status as 1/0, "1"/"0" or a boolean depending on where it came from.
fn drupal_status<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(Some(b)),
        Value::Number(n) => Ok(Some(n.as_f64() != Some(0.0))),
        Value::String(s) => Ok(Some(!matches!(s.trim(), "" | "0" | "false"))),
        Value::Null => Ok(None),
        _ => Err(serde::de::Error::custom("status must be a boolean or 0/1")),
    }
}

/// A Graph user as the mapping wants it to be.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedUser {
    pub user_principal_name: String,
    pub mail_nickname: String,
    pub display_name: String,
    pub mail: Option<String>,
    /// `None`: not managed by this mapping (see `DrupalUser::status`).
    pub account_enabled: Option<bool>,
    /// Mapped extra properties; `Value::Null` means "clear it in Entra".
    pub properties: BTreeMap<String, Value>,
}

pub fn map_user(user: &DrupalUser, config: &MappingConfig, domain: &str) -> Result<MappedUser> {
    let (source_field, source) = match config.upn_source {
        UpnSource::Name => ("name", user.name.as_str()),
        UpnSource::Mail => {
            let mail = user.mail.as_deref().unwrap_or_default();
            ("mail", mail.split('@').next().unwrap_or_default())
        }
    };
    let local_max = LOCAL_MAX.min(UPN_MAX.saturating_sub(domain.len() + 1));
    let local = upn_local_part(source, local_max);
    if local.is_empty() {
        return Err(Error::new(
            ErrorKind::Validation,
            Detail::new(format!(
                "the {source_field} {source:?} leaves no characters Entra accepts in a userPrincipalName"
            ))
            .field(source_field)
            .hint("use letters, digits or . - _ ' in the user's name, or map the UPN from another source"),
        ));
    }
    let mail_nickname = mail_nickname(&local);
    if mail_nickname.is_empty() {
        return Err(Error::validation(
            source_field,
            format!(
                "the {source_field} {source:?} leaves no characters Entra accepts in a mailNickname"
            ),
        ));
    }
    let mail = match user
        .mail
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        Some(m) if is_plausible_mail(m) => Some(m.to_owned()),
        Some(m) => {
            return Err(Error::validation(
                "mail",
                format!("{m:?} is not an email address Entra accepts"),
            ));
        }
        None => None,
    };
    let display_name = match config.display_name_field.as_str() {
        "name" => Some(user.name.trim().to_owned()),
        "mail" => mail.clone(),
        field => user.fields.get(field).and_then(field_text),
    }
    .filter(|d| !d.is_empty())
    .unwrap_or_else(|| user.name.trim().to_owned());
    if display_name.is_empty() {
        return Err(Error::validation(
            "name",
            "the user has no name to use as displayName",
        ));
    }
    if display_name.chars().count() > DISPLAY_NAME_MAX {
        return Err(Error::validation(
            &config.display_name_field,
            format!("displayName is longer than Entra's {DISPLAY_NAME_MAX} characters"),
        ));
    }
    let mut properties = BTreeMap::new();
    for (field, property) in &config.properties {
        let text = user
            .fields
            .get(field)
            .and_then(field_text)
            .filter(|t| !t.is_empty());
        let value = match text {
            None => Value::Null,
            Some(text) => {
                check_property(field, property, &text)?;
                if property == "businessPhones" {
                    json!([text])
                } else {
                    Value::String(text)
                }
            }
        };
        properties.insert(property.clone(), value);
    }
    Ok(MappedUser {
        user_principal_name: format!("{local}@{domain}"),
        mail_nickname,
        display_name,
        mail,
        account_enabled: user.status,
        properties,
    })
}

fn check_property(field: &str, property: &str, text: &str) -> Result<()> {
    let max = max_len(property).unwrap_or(usize::MAX);
    if text.chars().count() > max {
        return Err(Error::validation(
            field,
            format!("{property} from field {field} is longer than Entra's {max} characters"),
        ));
    }
    if property == "usageLocation"
        && !(text.len() == 2 && text.bytes().all(|c| c.is_ascii_alphabetic()))
    {
        return Err(Error::validation(
            field,
            format!("usageLocation from field {field} must be a two-letter country code"),
        ));
    }
    Ok(())
}

/// A Drupal field value as text: a scalar, or the first item of a field list (`[{"value": …}]`).
fn field_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items.first().and_then(field_text),
        Value::Object(map) => map.get("value").and_then(field_text),
        Value::Null => None,
    }
}

fn is_plausible_mail(m: &str) -> bool {
    let mut parts = m.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    // Entra stores mail as an SMTP address: ASCII only, no spaces or controls.
    !local.is_empty() && domain.contains('.') && m.bytes().all(|c| c.is_ascii_graphic())
}

/// Entra's UPN local-part alphabet.
fn is_upn_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '\'' | '.' | '-' | '_' | '!' | '#' | '^' | '~')
}

/// Transliterates to ASCII (é→e, ß→ss), turns spaces and '@' into '.', drops what Entra refuses,
/// and leaves no leading, trailing or doubled '.'. Emoji and symbols are dropped before the
/// transliteration, which would spell them out ("😀" → "grinning", "🇩🇪" → "DE").
pub fn upn_local_part(source: &str, max: usize) -> String {
    let kept: String = source.chars().filter(|&c| is_transliterated(c)).collect();
    let ascii = deunicode::deunicode_with_tofu(&kept, "");
    let mapped = ascii.chars().filter_map(|c| match c {
        c if c.is_whitespace() || c == '@' => Some('.'),
        c if is_upn_char(c) => Some(c),
        _ => None,
    });
    tidy_dots(mapped, max)
}

/// What `upn_local_part` hands to the transliteration: ASCII (filtered afterwards), letters and
/// digits of every script, whitespace (a separator), and the non-ASCII dashes, apostrophes and
/// name dots that transliterate into the UPN alphabet (’ → ', – → -, ・ → -), with the
/// fullwidth forms of ASCII. Everything else (emoji and their modifiers, regional indicators,
/// tags, ZWJ, variation selectors, math, currency and other symbols, combining marks that are
/// not letters) is dropped, not spelled out.
fn is_transliterated(c: char) -> bool {
    c.is_ascii()
        || c.is_alphanumeric()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{2010}'..='\u{2015}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201B}'
                | '\u{2027}'
                | '\u{30FB}'
                | '\u{FF01}'..='\u{FF5E}'
        )
}

/// mailNickname is stricter than the UPN: letters, digits, '.', '-', '_'.
pub fn mail_nickname(local_part: &str) -> String {
    let kept = local_part
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    tidy_dots(kept, NICKNAME_MAX)
}

fn tidy_dots(chars: impl Iterator<Item = char>, max: usize) -> String {
    let mut out = String::new();
    for c in chars {
        if c == '.' && (out.is_empty() || out.ends_with('.')) {
            continue;
        }
        if out.len() == max {
            break;
        }
        out.push(c);
    }
    while out.ends_with('.') {
        out.pop();
    }
    out
}

impl MappedUser {
    /// The body of `POST /users`.
    pub fn create_body(&self, password: &Secret, force_change: bool) -> Value {
        self.body_with_password(password.expose(), force_change)
    }

    /// Exactly what `create_body` sends, with the password replaced: the dry-run view.
    pub fn preview_body(&self, force_change: bool) -> Value {
        self.body_with_password(REDACTED, force_change)
    }

    fn body_with_password(&self, password: &str, force_change: bool) -> Value {
        let mut body = self.managed_properties(true);
        body.insert(
            "passwordProfile".into(),
            json!({"password": password, "forceChangePasswordNextSignIn": force_change}),
        );
        Value::Object(body)
    }

    fn managed_properties(&self, for_create: bool) -> Map<String, Value> {
        let mut body = Map::new();
        match (self.account_enabled, for_create) {
            (Some(enabled), _) => {
                body.insert("accountEnabled".into(), Value::Bool(enabled));
            }
            // Graph requires it on create; a new account starts enabled.
            (None, true) => {
                body.insert("accountEnabled".into(), Value::Bool(true));
            }
            (None, false) => {}
        }
        body.insert(
            "displayName".into(),
            Value::String(self.display_name.clone()),
        );
        body.insert(
            "mailNickname".into(),
            Value::String(self.mail_nickname.clone()),
        );
        body.insert(
            "userPrincipalName".into(),
            Value::String(self.user_principal_name.clone()),
        );
        if let Some(mail) = &self.mail {
            body.insert("mail".into(), Value::String(mail.clone()));
        }
        for (property, value) in &self.properties {
            // A create has nothing to clear.
            if !(for_create && value.is_null()) {
                body.insert(property.clone(), value.clone());
            }
        }
        body
    }

    /// The PATCH body that brings `existing` (a Graph user, as returned with the mapping's
    /// `$select`) in step with this mapping: only properties that differ. Names are compared
    /// case-insensitively, as Entra does.
    pub fn diff(&self, existing: &Value, include_names: bool) -> Map<String, Value> {
        let case_insensitive = ["userPrincipalName", "mailNickname", "mail"];
        let mut patch = Map::new();
        for (property, wanted) in self.managed_properties(false) {
            if !include_names && matches!(property.as_str(), "userPrincipalName" | "mailNickname") {
                continue;
            }
            let current = existing.get(&property).unwrap_or(&Value::Null);
            let same = match (wanted.as_str(), current.as_str()) {
                (Some(a), Some(b)) if case_insensitive.contains(&property.as_str()) => {
                    a.eq_ignore_ascii_case(b)
                }
                _ => &wanted == current || (wanted.is_null() && is_empty_value(current)),
            };
            if !same {
                patch.insert(property, wanted);
            }
        }
        patch
    }
}

impl MappedUser {
    /// The profile part of `diff`: displayName and the mapped extra properties. What a first
    /// link may write to an account this site did not create; sign-in name, mail and
    /// accountEnabled stay as they are.
    pub fn profile_diff(&self, existing: &Value) -> Map<String, Value> {
        let mut patch = self.diff(existing, false);
        patch.retain(|property, _| !matches!(property.as_str(), "mail" | "accountEnabled"));
        patch
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "contoso.onmicrosoft.com";

    fn user(name: &str, mail: Option<&str>) -> DrupalUser {
        serde_json::from_value(json!({"uid": 7, "name": name, "mail": mail, "status": 1})).unwrap()
    }

    #[test]
    fn upn_local_parts() {
        let cases = [
            ("jdoe", "jdoe"),
            ("Zoë Ærøskøbing", "Zoe.AEroskobing"),
            ("Jean-Luc  Picard", "Jean-Luc.Picard"),
            (" .lead.dots. ", "lead.dots"),
            ("a..b", "a.b"),
            ("o'brien", "o'brien"),
            ("user@example.com", "user.example.com"),
            ("weird<>()[]\";:,chars", "weirdchars"),
            ("Straße", "Strasse"),
            ("!#^~ok", "!#^~ok"),
            ("日本", "Ri.Ben"),
            ("+++", ""),
        ];
        for (input, want) in cases {
            assert_eq!(upn_local_part(input, 64), want, "{input:?}");
        }
    }

    #[test]
    fn emoji_and_symbols_are_dropped_not_spelled_out() {
        let cases = [
            ("emoji😀 user", "emoji.user"),
            ("a😀b", "ab"),
            // A flag: two regional indicators (deunicode: "DE").
            ("anna🇩🇪", "anna"),
            // A ZWJ sequence (man, ZWJ, woman, ZWJ, girl) and a skin-tone modifier.
            ("fam👨\u{200D}👩\u{200D}👧ily", "family"),
            ("ok👍🏽", "ok"),
            ("❤\u{FE0F}love", "love"),
            // Math, currency and other symbols.
            ("x∑y∞z", "xyz"),
            ("2×3", "23"),
            ("price€", "price"),
            ("brand™", "brand"),
            // Invisible characters do not split the name.
            ("ab\u{200B}cd", "abcd"),
            // Nothing left at all: the caller rejects the name.
            ("😀🇩🇪", ""),
        ];
        for (input, want) in cases {
            assert_eq!(upn_local_part(input, 64), want, "{input:?}");
        }
        let m = map_user(
            &user("emoji😀 user", None),
            &MappingConfig::default(),
            DOMAIN,
        )
        .unwrap();
        assert_eq!(m.user_principal_name, "emoji.user@contoso.onmicrosoft.com");
        assert_eq!(m.mail_nickname, "emoji.user");
    }

    #[test]
    fn letters_and_name_punctuation_still_transliterate() {
        let cases = [
            ("José", "Jose"),
            ("Straße", "Strasse"),
            ("Жанна", "Zhanna"),
            ("Ж", "Zh"),
            // Decomposed é (e + combining acute).
            ("Jose\u{301}", "Jose"),
            ("O’Brien", "O'Brien"),
            ("Anne–Marie", "Anne-Marie"),
            ("ジョン・スミス", "ziyon-sumisu"),
            ("ｊｏｈｎ＿ｄｏｅ", "john_doe"),
            ("Zoë😀 Ærøskøbing", "Zoe.AEroskobing"),
        ];
        for (input, want) in cases {
            assert_eq!(upn_local_part(input, 64), want, "{input:?}");
        }
    }

    #[test]
    fn local_part_is_bounded_and_never_ends_in_a_dot() {
        let long = "a".repeat(63) + ".bbbb";
        let got = upn_local_part(&long, 64);
        assert_eq!(got, "a".repeat(63));
        assert_eq!(upn_local_part(&"x".repeat(200), 64).len(), 64);
    }

    #[test]
    fn whole_upn_stays_within_113_characters() {
        let domain = format!("{}.example.com", "d".repeat(60));
        let m = map_user(
            &user(&"n".repeat(100), None),
            &MappingConfig::default(),
            &domain,
        )
        .unwrap();
        assert!(
            m.user_principal_name.len() <= UPN_MAX,
            "{}",
            m.user_principal_name.len()
        );
    }

    #[test]
    fn nickname_uses_the_stricter_alphabet() {
        assert_eq!(mail_nickname("o'brien!#x"), "obrienx");
        assert_eq!(mail_nickname("'.a"), "a");
        assert_eq!(mail_nickname("'!"), "");
    }

    #[test]
    fn maps_a_drupal_user() {
        let mut config = MappingConfig::default();
        config
            .properties
            .insert("field_first".into(), "givenName".into());
        config
            .properties
            .insert("field_phone".into(), "businessPhones".into());
        config
            .properties
            .insert("field_dept".into(), "department".into());
        let u: DrupalUser = serde_json::from_value(json!({
            "uid": 3, "name": "Zoë Smith", "mail": "zoe@example.com", "status": "0",
            "fields": {"field_first": [{"value": "Zoë"}], "field_phone": "+1 555", "field_dept": ""}
        }))
        .unwrap();
        let m = map_user(&u, &config, DOMAIN).unwrap();
        assert_eq!(m.user_principal_name, "Zoe.Smith@contoso.onmicrosoft.com");
        assert_eq!(m.mail_nickname, "Zoe.Smith");
        assert_eq!(m.display_name, "Zoë Smith");
        assert_eq!(m.account_enabled, Some(false));
        let body = m.preview_body(true);
        assert_eq!(body["givenName"], "Zoë");
        assert_eq!(body["businessPhones"], json!(["+1 555"]));
        assert!(
            body.get("department").is_none(),
            "empty values are not sent on create"
        );
        assert_eq!(body["passwordProfile"]["password"], REDACTED);
        assert_eq!(
            body["passwordProfile"]["forceChangePasswordNextSignIn"],
            true
        );
    }

    #[test]
    fn upn_from_mail_and_display_name_from_a_field() {
        let config = MappingConfig {
            upn_source: UpnSource::Mail,
            display_name_field: "field_full".into(),
            ..MappingConfig::default()
        };
        let mut u = user("jd", Some("Jane.Doe@example.org"));
        u.fields.insert("field_full".into(), json!("Jane Doe"));
        let m = map_user(&u, &config, DOMAIN).unwrap();
        assert_eq!(m.user_principal_name, "Jane.Doe@contoso.onmicrosoft.com");
        assert_eq!(m.display_name, "Jane Doe");
        // An empty display field falls back to the name rather than failing.
        u.fields.clear();
        assert_eq!(map_user(&u, &config, DOMAIN).unwrap().display_name, "jd");
    }

    #[test]
    fn rejections_name_the_field() {
        let cfg = MappingConfig::default();
        let cases = [
            (user("+++", None), "name"),
            (user("ok", Some("not-an-address")), "mail"),
            (user("ok", Some("zoë@example.com")), "mail"),
            (user("ok", Some("a b@example.com")), "mail"),
        ];
        for (u, field) in cases {
            let err = map_user(&u, &cfg, DOMAIN).unwrap_err();
            assert_eq!(err.kind().name(), "validation");
            assert_eq!(err.detail().field.as_deref(), Some(field));
        }
        let mut cfg = MappingConfig::default();
        cfg.properties
            .insert("field_loc".into(), "usageLocation".into());
        let mut u = user("ok", None);
        u.fields.insert("field_loc".into(), json!("USA"));
        let err = map_user(&u, &cfg, DOMAIN).unwrap_err();
        assert_eq!(err.detail().field.as_deref(), Some("field_loc"));
    }

    #[test]
    fn config_rejects_unknown_fixed_and_duplicate_targets() {
        for (props, bad) in [
            (vec![("f", "favouriteColour")], "mapping.properties.f"),
            (vec![("f", "userPrincipalName")], "mapping.properties.f"),
            (
                vec![("a", "givenName"), ("b", "givenName")],
                "mapping.properties.b",
            ),
        ] {
            let cfg = MappingConfig {
                properties: props
                    .into_iter()
                    .map(|(a, b)| (a.into(), b.into()))
                    .collect(),
                ..MappingConfig::default()
            };
            assert_eq!(
                cfg.validate().unwrap_err().detail().field.as_deref(),
                Some(bad)
            );
        }
    }

    #[test]
    fn diff_sends_only_what_changed() {
        let mut config = MappingConfig::default();
        config
            .properties
            .insert("field_title".into(), "jobTitle".into());
        let mut u = user("jdoe", Some("jdoe@example.com"));
        u.fields.insert("field_title".into(), json!("Engineer"));
        let m = map_user(&u, &config, DOMAIN).unwrap();
        let same = json!({"userPrincipalName": "JDOE@contoso.onmicrosoft.com", "mailNickname": "jdoe",
            "displayName": "jdoe", "mail": "JDoe@example.com", "accountEnabled": true, "jobTitle": "Engineer"});
        assert!(m.diff(&same, true).is_empty());
        let changed = json!({"userPrincipalName": "old@contoso.onmicrosoft.com", "displayName": "Old",
            "mail": "jdoe@example.com", "accountEnabled": false, "jobTitle": null});
        let patch = m.diff(&changed, false);
        let keys: Vec<&str> = patch.keys().map(String::as_str).collect();
        assert_eq!(keys, ["accountEnabled", "displayName", "jobTitle"]);
        assert!(m.diff(&changed, true).contains_key("userPrincipalName"));
        // A field emptied in Drupal clears the property in Entra.
        u.fields.clear();
        let m = map_user(&u, &config, DOMAIN).unwrap();
        assert_eq!(m.diff(&same, true).get("jobTitle"), Some(&Value::Null));
    }

    #[test]
    fn a_link_writes_only_profile_properties() {
        let mut config = MappingConfig::default();
        config
            .properties
            .insert("field_title".into(), "jobTitle".into());
        let mut u = user("adele", Some("mallory@evil.example"));
        u.fields.insert("field_title".into(), json!("Intern"));
        let m = map_user(&u, &config, DOMAIN).unwrap();
        let adele = json!({"userPrincipalName": "adele@contoso.onmicrosoft.com", "mailNickname": "adele",
            "displayName": "Adele Vance", "mail": "adele@contoso.com", "accountEnabled": false, "jobTitle": "CEO"});
        let patch = m.profile_diff(&adele);
        let keys: Vec<&str> = patch.keys().map(String::as_str).collect();
        assert_eq!(keys, ["displayName", "jobTitle"]);
    }

    #[test]
    fn status_accepts_drupal_shapes() {
        for (status, want) in [
            (json!(1), Some(true)),
            (json!(0), Some(false)),
            (json!("0"), Some(false)),
            (json!(true), Some(true)),
            (Value::Null, None),
        ] {
            let u: DrupalUser =
                serde_json::from_value(json!({"name": "a", "status": status})).unwrap();
            assert_eq!(u.status, want);
        }
        let absent: DrupalUser = serde_json::from_value(json!({"name": "a"})).unwrap();
        assert_eq!(absent.status, None);
    }

    #[test]
    fn an_unmanaged_status_is_created_enabled_and_never_patched() {
        let u: DrupalUser = serde_json::from_value(json!({"name": "a"})).unwrap();
        let m = map_user(&u, &MappingConfig::default(), DOMAIN).unwrap();
        assert_eq!(m.preview_body(true)["accountEnabled"], true);
        let existing = json!({"userPrincipalName": "a@contoso.onmicrosoft.com", "mailNickname": "a",
            "displayName": "a", "accountEnabled": false});
        assert!(
            m.diff(&existing, true).is_empty(),
            "accountEnabled is left alone"
        );
    }
}
