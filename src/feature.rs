//! What a site can switch on, and the Graph application permission each feature needs: the two
//! directions (users) and the group features of issue 13. The host shows these and the
//! connection test reports which are missing for the features switched on; both come from here.
//!
//! Each feature lists the least-privileged permission Graph documents for its calls and the
//! broader ones that include it (ReadWrite implies Read; `Group.*` and `Directory.*` include
//! `GroupMember.*`), as the permission tables of "List group transitive members", "group:
//! delta", "List a user's memberships (direct and transitive)" and "Add members" give them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Drupal accounts are created, updated, disabled and deleted in Entra.
    ProvisionUsers,
    /// Entra users are imported into Drupal (users delta).
    ImportUsers,
    /// Entra groups grant Drupal roles, or scope the import: group reads, `$search`,
    /// transitive memberships, the groups delta.
    ReadGroupMemberships,
    /// Drupal roles put users into Entra groups (`$ref` add and remove).
    WriteGroupMemberships,
}

impl Feature {
    pub const ALL: [Feature; 4] = [
        Feature::ProvisionUsers,
        Feature::ImportUsers,
        Feature::ReadGroupMemberships,
        Feature::WriteGroupMemberships,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::ProvisionUsers => "provision_users",
            Feature::ImportUsers => "import_users",
            Feature::ReadGroupMemberships => "read_group_memberships",
            Feature::WriteGroupMemberships => "write_group_memberships",
        }
    }

    pub fn parse(name: &str) -> Option<Feature> {
        Feature::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The least-privileged application permission the feature needs.
    pub fn permission(self) -> &'static str {
        match self {
            Feature::ProvisionUsers => "User.ReadWrite.All",
            Feature::ImportUsers => "User.Read.All",
            Feature::ReadGroupMemberships => "GroupMember.Read.All",
            Feature::WriteGroupMemberships => "GroupMember.ReadWrite.All",
        }
    }

    /// Granted permissions that include `permission()`.
    pub fn satisfied_by(self) -> &'static [&'static str] {
        match self {
            Feature::ProvisionUsers => &["User.ReadWrite.All"],
            Feature::ImportUsers => &["User.Read.All", "User.ReadWrite.All"],
            Feature::ReadGroupMemberships => &[
                "GroupMember.Read.All",
                "GroupMember.ReadWrite.All",
                "Group.Read.All",
                "Group.ReadWrite.All",
                "Directory.Read.All",
                "Directory.ReadWrite.All",
            ],
            Feature::WriteGroupMemberships => &[
                "GroupMember.ReadWrite.All",
                "Group.ReadWrite.All",
                "Directory.ReadWrite.All",
            ],
        }
    }

    /// Whether `granted` (the token's roles) covers this feature.
    pub fn granted_by(self, granted: &[String]) -> bool {
        self.satisfied_by()
            .iter()
            .any(|p| granted.iter().any(|g| g.eq_ignore_ascii_case(p)))
    }
}

/// The permissions the features need that `granted` lacks, each once, in feature order.
pub fn missing(granted: &[String], features: &[Feature]) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for f in features {
        let needed = f.permission();
        if !f.granted_by(granted) && !missing.iter().any(|m| m == needed) {
            missing.push(needed.to_owned());
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn broader_permissions_include_the_group_features() {
        let read = Feature::ReadGroupMemberships;
        let write = Feature::WriteGroupMemberships;
        assert!(read.granted_by(&g(&["groupmember.read.all"])));
        assert!(read.granted_by(&g(&["Directory.Read.All"])));
        assert!(!write.granted_by(&g(&["Group.Read.All", "User.ReadWrite.All"])));
        assert!(write.granted_by(&g(&["Group.ReadWrite.All"])));
        assert_eq!(
            missing(&g(&["User.Read.All"]), &[Feature::ImportUsers, read, write]),
            g(&["GroupMember.Read.All", "GroupMember.ReadWrite.All"])
        );
        for f in Feature::ALL {
            assert_eq!(Feature::parse(f.name()), Some(f));
            assert!(f.granted_by(&g(&[f.permission()])));
        }
    }
}
