//! Fork safety: PHP-FPM forks workers after the master may have used the library. The child
//! must get its own runtime and connection pool, and the parent must keep working.

mod common;

use common::*;
use entra_provisioning::Action;
use serde_json::json;

#[test]
fn parent_and_child_both_provision_after_a_fork() {
    let emu = emulator();
    let base = emu.base_url();
    let p = provisioner(&base, json!({}));
    // Warm the parent's runtime, pool and token cache before forking.
    assert_eq!(
        block_on(p.provision_user(&drupal_user(1, "parent.before")))
            .unwrap()
            .action,
        Action::Created
    );

    // SAFETY: the child only calls into this crate (which builds a fresh runtime for its pid)
    // and leaves with _exit, running no destructors inherited from the parent.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        let code = match block_on(p.provision_user(&drupal_user(2, "child"))) {
            Ok(o) if o.action == Action::Created => 0,
            _ => 1,
        };
        // SAFETY: ends the child without unwinding into the test harness.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    let waited = unsafe { libc::waitpid(child, &mut status, 0) };
    assert_eq!(waited, child);
    assert!(
        libc::WIFEXITED(status),
        "child did not exit normally (status {status})"
    );
    assert_eq!(libc::WEXITSTATUS(status), 0, "child could not provision");
    assert_eq!(
        block_on(p.provision_user(&drupal_user(3, "parent.after")))
            .unwrap()
            .action,
        Action::Created
    );
    let upns: Vec<String> = live_users(&base)
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap().to_owned())
        .collect();
    for name in ["parent.before", "child", "parent.after"] {
        assert!(
            upns.contains(&format!("{name}@{DOMAIN}")),
            "{name} missing from {upns:?}"
        );
    }
}
