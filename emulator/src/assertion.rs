//! Certificate credentials: a client assertion (a JWT signed with the private key of a
//! certificate registered on the app) instead of a client secret. Checked as Entra documents:
//! `client_assertion_type` jwt-bearer, RS256/PS256 signature by the certificate named in
//! `x5t#S256` (or `x5t`), `aud` = the token endpoint, `iss` = `sub` = the client id, a valid
//! time range of at most 10 minutes, a `jti`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why an assertion was refused: the AADSTS code and its description.
pub struct Refusal {
    pub code: u32,
    pub description: String,
}

fn refuse(code: u32, description: impl Into<String>) -> Refusal {
    Refusal {
        code,
        description: description.into(),
    }
}

#[derive(Deserialize)]
struct Claims {
    aud: String,
    iss: String,
    sub: String,
    #[serde(default)]
    jti: Option<String>,
    #[serde(default)]
    nbf: Option<u64>,
    exp: u64,
}

/// base64url SHA-256 of a PEM certificate's DER: the `x5t#S256` that names it.
pub fn thumbprint_s256(certificate_pem: &str) -> Option<String> {
    let cert = pem::parse(certificate_pem.trim()).ok()?;
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(cert.contents())))
}

pub fn verify(
    assertion: &str,
    assertion_type: Option<&str>,
    client_id: &str,
    token_url: &str,
    certificate_pem: Option<&str>,
) -> Result<(), Refusal> {
    if assertion_type != Some(JWT_BEARER) {
        return Err(refuse(
            700025,
            format!("Client assertion type must be '{JWT_BEARER}'."),
        ));
    }
    let Some(certificate_pem) = certificate_pem else {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found.] The application has no certificate registered.",
        ));
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| refuse(700027, "Client assertion is not a well-formed JWT."))?;
    if !matches!(header.alg, Algorithm::PS256 | Algorithm::RS256) {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation. [Reason - The algorithm is not supported.]",
        ));
    }
    let expected = thumbprint_s256(certificate_pem);
    if header.x5t_s256.is_none() || header.x5t_s256 != expected {
        return Err(refuse(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found.]",
        ));
    }
    let key = DecodingKey::from_rsa_pem(certificate_pem.as_bytes()).map_err(|_| {
        refuse(
            700027,
            "The registered certificate cannot verify signatures.",
        )
    })?;
    let mut validation = Validation::new(header.alg);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.leeway = 0;
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature
            | jsonwebtoken::errors::ErrorKind::ImmatureSignature => {
                refuse(700024, "Client assertion is not within its valid time range.")
            }
            _ => refuse(
                700027,
                "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]",
            ),
        })?
        .claims;
    if !claims.aud.eq_ignore_ascii_case(token_url) {
        return Err(refuse(
            700027,
            format!(
                "Client assertion audience claim does not match Realm issuer. Expected '{token_url}'."
            ),
        ));
    }
    if claims.iss != client_id || claims.sub != client_id {
        return Err(refuse(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    if claims.exp.saturating_sub(claims.nbf.unwrap_or(claims.exp)) > 600 || claims.jti.is_none() {
        return Err(refuse(
            700024,
            "Client assertion must have a jti and a lifetime of at most 10 minutes.",
        ));
    }
    Ok(())
}
