//! `$filter` and `$search` on groups.
//!
//! `$filter` covers what "List groups" documents without advanced queries: `eq` on `id`,
//! `displayName`, `mail`, `mailNickname`, `description` and the booleans, `startswith` on the
//! strings, `groupTypes/any(c:c eq '…')`, joined with `and`/`or` and parentheses.
//!
//! `$search` follows "Use the $search query parameter" for directory objects: clauses
//! `"property:text"` joined with `AND`/`OR`; on `displayName` and `description` a clause
//! matches a word of the value that starts with the text (tokenized search), on the other
//! string properties the whole value must start with it. Directory objects support `$search`
//! only as an advanced query, so the caller must send `ConsistencyLevel: eventual`.

use super::schema::{PROPS, bool_value, prop_index, str_value};
use super::store::Group;
use crate::errors::GraphError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GroupFilter {
    Eq(usize, Lit),
    StartsWith(usize, String),
    /// `groupTypes/any(c:c eq 'Unified')`.
    HasType(String),
    And(Box<GroupFilter>, Box<GroupFilter>),
    Or(Box<GroupFilter>, Box<GroupFilter>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bool(bool),
}

fn unsupported(property: &str) -> GraphError {
    GraphError::unsupported_query(format!(
        "Unsupported or invalid query filter clause specified for property '{property}' of resource 'Group'."
    ))
}

fn syntax(filter: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid filter clause: syntax error in '{filter}'."
    ))
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }

    /// Consume `kw` (case-insensitive) if it comes next as a whole word or symbol.
    fn eat(&mut self, kw: &str) -> bool {
        self.skip_ws();
        let r = self.rest();
        if r.len() >= kw.len() && r[..kw.len()].eq_ignore_ascii_case(kw) {
            let word = kw.chars().all(|c| c.is_ascii_alphabetic());
            let next = r[kw.len()..].chars().next();
            if word && next.is_some_and(|c| c.is_ascii_alphanumeric()) {
                return false;
            }
            self.pos += kw.len();
            return true;
        }
        false
    }

    fn ident(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let r = self.rest();
        let n = r
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
            .map_or(r.len(), |(i, _)| i);
        if n == 0 {
            return None;
        }
        self.pos += n;
        Some(&r[..n])
    }

    /// A single-quoted literal; a quote inside is doubled.
    fn string(&mut self) -> Option<String> {
        self.skip_ws();
        let mut chars = self.rest().char_indices().peekable();
        if chars.next().map(|(_, c)| c) != Some('\'') {
            return None;
        }
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, c)| *c) == Some('\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                self.pos += i + 1;
                return Some(out);
            }
            out.push(c);
        }
        None
    }

    fn or_expr(&mut self) -> Result<GroupFilter, GraphError> {
        let mut left = self.and_expr()?;
        while self.eat("or") {
            let right = self.and_expr()?;
            left = GroupFilter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<GroupFilter, GraphError> {
        let mut left = self.atom()?;
        while self.eat("and") {
            let right = self.atom()?;
            left = GroupFilter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn string_prop(&self, name: &str) -> Result<usize, GraphError> {
        let idx = prop_index(name).ok_or_else(|| unsupported(name))?;
        if matches!(
            PROPS[idx],
            "id" | "displayName" | "description" | "mail" | "mailNickname"
        ) {
            Ok(idx)
        } else {
            Err(unsupported(name))
        }
    }

    fn atom(&mut self) -> Result<GroupFilter, GraphError> {
        let err = || syntax(self.src);
        if self.eat("(") {
            let e = self.or_expr()?;
            return if self.eat(")") { Ok(e) } else { Err(err()) };
        }
        let name = self.ident().ok_or_else(err)?;
        if name.eq_ignore_ascii_case("startswith") {
            if !self.eat("(") {
                return Err(err());
            }
            let prop = self.ident().ok_or_else(err)?;
            let idx = self.string_prop(prop)?;
            if !self.eat(",") {
                return Err(err());
            }
            let lit = self.string().ok_or_else(err)?;
            if !self.eat(")") {
                return Err(err());
            }
            return Ok(GroupFilter::StartsWith(idx, lit.to_lowercase()));
        }
        if name.eq_ignore_ascii_case("groupTypes") {
            // groupTypes/any(c:c eq 'Unified')
            if !self.eat("/") || !self.eat("any") || !self.eat("(") {
                return Err(unsupported("groupTypes"));
            }
            let var = self.ident().ok_or_else(err)?.to_string();
            if !self.eat(":") || self.ident() != Some(var.as_str()) || !self.eat("eq") {
                return Err(err());
            }
            let lit = self.string().ok_or_else(err)?;
            if !self.eat(")") {
                return Err(err());
            }
            return Ok(GroupFilter::HasType(lit));
        }
        let idx = prop_index(name).ok_or_else(|| unsupported(name))?;
        if !self.eat("eq") {
            // ne, not, endswith … are advanced queries the emulator does not model on groups.
            return Err(unsupported(name));
        }
        if let Some(s) = self.string() {
            let idx = self.string_prop(name)?;
            return Ok(GroupFilter::Eq(idx, Lit::Str(s.to_lowercase())));
        }
        let b = if self.eat("true") {
            true
        } else if self.eat("false") {
            false
        } else {
            return Err(err());
        };
        if !matches!(
            PROPS[idx],
            "mailEnabled" | "securityEnabled" | "isAssignableToRole"
        ) {
            return Err(unsupported(name));
        }
        Ok(GroupFilter::Eq(idx, Lit::Bool(b)))
    }
}

pub(crate) fn parse_filter(filter: &str) -> Result<GroupFilter, GraphError> {
    let mut p = Parser {
        src: filter,
        pos: 0,
    };
    let e = p.or_expr()?;
    p.skip_ws();
    if !p.rest().is_empty() {
        return Err(syntax(filter));
    }
    Ok(e)
}

impl GroupFilter {
    pub fn matches(&self, g: &Group) -> bool {
        match self {
            GroupFilter::Eq(idx, Lit::Str(s)) => {
                str_value(g, *idx).is_some_and(|v| v.to_lowercase() == *s)
            }
            GroupFilter::Eq(idx, Lit::Bool(b)) => bool_value(g, *idx) == Some(*b),
            GroupFilter::StartsWith(idx, s) => {
                str_value(g, *idx).is_some_and(|v| v.to_lowercase().starts_with(s.as_str()))
            }
            GroupFilter::HasType(t) => g.group_types.iter().any(|x| x.eq_ignore_ascii_case(t)),
            GroupFilter::And(a, b) => a.matches(g) && b.matches(g),
            GroupFilter::Or(a, b) => a.matches(g) || b.matches(g),
        }
    }

    /// `id eq '…' or id eq '…'`: the only filter groups delta supports ("group: delta").
    pub fn only_ids(&self) -> Option<Vec<String>> {
        match self {
            GroupFilter::Eq(idx, Lit::Str(s)) if PROPS[*idx] == "id" => Some(vec![s.clone()]),
            GroupFilter::Or(a, b) => {
                let mut v = a.only_ids()?;
                v.extend(b.only_ids()?);
                Some(v)
            }
            _ => None,
        }
    }
}

/// One parsed `$search`: clauses and the operators between them, applied left to right.
#[derive(Debug, Clone)]
pub(crate) struct GroupSearch {
    first: (usize, String),
    rest: Vec<(bool, usize, String)>,
}

fn bad_search(search: &str) -> GraphError {
    GraphError::bad_request(format!("Syntax error: character '{search}' is not valid."))
}

fn clause(raw: &str, search: &str) -> Result<(usize, String), GraphError> {
    let inner = raw
        .trim()
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .ok_or_else(|| bad_search(search))?;
    let (prop, text) = inner.split_once(':').ok_or_else(|| {
        // "The property name must be specified in the clause."
        GraphError::bad_request(format!(
            "Invalid $search clause '{inner}': the property name must be specified."
        ))
    })?;
    let idx = prop_index(prop.trim()).ok_or_else(|| unsupported(prop.trim()))?;
    if matches!(
        PROPS[idx],
        "id" | "displayName" | "description" | "mail" | "mailNickname"
    ) {
        Ok((idx, text.trim().to_lowercase()))
    } else {
        Err(unsupported(prop.trim()))
    }
}

pub(crate) fn parse_search(search: &str) -> Result<GroupSearch, GraphError> {
    // Split on AND / OR outside quotes.
    let mut parts: Vec<String> = Vec::new();
    let mut ops: Vec<bool> = Vec::new();
    let mut current = String::new();
    let mut in_quotes = false;
    let words: Vec<&str> = search.split(' ').collect();
    for w in words {
        let quotes = w.matches('"').count();
        if !in_quotes && (w == "AND" || w == "OR") {
            parts.push(std::mem::take(&mut current));
            ops.push(w == "OR");
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(w);
        if quotes % 2 == 1 {
            in_quotes = !in_quotes;
        }
    }
    parts.push(current);
    let mut clauses = parts.iter().map(|p| clause(p, search));
    let first = clauses.next().ok_or_else(|| bad_search(search))??;
    let mut rest = Vec::new();
    for (op, c) in ops.into_iter().zip(clauses) {
        let (idx, text) = c?;
        rest.push((op, idx, text));
    }
    Ok(GroupSearch { first, rest })
}

fn clause_matches(g: &Group, idx: usize, text: &str) -> bool {
    let Some(v) = str_value(g, idx) else {
        return false;
    };
    let v = v.to_lowercase();
    if matches!(PROPS[idx], "displayName" | "description") {
        v.starts_with(text)
            || v.split(|c: char| !c.is_alphanumeric())
                .any(|word| !word.is_empty() && word.starts_with(text))
    } else {
        v.starts_with(text)
    }
}

impl GroupSearch {
    pub fn matches(&self, g: &Group) -> bool {
        let mut result = clause_matches(g, self.first.0, &self.first.1);
        for (or, idx, text) in &self.rest {
            let m = clause_matches(g, *idx, text);
            result = if *or { result || m } else { result && m };
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        assert!(parse_filter("startswith(displayName,'Sa''les')").is_ok());
        assert!(
            parse_filter("id eq 'a' or id eq 'b'")
                .unwrap()
                .only_ids()
                .is_some()
        );
        assert!(
            parse_filter("(securityEnabled eq true) and groupTypes/any(c:c eq 'Unified')").is_ok()
        );
        assert!(parse_filter("displayName ne 'x'").is_err());
        assert!(parse_filter("nosuch eq 'x'").is_err());
        assert!(parse_filter("displayName eq 'x' junk").is_err());
        assert!(parse_filter("mailEnabled eq 'x'").is_err());
    }

    #[test]
    fn search_parses() {
        assert!(parse_search("\"displayName:sales team\"").is_ok());
        assert_eq!(
            parse_search("\"displayName:a\" OR \"mail:b\"")
                .unwrap()
                .rest
                .len(),
            1
        );
        assert!(parse_search("displayName:a").is_err());
        assert!(parse_search("\"nope\"").is_err());
    }
}
