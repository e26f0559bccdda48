//! A streaming scan of a JSON request body for strict decoding: duplicate fields (and,
//! given a schema, unknown fields) in document order, the way upstream's strict decoder
//! reports them. The scan keeps an explicit stack instead of recursing, so deep nesting
//! cannot overflow the thread's stack; nesting beyond [`MAX_DEPTH`] is an error.

use std::collections::HashSet;

use crate::error::Error;
use crate::model::{NodeId, Schemas};
use crate::validate::{MAX_ISSUES, Member, StrictIssue, item, member, push_index, push_key};

/// Deepest nesting accepted (upstream's JSON decoder allows 10000 levels).
pub const MAX_DEPTH: usize = 10_000;

/// Paths of the fields that occur twice in one object of `bytes` (`spec.replicas`,
/// `spec.template.spec.containers[0].image`), in document order.
pub fn duplicate_fields(bytes: &[u8]) -> Result<Vec<String>, Error> {
    let issues = Scanner::new(bytes, None).run()?;
    Ok(issues
        .into_iter()
        .filter_map(|i| match i {
            StrictIssue::DuplicateField(p) => Some(p),
            StrictIssue::UnknownField(_) => None,
        })
        .collect())
}

/// Duplicate and unknown fields of `bytes` checked against the schema rooted at
/// `root`, in document order as upstream's typed decoder reports them: a field that is
/// both unknown and repeated is reported once, as unknown. At most [`MAX_ISSUES`].
pub fn strict_issues(
    schemas: &Schemas,
    root: NodeId,
    bytes: &[u8],
) -> Result<Vec<StrictIssue>, Error> {
    Scanner::new(bytes, Some((schemas, root))).run()
}

enum Frame {
    Object {
        seen: HashSet<String>,
        base: usize,
        node: Option<NodeId>,
    },
    Array {
        index: usize,
        base: usize,
        items: Option<NodeId>,
    },
}

enum State {
    /// A value is due, governed by this schema node (`None`: no checks).
    Value(Option<NodeId>),
    /// A key (or, right after `{`, the end of the object) is due in the top object.
    Key { first: bool },
    /// A value just ended.
    After,
}

struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
    schema: Option<(&'a Schemas, NodeId)>,
    stack: Vec<Frame>,
    path: String,
    issues: Vec<StrictIssue>,
    reported: HashSet<StrictIssue>,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8], schema: Option<(&'a Schemas, NodeId)>) -> Self {
        Scanner {
            bytes,
            pos: 0,
            schema,
            stack: Vec::new(),
            path: String::new(),
            issues: Vec::new(),
            reported: HashSet::new(),
        }
    }

    fn run(mut self) -> Result<Vec<StrictIssue>, Error> {
        let mut state = State::Value(self.schema.map(|(_, root)| root));
        loop {
            state = match state {
                State::Value(node) => self.value(node)?,
                State::Key { first } => self.key(first)?,
                State::After => match self.after()? {
                    Some(next) => next,
                    None => break,
                },
            };
        }
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.error("unexpected data after the top-level value"));
        }
        Ok(self.issues)
    }

    fn value(&mut self, node: Option<NodeId>) -> Result<State, Error> {
        self.skip_ws();
        let Some(&b) = self.bytes.get(self.pos) else {
            return Err(self.error("unexpected end of input"));
        };
        match b {
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Error::TooDeep { limit: MAX_DEPTH });
                }
                self.pos += 1;
                let base = self.path.len();
                if b == b'{' {
                    self.stack.push(Frame::Object {
                        seen: HashSet::new(),
                        base,
                        node,
                    });
                    return Ok(State::Key { first: true });
                }
                let items = match (self.schema, node) {
                    (Some((schemas, _)), Some(n)) => item(schemas, n),
                    _ => None,
                };
                self.skip_ws();
                if self.bytes.get(self.pos) == Some(&b']') {
                    self.pos += 1;
                    return Ok(State::After);
                }
                self.stack.push(Frame::Array {
                    index: 0,
                    base,
                    items,
                });
                push_index(&mut self.path, 0);
                Ok(State::Value(items))
            }
            b'"' => {
                self.string_end()?;
                Ok(State::After)
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                while let Some(c) = self.bytes.get(self.pos) {
                    if !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                        break;
                    }
                    self.pos += 1;
                }
                serde_json::from_slice::<serde_json::Number>(&self.bytes[start..self.pos])
                    .map_err(|_| Error::Syntax {
                        offset: start,
                        reason: "invalid number".into(),
                    })?;
                Ok(State::After)
            }
            _ => Err(self.error("expected a JSON value")),
        }
    }

    fn key(&mut self, first: bool) -> Result<State, Error> {
        self.skip_ws();
        if first && self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.close();
            return Ok(State::After);
        }
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected an object key"));
        }
        let key = self.string()?;
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b':') {
            return Err(self.error("expected ':' after an object key"));
        }
        self.pos += 1;
        let schema = self.schema;
        let Some(Frame::Object { seen, base, node }) = self.stack.last_mut() else {
            return Err(self.error("object key outside an object"));
        };
        self.path.truncate(*base);
        push_key(&mut self.path, &key);
        let resolved = match (schema, *node) {
            (Some((schemas, _)), Some(n)) => member(schemas, n, &key),
            _ => Member::Free,
        };
        let duplicate = !seen.insert(key);
        let issue = match resolved {
            // Unknown wins over duplicate, as upstream's typed decoder reports it.
            Member::Unknown => Some(StrictIssue::UnknownField(self.path.clone())),
            _ if duplicate => Some(StrictIssue::DuplicateField(self.path.clone())),
            _ => None,
        };
        if let Some(issue) = issue {
            self.report(issue);
        }
        let next = match resolved {
            Member::Known(id) => Some(id),
            Member::Free | Member::Unknown => None,
        };
        Ok(State::Value(next))
    }

    fn after(&mut self) -> Result<Option<State>, Error> {
        self.skip_ws();
        let next = self.bytes.get(self.pos).copied();
        let Some(top) = self.stack.last_mut() else {
            return Ok(None);
        };
        match (top, next) {
            (Frame::Object { .. }, Some(b',')) => {
                self.pos += 1;
                Ok(Some(State::Key { first: false }))
            }
            (Frame::Array { index, base, items }, Some(b',')) => {
                self.pos += 1;
                *index += 1;
                let (i, b, items) = (*index, *base, *items);
                self.path.truncate(b);
                push_index(&mut self.path, i);
                Ok(Some(State::Value(items)))
            }
            (Frame::Object { .. }, Some(b'}')) | (Frame::Array { .. }, Some(b']')) => {
                self.pos += 1;
                self.close();
                Ok(Some(State::After))
            }
            _ => Err(self.error("expected ',' or the end of the object or array")),
        }
    }

    /// Pops the top container and restores the path to the container's own.
    fn close(&mut self) {
        if let Some(Frame::Object { base, .. } | Frame::Array { base, .. }) = self.stack.pop() {
            self.path.truncate(base);
        }
    }

    fn report(&mut self, issue: StrictIssue) {
        if self.issues.len() < MAX_ISSUES && self.reported.insert(issue.clone()) {
            self.issues.push(issue);
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<State, Error> {
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(State::After)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    /// Skips a string starting at `pos` (on its opening quote); returns whether it
    /// contains escapes and the index of its closing quote.
    fn string_end(&mut self) -> Result<(bool, usize), Error> {
        let start = self.pos;
        let mut i = self.pos + 1;
        let mut escaped = false;
        loop {
            match self.bytes.get(i) {
                None => {
                    return Err(Error::Syntax {
                        offset: start,
                        reason: "unterminated string".into(),
                    });
                }
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(c) if *c < 0x20 => {
                    return Err(Error::Syntax {
                        offset: i,
                        reason: "control character in string".into(),
                    });
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok((escaped, i))
    }

    /// Reads a string (an object key), decoding escapes.
    fn string(&mut self) -> Result<String, Error> {
        let start = self.pos;
        let (escaped, end) = self.string_end()?;
        let raw = &self.bytes[start..=end];
        if !escaped {
            return Ok(String::from_utf8_lossy(&raw[1..raw.len() - 1]).into_owned());
        }
        serde_json::from_slice::<String>(raw).map_err(|e| Error::Syntax {
            offset: start,
            reason: format!("invalid string: {e}"),
        })
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn error(&self, reason: &str) -> Error {
        Error::Syntax {
            offset: self.pos,
            reason: reason.into(),
        }
    }
}
