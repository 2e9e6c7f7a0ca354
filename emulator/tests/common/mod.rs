//! Helpers shared by the integration tests: an emulator on the test's runtime, a reqwest
//! client, and token/JSON shortcuts. Every request goes over real HTTP on loopback.
#![allow(dead_code)]

use entra_graph_emulator::{ClientApp, EmulatorConfig, EmulatorState, RunningEmulator};
use reqwest::{Method, Response};
use serde_json::{Value, json};

pub const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub const DOMAIN: &str = "contoso.onmicrosoft.com";
pub const CLIENT_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
pub const SECRET: &str = "emulator-secret";
pub const READER_ID: &str = "bbbbbbbb-0000-0000-0000-000000000001";
pub const READER_SECRET: &str = "reader-secret";

/// An app with the group permissions the provisioning library asks for.
pub const GROUP_WRITER_ID: &str = "eeeeeeee-0000-0000-0000-000000000001";
pub const GROUP_WRITER_SECRET: &str = "group-writer-secret";
/// An app that may only read groups and memberships.
pub const GROUP_READER_ID: &str = "eeeeeeee-0000-0000-0000-000000000002";
pub const GROUP_READER_SECRET: &str = "group-reader-secret";
/// An app that may also change role-assignable groups.
pub const ROLE_MANAGER_ID: &str = "eeeeeeee-0000-0000-0000-000000000003";
pub const ROLE_MANAGER_SECRET: &str = "role-manager-secret";

/// [`config`] plus the three group apps above.
pub fn groups_config() -> EmulatorConfig {
    let mut c = config();
    for (id, secret, perms) in [
        (
            GROUP_WRITER_ID,
            GROUP_WRITER_SECRET,
            &["User.ReadWrite.All", "GroupMember.ReadWrite.All"][..],
        ),
        (
            GROUP_READER_ID,
            GROUP_READER_SECRET,
            &["GroupMember.Read.All"][..],
        ),
        (
            ROLE_MANAGER_ID,
            ROLE_MANAGER_SECRET,
            &[
                "GroupMember.ReadWrite.All",
                "RoleManagement.ReadWrite.Directory",
            ][..],
        ),
    ] {
        c.clients.push(ClientApp {
            client_id: id.into(),
            secret: secret.into(),
            permissions: perms.iter().map(|p| p.to_string()).collect(),
            certificate_pem: None,
        });
    }
    c
}

pub struct Env {
    pub emu: RunningEmulator,
    pub http: reqwest::Client,
    pub base: String,
    token: String,
}

/// Default config plus a read-only client.
pub fn config() -> EmulatorConfig {
    let mut c = EmulatorConfig::default();
    c.clients.push(ClientApp {
        client_id: READER_ID.into(),
        secret: READER_SECRET.into(),
        permissions: vec!["User.Read.All".into()],
        certificate_pem: None,
    });
    c
}

pub async fn env() -> Env {
    env_with(config()).await
}

pub async fn env_with(config: EmulatorConfig) -> Env {
    let emu = entra_graph_emulator::start(config).await.expect("start");
    let base = emu.base_url();
    let http = reqwest::Client::builder().build().unwrap();
    let mut env = Env {
        emu,
        http,
        base,
        token: String::new(),
    };
    env.token = env.token_for(CLIENT_ID, SECRET).await;
    env
}

pub fn user_body(upn: &str) -> Value {
    let nick = upn.split('@').next().unwrap().replace(['#', '$', '\''], "");
    json!({
        "accountEnabled": true,
        "displayName": format!("User {nick}"),
        "mailNickname": nick,
        "userPrincipalName": upn,
        "passwordProfile": { "forceChangePasswordNextSignIn": true, "password": "Xy7!abcdefg" }
    })
}

impl Env {
    pub fn state(&self) -> EmulatorState {
        self.emu.state()
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn token_url(&self) -> String {
        let url = self.state().token_url();
        assert_eq!(url, format!("{}/{TENANT}/oauth2/v2.0/token", self.base));
        url
    }

    pub async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Response {
        let url = if tenant == TENANT {
            self.token_url()
        } else {
            format!("{}/{tenant}/oauth2/v2.0/token", self.base)
        };
        self.http.post(url).form(form).send().await.unwrap()
    }

    pub async fn token_for(&self, client_id: &str, secret: &str) -> String {
        let r = self
            .token_request(
                TENANT,
                &[
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scope", "https://graph.microsoft.com/.default"),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        v["access_token"].as_str().unwrap().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/v1.0{}", self.base, path)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        self.send_as(&self.token, method, path, body).await
    }

    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut rb = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb.send().await.unwrap()
    }

    /// A request with extra headers (e.g. `ConsistencyLevel: eventual`).
    pub async fn send_with(
        &self,
        token: &str,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Response {
        let mut rb = self.http.request(method, self.url(path)).bearer_auth(token);
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(b);
        }
        rb.send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn create(&self, upn: &str) -> Value {
        let r = self.post("/users", &user_body(upn)).await;
        assert_eq!(r.status(), 201, "creating {upn}");
        r.json().await.unwrap()
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn batch(&self, requests: Value) -> (u16, Value) {
        let r = self.post("/$batch", &json!({ "requests": requests })).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .http
            .request(method, format!("{}/_emulator/{path}", self.base));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}

/// The `error` object of a Graph error body, asserting its shape.
pub fn graph_error(v: &Value) -> (&str, &str) {
    let e = &v["error"];
    assert!(
        e["innerError"]["request-id"].is_string(),
        "no innerError in {v}"
    );
    assert!(
        e["innerError"]["date"].is_string(),
        "no innerError.date in {v}"
    );
    (e["code"].as_str().unwrap(), e["message"].as_str().unwrap())
}

/// Find a batch response by id.
pub fn response<'a>(batch: &'a Value, id: &str) -> &'a Value {
    batch["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no response {id} in {batch}"))
}

/// The emulator binary as a child process, with the URL it printed on its first line.
pub struct BinaryEmulator {
    child: std::process::Child,
    pub url: String,
}

impl BinaryEmulator {
    pub fn spawn(args: &[&str]) -> BinaryEmulator {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_entra-graph-emulator"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("EMULATOR_URL=")
            .expect("first line")
            .to_string();
        BinaryEmulator { child, url }
    }

    /// Sends SIGTERM and waits (at most 10 s) for the process to exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "did not exit on SIGTERM"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
