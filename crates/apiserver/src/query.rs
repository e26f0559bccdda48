//! Query parameters of resource requests, parsed once.

use kubehci_api::ApiError;

/// The query parameters upstream's handlers understand.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub watch: bool,
    pub label_selector: String,
    pub field_selector: String,
    pub limit: Option<usize>,
    pub continue_token: String,
    pub resource_version: String,
    pub resource_version_match: String,
    pub timeout_seconds: Option<u64>,
    pub allow_watch_bookmarks: bool,
    pub send_initial_events: Option<bool>,
    pub dry_run: bool,
    pub field_manager: String,
    /// `Strict` (kubectl's default), `Warn` or `Ignore`; empty = server default (`Warn`).
    pub field_validation: String,
    pub force: bool,
    pub propagation_policy: String,
    pub grace_period_seconds: Option<i64>,
    pub orphan_dependents: Option<bool>,
    pub pretty: bool,
    /// `log` subresource parameters and anything else, kept raw.
    pub raw: Vec<(String, String)>,
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "" | "true" | "1" | "True" | "TRUE" | "t" => Ok(true),
        "false" | "0" | "False" | "FALSE" | "f" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "invalid value for {key}: {v:?}: must be a boolean"
        ))),
    }
}

fn parse_num<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ApiError> {
    v.parse::<T>().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid value for {key}: {v:?}: must be an integer"
        ))
    })
}

impl Query {
    pub fn parse(raw_query: Option<&str>) -> Result<Self, ApiError> {
        let mut q = Query::default();
        let Some(raw) = raw_query else { return Ok(q) };
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
            .map_err(|e| ApiError::bad_request(format!("invalid query string: {e}")))?;
        for (k, v) in &pairs {
            match k.as_str() {
                "watch" => q.watch = parse_bool(k, v)?,
                "labelSelector" => q.label_selector = v.clone(),
                "fieldSelector" => q.field_selector = v.clone(),
                "limit" => {
                    let n: i64 = parse_num(k, v)?;
                    q.limit = if n > 0 {
                        Some(usize::try_from(n).unwrap_or(usize::MAX))
                    } else {
                        None
                    };
                }
                "continue" => q.continue_token = v.clone(),
                "resourceVersion" => q.resource_version = v.clone(),
                "resourceVersionMatch" => q.resource_version_match = v.clone(),
                "timeoutSeconds" => q.timeout_seconds = Some(parse_num(k, v)?),
                "allowWatchBookmarks" => q.allow_watch_bookmarks = parse_bool(k, v)?,
                "sendInitialEvents" => q.send_initial_events = Some(parse_bool(k, v)?),
                "dryRun" => {
                    if v != "All" {
                        return Err(ApiError::bad_request(format!(
                            "Invalid dry run value: {v:?}: supported values: \"All\""
                        )));
                    }
                    q.dry_run = true;
                }
                "fieldManager" => q.field_manager = v.clone(),
                "fieldValidation" => {
                    if !matches!(v.as_str(), "Strict" | "Warn" | "Ignore" | "") {
                        return Err(ApiError::bad_request(format!(
                            "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got {v:?}"
                        )));
                    }
                    q.field_validation = v.clone();
                }
                "force" => q.force = parse_bool(k, v)?,
                "propagationPolicy" => q.propagation_policy = v.clone(),
                "gracePeriodSeconds" => q.grace_period_seconds = Some(parse_num(k, v)?),
                "orphanDependents" => q.orphan_dependents = Some(parse_bool(k, v)?),
                "pretty" => q.pretty = parse_bool(k, v)?,
                _ => {}
            }
        }
        q.raw = pairs;
        Ok(q)
    }

    pub fn raw_value(&self, key: &str) -> Option<&str> {
        self.raw
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let q = Query::parse(Some(
            "watch=1&labelSelector=app%3Dweb&limit=500&fieldValidation=Strict",
        ))
        .unwrap();
        assert!(q.watch);
        assert_eq!(q.label_selector, "app=web");
        assert_eq!(q.limit, Some(500));
        assert!(Query::parse(Some("dryRun=Some")).is_err());
        assert!(Query::parse(Some("limit=abc")).is_err());
        assert!(Query::parse(Some("fieldValidation=Loose")).is_err());
    }
}
