//! How the app proves its identity to the token endpoint: a client secret, or a certificate
//! (a JWT client assertion signed with the certificate's private key, which Microsoft
//! recommends over secrets). Both are held so that no `Debug`, error or log can show them.

use crate::error::{Error, Result};
use crate::secret::Secret;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Lifetime of a client assertion; Microsoft accepts at most 10 minutes.
const ASSERTION_LIFETIME_S: u64 = 600;

#[derive(Clone)]
pub enum Credential {
    Secret(Secret),
    Certificate(Certificate),
}

#[derive(Clone)]
pub struct Certificate {
    key: EncodingKey,
    /// Kept only to scrub it from anything leaving the library.
    key_pem: Secret,
    /// `x5t#S256`: base64url of the SHA-256 of the certificate's DER, so Entra knows which of
    /// the app's certificates to verify with.
    thumbprint_s256: String,
    /// SHA-256 of the certificate's SubjectPublicKeyInfo (DER): names the key pair in the
    /// token cache's key without holding anything secret.
    public_key_sha256: [u8; 32],
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret(_) => f.write_str("Secret([REDACTED])"),
            Credential::Certificate(c) => c.fmt(f),
        }
    }
}

/// Names the certificate by its thumbprint; the key is never shown.
impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate(x5t#S256 {})", self.thumbprint_s256)
    }
}

#[derive(Serialize, serde::Deserialize)]
struct Probe {
    probe: bool,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: u64,
    iat: u64,
    exp: u64,
}

/// The configuration field of the certificate, and of its private key.
pub const CERTIFICATE_FIELD: &str = "client_certificate.certificate_pem";
pub const PRIVATE_KEY_FIELD: &str = "client_certificate.private_key_pem";

/// What can be wrong with a certificate credential, in the words an administrator sees: the
/// same sentences whether the client is being created (a configuration error) or the step-1 form
/// checks the fields early (`entra_check_certificate`). None quotes the input.
pub mod problem {
    pub const CERTIFICATE_NOT_PEM: &str = "The certificate must be one PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----), e.g. the cert.pem uploaded to the app registration.";
    pub const CERTIFICATE_NOT_X509: &str = "The certificate cannot be read: it is framed as a PEM certificate, but its content is not a valid X.509 certificate.";
    pub const CERTIFICATE_NOT_RSA: &str = "The certificate does not hold an RSA public key (PS256 needs RSA): create one with \"openssl req -x509 -newkey rsa:2048 ...\".";
    pub const KEY_ENCRYPTED: &str = "The private key is protected by a passphrase, which the library cannot use: remove it with \"openssl pkey -in key.pem -out key-plain.pem\" and enter key-plain.pem.";
    pub const KEY_NOT_PEM: &str = "The private key must be an RSA private key in PEM form (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----), e.g. the key.pem created with the certificate.";
    pub const KEY_UNREADABLE: &str = "The private key cannot be read: it is framed as a PEM key, but its content is not a valid private key.";
    pub const KEY_NOT_RSA: &str = "The private key must be an RSA key (PS256 needs RSA): create one with \"openssl req -x509 -newkey rsa:2048 ...\".";
    pub const KEY_MISMATCH: &str = "The private key does not belong to the certificate: enter the key.pem created together with this cert.pem.";
}

/// `rsaEncryption` (RFC 8017), the algorithm of a PKCS#8 RSA key.
const RSA_ENCRYPTION: pkcs8::ObjectIdentifier =
    pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// A certificate read from PEM text (LF or CRLF line endings) and decoded as X.509.
pub struct ParsedCertificate<'a> {
    pem: &'a str,
    der: Vec<u8>,
    x509: x509_cert::Certificate,
}

impl ParsedCertificate<'_> {
    /// The DER bytes: what a thumbprint is a hash of.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.x509
    }
}

/// The certificate, or the configuration error of `CERTIFICATE_FIELD` saying why not.
pub fn parse_certificate(certificate_pem: &str) -> Result<ParsedCertificate<'_>> {
    let pem = certificate_pem.trim();
    let block = pem::parse(pem)
        .ok()
        .filter(|p| p.tag() == "CERTIFICATE")
        .ok_or_else(|| Error::config(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_PEM))?;
    let der = block.into_contents();
    let x509 = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(&der)
        .map_err(|_| Error::config(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_X509))?;
    Ok(ParsedCertificate { pem, der, x509 })
}

/// The RSA signing key, or the configuration error of `PRIVATE_KEY_FIELD` saying why not: a
/// passphrase, not PEM, not a key, not RSA.
pub fn parse_private_key(private_key_pem: &Secret) -> Result<EncodingKey> {
    let text = private_key_pem.expose().trim();
    let refuse = |message: &str| Error::config(PRIVATE_KEY_FIELD, message);
    // PKCS#8 `ENCRYPTED PRIVATE KEY`, or the legacy OpenSSL header of an encrypted PKCS#1 key.
    let encrypted = text.lines().map(str::trim).any(|line| {
        line.starts_with("-----BEGIN ENCRYPTED")
            || (line.starts_with("Proc-Type:") && line.contains("ENCRYPTED"))
    });
    if encrypted {
        return Err(refuse(problem::KEY_ENCRYPTED));
    }
    let block = pem::parse(text).map_err(|_| refuse(problem::KEY_NOT_PEM))?;
    match block.tag() {
        "RSA PRIVATE KEY" => {}
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfoRef::try_from(block.contents())
                .map_err(|_| refuse(problem::KEY_UNREADABLE))?;
            if info.algorithm.oid != RSA_ENCRYPTION {
                return Err(refuse(problem::KEY_NOT_RSA));
            }
        }
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" => return Err(refuse(problem::KEY_NOT_RSA)),
        _ => return Err(refuse(problem::KEY_NOT_PEM)),
    }
    EncodingKey::from_rsa_pem(text.as_bytes()).map_err(|_| refuse(problem::KEY_UNREADABLE))
}

/// Signs a probe with the key and verifies it with the certificate: a key that does not belong
/// to the certificate is a configuration error here, not an AADSTS700027 later.
pub fn check_pair(key: &EncodingKey, certificate: &ParsedCertificate<'_>) -> Result<()> {
    let mismatch = || Error::config(PRIVATE_KEY_FIELD, problem::KEY_MISMATCH);
    let public = DecodingKey::from_rsa_pem(certificate.pem.as_bytes())
        .map_err(|_| Error::config(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_RSA))?;
    let probe = jsonwebtoken::encode(&Header::new(Algorithm::PS256), &Probe { probe: true }, key)
        .map_err(|_| mismatch())?;
    let mut validation = Validation::new(Algorithm::PS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Probe>(&probe, &public, &validation)
        .map(|_| ())
        .map_err(|_| mismatch())
}

impl Certificate {
    /// From PEM text: the private key (PKCS#8 or PKCS#1 RSA) and its X.509 certificate.
    pub fn from_pem(private_key_pem: Secret, certificate_pem: &str) -> Result<Certificate> {
        let certificate = parse_certificate(certificate_pem)?;
        let key = parse_private_key(&private_key_pem)?;
        check_pair(&key, &certificate)?;
        let spki = x509_cert::der::Encode::to_der(
            certificate
                .x509()
                .tbs_certificate()
                .subject_public_key_info(),
        )
        .map_err(|_| Error::config(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_X509))?;
        Ok(Certificate {
            key,
            key_pem: private_key_pem,
            thumbprint_s256: URL_SAFE_NO_PAD.encode(Sha256::digest(certificate.der())),
            public_key_sha256: Sha256::digest(&spki).into(),
        })
    }

    pub fn thumbprint_s256(&self) -> &str {
        &self.thumbprint_s256
    }

    /// A PS256 client assertion for one token request.
    pub fn assertion(&self, client_id: &str, token_url: &str) -> Result<Secret> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut header = Header::new(Algorithm::PS256);
        header.x5t_s256 = Some(self.thumbprint_s256.clone());
        let claims = AssertionClaims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_S,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(|_| {
                Error::config(
                    "client_certificate.private_key_pem",
                    "the client assertion could not be signed with client_certificate.private_key_pem",
                )
            })
    }
}

impl Credential {
    /// The form fields that prove the app's identity in a token request.
    pub fn form_fields(
        &self,
        client_id: &str,
        token_url: &str,
    ) -> Result<Vec<(&'static str, Secret)>> {
        Ok(match self {
            Credential::Secret(secret) => vec![("client_secret", secret.clone())],
            Credential::Certificate(cert) => vec![
                ("client_assertion_type", Secret::new(JWT_BEARER)),
                ("client_assertion", cert.assertion(client_id, token_url)?),
            ],
        })
    }

    /// Text that must never leave the library.
    pub fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::Secret(secret) => vec![secret.expose()],
            Credential::Certificate(cert) => vec![cert.key_pem.expose()],
        }
    }

    /// Which credential this is, as a SHA-256 that cannot be turned back into it: the token
    /// cache's key holds this, never the secret. A secret is hashed itself; a certificate by
    /// its public key (the private key never needs to be read for it). The prefix keeps a
    /// secret from ever colliding with a key's hash.
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        match self {
            Credential::Secret(secret) => {
                hash.update(b"client_secret\0");
                hash.update(secret.expose().as_bytes());
            }
            Credential::Certificate(cert) => {
                hash.update(b"certificate_public_key\0");
                hash.update(cert.public_key_sha256);
            }
        }
        hash.finalize().into()
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Credential::Secret(_) => "secret",
            Credential::Certificate(_) => "certificate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = include_str!("../tests/fixtures/test-app.key.pem");
    const CERT: &str = include_str!("../tests/fixtures/test-app.cert.pem");

    #[test]
    fn an_assertion_carries_the_documented_header_and_claims() {
        let cert = Certificate::from_pem(Secret::new(KEY), CERT).unwrap();
        let jwt = cert
            .assertion("client-1", "https://login.example/t/oauth2/v2.0/token")
            .unwrap();
        let parts: Vec<&str> = jwt.expose().split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "PS256");
        assert_eq!(header["x5t#S256"], cert.thumbprint_s256());
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://login.example/t/oauth2/v2.0/token");
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("client-1"), Some("client-1"))
        );
        let lifetime = claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap();
        assert!(lifetime <= 600);
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
    }

    #[test]
    fn bad_pem_is_a_config_error_that_never_quotes_the_key() {
        let err = Certificate::from_pem(
            Secret::new("-----BEGIN PRIVATE KEY-----\ncanarykey\n-----END PRIVATE KEY-----"),
            CERT,
        )
        .unwrap_err();
        assert_eq!(
            err.detail().field.as_deref(),
            Some("client_certificate.private_key_pem")
        );
        assert!(!err.to_string().contains("canarykey"));
        let err = Certificate::from_pem(Secret::new(KEY), "not a cert").unwrap_err();
        assert_eq!(
            err.detail().field.as_deref(),
            Some("client_certificate.certificate_pem")
        );
        // Framed as PEM but no X.509 inside: named as such, before the key is looked at.
        let err = Certificate::from_pem(
            Secret::new(KEY),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        )
        .unwrap_err();
        assert_eq!(err.detail().message, problem::CERTIFICATE_NOT_X509);
        let other = include_str!("../tests/fixtures/other.key.pem");
        let err = Certificate::from_pem(Secret::new(other), CERT).unwrap_err();
        assert_eq!(
            err.detail().field.as_deref(),
            Some("client_certificate.private_key_pem")
        );
        assert!(err.to_string().contains("does not belong"), "{err}");
        let debug = format!(
            "{:?}",
            Credential::Certificate(Certificate::from_pem(Secret::new(KEY), CERT).unwrap())
        );
        assert!(!debug.contains("PRIVATE"));
    }
}
