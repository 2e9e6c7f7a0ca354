//! The kinds of group a tenant holds, as the "group resource type" and "Compare groups"
//! documentation describe them by `groupTypes`, `mailEnabled` and `securityEnabled`, plus the
//! two flags that matter to provisioning: dynamic membership and role assignability.

/// How a group is seeded (CLI `--seed-group`, control API `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum GroupKind {
    /// `securityEnabled: true`, `mailEnabled: false`, `groupTypes: []`.
    #[default]
    Security,
    /// Microsoft 365 group: `groupTypes: ["Unified"]`, `mailEnabled: true`,
    /// `securityEnabled: false`.
    Unified,
    /// Security group with `groupTypes: ["DynamicMembership"]` and a `membershipRule`.
    Dynamic,
    /// Security group created with `isAssignableToRole: true`.
    RoleAssignable,
    /// Mail-enabled security group: `mailEnabled: true`, `securityEnabled: true`.
    MailSecurity,
    /// Distribution list: `mailEnabled: true`, `securityEnabled: false`, `groupTypes: []`.
    Distribution,
}

pub(crate) struct KindProperties {
    pub unified: bool,
    pub dynamic: bool,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    pub role_assignable: bool,
}

impl GroupKind {
    pub const NAMES: &'static str =
        "security, unified (or m365), dynamic, role-assignable, mail-security, distribution";

    pub fn parse(s: &str) -> Option<GroupKind> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        Some(match k.as_str() {
            "" | "security" => GroupKind::Security,
            "unified" | "m365" | "microsoft365" => GroupKind::Unified,
            "dynamic" => GroupKind::Dynamic,
            "role-assignable" | "roleassignable" => GroupKind::RoleAssignable,
            "mail-security" | "mailsecurity" => GroupKind::MailSecurity,
            "distribution" => GroupKind::Distribution,
            _ => return None,
        })
    }

    pub fn properties(self) -> KindProperties {
        let (unified, dynamic, mail_enabled, security_enabled, role_assignable) = match self {
            GroupKind::Security => (false, false, false, true, false),
            GroupKind::Unified => (true, false, true, false, false),
            GroupKind::Dynamic => (false, true, false, true, false),
            GroupKind::RoleAssignable => (false, false, false, true, true),
            GroupKind::MailSecurity => (false, false, true, true, false),
            GroupKind::Distribution => (false, false, true, false, false),
        };
        KindProperties {
            unified,
            dynamic,
            mail_enabled,
            security_enabled,
            role_assignable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(GroupKind::parse("M365"), Some(GroupKind::Unified));
        assert_eq!(
            GroupKind::parse("role_assignable"),
            Some(GroupKind::RoleAssignable)
        );
        assert_eq!(GroupKind::parse(""), Some(GroupKind::Security));
        assert_eq!(GroupKind::parse("nope"), None);
        assert!(GroupKind::Dynamic.properties().dynamic);
    }
}
