//! Validation of create and update bodies, the way the directory does it: first the OData layer
//! (every name a writable property, every value of its type), then Graph's documented rules
//! (required properties, formats, lengths, uniqueness). The error bodies of rejected requests,
//! worded as Graph words them, are here too.

use serde_json::Value;

use super::schema::{Access, Kind, MAIL, MAIL_NICKNAME, PROPS, REQUIRED, UPN, prop_index};
use super::store::{PVal, Store};
use crate::errors::GraphError;

/// Characters Entra accepts in the local part of a UPN besides ASCII letters and digits.
const UPN_LOCAL_EXTRA: &[char] = &['\'', '.', '-', '_', '!', '#', '^', '~'];
/// Characters the directory rejects in `mailNickname` (besides non-ASCII and controls).
pub(crate) const NICKNAME_FORBIDDEN: &[char] = &[
    '@', '(', ')', '\\', '[', ']', '"', ';', ':', '<', '>', ',', ' ',
];

pub(crate) fn duplicate_upn() -> GraphError {
    GraphError::request_bad_request(
        "Another object with the same value for property userPrincipalName already exists.",
    )
    .detail("ObjectConflict", "userPrincipalName")
}

pub(crate) fn duplicate_mail() -> GraphError {
    GraphError::request_bad_request(
        "Another object with the same value for property proxyAddresses already exists.",
    )
    .detail("ObjectConflict", "proxyAddresses")
}

fn invalid_upn() -> GraphError {
    GraphError::request_bad_request("Property userPrincipalName is invalid.")
        .detail("InvalidValue", "userPrincipalName")
}

/// The documented username policy: `local@domain`, local part ≤ 64 characters of
/// `A-Z a-z 0-9 ' . - _ ! # ^ ~` not ending in `.`, domain ≤ 48 characters and verified,
/// whole ≤ 113 characters.
pub(crate) fn validate_upn(upn: &str, domains: &[String]) -> Result<(), GraphError> {
    let mut parts = upn.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid_upn());
    };
    let local_len = local.chars().count();
    if local_len == 0
        || local_len > 64
        || upn.chars().count() > 113
        || local.ends_with('.')
        || !local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || UPN_LOCAL_EXTRA.contains(&c))
    {
        return Err(invalid_upn());
    }
    if domain.is_empty() || domain.chars().count() > 48 {
        return Err(invalid_upn());
    }
    if !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
        return Err(GraphError::request_bad_request(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.",
        )
        .detail("InvalidValue", "userPrincipalName"));
    }
    Ok(())
}

/// `mailNickname`: 1–64 ASCII characters without `@ ( ) \ [ ] " ; : < > ,` or spaces.
pub(crate) fn mail_nickname_ok(s: &str) -> bool {
    let n = s.chars().count();
    (1..=64).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii() && !c.is_ascii_control() && !NICKNAME_FORBIDDEN.contains(&c))
}

/// The cloud password policy: 8–256 ASCII characters (letters, digits, symbols, space), at
/// least three of lowercase, uppercase, digit, symbol.
pub(crate) fn password_ok(s: &str) -> bool {
    let n = s.chars().count();
    if !(8..=256).contains(&n) {
        return false;
    }
    if !s.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        return false;
    }
    let classes = [
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
        s.chars().any(|c| c.is_ascii_punctuation()),
    ];
    classes.iter().filter(|b| **b).count() >= 3
}

/// An SMTP address without accents: `local@domain.tld`.
pub(crate) fn mail_ok(s: &str) -> bool {
    let mut parts = s.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && local.chars().all(|c| c.is_ascii_graphic())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// What a create or update asks for, once validated.
#[derive(Debug, Default)]
pub(crate) struct Validated {
    pub vals: Vec<(usize, PVal)>,
    pub force_change: Option<bool>,
}

/// Create a user, or update the user with this key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Create,
    Update(u64),
}

fn literal_error(v: &Value, edm: &str) -> GraphError {
    let lit = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    GraphError::bad_request(format!(
        "Cannot convert the literal '{lit}' to the expected type '{edm}'."
    ))
}

fn unknown_property(name: &str, ty: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The property '{name}' does not exist on type '{ty}'. Make sure to only use property names that are defined by the type or mark the type as open type."
    ))
}

/// Convert one JSON value to the property's representation (the OData layer: types only).
fn convert(idx: usize, v: &Value) -> Result<PVal, GraphError> {
    let def = &PROPS[idx];
    if v.is_null() {
        return Ok(PVal::Null);
    }
    match def.kind {
        Kind::Str => match v {
            Value::String(s) => Ok(PVal::Str(s.as_str().into())),
            other => Err(literal_error(other, "Edm.String")),
        },
        Kind::Bool => match v {
            Value::Bool(b) => Ok(PVal::Bool(*b)),
            other => Err(literal_error(other, "Edm.Boolean")),
        },
        Kind::StrList => match v {
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(literal_error(other, "Edm.String")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(PVal::List),
            _ => Err(GraphError::bad_request(format!(
                "A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the property '{}'; however, a 'StartArray' node was expected.",
                def.name
            ))),
        },
        Kind::Computed | Kind::PasswordProfile => Ok(PVal::Null),
    }
}

/// Validate a passwordProfile object; returns forceChangePasswordNextSignIn and whether a
/// password was present. The password itself is checked and dropped here.
fn password_profile(v: &Value) -> Result<(Option<bool>, bool), GraphError> {
    let Value::Object(m) = v else {
        return Err(GraphError::bad_request(
            "A node of type 'PrimitiveValue' was read from the JSON reader when trying to read the contents of the property 'passwordProfile'; however, a 'StartObject' node was expected.",
        ));
    };
    let mut force = None;
    let mut has_password = false;
    for (k, v) in m {
        match k.as_str() {
            "password" => match v {
                Value::Null => {}
                Value::String(s) => {
                    if !password_ok(s) {
                        return Err(GraphError::request_bad_request(
                            "The specified password does not comply with password complexity requirements. Please provide a different password.",
                        ));
                    }
                    has_password = true;
                }
                other => return Err(literal_error(&redact_literal(other), "Edm.String")),
            },
            "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => match v {
                Value::Bool(b) => {
                    if k == "forceChangePasswordNextSignIn" {
                        force = Some(*b);
                    }
                }
                Value::Null => {}
                other => return Err(literal_error(other, "Edm.Boolean")),
            },
            "@odata.type" => {}
            other => return Err(unknown_property(other, "microsoft.graph.passwordProfile")),
        }
    }
    Ok((force, has_password))
}

/// Never echo anything that was sent as a password, even a mistyped one.
fn redact_literal(_v: &Value) -> Value {
    Value::String("***".into())
}

/// Validate a create or update body the way the directory does. On success returns the values
/// to store; the password (if any) has been checked and is not part of the result.
pub(crate) fn validate(
    body: &Value,
    mode: Mode,
    domains: &[String],
    store: &Store,
) -> Result<Validated, GraphError> {
    let Value::Object(obj) = body else {
        return Err(GraphError::bad_request(
            "An unexpected node was found when reading from the JSON reader. A 'StartObject' node was expected.",
        ));
    };
    let mut out = Validated::default();
    let mut has_password = false;
    let mut has_profile = false;

    // OData layer: every name must exist, be writable, and carry a value of the right type.
    for (name, v) in obj {
        if name == "@odata.type" {
            match v.as_str() {
                Some("#microsoft.graph.user") | Some("microsoft.graph.user") => continue,
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "A type named '{}' could not be resolved by the model.",
                        v.as_str().unwrap_or("")
                    )));
                }
            }
        }
        let Some(idx) = prop_index(name) else {
            return Err(unknown_property(name, "microsoft.graph.user"));
        };
        let def = &PROPS[idx];
        if def.access == Access::ReadOnly {
            return Err(GraphError::request_bad_request(format!(
                "Property '{name}' is read-only and cannot be set."
            )));
        }
        if def.kind == Kind::PasswordProfile {
            if !v.is_null() {
                let (force, pw) = password_profile(v)?;
                out.force_change = force;
                has_password = pw;
                has_profile = true;
            }
            continue;
        }
        out.vals.push((idx, convert(idx, v)?));
    }

    let get = |idx: usize| out.vals.iter().find(|(i, _)| *i == idx).map(|(_, v)| v);
    let is_missing = |idx: usize| match get(idx) {
        None | Some(PVal::Null) => true,
        Some(PVal::Str(s)) => s.trim().is_empty(),
        _ => false,
    };

    match mode {
        Mode::Create => {
            for &idx in REQUIRED.iter().filter(|&&idx| idx != UPN) {
                if is_missing(idx) {
                    return Err(GraphError::required(PROPS[idx].name));
                }
            }
            if !has_profile {
                return Err(GraphError::required("passwordProfile"));
            }
            if !has_password {
                return Err(GraphError::required("password"));
            }
            if is_missing(UPN) {
                return Err(GraphError::required("userPrincipalName"));
            }
        }
        Mode::Update(_) => {
            for &idx in REQUIRED {
                if get(idx).is_some() && is_missing(idx) {
                    return Err(GraphError::invalid_value(PROPS[idx].name));
                }
            }
            if has_profile && !has_password && out.force_change.is_none() {
                return Err(GraphError::required("password"));
            }
        }
    }

    // Directory layer: formats, lengths, uniqueness.
    if let Some(PVal::Str(upn)) = get(UPN) {
        validate_upn(upn, domains)?;
    }
    if let Some(PVal::Str(nick)) = get(MAIL_NICKNAME)
        && !mail_nickname_ok(nick)
    {
        return Err(GraphError::invalid_value("mailNickname"));
    }
    for (idx, val) in &out.vals {
        let def = &PROPS[*idx];
        match val {
            PVal::Str(s) => {
                if def.max > 0 && s.chars().count() > def.max {
                    return Err(GraphError::invalid_value(def.name));
                }
                let ok = match def.name {
                    "mail" => mail_ok(s),
                    "usageLocation" => s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic()),
                    "userType" => {
                        s.eq_ignore_ascii_case("Member") || s.eq_ignore_ascii_case("Guest")
                    }
                    "preferredLanguage" => language_tag_ok(s),
                    _ => true,
                };
                if !ok {
                    return Err(GraphError::invalid_value(def.name));
                }
            }
            PVal::List(items) => {
                if def.name == "businessPhones" && items.len() > 1 {
                    return Err(GraphError::request_bad_request(
                        "Only one number can be set for property businessPhones.",
                    )
                    .detail("InvalidValue", "businessPhones"));
                }
                if items.iter().any(|i| i.chars().count() > def.max) {
                    return Err(GraphError::invalid_value(def.name));
                }
                if def.name == "otherMails" && !items.iter().all(|m| mail_ok(m)) {
                    return Err(GraphError::invalid_value(def.name));
                }
            }
            _ => {}
        }
    }
    let own_key = match mode {
        Mode::Create => None,
        Mode::Update(k) => Some(k),
    };
    let text = |idx: usize| match get(idx) {
        Some(PVal::Str(s)) => Some(&**s),
        _ => None,
    };
    store.check_unique(text(UPN), text(MAIL), own_key)?;
    Ok(out)
}

/// `ll` or `ll-CC` (ISO 639-1 with optional ISO 3166 region), as the user resource documents.
fn language_tag_ok(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang = parts.next().unwrap_or("");
    let region = parts.next();
    parts.next().is_none()
        && (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (2..=4).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn domains() -> Vec<String> {
        vec!["contoso.onmicrosoft.com".to_string()]
    }

    #[test]
    fn upn_rules() {
        let d = domains();
        assert!(validate_upn("a.b'c-d_e!f#g^h~i@contoso.onmicrosoft.com", &d).is_ok());
        assert!(validate_upn("Ann@CONTOSO.onmicrosoft.com", &d).is_ok());
        for bad in [
            "noat",
            "a@b@contoso.onmicrosoft.com",
            "@contoso.onmicrosoft.com",
            "ann.@contoso.onmicrosoft.com",
            "an n@contoso.onmicrosoft.com",
            "änn@contoso.onmicrosoft.com",
            "a&b@contoso.onmicrosoft.com",
        ] {
            let e = validate_upn(bad, &d).unwrap_err();
            assert_eq!(e.message, "Property userPrincipalName is invalid.", "{bad}");
        }
        let long = format!("{}@contoso.onmicrosoft.com", "a".repeat(65));
        assert!(validate_upn(&long, &d).is_err());
        let ok64 = format!("{}@contoso.onmicrosoft.com", "a".repeat(64));
        assert!(validate_upn(&ok64, &d).is_ok());
        let e = validate_upn("ann@fabrikam.com", &d).unwrap_err();
        assert!(e.message.starts_with("The domain portion"));
    }

    #[test]
    fn nickname_and_password_rules() {
        assert!(mail_nickname_ok("ann.o'brien"));
        for bad in [
            "", "a b", "a@b", "a,b", "a(b", "ä", "a;b", "a:b", "a<b", "a\"b", "a[b", "a\\b",
        ] {
            assert!(!mail_nickname_ok(bad), "{bad}");
        }
        assert!(!mail_nickname_ok(&"a".repeat(65)));
        assert!(password_ok("Passw0rd"));
        assert!(password_ok("password1!"));
        assert!(!password_ok("Pass0!"), "too short");
        assert!(!password_ok("password"), "one class");
        assert!(!password_ok("passwordA"), "two classes");
        assert!(!password_ok("Pässw0rd!"), "non-ASCII");
        assert!(!password_ok(&format!("Aa1{}", "x".repeat(254))), "too long");
    }

    #[test]
    fn validate_create_and_uniqueness() {
        let mut store = Store::new();
        let body = json!({
            "accountEnabled": true, "displayName": "Ann", "mailNickname": "ann",
            "userPrincipalName": "ann@contoso.onmicrosoft.com",
            "passwordProfile": {"password": "Passw0rd!", "forceChangePasswordNextSignIn": false}
        });
        let v = validate(&body, Mode::Create, &domains(), &store).unwrap();
        assert_eq!(v.force_change, Some(false));
        store.insert(v.vals, v.force_change);
        let e = validate(&body, Mode::Create, &domains(), &store).unwrap_err();
        assert!(e.message.starts_with("Another object"));
        let mut missing = body.clone();
        missing.as_object_mut().unwrap().remove("mailNickname");
        let e = validate(&missing, Mode::Create, &domains(), &store).unwrap_err();
        assert_eq!(
            e.message,
            "Property mailNickname value is required but is empty or missing."
        );
        let mut unknown = body.clone();
        unknown["favouriteColour"] = json!("blue");
        let e = validate(&unknown, Mode::Create, &domains(), &store).unwrap_err();
        assert_eq!(e.code, "BadRequest");
    }

    #[test]
    fn create_reports_the_first_missing_property() {
        let store = Store::new();
        let missing = |body: Value| {
            validate(&body, Mode::Create, &domains(), &store)
                .unwrap_err()
                .message
        };
        let required =
            |name: &str| format!("Property {name} value is required but is empty or missing.");
        assert_eq!(missing(json!({})), required("accountEnabled"));
        assert_eq!(
            missing(json!({"accountEnabled": true})),
            required("displayName")
        );
        let named = json!({"accountEnabled": true, "displayName": "Ann", "mailNickname": "ann"});
        // passwordProfile and its password come before userPrincipalName.
        assert_eq!(missing(named.clone()), required("passwordProfile"));
        let mut no_password = named.clone();
        no_password["passwordProfile"] = json!({"forceChangePasswordNextSignIn": true});
        assert_eq!(missing(no_password), required("password"));
        let mut no_upn = named;
        no_upn["passwordProfile"] = json!({"password": "Passw0rd!"});
        assert_eq!(missing(no_upn), required("userPrincipalName"));
    }
}
