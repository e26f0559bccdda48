//! The kubelet's `containerLogs` query parameters (those of `PodLogOptions`).

use chrono::{DateTime, Duration, Utc};

use super::LogError;

/// How to read a container's log, from `follow`, `previous`, `tailLines`, `sinceSeconds`,
/// `sinceTime`, `timestamps` and `limitBytes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    pub follow: bool,
    pub previous: bool,
    /// Only the last N lines of the file (`None`: all).
    pub tail_lines: Option<u64>,
    /// Only lines written at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Prefix each message with its RFC3339Nano time and a space.
    pub timestamps: bool,
    /// Stop after this many bytes.
    pub limit_bytes: Option<u64>,
}

/// Go's `strconv.ParseBool`, as query parameters are decoded upstream.
fn parse_bool(name: &str, v: &str) -> Result<bool, LogError> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(LogError::Param(format!("{name}: invalid boolean {v:?}"))),
    }
}

fn parse_int(name: &str, v: &str) -> Result<i64, LogError> {
    v.parse()
        .map_err(|_| LogError::Param(format!("{name}: invalid integer {v:?}")))
}

impl LogOptions {
    /// Decodes and validates a query string (as upstream's `ValidatePodLogOptions`); `now` turns
    /// `sinceSeconds` into a time.
    pub fn from_query(query: &str, now: DateTime<Utc>) -> Result<Self, LogError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| LogError::Param(format!("invalid query: {e}")))?;
        let mut opts = LogOptions::default();
        let mut since_seconds = None;
        let mut since_time = None;
        for (k, v) in &pairs {
            match k.as_str() {
                "follow" => opts.follow = parse_bool(k, v)?,
                "previous" => opts.previous = parse_bool(k, v)?,
                "timestamps" => opts.timestamps = parse_bool(k, v)?,
                "tailLines" => {
                    let n = parse_int(k, v)?;
                    if n < 0 {
                        return Err(LogError::Param(
                            "tailLines: Invalid value: must be greater than or equal to 0".into(),
                        ));
                    }
                    opts.tail_lines = Some(n.unsigned_abs());
                }
                "limitBytes" => {
                    let n = parse_int(k, v)?;
                    if n < 1 {
                        return Err(LogError::Param(
                            "limitBytes: Invalid value: must be greater than 0".into(),
                        ));
                    }
                    opts.limit_bytes = Some(n.unsigned_abs());
                }
                "sinceSeconds" => {
                    let n = parse_int(k, v)?;
                    if n < 1 {
                        return Err(LogError::Param(
                            "sinceSeconds: Invalid value: must be greater than 0".into(),
                        ));
                    }
                    since_seconds = Some(n);
                }
                "sinceTime" => {
                    let t = DateTime::parse_from_rfc3339(v)
                        .map_err(|_| LogError::Param(format!("sinceTime: invalid time {v:?}")))?;
                    since_time = Some(t.with_timezone(&Utc));
                }
                _ => {}
            }
        }
        opts.since = match (since_seconds, since_time) {
            (Some(_), Some(_)) => {
                return Err(LogError::Param(
                    "at most one of `sinceTime` or `sinceSeconds` may be specified".into(),
                ));
            }
            (Some(s), None) => Some(now - Duration::seconds(s)),
            (None, t) => t,
        };
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-01-01T00:00:10Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn decodes_every_parameter() {
        let o = LogOptions::from_query(
            "follow=true&previous=1&tailLines=3&sinceSeconds=5&timestamps=true&limitBytes=7",
            now(),
        )
        .unwrap();
        assert!(o.follow && o.previous && o.timestamps);
        assert_eq!(o.tail_lines, Some(3));
        assert_eq!(o.limit_bytes, Some(7));
        assert_eq!(o.since.unwrap().to_rfc3339(), "2024-01-01T00:00:05+00:00");
        let o = LogOptions::from_query("sinceTime=2024-01-01T00%3A00%3A01Z", now()).unwrap();
        assert_eq!(o.since.unwrap().to_rfc3339(), "2024-01-01T00:00:01+00:00");
        assert_eq!(
            LogOptions::from_query("", now()).unwrap(),
            LogOptions::default()
        );
    }

    #[test]
    fn rejects_invalid_values() {
        for q in [
            "tailLines=-1",
            "limitBytes=0",
            "sinceSeconds=0",
            "follow=yes",
            "tailLines=x",
            "sinceTime=yesterday",
            "sinceSeconds=1&sinceTime=2024-01-01T00:00:01Z",
        ] {
            assert!(LogOptions::from_query(q, now()).is_err(), "{q}");
        }
    }
}
