//! `entra-graph-emulator`: run the emulator as a process. Prints exactly one line,
//! `EMULATOR_URL=http://127.0.0.1:PORT`, to stdout once listening (scripts read it), then stays
//! silent on stdout until SIGINT or SIGTERM.

use std::io::Write;

use clap::Parser;
use entra_graph_emulator::{ClientApp, EmulatorConfig, SeedGroup, SeedUser, WriteBudget};

#[derive(Parser, Debug)]
#[command(
    name = "entra-graph-emulator",
    version,
    about = "Loopback emulator of the Entra ID token endpoint and the Microsoft Graph users API"
)]
struct Cli {
    /// Port on 127.0.0.1 (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay added to every response, in milliseconds (a $batch pays it once).
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Tenant GUID.
    #[arg(long, default_value = entra_graph_emulator::config::DEFAULT_TENANT_ID)]
    tenant_id: String,
    /// Verified domain (repeatable; replaces the default contoso.onmicrosoft.com).
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// Application (client) id of the registered app.
    #[arg(long, requires = "client_secret")]
    client_id: Option<String>,
    /// Client secret of the registered app.
    #[arg(long, requires = "client_id")]
    client_secret: Option<String>,
    /// A PEM certificate registered on the app: client assertions signed with its private key
    /// are accepted as credentials.
    #[arg(long)]
    client_certificate: Option<std::path::PathBuf>,
    /// Comma-separated application permissions of the app.
    #[arg(long, default_value = "User.ReadWrite.All")]
    permissions: String,
    /// Lifetime of issued tokens, seconds.
    #[arg(long, default_value_t = 3599)]
    token_lifetime_s: u64,
    /// Writes allowed per window per app (default 3000, as documented).
    #[arg(long, conflicts_with = "no_throttle")]
    write_budget: Option<u32>,
    /// Length of the write window, seconds (default 150, as documented).
    #[arg(long, conflicts_with = "no_throttle")]
    write_window_s: Option<f64>,
    /// Disable write throttling.
    #[arg(long)]
    no_throttle: bool,
    /// Seed user 'upn|Display Name|mail|Role One;Role Two' (all but the UPN optional; the
    /// fourth part lists directory roles the user holds; repeatable).
    #[arg(long = "seed-user")]
    seed_users: Vec<String>,
    /// Seed group 'id|Display Name|kind|member;member' (id may be empty for a random one; kind
    /// is security (default), unified, dynamic, role-assignable, mail-security or
    /// distribution; members are user UPNs or ids, or group ids; repeatable).
    #[arg(long = "seed-group")]
    seed_groups: Vec<String>,
    /// Bound of the request log (0 disables it).
    #[arg(long, default_value_t = entra_graph_emulator::log::DEFAULT_LOG_MAX)]
    request_log_max: usize,
}

/// `upn|Display Name|mail|Role One;Role Two`: everything after the UPN is optional, and an
/// empty part means "not given" (so `upn|Name||Global Administrator` has no mail).
fn parse_seed(s: &str) -> Result<(SeedUser, Vec<String>), String> {
    let mut parts = s.split('|');
    let upn = parts.next().unwrap_or("").trim();
    if upn.is_empty() {
        return Err(format!("--seed-user '{s}': empty userPrincipalName"));
    }
    let display = parts
        .next()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(upn);
    let mail = parts
        .next()
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let roles: Vec<String> = parts
        .next()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .collect();
    if parts.next().is_some() {
        return Err(format!(
            "--seed-user '{s}': expected 'upn|Display Name|mail|Role One;Role Two'"
        ));
    }
    let seed = SeedUser {
        user_principal_name: upn.to_string(),
        display_name: display.to_string(),
        mail,
        account_enabled: true,
    };
    Ok((seed, roles))
}

/// `id|Display Name|kind|member;member`: the display name is required, the rest optional.
fn parse_seed_group(s: &str) -> Result<SeedGroup, String> {
    let parts: Vec<&str> = s.split('|').map(str::trim).collect();
    if parts.len() < 2 || parts.len() > 4 {
        return Err(format!(
            "--seed-group '{s}': expected 'id|Display Name|kind|member;member'"
        ));
    }
    if parts[1].is_empty() {
        return Err(format!("--seed-group '{s}': empty displayName"));
    }
    Ok(SeedGroup {
        id: Some(parts[0]).filter(|i| !i.is_empty()).map(str::to_string),
        display_name: parts[1].to_string(),
        kind: parts.get(2).copied().unwrap_or("").to_string(),
        members: parts
            .get(3)
            .copied()
            .unwrap_or("")
            .split(';')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect(),
        ..Default::default()
    })
}

fn config_from(cli: &Cli) -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig {
        port: cli.port,
        latency_ms: cli.latency_ms,
        tenant_id: cli.tenant_id.clone(),
        token_lifetime_s: cli.token_lifetime_s,
        ..Default::default()
    };
    if !cli.domains.is_empty() {
        config.tenant_domains = cli.domains.clone();
    }
    let permissions: Vec<String> = cli
        .permissions
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let mut client = ClientApp {
        permissions,
        ..Default::default()
    };
    if let (Some(id), Some(secret)) = (&cli.client_id, &cli.client_secret) {
        client.client_id = id.clone();
        client.secret = secret.clone();
    }
    if let Some(path) = &cli.client_certificate {
        client.certificate_pem = Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--client-certificate {}: {e}", path.display()))?,
        );
    }
    config.clients = vec![client];
    config.write_budget = if cli.no_throttle {
        None
    } else {
        let d = WriteBudget::default();
        let window_s = cli.write_window_s.unwrap_or(d.window_s);
        if window_s <= 0.0 {
            return Err("--write-window-s must be positive".into());
        }
        Some(WriteBudget {
            writes: cli.write_budget.unwrap_or(d.writes),
            window_s,
        })
    };
    for s in &cli.seed_users {
        let (seed, roles) = parse_seed(s)?;
        if !roles.is_empty() {
            config
                .seed_directory_roles
                .insert(seed.user_principal_name.clone(), roles);
        }
        config.seed_users.push(seed);
    }
    for s in &cli.seed_groups {
        config.seed_groups.push(parse_seed_group(s)?);
    }
    Ok(config)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match config_from(&cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("entra-graph-emulator: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let emu = match entra_graph_emulator::start(config).await {
        Ok(emu) => emu,
        Err(e) => {
            eprintln!("entra-graph-emulator: cannot listen: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    emu.state().set_request_log_max(cli.request_log_max);
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "EMULATOR_URL={}", emu.base_url());
        let _ = out.flush();
    }
    wait_for_signal().await;
    emu.shutdown().await;
    std::process::ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_user_syntax() {
        let (s, roles) = parse_seed("ann@contoso.onmicrosoft.com|Ann Lee|ann@contoso.com").unwrap();
        assert_eq!(s.display_name, "Ann Lee");
        assert_eq!(s.mail.as_deref(), Some("ann@contoso.com"));
        assert!(roles.is_empty());
        let (s, _) = parse_seed("bob@contoso.onmicrosoft.com").unwrap();
        assert_eq!(s.display_name, "bob@contoso.onmicrosoft.com");
        assert!(s.mail.is_none());
        assert!(parse_seed("|x").is_err());
        assert!(parse_seed("a@b|c|d|e|f").is_err());
    }

    #[test]
    fn seed_user_roles_part() {
        let (s, roles) = parse_seed(
            "gadmin@contoso.onmicrosoft.com|Grace Admin||Global Administrator; User Administrator ;",
        )
        .unwrap();
        assert_eq!(s.display_name, "Grace Admin");
        assert!(s.mail.is_none());
        assert_eq!(roles, vec!["Global Administrator", "User Administrator"]);
        let (_, roles) = parse_seed("x@contoso.onmicrosoft.com|X|x@contoso.com|").unwrap();
        assert!(roles.is_empty());
        let cli = Cli::parse_from([
            "x",
            "--seed-user",
            "a@contoso.onmicrosoft.com|A||Exchange Administrator",
            "--seed-user",
            "b@contoso.onmicrosoft.com|B",
        ]);
        let c = config_from(&cli).unwrap();
        assert_eq!(c.seed_users.len(), 2);
        assert_eq!(
            c.seed_directory_roles.get("a@contoso.onmicrosoft.com"),
            Some(&vec!["Exchange Administrator".to_string()])
        );
        assert!(
            !c.seed_directory_roles
                .contains_key("b@contoso.onmicrosoft.com")
        );
    }

    #[test]
    fn seed_group_syntax() {
        let g = parse_seed_group(
            "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0|Sales Team|unified|ann@contoso.onmicrosoft.com; bob@contoso.onmicrosoft.com",
        )
        .unwrap();
        assert_eq!(
            g.id.as_deref(),
            Some("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0")
        );
        assert_eq!(g.display_name, "Sales Team");
        assert_eq!(g.kind, "unified");
        assert_eq!(g.members.len(), 2);
        let g = parse_seed_group("|Plain").unwrap();
        assert!(g.id.is_none() && g.kind.is_empty() && g.members.is_empty());
        assert!(parse_seed_group("only").is_err());
        assert!(parse_seed_group("|").is_err());
        assert!(parse_seed_group("a|b|c|d|e").is_err());
        let cli = Cli::parse_from(["x", "--seed-group", "|G|dynamic", "--seed-group", "|H"]);
        assert_eq!(config_from(&cli).unwrap().seed_groups.len(), 2);
    }

    #[test]
    fn cli_builds_config() {
        let cli = Cli::parse_from([
            "x",
            "--domain",
            "a.example",
            "--domain",
            "b.example",
            "--client-id",
            "cid",
            "--client-secret",
            "sec",
            "--permissions",
            "User.Read.All, User.ReadWrite.All",
            "--write-budget",
            "10",
            "--write-window-s",
            "2.5",
        ]);
        let c = config_from(&cli).unwrap();
        assert_eq!(c.tenant_domains, vec!["a.example", "b.example"]);
        assert_eq!(c.clients[0].client_id, "cid");
        assert_eq!(c.clients[0].permissions.len(), 2);
        assert_eq!(
            c.write_budget,
            Some(WriteBudget {
                writes: 10,
                window_s: 2.5
            })
        );
        let cli = Cli::parse_from(["x", "--no-throttle"]);
        assert!(config_from(&cli).unwrap().write_budget.is_none());
        assert!(Cli::try_parse_from(["x", "--no-throttle", "--write-budget", "5"]).is_err());
        assert!(Cli::try_parse_from(["x", "--client-id", "only"]).is_err());
    }
}
