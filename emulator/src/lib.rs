//! A loopback emulator of the Microsoft Entra ID token endpoint (client credentials) and of the
//! Microsoft Graph v1.0 users API, following Microsoft's documented behaviour: error bodies and
//! codes, validation rules, paging, delta query, JSON batching, and write throttling with
//! `Retry-After`. On top of that it offers fault injection and observability through an
//! unauthenticated control API under `/_emulator/`.
//!
//! Users can hold directory roles, listed by `users/{id}/transitiveMemberOf` and guarding the
//! user against updates and deletes by unprivileged apps. Groups (security, Microsoft 365,
//! dynamic, role-assignable, mail-enabled) hold users and nested groups, with `$ref` adds and
//! removes, transitive reads and a groups delta query with `members@delta`.
//!
//! One base URL serves both the token endpoint (`{base}/{tenant}/oauth2/v2.0/token`) and Graph
//! (`{base}/v1.0/...`). The server binds 127.0.0.1 only.
//!
//! ```no_run
//! let emu = entra_graph_emulator::start_blocking(Default::default()).unwrap();
//! println!("{}", emu.base_url());
//! ```

mod assertion;
mod batch;
mod clock;
pub mod config;
mod control;
mod delta;
mod errors;
pub mod faults;
mod graph;
mod groups;
pub mod log;
mod odata;
mod roles;
mod server;
pub mod state;
mod throttle;
mod token;
mod users;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{ClientApp, EmulatorConfig, SeedGroup, SeedUser, WriteBudget};
pub use faults::{FaultInfo, FaultSpec};
pub use log::RequestLogEntry;
pub use state::{EmulatorState, RuntimeConfig, Stats};

/// A random (version 4) GUID in Graph's lowercase form.
pub(crate) fn new_guid() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .hyphenated()
        .to_string()
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Unpadded base64url, for JWT-shaped tokens and opaque paging tokens.
pub(crate) fn b64url(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(B64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Inverse of [`b64url`]; `None` for anything that is not unpadded base64url.
pub(crate) fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64URL.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (bits < 6).then_some(out)
}

/// A running emulator on the caller's tokio runtime.
pub struct RunningEmulator {
    base_url: String,
    state: EmulatorState,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Handle on users, request log, counters, faults and settings.
    pub fn state(&self) -> EmulatorState {
        self.state.clone()
    }

    /// Stop accepting, close open connections and wait for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Bind 127.0.0.1 (on `config.port`, 0 = any free port) and start serving on the current tokio
/// runtime.
pub async fn start(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port))).await?;
    let port = listener.local_addr()?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let shared = Arc::new(state::Shared::new(&config, base_url.clone()));
    let (stop, stop_rx) = watch::channel(false);
    let task = tokio::spawn(server::serve(listener, shared.clone(), stop_rx));
    Ok(RunningEmulator {
        base_url,
        state: EmulatorState { inner: shared },
        stop,
        task,
    })
}

/// An emulator running on its own runtime in a background thread, for synchronous tests.
/// Dropping it stops the emulator.
pub struct BlockingEmulator {
    base_url: String,
    state: EmulatorState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BlockingEmulator {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Handle on users, request log, counters, faults and settings.
    pub fn state(&self) -> EmulatorState {
        self.state.clone()
    }

    /// Stop and wait for the background thread (the same as dropping it).
    pub fn shutdown(self) {}
}

impl Drop for BlockingEmulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Start an emulator on a dedicated two-worker runtime in a background thread.
pub fn start_blocking(config: EmulatorConfig) -> std::io::Result<BlockingEmulator> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("entra-graph-emulator".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("entra-graph-emulator-worker")
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            rt.block_on(async move {
                match start(config).await {
                    Ok(emu) => {
                        let _ = ready_tx.send(Ok((emu.base_url(), emu.state())));
                        let _ = stop_rx.await;
                        emu.shutdown().await;
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            });
        })?;
    let (base_url, state) = ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("emulator thread ended before starting"))??;
    Ok(BlockingEmulator {
        base_url,
        state,
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b64url_round_trip() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(b64url_decode(&b64url(data)).unwrap(), data);
        }
        assert_eq!(b64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
        assert!(b64url_decode("a+b").is_none());
    }

    #[test]
    fn guids_are_v4_lowercase() {
        let g = new_guid();
        assert!(users::looks_like_guid(&g));
        assert_eq!(&g[14..15], "4");
        assert_eq!(g, g.to_lowercase());
    }
}
