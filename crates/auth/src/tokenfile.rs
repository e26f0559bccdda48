//! Static bearer tokens from a CSV file, like kube-apiserver's `--token-auth-file`:
//! `token,user,uid[,"group1,group2"]`, one record a line.

use std::collections::HashMap;
use std::path::Path;

use crate::authn::TokenAuthenticator;
use crate::error::{AuthError, Result};
use crate::user::UserInfo;

/// A fixed token table.
#[derive(Debug, Clone, Default)]
pub struct StaticTokens {
    tokens: HashMap<String, UserInfo>,
}

impl StaticTokens {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one token.
    pub fn insert(&mut self, token: &str, user: UserInfo) {
        self.tokens.insert(token.to_string(), user);
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Reads a token file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| AuthError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses token-file text; `source` names the file in error messages. Records with an
    /// empty token are skipped, a repeated token keeps its last record, and a fourth column
    /// is split on commas into groups, all as upstream does.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let mut out = Self::new();
        for (index, record) in parse_csv(text)?.into_iter().enumerate() {
            let [token, name, uid, rest @ ..] = record.as_slice() else {
                return Err(AuthError::TokenFile(format!(
                    "token file '{source}' must have at least 3 columns (token, user name, user uid), found {}",
                    record.len()
                )));
            };
            if token.is_empty() {
                tracing::warn!(
                    file = source,
                    record = index + 1,
                    "empty token in token file"
                );
                continue;
            }
            if out.tokens.contains_key(token) {
                tracing::warn!(
                    file = source,
                    record = index + 1,
                    "duplicate token in token file"
                );
            }
            let groups = match rest.first() {
                Some(g) => g.split(',').map(str::to_string).collect(),
                None => Vec::new(),
            };
            let user = UserInfo {
                name: name.clone(),
                uid: uid.clone(),
                groups,
                extra: Default::default(),
            };
            out.tokens.insert(token.clone(), user);
        }
        Ok(out)
    }
}

impl TokenAuthenticator for StaticTokens {
    fn authenticate_token(&self, token: &str) -> Option<UserInfo> {
        self.tokens.get(token).cloned()
    }
}

/// RFC 4180 records the way Go's `encoding/csv` reads them with its defaults: blank lines
/// skipped, `""` inside quotes is a quote, quoted fields may span lines, a stray quote in
/// an unquoted field is an error.
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    while chars.peek().is_some() {
        // Skip blank lines.
        if matches!(chars.peek(), Some('\n')) {
            chars.next();
            line += 1;
            continue;
        }
        if matches!(chars.peek(), Some('\r')) {
            let mut probe = chars.clone();
            probe.next();
            if matches!(probe.peek(), Some('\n') | None) {
                chars.next();
                continue;
            }
        }
        let start_line = line;
        let mut record = Vec::new();
        let mut field = String::new();
        let mut column = 0usize;
        loop {
            column += 1;
            if chars.peek() == Some(&'"') {
                chars.next();
                loop {
                    match chars.next() {
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            field.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                        None => {
                            return Err(csv_error(
                                start_line,
                                column,
                                "extraneous or missing \" in quoted-field",
                            ));
                        }
                    }
                }
                if !matches!(chars.peek(), Some(',') | Some('\n') | Some('\r') | None) {
                    return Err(csv_error(
                        line,
                        column,
                        "extraneous or missing \" in quoted-field",
                    ));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' || c == '\r' {
                        break;
                    }
                    if c == '"' {
                        return Err(csv_error(line, column, "bare \" in non-quoted-field"));
                    }
                    field.push(c);
                    chars.next();
                }
            }
            record.push(std::mem::take(&mut field));
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        records.push(record);
    }
    Ok(records)
}

fn csv_error(line: usize, column: usize, what: &str) -> AuthError {
    AuthError::TokenFile(format!(
        "parse error on line {line}, column {column}: {what}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_groups_and_plain_records() {
        let text = "abc,alice,1,\"dev,ops\"\n\nxyz,bob,2\r\nq,\"c \"\"q\"\" d\",3,single\n";
        let t = StaticTokens::parse(text, "tokens.csv").unwrap_or_default();
        assert_eq!(t.len(), 3);
        let alice = t.authenticate_token("abc").unwrap_or_default();
        assert_eq!((alice.name.as_str(), alice.uid.as_str()), ("alice", "1"));
        assert_eq!(alice.groups, vec!["dev", "ops"]);
        assert!(
            t.authenticate_token("xyz")
                .is_some_and(|u| u.groups.is_empty())
        );
        let q = t.authenticate_token("q").unwrap_or_default();
        assert_eq!(q.name, "c \"q\" d");
        assert_eq!(q.groups, vec!["single"]);
        assert!(t.authenticate_token("nope").is_none());
    }

    #[test]
    fn short_records_and_bad_quotes_are_errors() {
        let e = StaticTokens::parse("abc,alice\n", "f.csv")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "token file 'f.csv' must have at least 3 columns (token, user name, user uid), found 2"
            )
        );
        assert!(StaticTokens::parse("a\"b,c,d\n", "f").is_err());
        assert!(StaticTokens::parse("\"ab,c,d\n", "f").is_err());
        assert!(StaticTokens::parse("\"a\"b,c,d\n", "f").is_err());
    }

    #[test]
    fn empty_tokens_skipped_and_duplicates_keep_the_last() {
        let t = StaticTokens::parse(",x,1\na,first,1\na,second,2\n", "f").unwrap_or_default();
        assert_eq!(t.len(), 1);
        assert_eq!(
            t.authenticate_token("a").map(|u| u.name),
            Some("second".to_string())
        );
    }
}
