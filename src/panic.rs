//! Panics are contained at the FFI boundary (`catch_unwind`) and must also stay silent: the
//! default hook writes to stderr, which under PHP-FPM lands in the web server's error log next to
//! whatever else. The hook installed here stays quiet on threads marked as ours (a thread inside
//! an FFI call, or a runtime worker) and records the message for the error JSON instead; panics on
//! any other thread go to the previous hook unchanged (so Rust's own test harness still reports).

use std::cell::{Cell, RefCell};
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static INSTALL: Once = Once::new();

pub fn install_quiet_hook() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if QUIET.with(Cell::get) {
                LAST.with(|last| *last.borrow_mut() = Some(describe(info)));
            } else {
                previous(info);
            }
        }));
    });
}

/// Marks the current thread as one whose panics are recorded rather than printed.
pub fn mark_thread_quiet() {
    QUIET.with(|q| q.set(true));
}

/// Runs `f` with panics on this thread recorded quietly; restores the previous marking.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    install_quiet_hook();
    let was = QUIET.with(|q| q.replace(true));
    LAST.with(|last| last.borrow_mut().take());
    let out = f();
    QUIET.with(|q| q.set(was));
    out
}

/// The message of the last panic recorded on this thread, if any.
pub fn take_last() -> Option<String> {
    LAST.with(|last| last.borrow_mut().take())
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned());
    match info.location() {
        Some(loc) => format!("{message} (at {}:{})", loc.file(), loc.line()),
        None => message,
    }
}
