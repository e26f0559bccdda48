//! Probes and lifecycle handlers (`validateProbe`, `validateHandler`).

use kubehci_api::FieldError;
use serde_json::Value;

use crate::json::{Errs, P, field, get_arr, get_i64, get_obj, get_str, get_strs};
use crate::names::{http_header_name, port_name, port_num};

/// `ValidatePortNumOrName` for an int-or-string port.
pub(crate) fn port_num_or_name(v: Option<&Value>, p: &P, e: &mut Errs) {
    match v {
        Some(Value::String(s)) => {
            for msg in port_name(s) {
                e.push(FieldError::invalid(p, s.as_str(), msg));
            }
        }
        Some(Value::Number(n)) => {
            let n = n.as_i64().unwrap_or(-1);
            for msg in port_num(n) {
                e.push(FieldError::invalid(p, n, msg));
            }
        }
        None | Some(Value::Null) => {
            for msg in port_num(0) {
                e.push(FieldError::invalid(p, 0, msg));
            }
        }
        Some(other) => e.push(crate::json::type_error(p, other, "integer or string")),
    }
}

/// `validateHandler` for probes (`grpc`) and lifecycle hooks (`sleep`).
pub(crate) fn handler(h: &Value, grace: Option<i64>, p: &P, e: &mut Errs) {
    let mut n = 0;
    for k in ["exec", "httpGet", "tcpSocket", "grpc", "sleep"] {
        let Some(a) = get_obj(h, k, p, e) else {
            continue;
        };
        let ap = p.child(k);
        if n > 0 {
            e.push(FieldError::forbidden(
                ap,
                "may not specify more than 1 handler type",
            ));
            continue;
        }
        n += 1;
        match k {
            "exec" => {
                if get_strs(a, "command", &ap, e).is_empty() {
                    e.push(FieldError::required(ap.child("command"), ""));
                }
            }
            "httpGet" => {
                if get_str(a, "path", &ap, e).is_none_or(str::is_empty) {
                    e.push(FieldError::required(ap.child("path"), ""));
                }
                port_num_or_name(field(a, "port"), &ap.child("port"), e);
                let scheme = get_str(a, "scheme", &ap, e).unwrap_or("");
                if !matches!(scheme, "HTTP" | "HTTPS") {
                    e.push(FieldError::not_supported(
                        ap.child("scheme"),
                        scheme,
                        &["HTTP", "HTTPS"],
                    ));
                }
                for hdr in get_arr(a, "httpHeaders", &ap, e) {
                    let name = crate::json::s(hdr, "name");
                    for msg in http_header_name(name) {
                        e.push(FieldError::invalid(ap.child("httpHeaders"), name, msg));
                    }
                }
            }
            "tcpSocket" => port_num_or_name(field(a, "port"), &ap.child("port"), e),
            "grpc" => {
                let port = get_i64(a, "port", &ap, e).unwrap_or(0);
                for msg in port_num(port) {
                    e.push(FieldError::invalid(ap.child("port"), port, msg));
                }
            }
            _ => {
                let secs = get_i64(a, "seconds", &ap, e).unwrap_or(0);
                if let Some(g) = grace.filter(|g| secs < 0 || secs > *g) {
                    e.push(FieldError::invalid(
                        ap,
                        secs,
                        format!(
                            "must be non-negative and less than terminationGracePeriodSeconds ({g})"
                        ),
                    ));
                }
            }
        }
    }
    if n == 0 {
        e.push(FieldError::required(p, "must specify a handler type"));
    }
}

/// Which probe is being checked: the rules differ a little.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

pub(crate) fn probe(pr: &Value, kind: ProbeKind, grace: Option<i64>, p: &P, e: &mut Errs) {
    let no_sleep = pr.as_object().map(|m| {
        let mut m = m.clone();
        m.remove("sleep");
        Value::Object(m)
    });
    handler(no_sleep.as_ref().unwrap_or(pr), grace, p, e);
    for k in [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ] {
        if let Some(v) = get_i64(pr, k, p, e).filter(|v| *v < 0) {
            e.push(FieldError::invalid(
                p.child(k),
                v,
                "must be greater than or equal to 0",
            ));
        }
    }
    let tgps = get_i64(pr, "terminationGracePeriodSeconds", p, e);
    if let Some(t) = tgps.filter(|t| *t <= 0) {
        e.push(FieldError::invalid(
            p.child("terminationGracePeriodSeconds"),
            t,
            "must be greater than 0",
        ));
    }
    match kind {
        ProbeKind::Readiness => {
            if let Some(t) = tgps {
                e.push(FieldError::invalid(
                    p.child("terminationGracePeriodSeconds"),
                    t,
                    "must not be set for readinessProbes",
                ));
            }
        }
        ProbeKind::Liveness | ProbeKind::Startup => {
            let st = crate::json::int(pr, "successThreshold").unwrap_or(0);
            if st != 1 {
                e.push(FieldError::invalid(
                    p.child("successThreshold"),
                    st,
                    "must be 1",
                ));
            }
        }
    }
}
