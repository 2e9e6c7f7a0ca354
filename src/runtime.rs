//! The per-process tokio runtime and HTTP client.
//!
//! PHP-FPM forks workers from a master. A runtime or a pooled client inherited across `fork()`
//! shares epoll and sockets with the parent: it hangs the child, and has crashed an FPM master.
//! So both are made lazily, keyed by `getpid()`. A child that finds its parent's pair leaks it
//! (`mem::forget` by way of a `'static` leak) instead of using or dropping it: dropping would shut
//! down worker threads that do not exist in the child.

use std::sync::Mutex;
use std::time::Duration;

pub struct Process {
    pub runtime: tokio::runtime::Runtime,
    pub http: reqwest::Client,
}

static CURRENT: Mutex<Option<(u32, &'static Process)>> = Mutex::new(None);

pub(crate) fn pid() -> u32 {
    // SAFETY: getpid has no preconditions and cannot fail.
    unsafe { libc::getpid() as u32 }
}

/// The runtime and client of this process, created on first use.
pub fn process() -> &'static Process {
    let pid = pid();
    // A poisoned lock only means a panic elsewhere while holding it; the data is still sound.
    let mut current = CURRENT.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, process)) = *current
        && owner == pid
    {
        return process;
    }
    let process: &'static Process = Box::leak(Box::new(Process::new()));
    *current = Some((pid, process));
    process
}

impl Process {
    fn new() -> Process {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("entra-provisioning")
            .enable_all()
            .on_thread_start(crate::panic::mark_thread_quiet)
            .build()
            .expect("a tokio runtime can be built");
        Process {
            runtime,
            http: http_client(),
        }
    }
}

/// TLS verification is always on (rustls, system and Mozilla roots). Redirects are not followed:
/// Graph does not redirect these calls, and following one could carry a bearer token elsewhere.
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(32)
        .tcp_nodelay(true)
        .user_agent(concat!("entra-provisioning/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client configuration is valid")
}
