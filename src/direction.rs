//! The two directions a site can switch on, and the Graph application permission each needs.
//! The host stores the names in its configuration and shows the permissions; both come from here.

use crate::feature::Feature;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Drupal accounts are created, updated, disabled and deleted in Entra.
    DrupalToEntra,
    /// Entra users are imported into Drupal (delta query).
    EntraToDrupal,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::DrupalToEntra, Direction::EntraToDrupal];

    pub fn name(self) -> &'static str {
        match self {
            Direction::DrupalToEntra => "drupal_to_entra",
            Direction::EntraToDrupal => "entra_to_drupal",
        }
    }

    pub fn parse(name: &str) -> Option<Direction> {
        Direction::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The users feature of the direction, which holds its permissions.
    pub fn feature(self) -> Feature {
        match self {
            Direction::DrupalToEntra => Feature::ProvisionUsers,
            Direction::EntraToDrupal => Feature::ImportUsers,
        }
    }

    /// The least-privileged application permission the direction needs.
    pub fn permission(self) -> &'static str {
        self.feature().permission()
    }

    /// Granted permissions that include `permission()` (ReadWrite implies Read).
    pub fn satisfied_by(self) -> &'static [&'static str] {
        self.feature().satisfied_by()
    }

    /// Whether `granted` (the token's roles) covers this direction.
    pub fn granted_by(self, granted: &[String]) -> bool {
        self.feature().granted_by(granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_write_covers_both_directions_and_read_only_the_import() {
        let read = vec!["user.read.all".to_owned()];
        let write = vec!["User.ReadWrite.All".to_owned()];
        assert!(Direction::EntraToDrupal.granted_by(&read));
        assert!(!Direction::DrupalToEntra.granted_by(&read));
        assert!(Direction::EntraToDrupal.granted_by(&write));
        assert!(Direction::DrupalToEntra.granted_by(&write));
        for d in Direction::ALL {
            assert_eq!(Direction::parse(d.name()), Some(d));
        }
        assert_eq!(Direction::parse("sideways"), None);
    }
}
