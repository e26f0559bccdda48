//! `spec.conversion` checks (upstream's `validateCustomResourceConversion`), reported at
//! the internal paths: v1's `webhook.clientConfig` is `webhookClientConfig` and
//! `webhook.conversionReviewVersions` is `conversionReviewVersions`.

use kubehci_api::FieldError;
use kubehci_api::validation;
use serde_json::Value;

use crate::crd_parts::Spec;
use crate::path::FieldPath;

const ACCEPTED_REVIEW_VERSIONS: &[&str] = &["v1", "v1beta1"];

/// The conversion checks of a CRD spec.
pub fn validate_conversion(spec: &Spec<'_>, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let Some(conv) = spec.conversion else {
        return errs;
    };
    let strategy = conv.get("strategy").and_then(Value::as_str).unwrap_or("");
    if !strategy.is_empty() && strategy != "None" && spec.preserve_unknown_fields {
        errs.push(FieldError::invalid(
            path.child("strategy").as_str(),
            strategy,
            "must be None if spec.preserveUnknownFields is true",
        ));
    }
    if strategy.is_empty() {
        errs.push(FieldError::required(path.child("strategy").as_str(), ""));
    } else if strategy != "None" && strategy != "Webhook" {
        errs.push(FieldError::not_supported(
            path.child("strategy").as_str(),
            strategy,
            &["None", "Webhook"],
        ));
    }
    let webhook = conv.get("webhook").filter(|w| !w.is_null());
    let client_config = webhook
        .and_then(|w| w.get("clientConfig"))
        .filter(|c| !c.is_null());
    let review_versions: Vec<&Value> = webhook
        .and_then(|w| w.get("conversionReviewVersions"))
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let cc_path = path.child("webhookClientConfig");
    if strategy == "Webhook" {
        match client_config {
            None => errs.push(FieldError::required(
                cc_path.as_str(),
                "required when strategy is set to Webhook",
            )),
            Some(cc) => {
                let url = cc.get("url").filter(|u| !u.is_null());
                let service = cc.get("service").filter(|s| !s.is_null());
                match (url, service) {
                    (Some(u), None) => {
                        errs.extend(webhook_url(u.as_str().unwrap_or(""), &cc_path.child("url")))
                    }
                    (None, Some(s)) => errs.extend(webhook_service(s, &cc_path.child("service"))),
                    _ => errs.push(FieldError::required(
                        cc_path.as_str(),
                        "exactly one of url or service is required",
                    )),
                }
            }
        }
        errs.extend(review_versions_errors(
            &review_versions,
            &path.child("conversionReviewVersions"),
        ));
    } else {
        if client_config.is_some() {
            errs.push(FieldError::forbidden(
                cc_path.as_str(),
                "should not be set when strategy is not set to Webhook",
            ));
        }
        if !review_versions.is_empty() {
            errs.push(FieldError::forbidden(
                path.child("conversionReviewVersions").as_str(),
                "should not be set when strategy is not set to Webhook",
            ));
        }
    }
    errs
}

fn review_versions_errors(versions: &[&Value], path: &FieldPath) -> Vec<FieldError> {
    if versions.is_empty() {
        return vec![FieldError::required(path.as_str(), "")];
    }
    let mut errs = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut accepted = false;
    for (i, v) in versions.iter().enumerate() {
        let s = v.as_str().unwrap_or("");
        if seen.contains(&s) {
            errs.push(FieldError::invalid(
                path.index(i).as_str(),
                s,
                "duplicate version",
            ));
            continue;
        }
        seen.push(s);
        for msg in validation::is_dns1035_label(s) {
            errs.push(FieldError::invalid(path.index(i).as_str(), s, msg));
        }
        accepted |= ACCEPTED_REVIEW_VERSIONS.contains(&s);
    }
    if !accepted {
        let all: Vec<Value> = versions.iter().map(|v| (*v).clone()).collect();
        errs.push(FieldError::invalid(
            path.as_str(),
            Value::Array(all),
            format!(
                "must include at least one of {}",
                ACCEPTED_REVIEW_VERSIONS.join(", ")
            ),
        ));
    }
    errs
}

/// `ValidateWebhookURL(path, url, forceHttps=true)`, lightly.
fn webhook_url(url: &str, path: &FieldPath) -> Vec<FieldError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![FieldError::invalid(
            path.as_str(),
            url,
            "host must be specified",
        )];
    };
    let mut errs = Vec::new();
    if scheme != "https" {
        errs.push(FieldError::invalid(
            path.as_str(),
            scheme,
            "'https' is the only allowed URL scheme",
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        errs.push(FieldError::invalid(
            path.as_str(),
            "",
            "host must be specified",
        ));
    }
    if authority.contains('@') {
        errs.push(FieldError::invalid(
            path.as_str(),
            url,
            "user information is not permitted in the URL",
        ));
    }
    if rest.contains('#') {
        errs.push(FieldError::invalid(
            path.as_str(),
            url,
            "fragments are not permitted in the URL",
        ));
    }
    if rest.contains('?') {
        errs.push(FieldError::invalid(
            path.as_str(),
            url,
            "query parameters are not permitted in the URL",
        ));
    }
    errs
}

/// `ValidateWebhookService`, lightly.
fn webhook_service(svc: &Value, path: &FieldPath) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let text = |k: &str| svc.get(k).and_then(Value::as_str).unwrap_or("");
    if text("name").is_empty() {
        errs.push(FieldError::required(
            path.child("name").as_str(),
            "service name is required",
        ));
    }
    if text("namespace").is_empty() {
        errs.push(FieldError::required(
            path.child("namespace").as_str(),
            "service namespace is required",
        ));
    }
    let port = svc.get("port").and_then(Value::as_i64).unwrap_or(443);
    if !(1..=65535).contains(&port) {
        errs.push(FieldError::invalid(
            path.child("port").as_str(),
            port,
            "port is not valid: must be between 1 and 65535, inclusive",
        ));
    }
    let p = text("path");
    if !p.is_empty() && p != "/" && !p.starts_with('/') {
        errs.push(FieldError::invalid(
            path.child("path").as_str(),
            p,
            "must start with a '/'",
        ));
    }
    errs
}
