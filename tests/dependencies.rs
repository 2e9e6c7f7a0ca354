//! Issue #8: the library's dependency graph, read from the committed `Cargo.lock`. jsonwebtoken
//! must be past CVE-2026-25537 (GHSA-h395-gr6q-cpjc, fixed in 10.3); no OpenSSL and no aws-lc
//! (with its C and cmake build) anywhere under the library; and where our own dependencies can
//! share a version with the rest of the graph, they do.

use std::collections::{BTreeSet, HashMap};

struct Package {
    name: String,
    version: String,
    deps: Vec<String>,
}

struct Lock {
    packages: Vec<Package>,
}

impl Lock {
    fn read() -> Lock {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
            .expect("Cargo.lock is committed");
        let mut packages = Vec::new();
        for block in text.split("[[package]]").skip(1) {
            let field = |key: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{key} = \"")))
                    .map(|v| v.trim_end_matches('"').to_owned())
                    .unwrap_or_default()
            };
            let deps = match block.split_once("dependencies = [") {
                Some((_, rest)) => rest
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .lines()
                    .map(|l| l.trim().trim_end_matches(',').trim_matches('"').to_owned())
                    .filter(|l| !l.is_empty())
                    .collect(),
                None => Vec::new(),
            };
            packages.push(Package {
                name: field("name"),
                version: field("version"),
                deps,
            });
        }
        Lock { packages }
    }

    /// A dependency as the lock names it: `name`, or `name version` when several exist.
    fn resolve(&self, dep: &str) -> &Package {
        let (name, version) = dep.split_once(' ').unwrap_or((dep, ""));
        let found: Vec<&Package> = self
            .packages
            .iter()
            .filter(|p| p.name == name && (version.is_empty() || p.version == version))
            .collect();
        assert_eq!(found.len(), 1, "{dep} names one package");
        found[0]
    }

    fn package(&self, name: &str) -> &Package {
        self.resolve(name)
    }

    /// The version of `dep` that `package` uses.
    fn version_of(&self, package: &Package, dep: &str) -> String {
        let name = package
            .deps
            .iter()
            .find(|d| d.split(' ').next() == Some(dep))
            .unwrap_or_else(|| panic!("{} depends on {dep}", package.name));
        self.resolve(name).version.clone()
    }

    /// Every package under the library's own `[dependencies]` (not its dev- or
    /// build-dependencies), as `name version`.
    fn library_graph(&self) -> BTreeSet<String> {
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        let section = manifest
            .split("\n[dependencies]\n")
            .nth(1)
            .unwrap()
            .split("\n[")
            .next()
            .unwrap();
        let direct: BTreeSet<&str> = section
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim()))
            .filter(|name| !name.starts_with('#'))
            .collect();
        let ours = self.package("entra-provisioning");
        let mut todo: Vec<&Package> = ours
            .deps
            .iter()
            .filter(|d| direct.contains(d.split(' ').next().unwrap()))
            .map(|d| self.resolve(d))
            .collect();
        let mut seen = BTreeSet::new();
        while let Some(p) = todo.pop() {
            if seen.insert(format!("{} {}", p.name, p.version)) {
                todo.extend(p.deps.iter().map(|d| self.resolve(d)));
            }
        }
        seen
    }
}

fn version(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split(['.', '-']).map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn jsonwebtoken_is_past_cve_2026_25537() {
    let lock = Lock::read();
    let ours = lock.package("entra-provisioning");
    let jwt = lock.version_of(ours, "jsonwebtoken");
    assert!(version(&jwt) >= (10, 3, 0), "jsonwebtoken {jwt}");
    // Scanners read the whole lock file, the emulator's dependencies included.
    for p in lock.packages.iter().filter(|p| p.name == "jsonwebtoken") {
        assert!(
            version(&p.version) >= (10, 3, 0),
            "jsonwebtoken {} in Cargo.lock",
            p.version
        );
    }
}

#[test]
fn no_openssl_and_no_aws_lc_under_the_library() {
    let graph = Lock::read().library_graph();
    assert!(
        graph.iter().any(|p| p.starts_with("jsonwebtoken ")),
        "{graph:?}"
    );
    let forbidden = [
        "openssl",
        "openssl-sys",
        "native-tls",
        "aws-lc-rs",
        "aws-lc-sys",
        "aws-lc-fips-sys",
        "cmake",
    ];
    for p in &graph {
        let name = p.split(' ').next().unwrap();
        assert!(!forbidden.contains(&name), "{p} is in the library's graph");
    }
}

#[test]
fn our_dependencies_share_versions_with_the_rest_of_the_graph() {
    let lock = Lock::read();
    let ours = lock.package("entra-provisioning");
    let of = |package: &str, dep: &str| {
        let versions: HashMap<&str, &Package> = lock
            .packages
            .iter()
            .filter(|p| p.name == package)
            .map(|p| (p.version.as_str(), p))
            .collect();
        assert_eq!(versions.len(), 1, "one {package}");
        lock.version_of(versions.values().next().unwrap(), dep)
    };
    let jwt = lock.resolve(
        ours.deps
            .iter()
            .find(|d| d.starts_with("jsonwebtoken"))
            .unwrap(),
    );
    // base64: ours, jsonwebtoken's and hyper-util's are one (reqwest 0.12 keeps 0.22).
    let base64 = lock.version_of(ours, "base64");
    assert_eq!(base64, lock.version_of(jwt, "base64"));
    assert_eq!(base64, of("hyper-util", "base64"));
    // getrandom: our rand draws on the one uuid uses (ring, under rustls, keeps 0.2).
    let rand = lock.resolve(
        ours.deps
            .iter()
            .find(|d| d.split(' ').next() == Some("rand"))
            .unwrap(),
    );
    assert_eq!(lock.version_of(rand, "getrandom"), of("uuid", "getrandom"));
    // sha2 and pem: ours are jsonwebtoken's.
    assert_eq!(lock.version_of(ours, "sha2"), lock.version_of(jwt, "sha2"));
    assert_eq!(lock.version_of(ours, "pem"), lock.version_of(jwt, "pem"));
    // The certificate check decodes X.509 and PKCS#8 with the der, spki and pkcs8 that rsa
    // (under jsonwebtoken) decodes keys with (its PKCS#1 too), and hashes with sha2's digest:
    // no second ASN.1 stack.
    let x509 = lock.resolve(
        ours.deps
            .iter()
            .find(|d| d.split(' ').next() == Some("x509-cert"))
            .unwrap(),
    );
    assert_eq!(lock.version_of(x509, "der"), of("pkcs1", "der"));
    assert_eq!(lock.version_of(x509, "spki"), of("rsa", "spki"));
    assert_eq!(lock.version_of(ours, "pkcs8"), of("rsa", "pkcs8"));
    assert_eq!(of("sha1", "digest"), of("sha2", "digest"));
}
