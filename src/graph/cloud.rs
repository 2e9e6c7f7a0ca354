//! The national clouds Microsoft runs, each with its own login (identity platform) and Graph
//! hosts, and the two addresses derived from them: the token URL and the scope.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cloud {
    #[default]
    Global,
    Usgov,
    UsgovDod,
    China,
}

impl Cloud {
    /// Every cloud, in the order a host offers them.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::Usgov, Cloud::UsgovDod, Cloud::China];

    /// How an admin knows the cloud (Microsoft's names).
    pub fn label(self) -> &'static str {
        match self {
            Cloud::Global => "Global",
            Cloud::Usgov => "US Government L4",
            Cloud::UsgovDod => "US Government L5 / DoD",
            Cloud::China => "China, operated by 21Vianet",
        }
    }

    pub fn login_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::Usgov | Cloud::UsgovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    pub fn graph_host(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com",
            Cloud::Usgov => "https://graph.microsoft.us",
            Cloud::UsgovDod => "https://dod-graph.microsoft.us",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::Usgov => "usgov",
            Cloud::UsgovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }
}

/// The client-credentials token endpoint (v2.0) of `tenant` at the login origin `login`.
pub fn token_url(login: &str, tenant: &str) -> String {
    format!("{login}/{tenant}/oauth2/v2.0/token")
}

/// The scope that asks for the app's granted application permissions on the Graph at
/// `graph_origin` (it must be that cloud's Graph host, or the token is refused there).
pub fn scope(graph_origin: &str) -> String {
    format!("{graph_origin}/.default")
}
