//! Initial passwords for new Entra accounts. Graph rejects a password that is not 8–256 ASCII
//! characters from at least three of four classes; ours always has all four, from the OS CSPRNG,
//! and exists only inside the create request (it is never logged or returned).

use crate::secret::Secret;
use rand::RngExt;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;
use rand::seq::SliceRandom;

const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const DIGIT: &[u8] = b"23456789";
/// Symbols Entra accepts that need no escaping in JSON, URLs or shells.
const SYMBOL: &[u8] = b"!#$%&*+-=?@^_~";

pub const DEFAULT_LENGTH: usize = 20;

pub fn generate(length: usize) -> Secret {
    let length = length.clamp(16, 256);
    // The OS CSPRNG itself, no user-space generator in between; a failing OS RNG is a panic,
    // which the FFI guard contains, never a weak password.
    let mut rng = UnwrapErr(SysRng);
    let classes = [LOWER, UPPER, DIGIT, SYMBOL];
    let mut bytes: Vec<u8> = classes
        .iter()
        .map(|c| c[rng.random_range(0..c.len())])
        .collect();
    let all: Vec<u8> = classes.concat();
    while bytes.len() < length {
        bytes.push(all[rng.random_range(0..all.len())]);
    }
    bytes.shuffle(&mut rng);
    Secret::new(String::from_utf8(bytes).expect("ASCII alphabet"))
}

/// Graph's documented complexity rule, checked before a request is sent.
pub fn meets_graph_policy(password: &str) -> bool {
    let len_ok = (8..=256).contains(&password.len()) && password.is_ascii();
    let classes = [
        password.bytes().any(|c| c.is_ascii_lowercase()),
        password.bytes().any(|c| c.is_ascii_uppercase()),
        password.bytes().any(|c| c.is_ascii_digit()),
        password
            .bytes()
            .any(|c| c.is_ascii_punctuation() || c == b' '),
    ];
    len_ok && classes.iter().filter(|c| **c).count() >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_have_all_classes_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let p = generate(DEFAULT_LENGTH);
            let s = p.expose();
            assert_eq!(s.len(), DEFAULT_LENGTH);
            assert!(s.bytes().any(|c| LOWER.contains(&c)));
            assert!(s.bytes().any(|c| UPPER.contains(&c)));
            assert!(s.bytes().any(|c| DIGIT.contains(&c)));
            assert!(s.bytes().any(|c| SYMBOL.contains(&c)));
            assert!(meets_graph_policy(s));
            assert!(seen.insert(s.to_owned()), "repeated password");
        }
    }

    #[test]
    fn length_is_clamped_to_a_safe_range() {
        assert_eq!(generate(3).expose().len(), 16);
        assert_eq!(generate(1000).expose().len(), 256);
    }

    #[test]
    fn graph_policy_rules() {
        assert!(!meets_graph_policy("Short1!"));
        assert!(!meets_graph_policy("alllowercase"));
        assert!(meets_graph_policy("lower1UPPER"));
        assert!(!meets_graph_policy("Ünïcode1abc"));
    }
}
