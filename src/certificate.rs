//! `entra_check_certificate`: what a host shows about a certificate credential before any client
//! exists (the step-1 form's early check, the status report line). The same parsing and the
//! same sentences as `credential`, which checks again when the client is created; this only
//! reports every field's first problem at once, and what the administrator compares with the
//! app registration: the thumbprint, the subject and the expiry.

use crate::credential::{self, ParsedCertificate};
use crate::error::Error;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::fmt::Write;

/// `{"certificate_pem": "...", "private_key_pem": "..."}`. The key may be absent, null or empty
/// (only the certificate is checked), and the certificate empty (only the key is checked): a
/// field left empty is "not entered yet", which the configuration's required fields report.
#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    pub certificate_pem: String,
    #[serde(default)]
    pub private_key_pem: Option<Secret>,
}

/// `{"certificate": {...} | null, "problems": [{"field", "message"}]}`: `certificate` whenever the
/// certificate can be read, whatever the key; at most one problem per field.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Report {
    pub certificate: Option<CertificateInfo>,
    pub problems: Vec<Problem>,
}

/// What the administrator compares with the app registration.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CertificateInfo {
    /// SHA-1 of the DER, upper-case hex: the "Thumbprint" column of Certificates & secrets.
    pub thumbprint: String,
    /// The subject DN as RFC 4514 text, e.g. `CN=drupal-entra,O=Contoso`.
    pub subject: String,
    /// The end of the validity period, in Unix seconds.
    pub not_after: u64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// `client_certificate.certificate_pem` or `client_certificate.private_key_pem`.
    pub field: String,
    pub message: String,
}

impl From<Error> for Problem {
    fn from(err: Error) -> Problem {
        let detail = err.detail();
        Problem {
            field: detail.field.clone().unwrap_or_default(),
            message: detail.message.clone(),
        }
    }
}

/// Checks the certificate and the key as `Certificate::from_pem` does, but reports instead of
/// stopping at the first problem: the key alone when the certificate is missing or unusable,
/// and the pair when both can be read.
pub fn check(request: &CheckRequest) -> Report {
    let mut problems = Vec::new();
    let certificate_pem = Some(request.certificate_pem.as_str()).filter(|p| !p.trim().is_empty());
    let certificate = match certificate_pem.map(credential::parse_certificate) {
        Some(Ok(parsed)) => Some(parsed),
        Some(Err(err)) => {
            problems.push(Problem::from(err));
            None
        }
        None => None,
    };
    let key = request
        .private_key_pem
        .as_ref()
        .filter(|key| !key.expose().trim().is_empty());
    if let Some(key) = key {
        let outcome = credential::parse_private_key(key).and_then(|signing| match &certificate {
            Some(parsed) => credential::check_pair(&signing, parsed),
            None => Ok(()),
        });
        if let Err(err) = outcome {
            problems.push(Problem::from(err));
        }
    }
    Report {
        certificate: certificate.as_ref().map(describe),
        problems,
    }
}

fn describe(parsed: &ParsedCertificate<'_>) -> CertificateInfo {
    let tbs = parsed.x509().tbs_certificate();
    let mut thumbprint = String::with_capacity(40);
    for byte in Sha1::digest(parsed.der()) {
        let _ = write!(thumbprint, "{byte:02X}");
    }
    CertificateInfo {
        thumbprint,
        subject: tbs.subject().to_string(),
        not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{CERTIFICATE_FIELD, PRIVATE_KEY_FIELD, problem};

    const CERT: &str = include_str!("../tests/fixtures/test-app.cert.pem");
    const KEY: &str = include_str!("../tests/fixtures/test-app.key.pem");
    const OTHER_KEY: &str = include_str!("../tests/fixtures/other.key.pem");
    const EC_KEY: &str = include_str!("../tests/fixtures/ec.key.pem");

    fn report(certificate: Option<&str>, key: Option<&str>) -> Report {
        check(&CheckRequest {
            certificate_pem: certificate.unwrap_or_default().to_owned(),
            private_key_pem: key.map(Secret::new),
        })
    }

    fn messages(report: &Report) -> Vec<(&str, &str)> {
        report
            .problems
            .iter()
            .map(|p| (p.field.as_str(), p.message.as_str()))
            .collect()
    }

    #[test]
    fn a_good_pair_has_no_problem_and_the_portal_thumbprint() {
        let report = report(Some(CERT), Some(KEY));
        assert_eq!(report.problems, vec![]);
        let info = report.certificate.unwrap();
        // `openssl x509 -in test-app.cert.pem -noout -fingerprint -sha1 -subject -enddate`
        assert_eq!(info.thumbprint, "7238AC56292B62D7E8452FC9B55AF83EC199E7B1");
        assert_eq!(info.subject, "CN=entra-provisioning test app (tests only)");
        // notAfter=Nov  2 07:36:30 2126 GMT
        assert_eq!(info.not_after, 4_949_278_590);
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        let crlf = |s: &str| s.replace('\n', "\r\n");
        let report = report(Some(&crlf(CERT)), Some(&crlf(KEY)));
        assert_eq!(report.problems, vec![]);
        assert!(report.certificate.is_some());
    }

    #[test]
    fn the_certificate_must_be_a_pem_certificate_holding_x509() {
        for not_pem in ["not a certificate", KEY] {
            let report = report(Some(not_pem), None);
            assert_eq!(report.certificate, None);
            assert_eq!(
                messages(&report),
                vec![(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_PEM)]
            );
        }
        let framed = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let report = report(Some(framed), None);
        assert_eq!(
            messages(&report),
            vec![(CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_X509)]
        );
        assert!(problem::CERTIFICATE_NOT_X509.contains("not a valid X.509"));
    }

    #[test]
    fn each_kind_of_unusable_key_has_its_sentence() {
        let cases = [
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                problem::KEY_ENCRYPTED,
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                problem::KEY_ENCRYPTED,
            ),
            (CERT, problem::KEY_NOT_PEM),
            ("not a key", problem::KEY_NOT_PEM),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                problem::KEY_UNREADABLE,
            ),
            (EC_KEY, problem::KEY_NOT_RSA),
            (OTHER_KEY, problem::KEY_MISMATCH),
        ];
        for (key, expected) in cases {
            let report = report(Some(CERT), Some(key));
            assert_eq!(messages(&report), vec![(PRIVATE_KEY_FIELD, expected)]);
            assert!(
                report.certificate.is_some(),
                "the certificate is still shown"
            );
        }
        assert!(problem::KEY_ENCRYPTED.contains("openssl pkey -in key.pem -out key-plain.pem"));
    }

    #[test]
    fn without_a_usable_certificate_the_key_is_checked_alone() {
        assert_eq!(report(None, Some(OTHER_KEY)).problems, vec![]);
        assert_eq!(report(Some("  \n"), Some(OTHER_KEY)).problems, vec![]);
        let report = report(Some("junk"), Some(EC_KEY));
        assert_eq!(
            messages(&report),
            vec![
                (CERTIFICATE_FIELD, problem::CERTIFICATE_NOT_PEM),
                (PRIVATE_KEY_FIELD, problem::KEY_NOT_RSA)
            ]
        );
    }

    #[test]
    fn nothing_entered_is_nothing_to_report() {
        assert_eq!(
            report(None, None),
            Report {
                certificate: None,
                problems: vec![]
            }
        );
        assert_eq!(report(Some(CERT), Some("")).problems, vec![]);
    }

    #[test]
    fn no_problem_quotes_the_key() {
        let relabelled = OTHER_KEY.replace("PRIVATE KEY", "RSA PRIVATE KEY");
        for key in [OTHER_KEY, EC_KEY, &relabelled] {
            let report = report(Some(CERT), Some(key));
            assert_eq!(report.problems.len(), 1);
            let text = serde_json::to_string(&report).unwrap();
            for line in key
                .lines()
                .filter(|l| l.len() > 16 && !l.starts_with("-----"))
            {
                assert!(!text.contains(line), "{text}");
            }
        }
    }
}
