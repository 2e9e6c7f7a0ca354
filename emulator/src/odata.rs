//! OData query options for the users collection: `$filter`, `$select`, `$top`, `$count` and the
//! paging tokens.
//!
//! The filter language covers what Graph supports on users without advanced queries (`eq`, `in`,
//! `startswith`, `and`, `or`, parentheses) plus `ne`, `not` and `endswith`, which Graph only
//! accepts as advanced queries (`ConsistencyLevel: eventual` and `$count=true`); the emulator
//! enforces that condition so a client that forgets the header fails here as it would there.

use crate::errors::GraphError;
use crate::users::{Kind, PROPS, User, prop_index_ci};

/// Query options of one request, each decoded once (`+` is a space, as in a form).
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    pub select: Option<String>,
    pub filter: Option<String>,
    pub top: Option<String>,
    pub skiptoken: Option<String>,
    pub deltatoken: Option<String>,
    pub count: Option<String>,
    pub orderby: Option<String>,
    pub search: Option<String>,
    pub expand: Option<String>,
    pub skip: Option<String>,
}

impl Query {
    /// Parse a raw query string. Option names are matched without case and with or without `$`.
    pub fn parse(raw: Option<&str>) -> Result<Query, GraphError> {
        let mut q = Query::default();
        let Some(raw) = raw else { return Ok(q) };
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            let name = k.trim_start_matches('$').to_ascii_lowercase();
            let slot = match name.as_str() {
                "select" => &mut q.select,
                "filter" => &mut q.filter,
                "top" => &mut q.top,
                "skiptoken" => &mut q.skiptoken,
                "deltatoken" => &mut q.deltatoken,
                "count" => &mut q.count,
                "orderby" => &mut q.orderby,
                "search" => &mut q.search,
                "expand" => &mut q.expand,
                "skip" => &mut q.skip,
                _ => {
                    if k.starts_with('$') {
                        return Err(GraphError::bad_request(format!(
                            "The query parameter '{k}' is not supported."
                        )));
                    }
                    continue;
                }
            };
            if slot.is_some() {
                return Err(GraphError::bad_request(format!(
                    "Query option '${name}' was specified more than once, but it must be specified at most once."
                )));
            }
            *slot = Some(v.into_owned());
        }
        Ok(q)
    }

    /// `$count=true`.
    pub fn count_requested(&self) -> Result<bool, GraphError> {
        match self.count.as_deref() {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(GraphError::bad_request(format!(
                "'{v}' is not a valid count option."
            ))),
        }
    }

    /// Page size from `$top` (1..=999) or the default.
    pub fn page_size(&self, default: usize) -> Result<usize, GraphError> {
        match self.top.as_deref() {
            None => Ok(default),
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| {
                    GraphError::bad_request(format!(
                        "Invalid value '{v}' for $top query option found. The $top query option requires a non-negative integer value."
                    ))
                })?;
                if !(1..=999).contains(&n) {
                    return Err(GraphError::unsupported_query(format!(
                        "Invalid page size specified: '{n}'. Must be between 1 and 999 inclusive."
                    )));
                }
                Ok(n as usize)
            }
        }
    }

    /// Reject the options the users endpoints of the emulator do not implement.
    pub fn reject_unsupported(&self) -> Result<(), GraphError> {
        if self.skip.is_some() {
            return Err(GraphError::request_bad_request(
                "'$skip' is not supported by the service.",
            ));
        }
        if self.orderby.is_some() {
            return Err(GraphError::unsupported_query(
                "Sorting not supported for current query.",
            ));
        }
        if self.expand.is_some() {
            return Err(GraphError::unsupported_query(
                "The emulator does not support $expand.",
            ));
        }
        if self.search.is_some() {
            return Err(GraphError::unsupported_query(
                "The emulator does not support $search.",
            ));
        }
        Ok(())
    }
}

/// Parse `$select` into property indexes. `None` means "the default property set".
pub(crate) fn parse_select(select: Option<&str>) -> Result<Option<Vec<usize>>, GraphError> {
    let Some(s) = select else { return Ok(None) };
    let mut out = Vec::new();
    for part in s.split(',') {
        let name = part.trim();
        if name.is_empty() {
            continue;
        }
        let idx = prop_index_ci(name).ok_or_else(|| {
            GraphError::bad_request(format!(
                "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type 'microsoft.graph.user'."
            ))
        })?;
        if !out.contains(&idx) {
            out.push(idx);
        }
    }
    if out.is_empty() {
        return Ok(None);
    }
    Ok(Some(out))
}

/// A filter literal; strings are kept lowercased because directory comparisons ignore case.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Lit {
    Str(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Func {
    StartsWith,
    EndsWith,
}

/// Parsed `$filter`.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Eq(usize, Lit),
    Ne(usize, Lit),
    In(usize, Vec<Lit>),
    Func(Func, usize, String),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    LParen,
    RParen,
    Comma,
}

fn syntax_error(pos: usize, filter: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Invalid filter clause: Syntax error at position {pos} in '{filter}'."
    ))
}

fn tokenize(filter: &str) -> Result<Vec<(usize, Tok)>, GraphError> {
    let chars: Vec<char> = filter.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        match c {
            '(' => {
                out.push((start, Tok::LParen));
                i += 1;
            }
            ')' => {
                out.push((start, Tok::RParen));
                i += 1;
            }
            ',' => {
                out.push((start, Tok::Comma));
                i += 1;
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    if i >= chars.len() {
                        return Err(GraphError::bad_request(format!(
                            "Invalid filter clause: There is an unterminated string literal at position {start} in '{filter}'."
                        )));
                    }
                    if chars[i] == '\'' {
                        if i + 1 < chars.len() && chars[i + 1] == '\'' {
                            s.push('\'');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                out.push((start, Tok::Str(s)));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut s = String::new();
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '-') {
                    s.push(chars[i]);
                    i += 1;
                }
                out.push((start, Tok::Num(s)));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut s = String::new();
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    s.push(chars[i]);
                    i += 1;
                }
                out.push((start, Tok::Ident(s)));
            }
            other => {
                return Err(GraphError::bad_request(format!(
                    "Invalid filter clause: Syntax error: character '{other}' is not valid at position {start} in '{filter}'."
                )));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    filter: &'a str,
    advanced: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn here(&self) -> usize {
        self.toks
            .get(self.pos)
            .map(|(p, _)| *p)
            .unwrap_or(self.filter.chars().count())
    }

    fn err(&self) -> GraphError {
        syntax_error(self.here(), self.filter)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        t
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == kw)
    }

    fn expect(&mut self, tok: Tok) -> Result<(), GraphError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err())
        }
    }

    fn or_expr(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.and_expr()?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, GraphError> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, GraphError> {
        if self.keyword("not") {
            self.pos += 1;
            let inner = self.unary()?;
            if !self.advanced {
                return Err(GraphError::unsupported_filter(first_prop(&inner)));
            }
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn property(&mut self) -> Result<usize, GraphError> {
        match self.next() {
            Some(Tok::Ident(name)) => prop_index_ci(&name).ok_or_else(|| {
                GraphError::bad_request(format!(
                    "Invalid filter clause: Could not find a property named '{name}' on type 'microsoft.graph.user'."
                ))
            }),
            _ => {
                self.pos -= 1;
                Err(self.err())
            }
        }
    }

    fn literal(&mut self) -> Result<Lit, GraphError> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s.to_lowercase())),
            Some(Tok::Ident(s)) if s == "true" => Ok(Lit::Bool(true)),
            Some(Tok::Ident(s)) if s == "false" => Ok(Lit::Bool(false)),
            Some(Tok::Ident(s)) if s == "null" => Ok(Lit::Null),
            Some(Tok::Num(n)) => Err(GraphError::bad_request(format!(
                "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Int32' for literal '{n}'."
            ))),
            _ => {
                self.pos -= 1;
                Err(self.err())
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, GraphError> {
        match self.peek() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or_expr()?;
                self.expect(Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Ident(name))
                if (name.eq_ignore_ascii_case("startswith")
                    || name.eq_ignore_ascii_case("endswith"))
                    && self.toks.get(self.pos + 1).map(|(_, t)| t) == Some(&Tok::LParen) =>
            {
                let func = if name.eq_ignore_ascii_case("startswith") {
                    Func::StartsWith
                } else {
                    Func::EndsWith
                };
                self.pos += 2;
                let prop = self.property()?;
                self.expect(Tok::Comma)?;
                let lit = self.literal()?;
                self.expect(Tok::RParen)?;
                let Lit::Str(s) = lit else {
                    return Err(GraphError::unsupported_filter(PROPS[prop].name));
                };
                if PROPS[prop].kind != Kind::Str {
                    return Err(GraphError::unsupported_filter(PROPS[prop].name));
                }
                if func == Func::EndsWith && !self.advanced {
                    return Err(GraphError::unsupported_filter(PROPS[prop].name));
                }
                Ok(Expr::Func(func, prop, s))
            }
            Some(Tok::Ident(_)) => {
                let prop = self.property()?;
                let op = match self.next() {
                    Some(Tok::Ident(op)) => op,
                    _ => {
                        self.pos -= 1;
                        return Err(self.err());
                    }
                };
                match op.as_str() {
                    "eq" | "ne" => {
                        let lit = self.literal()?;
                        check_types(prop, &lit)?;
                        let needs_advanced = op == "ne" || lit == Lit::Null;
                        if needs_advanced && !self.advanced {
                            return Err(GraphError::unsupported_filter(PROPS[prop].name));
                        }
                        Ok(if op == "eq" {
                            Expr::Eq(prop, lit)
                        } else {
                            Expr::Ne(prop, lit)
                        })
                    }
                    "in" => {
                        self.expect(Tok::LParen)?;
                        let mut lits = Vec::new();
                        loop {
                            let lit = self.literal()?;
                            check_types(prop, &lit)?;
                            lits.push(lit);
                            match self.next() {
                                Some(Tok::Comma) => continue,
                                Some(Tok::RParen) => break,
                                _ => {
                                    self.pos -= 1;
                                    return Err(self.err());
                                }
                            }
                        }
                        Ok(Expr::In(prop, lits))
                    }
                    "gt" | "ge" | "lt" | "le" | "has" => {
                        Err(GraphError::unsupported_filter(PROPS[prop].name))
                    }
                    _ => {
                        self.pos -= 1;
                        Err(self.err())
                    }
                }
            }
            _ => Err(self.err()),
        }
    }
}

fn first_prop(e: &Expr) -> &'static str {
    match e {
        Expr::And(a, _) | Expr::Or(a, _) | Expr::Not(a) => first_prop(a),
        Expr::Eq(p, _) | Expr::Ne(p, _) | Expr::In(p, _) | Expr::Func(_, p, _) => PROPS[*p].name,
    }
}

fn check_types(prop: usize, lit: &Lit) -> Result<(), GraphError> {
    let def = &PROPS[prop];
    let ok = match (def.kind, lit) {
        (_, Lit::Null) => def.kind != Kind::StrList,
        (Kind::Str, Lit::Str(_)) | (Kind::Computed, Lit::Str(_)) => true,
        (Kind::Bool, Lit::Bool(_)) => true,
        (Kind::Bool, Lit::Str(_)) => {
            return Err(GraphError::bad_request(
                "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'.",
            ));
        }
        (Kind::Str, Lit::Bool(_)) => {
            return Err(GraphError::bad_request(
                "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Boolean' for operator kind 'Equal'.",
            ));
        }
        _ => false,
    };
    if ok && def.filterable {
        Ok(())
    } else {
        Err(GraphError::unsupported_filter(def.name))
    }
}

/// Parse a `$filter`. `advanced` says whether the request qualifies as an advanced query.
pub(crate) fn parse_filter(filter: &str, advanced: bool) -> Result<Expr, GraphError> {
    let toks = tokenize(filter)?;
    let mut p = Parser {
        toks,
        pos: 0,
        filter,
        advanced,
    };
    let e = p.or_expr()?;
    if p.pos < p.toks.len() {
        return Err(p.err());
    }
    Ok(e)
}

/// Case-insensitive equality against an already-lowercased literal.
fn eq_ci(value: &str, lit_lower: &str) -> bool {
    if value.is_ascii() && lit_lower.is_ascii() {
        value.eq_ignore_ascii_case(lit_lower)
    } else {
        value
            .chars()
            .flat_map(char::to_lowercase)
            .eq(lit_lower.chars())
    }
}

fn starts_with_ci(value: &str, lit_lower: &str) -> bool {
    if value.is_ascii() && lit_lower.is_ascii() {
        value.len() >= lit_lower.len()
            && value.as_bytes()[..lit_lower.len()].eq_ignore_ascii_case(lit_lower.as_bytes())
    } else {
        let mut v = value.chars().flat_map(char::to_lowercase);
        lit_lower.chars().all(|c| v.next() == Some(c))
    }
}

fn ends_with_ci(value: &str, lit_lower: &str) -> bool {
    let v: String = value.to_lowercase();
    v.ends_with(lit_lower)
}

fn lit_matches(user: &User, prop: usize, lit: &Lit) -> bool {
    match (user.filter_value(prop), lit) {
        (FilterValue::Str(v), Lit::Str(l)) => v.is_some_and(|v| eq_ci(v, l)),
        (FilterValue::Str(v), Lit::Null) => v.is_none(),
        (FilterValue::Bool(v), Lit::Bool(b)) => v == Some(*b),
        (FilterValue::Bool(v), Lit::Null) => v.is_none(),
        _ => false,
    }
}

/// What a property looks like to the filter evaluator.
pub(crate) enum FilterValue<'a> {
    Str(Option<&'a str>),
    Bool(Option<bool>),
    Other,
}

impl Expr {
    pub fn matches(&self, user: &User) -> bool {
        match self {
            Expr::And(a, b) => a.matches(user) && b.matches(user),
            Expr::Or(a, b) => a.matches(user) || b.matches(user),
            Expr::Not(a) => !a.matches(user),
            Expr::Eq(p, lit) => lit_matches(user, *p, lit),
            Expr::Ne(p, lit) => !lit_matches(user, *p, lit),
            Expr::In(p, lits) => lits.iter().any(|l| lit_matches(user, *p, l)),
            Expr::Func(f, p, s) => match user.filter_value(*p) {
                FilterValue::Str(Some(v)) => match f {
                    Func::StartsWith => starts_with_ci(v, s),
                    Func::EndsWith => ends_with_ci(v, s),
                },
                _ => false,
            },
        }
    }

    /// If the filter only selects users by `id` or `userPrincipalName` equality (possibly
    /// or-ed or with `in`), the keys to look up directly instead of scanning the directory.
    pub fn index_keys(&self) -> Option<Vec<IndexKey>> {
        match self {
            Expr::Eq(p, Lit::Str(s)) => index_key(*p, s).map(|k| vec![k]),
            Expr::In(p, lits) => lits
                .iter()
                .map(|l| match l {
                    Lit::Str(s) => index_key(*p, s),
                    _ => None,
                })
                .collect(),
            Expr::Or(a, b) => {
                let mut ka = a.index_keys()?;
                ka.extend(b.index_keys()?);
                Some(ka)
            }
            _ => None,
        }
    }

    /// True when the filter only uses `id eq '…'` terms joined by `or` (what delta accepts).
    pub fn only_ids(&self) -> Option<Vec<String>> {
        match self.index_keys() {
            Some(keys) if keys.iter().all(|k| matches!(k, IndexKey::Id(_))) => Some(
                keys.into_iter()
                    .map(|k| match k {
                        IndexKey::Id(s) | IndexKey::Upn(s) | IndexKey::Mail(s) => s,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// A direct lookup key (lowercase).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IndexKey {
    Id(String),
    Upn(String),
    Mail(String),
}

fn index_key(prop: usize, value: &str) -> Option<IndexKey> {
    match PROPS[prop].name {
        "id" => Some(IndexKey::Id(value.to_string())),
        "userPrincipalName" => Some(IndexKey::Upn(value.to_string())),
        "mail" => Some(IndexKey::Mail(value.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quotes_and_precedence() {
        let e = parse_filter(
            "userPrincipalName eq 'o''brien@contoso.onmicrosoft.com' or startswith(displayName,'Ann') and mail eq 'x'",
            false,
        )
        .unwrap();
        match e {
            Expr::Or(a, b) => {
                assert!(
                    matches!(*a, Expr::Eq(_, Lit::Str(ref s)) if s == "o'brien@contoso.onmicrosoft.com")
                );
                assert!(matches!(*b, Expr::And(_, _)));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_garbage_and_advanced_without_flag() {
        assert_eq!(
            parse_filter("userPrincipalName eq", false)
                .unwrap_err()
                .code,
            "BadRequest"
        );
        assert_eq!(
            parse_filter("displayName eq 'unterminated", false)
                .unwrap_err()
                .code,
            "BadRequest"
        );
        assert_eq!(
            parse_filter("nosuch eq 'a'", false).unwrap_err().code,
            "BadRequest"
        );
        assert_eq!(
            parse_filter("displayName ne 'a'", false).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        assert!(parse_filter("displayName ne 'a'", true).is_ok());
        assert_eq!(
            parse_filter("accountEnabled eq 'yes'", false)
                .unwrap_err()
                .code,
            "BadRequest"
        );
    }

    #[test]
    fn index_keys_for_lookups() {
        let e = parse_filter("id eq 'A' or id eq 'b'", false).unwrap();
        assert_eq!(
            e.only_ids().unwrap(),
            vec!["a".to_string(), "b".to_string()]
        );
        let e = parse_filter("userPrincipalName in ('a@x','b@x')", false).unwrap();
        assert_eq!(e.index_keys().unwrap().len(), 2);
        let e = parse_filter("startswith(displayName,'a')", false).unwrap();
        assert!(e.index_keys().is_none());
    }

    #[test]
    fn case_insensitive_helpers() {
        assert!(eq_ci("ÄBC", "äbc"));
        assert!(starts_with_ci("Ärger", "är"));
        assert!(starts_with_ci("Anna", "an"));
        assert!(!starts_with_ci("An", "ann"));
        assert!(ends_with_ci("x@Contoso.com", "@contoso.com"));
    }

    #[test]
    fn top_bounds() {
        let q = Query::parse(Some("$top=1000")).unwrap();
        assert_eq!(
            q.page_size(100).unwrap_err().code,
            "Request_UnsupportedQuery"
        );
        let q = Query::parse(Some("%24top=5")).unwrap();
        assert_eq!(q.page_size(100).unwrap(), 5);
        assert!(Query::parse(Some("$top=1&$top=2")).is_err());
    }
}
