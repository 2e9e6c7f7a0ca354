//! The last line of defence for what an error says: every string of an error's detail is cleared
//! of the client's secrets before the error is serialised, and a message about the caller's
//! input never quotes the input back.
//!
//! Why on the detail strings and not on the JSON text: serialisation escapes `"`, `\` and control
//! characters, so a secret holding one of them no longer matches once it is JSON. And why on
//! errors only: a successful result carries directory data (UPNs, domains, names), which may
//! contain a secret's text by coincidence and must reach the host unmodified; no successful
//! result is built from anything that holds a secret.

use crate::error::{Detail, Error};
use crate::secret::REDACTED;
use std::fmt;

/// The shortest client secret the configuration accepts. Entra issues secrets of 40 characters
/// (older ones 32 or 44); anything much shorter is not one of them but a mistake (a placeholder,
/// the wrong field pasted). 8 and not more: the bundled emulator's default secret,
/// `emulator-secret`, is 15 characters, and tests and demos use it. Every accepted secret is then
/// long enough to be scrubbed wherever it appears without mangling ordinary words.
pub const MIN_SECRET_LEN: usize = 8;

/// A line of a PEM key is scrubbed on its own from this length: every base64 line of a key but
/// the last is 64 characters, and a short tail such as `AQAB==` is no secret.
const PEM_LINE_MIN: usize = 16;

/// The texts to clear from error details, longest first (so that a whole key goes before one of
/// its lines).
#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
}

/// Shows how many texts it clears, never which.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} texts)", self.needles.len())
    }
}

impl Redactor {
    /// Clears nothing: for exports that hold no secret.
    pub const fn none() -> Redactor {
        Redactor {
            needles: Vec::new(),
        }
    }

    /// For these secrets (a client secret, a private key in PEM form). Values shorter than
    /// `MIN_SECRET_LEN` are ignored: the configuration refuses them as secrets.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let mut needles: Vec<String> = secrets.into_iter().flat_map(forms).collect();
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Redactor { needles }
    }

    /// `text` with every occurrence of every secret replaced by `[REDACTED]`.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = out.replace(needle.as_str(), REDACTED);
            }
        }
        out
    }

    fn clear(&self, value: &mut String) {
        if self.needles.iter().any(|n| value.contains(n.as_str())) {
            *value = self.text(value);
        }
    }

    fn clear_opt(&self, value: &mut Option<String>) {
        if let Some(v) = value {
            self.clear(v);
        }
    }

    /// Every string of the detail: message, hint, field, codes, request-id and the account named
    /// by a conflict (`existing`).
    pub fn detail(&self, d: &mut Detail) {
        if self.needles.is_empty() {
            return;
        }
        self.clear(&mut d.message);
        for value in [
            &mut d.graph_code,
            &mut d.request_id,
            &mut d.field,
            &mut d.hint,
            &mut d.aadsts,
        ] {
            self.clear_opt(value);
        }
        if let Some(existing) = &mut d.existing {
            self.clear(&mut existing.id);
            self.clear(&mut existing.matched_on);
            for value in [
                &mut existing.user_principal_name,
                &mut existing.display_name,
                &mut existing.mail,
            ] {
                self.clear_opt(value);
            }
        }
    }

    pub fn error(&self, err: &mut Error) {
        self.detail(err.detail_mut());
    }
}

/// The forms in which a secret may come back in a message: as sent, trimmed, and, for a PEM key
/// (or any secret of several lines), each line on its own and the base64 body in one piece. Each
/// of these also as it reads once escaped by JSON, by Rust's `{:?}` and by form encoding (the
/// token request is a form), for messages that quote a body or a value.
fn forms(secret: &str) -> Vec<String> {
    let trimmed = secret.trim();
    if trimmed.chars().count() < MIN_SECRET_LEN {
        return Vec::new();
    }
    let mut base = vec![secret.to_owned(), trimmed.to_owned()];
    if trimmed.contains(['\n', '\r']) {
        let pem = trimmed.starts_with("-----BEGIN");
        let min = if pem { PEM_LINE_MIN } else { MIN_SECRET_LEN };
        let body: Vec<&str> = trimmed
            .lines()
            .map(str::trim)
            .filter(|line| !(pem && line.starts_with("-----")))
            .collect();
        base.extend(
            body.iter()
                .filter(|line| line.chars().count() >= min)
                .map(|line| (*line).to_owned()),
        );
        if pem {
            base.push(body.concat());
        }
    }
    let mut out = Vec::with_capacity(base.len() * 4);
    for form in base {
        let json = serde_json::to_string(&form).unwrap_or_default();
        let debug = format!("{form:?}");
        let encoded: String = url::form_urlencoded::byte_serialize(form.as_bytes()).collect();
        out.push(json[1..json.len() - 1].to_owned());
        out.push(debug[1..debug.len() - 1].to_owned());
        out.push(encoded);
        out.push(form);
    }
    out.retain(|n| n.chars().count() >= MIN_SECRET_LEN);
    out
}

/// A serde message about the caller's input, without the input: serde quotes the value it
/// refused (``unknown variant `…` ``, `invalid type: string "…"`), which may be a secret typed
/// into the wrong field, and a quoted value may itself hold quotes or the word "expected". So
/// everything from the first quote up to serde's own `, expected …` (the last one: what serde
/// expected comes from our schema, and stays) goes. "missing field" names only schema fields and
/// stays whole.
pub fn without_input_values(serde_message: &str) -> String {
    if serde_message.starts_with("missing field") {
        return serde_message.to_owned();
    }
    let (refused, expected) = match serde_message.rfind(", expected") {
        Some(at) => serde_message.split_at(at),
        None => (serde_message, ""),
    };
    match refused.find(['`', '"']) {
        Some(at) => {
            let quote = &refused[at..at + 1];
            format!("{}{quote}…{quote}{expected}", &refused[..at])
        }
        None => format!("{refused}{expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Candidate;

    const KEY: &str = include_str!("../tests/fixtures/test-app.key.pem");

    #[test]
    fn every_occurrence_in_every_form_goes() {
        let r = Redactor::new(["canary-xyz-123"]);
        assert_eq!(
            r.text("a canary-xyz-123 b canary-xyz-123"),
            "a [REDACTED] b [REDACTED]"
        );
        let r = Redactor::new([" q\"uo\\te\nline-two-é "]);
        for echoed in [
            "q\"uo\\te\nline-two-é",
            "q\\\"uo\\\\te\\nline-two-é",
            "q%22uo%5Cte%0Aline-two-%C3%A9",
            "line-two-é",
        ] {
            let out = r.text(&format!("echo: {echoed}."));
            assert!(!out.contains(echoed), "{echoed:?} survived in {out:?}");
        }
    }

    #[test]
    fn a_pem_key_goes_whole_line_by_line_and_as_one_body() {
        let r = Redactor::new([KEY]);
        let lines: Vec<&str> = KEY.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(r.text(KEY), REDACTED);
        let one_line = format!("bad key {} near", lines[1]);
        assert_eq!(r.text(&one_line), format!("bad key {REDACTED} near"));
        let body = lines.concat();
        assert_eq!(r.text(&body), REDACTED);
        // The armour is no secret.
        assert!(r.text("-----BEGIN PRIVATE KEY-----").contains("BEGIN"));
    }

    #[test]
    fn short_values_are_not_secrets() {
        assert_eq!(Redactor::new(["abc"]).text("abc"), "abc");
        assert_eq!(Redactor::new(["abcdefg"]).text("abcdefg"), "abcdefg");
        assert_eq!(Redactor::new(["abcdefgh"]).text("abcdefgh"), REDACTED);
    }

    #[test]
    fn every_detail_string_is_cleared() {
        let s = "s3cret-canary-value";
        let mut d = Detail {
            message: format!("m {s}"),
            graph_code: Some(s.into()),
            request_id: Some(s.into()),
            field: Some(s.into()),
            hint: Some(s.into()),
            aadsts: Some(s.into()),
            existing: Some(Box::new(Candidate {
                id: s.into(),
                user_principal_name: Some(s.into()),
                display_name: Some(s.into()),
                mail: Some(s.into()),
                matched_on: s.into(),
                ..Candidate::default()
            })),
            ..Detail::default()
        };
        Redactor::new([s]).detail(&mut d);
        let json = serde_json::to_string(&d).unwrap();
        assert!(!json.contains("s3cret"), "{json}");
        assert_eq!(d.message, "m [REDACTED]");
    }

    #[test]
    fn input_values_are_never_quoted_back() {
        assert_eq!(
            without_input_values(
                "unknown variant `s3cret`, expected one of `global`, `usgov` at line 1"
            ),
            "unknown variant `…`, expected one of `global`, `usgov` at line 1"
        );
        assert_eq!(
            without_input_values("invalid type: string \"s3cret\", expected u64"),
            "invalid type: string \"…\", expected u64"
        );
        assert_eq!(
            without_input_values("missing field `entra_id` at line 1"),
            "missing field `entra_id` at line 1"
        );
        // A value that holds quotes, escapes or the word itself cannot break out.
        for value in ["a\"b", "x`, expected y`z", "I expected\\ `it`"] {
            for message in [
                format!("invalid type: string {value:?}, expected u64 at line 1 column 9"),
                format!("unknown variant `{value}`, expected one of `global`, `china`"),
                format!("duplicate field `{value}`"),
            ] {
                let out = without_input_values(&message);
                assert!(!out.contains(value), "{out}");
            }
        }
        assert_eq!(
            without_input_values("status must be a boolean or 0/1"),
            "status must be a boolean or 0/1"
        );
    }
}
