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
        let ok = !tz.is_empty()
            && !tz.contains(' ')
            && tz
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..");
        if !ok {
            e.push(FieldError::invalid(
                sp.child("timeZone"),
                tz,
                "unknown time zone",
            ));
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
