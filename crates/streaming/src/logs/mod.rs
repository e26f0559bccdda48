//! Container logs as the kubelet serves them: CRI log files parsed line by line
//! ([`parse_cri_line`]) and copied out with kubectl's options ([`LogOptions`]): tail, since,
//! timestamps, byte limit and follow ([`copy_log`]).

mod options;
mod reader;

pub use options::LogOptions;
pub use reader::{copy_log, tail_start};

use chrono::{DateTime, FixedOffset};

/// Why a log line or request could not be handled.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A line of the log file is not in the CRI format.
    #[error("invalid CRI log line: {0}")]
    Format(String),
    /// A query parameter is invalid.
    #[error("{0}")]
    Param(String),
    /// Reading the file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The stream a log line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    Stdout,
    Stderr,
}

/// One line of a CRI log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogMessage<'a> {
    pub timestamp: DateTime<FixedOffset>,
    pub stream: LogStream,
    /// Tag `P`: the runtime split a long line; the text has no newline of its own.
    pub partial: bool,
    /// The text, without the file line's newline.
    pub content: &'a [u8],
}

/// Parses one line of a CRI log file (`<RFC3339Nano> <stdout|stderr> <P|F>[:tags] <text>`),
/// without its trailing newline.
pub fn parse_cri_line(line: &[u8]) -> Result<LogMessage<'_>, LogError> {
    let bad =
        |what: &str| LogError::Format(format!("{what} in {:?}", String::from_utf8_lossy(line)));
    let mut parts = line.splitn(4, |b| *b == b' ');
    let ts = parts.next().ok_or_else(|| bad("no timestamp"))?;
    let ts = std::str::from_utf8(ts).map_err(|_| bad("timestamp not UTF-8"))?;
    let timestamp = DateTime::parse_from_rfc3339(ts).map_err(|_| bad("invalid timestamp"))?;
    let stream = match parts.next() {
        Some(b"stdout") => LogStream::Stdout,
        Some(b"stderr") => LogStream::Stderr,
        _ => return Err(bad("unexpected stream type")),
    };
    let tags = parts.next().ok_or_else(|| bad("no tag"))?;
    let partial = match tags.split(|b| *b == b':').next() {
        Some(b"P") => true,
        Some(b"F") => false,
        _ => return Err(bad("unexpected tag")),
    };
    Ok(LogMessage {
        timestamp,
        stream,
        partial,
        content: parts.next().unwrap_or_default(),
    })
}

/// Formats a time as Go's RFC3339Nano does: fractional seconds without trailing zeros (none
/// at all when zero) and `Z` for UTC, e.g. `2016-10-06T00:17:09.6697942Z`.
pub fn format_rfc3339_nano(t: &DateTime<FixedOffset>) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    if t.offset().local_minus_utc() == 0 {
        out.push('Z');
    } else {
        out.push_str(&t.format("%:z").to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_partial_lines() {
        let m = parse_cri_line(b"2016-10-06T00:17:09.669794202Z stdout F hello world").unwrap();
        assert_eq!(m.stream, LogStream::Stdout);
        assert!(!m.partial);
        assert_eq!(m.content, b"hello world");
        assert_eq!(m.timestamp.timestamp_subsec_nanos(), 669_794_202);
        let m = parse_cri_line(b"2016-10-06T00:17:09.669794202Z stderr P part").unwrap();
        assert_eq!(m.stream, LogStream::Stderr);
        assert!(m.partial);
        assert_eq!(m.content, b"part");
    }

    #[test]
    fn parses_empty_content_and_extra_tags() {
        let m = parse_cri_line(b"2016-10-06T00:17:09Z stdout F").unwrap();
        assert_eq!(m.content, b"");
        let m = parse_cri_line(b"2016-10-06T00:17:09Z stdout F ").unwrap();
        assert_eq!(m.content, b"");
        let m = parse_cri_line(b"2016-10-06T00:17:09Z stdout F:x  two  spaces ").unwrap();
        assert!(!m.partial);
        assert_eq!(m.content, b" two  spaces ");
    }

    #[test]
    fn rejects_malformed_lines() {
        for line in [
            &b""[..],
            b"not-a-time stdout F x",
            b"2016-10-06T00:17:09Z stdin F x",
            b"2016-10-06T00:17:09Z stdout X x",
            b"2016-10-06T00:17:09Z stdout",
        ] {
            assert!(parse_cri_line(line).is_err(), "{line:?}");
        }
    }

    #[test]
    fn formats_like_go_rfc3339_nano() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        assert_eq!(
            format_rfc3339_nano(&t("2016-10-06T00:17:09.669794200Z")),
            "2016-10-06T00:17:09.6697942Z"
        );
        assert_eq!(
            format_rfc3339_nano(&t("2016-10-06T00:17:09.000000000Z")),
            "2016-10-06T00:17:09Z"
        );
        assert_eq!(
            format_rfc3339_nano(&t("2016-10-06T00:17:09.5+02:00")),
            "2016-10-06T00:17:09.5+02:00"
        );
    }
}
