//! The user schema: each property's name and representation, whether clients may set it, its
//! maximum length and whether `$filter` may use it; the indexes the rest of the directory uses
//! instead of names; and the default set `$select` falls back to.

/// How a property is represented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    Bool,
    StrList,
    /// Maintained by the directory (`id`, timestamps).
    Computed,
    PasswordProfile,
}

/// Whether clients may set a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    ReadOnly,
    ReadWrite,
    /// Accepted on writes, never returned (`passwordProfile`).
    WriteOnly,
}

/// One property of `microsoft.graph.user` that the emulator knows.
pub(crate) struct PropDef {
    pub name: &'static str,
    pub kind: Kind,
    pub access: Access,
    /// Maximum length in characters (per entry for collections); 0 = unchecked.
    pub max: usize,
    pub filterable: bool,
}

const fn p(name: &'static str, kind: Kind, max: usize) -> PropDef {
    PropDef {
        name,
        kind,
        access: Access::ReadWrite,
        max,
        filterable: true,
    }
}

/// The property table. Indexes into it are used everywhere instead of names.
pub(crate) const PROPS: &[PropDef] = &[
    PropDef {
        name: "id",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: true,
    },
    p("businessPhones", Kind::StrList, 64),
    p("displayName", Kind::Str, 256),
    p("givenName", Kind::Str, 64),
    p("jobTitle", Kind::Str, 128),
    p("mail", Kind::Str, 256),
    p("mobilePhone", Kind::Str, 64),
    p("officeLocation", Kind::Str, 128),
    p("preferredLanguage", Kind::Str, 16),
    p("surname", Kind::Str, 64),
    p("userPrincipalName", Kind::Str, 113),
    p("accountEnabled", Kind::Bool, 0),
    p("mailNickname", Kind::Str, 64),
    p("department", Kind::Str, 64),
    p("companyName", Kind::Str, 64),
    p("employeeId", Kind::Str, 16),
    p("employeeType", Kind::Str, 64),
    p("city", Kind::Str, 128),
    p("country", Kind::Str, 128),
    p("state", Kind::Str, 128),
    p("streetAddress", Kind::Str, 1024),
    p("postalCode", Kind::Str, 40),
    p("usageLocation", Kind::Str, 2),
    p("onPremisesImmutableId", Kind::Str, 256),
    p("faxNumber", Kind::Str, 64),
    p("otherMails", Kind::StrList, 256),
    p("userType", Kind::Str, 16),
    p("passwordPolicies", Kind::Str, 256),
    PropDef {
        name: "createdDateTime",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: false,
    },
    PropDef {
        name: "deletedDateTime",
        kind: Kind::Computed,
        access: Access::ReadOnly,
        max: 0,
        filterable: false,
    },
    PropDef {
        name: "passwordProfile",
        kind: Kind::PasswordProfile,
        access: Access::WriteOnly,
        max: 0,
        filterable: false,
    },
];

pub(crate) const ID: usize = 0;
pub(crate) const DISPLAY_NAME: usize = 2;
pub(crate) const MAIL: usize = 5;
pub(crate) const UPN: usize = 10;
pub(crate) const ACCOUNT_ENABLED: usize = 11;
pub(crate) const MAIL_NICKNAME: usize = 12;
pub(crate) const CREATED: usize = 28;
pub(crate) const DELETED: usize = 29;
pub(crate) const PASSWORD_PROFILE: usize = 30;

/// The properties a create must carry and an update may not clear, in the order the directory
/// checks them. A create must also carry `passwordProfile` with a password; the directory checks
/// those after the first three and before `userPrincipalName`.
pub(crate) const REQUIRED: &[usize] = &[ACCOUNT_ENABLED, DISPLAY_NAME, MAIL_NICKNAME, UPN];

/// Graph's default property set for users, in the order Graph returns it.
pub(crate) const DEFAULT_SET: &[usize] = &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0];

/// Exact-case lookup, as OData requires for request bodies.
pub(crate) fn prop_index(name: &str) -> Option<usize> {
    PROPS.iter().position(|d| d.name == name)
}

/// Case-insensitive lookup, used for `$select` and `$filter` where Graph is lenient.
pub(crate) fn prop_index_ci(name: &str) -> Option<usize> {
    PROPS.iter().position(|d| d.name.eq_ignore_ascii_case(name))
}
