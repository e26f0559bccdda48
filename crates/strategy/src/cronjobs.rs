//! CronJobs (`batch/v1`): defaulting and validation.

use kubehci_api::FieldError;
use serde_json::{Value, json};

use crate::gofmt;
use crate::jobs::{job_spec_common, nonneg};
use crate::json::{Errs, P, dflt, ensure_obj, field, get_obj, get_str, s, set};
use crate::pod_defaults::template_at;

pub(crate) fn cronjob_defaults(obj: &mut Value) {
    template_at(obj, &["spec", "jobTemplate", "spec", "template"]);
    let Some(spec) = ensure_obj(obj, "spec") else {
        return;
    };
    if s(spec, "concurrencyPolicy").is_empty() {
        set(spec, "concurrencyPolicy", json!("Allow"));
    }
    dflt(spec, "suspend", json!(false));
    dflt(spec, "successfulJobsHistoryLimit", json!(3));
    dflt(spec, "failedJobsHistoryLimit", json!(1));
}

/// `validateCronJobSpec` (create and update).
pub(crate) fn cronjob(obj: &Value, e: &mut Errs) {
    let sp = P::new("spec");
    let spec = get_obj(obj, "spec", &P::new(""), e).unwrap_or(&Value::Null);
    let schedule = get_str(spec, "schedule", &sp, e).unwrap_or("");
    if schedule.is_empty() {
        e.push(FieldError::required(sp.child("schedule"), ""));
    } else {
        if let Err(err) = crate::cron::parse_standard(schedule) {
            e.push(FieldError::invalid(sp.child("schedule"), schedule, err));
        }
        if schedule.contains("TZ") {
            e.push(FieldError::invalid(
                sp.child("schedule"),
                schedule,
                "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
            ));
        }
    }
    nonneg(spec, "startingDeadlineSeconds", &sp, e);
    if let Some(tz) = get_str(spec, "timeZone", &sp, e) {
        for msg in time_zone_problems(tz) {
            e.push(FieldError::invalid(sp.child("timeZone"), tz, msg));
        }
    }
    match get_str(spec, "concurrencyPolicy", &sp, e).unwrap_or("") {
        "Allow" | "Forbid" | "Replace" => {}
        "" => e.push(FieldError::required(sp.child("concurrencyPolicy"), "")),
        other => e.push(FieldError::not_supported(
            sp.child("concurrencyPolicy"),
            other,
            &["Allow", "Forbid", "Replace"],
        )),
    }
    let jp = sp.child("jobTemplate");
    let jt = get_obj(spec, "jobTemplate", &sp, e).unwrap_or(&Value::Null);
    let js = field(jt, "spec").unwrap_or(&Value::Null);
    job_spec_common(js, &jp.child("spec"), e);
    if let Some(sel) = field(js, "selector") {
        e.push(gofmt::invalid_raw(
            jp.at(&["spec", "selector"]),
            &gofmt::label_selector(Some(sel)),
            "`selector` will be auto-generated",
        ));
    }
    if js.get("manualSelector").and_then(Value::as_bool) == Some(true) {
        e.push(FieldError::not_supported(
            jp.at(&["spec", "manualSelector"]),
            true,
            &["nil", "false"],
        ));
    }
    nonneg(spec, "successfulJobsHistoryLimit", &sp, e);
    nonneg(spec, "failedJobsHistoryLimit", &sp, e);
}

/// Creation-only: the controller appends 11 characters to job names.
pub(crate) fn cronjob_create(obj: &Value, e: &mut Errs) {
    let name = crate::objectmeta::meta(obj)
        .map(|m| s(m, "name"))
        .unwrap_or("");
    if name.len() > 52 {
        e.push(FieldError::invalid(
            "metadata.name",
            name,
            "must be no more than 52 characters",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cronjob_schedule_errors() {
        let cj = json!({"metadata": {"name": "c"}, "spec": {"schedule": "* * *", "concurrencyPolicy": "Sometimes",
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never", "dnsPolicy": "ClusterFirst",
                "terminationGracePeriodSeconds": 30, "containers": [{"name": "c", "image": "busybox",
                "imagePullPolicy": "Always", "terminationMessagePolicy": "File"}]}}}}}});
        let mut e = Vec::new();
        cronjob(&cj, &mut e);
        cronjob_create(&cj, &mut e);
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert_eq!(
            e,
            vec![
                "spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]",
                "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
            ]
        );
    }
}

/// Upstream's validateTimeZone: Go's `time.LoadLocation` against the system's zoneinfo.
fn time_zone_problems(tz: &str) -> Vec<String> {
    if tz.is_empty() {
        return vec!["timeZone must be nil or non-empty string".into()];
    }
    let mut out = Vec::new();
    if tz.eq_ignore_ascii_case("local") {
        out.push(
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones"
                .into(),
        );
    }
    if tz == "UTC" || tz == "Local" {
        return out;
    }
    if tz.contains("..") || tz.starts_with('/') || tz.starts_with('\\') {
        out.push("time: invalid location name".into());
        return out;
    }
    let file = std::path::Path::new("/usr/share/zoneinfo").join(tz);
    let is_tzif = std::fs::read(&file).is_ok_and(|b| b.starts_with(b"TZif"));
    if !is_tzif {
        out.push(format!("unknown time zone {tz}"));
    }
    out
}

#[cfg(test)]
mod time_zone_tests {
    use super::time_zone_problems;

    #[test]
    fn zones_are_checked_like_go_load_location() {
        assert!(time_zone_problems("UTC").is_empty());
        assert!(time_zone_problems("Europe/Berlin").is_empty());
        assert_eq!(
            time_zone_problems("Mars/Olympus"),
            ["unknown time zone Mars/Olympus"]
        );
        assert_eq!(
            time_zone_problems("../etc/passwd"),
            ["time: invalid location name"]
        );
        assert_eq!(
            time_zone_problems("")[0],
            "timeZone must be nil or non-empty string"
        );
        assert!(time_zone_problems("local")[0].starts_with("timeZone must be an explicit"));
    }
}
