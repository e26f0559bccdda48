//! Workload printers: pod templates, replication controllers, deployments, replica
//! sets, stateful sets, daemon sets, controller revisions, jobs and cron jobs.

use serde_json::{Value, json};

use kubehci_api::selector::{LabelSelector, format_label_selector, format_labels};

use crate::util::{
    Ctx, Row, age, arr, container_cells, get, human_duration, i, is_deleting, name, opt_i,
    parse_time, s, since,
};

/// `spec.replicas`, defaulted to 1 as upstream's defaulting does on read.
fn replicas(v: &Value) -> i64 {
    opt_i(v, &["spec", "replicas"]).unwrap_or(1)
}

fn containers<'a>(v: &'a Value, template: &[&str]) -> &'a [Value] {
    let mut path: Vec<&str> = template.to_vec();
    path.extend(["spec", "containers"]);
    arr(v, &path)
}

pub(crate) fn pod_template(pt: &Value, _ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(pt, &["template"]));
    Row::new(vec![
        json!(name(pt)),
        names,
        images,
        json!(format_labels(get(pt, &["template", "metadata", "labels"]))),
    ])
}

pub(crate) fn replication_controller(rc: &Value, ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(rc, &["spec", "template"]));
    Row::new(vec![
        json!(name(rc)),
        json!(replicas(rc)),
        json!(i(rc, &["status", "replicas"])),
        json!(i(rc, &["status", "readyReplicas"])),
        json!(age(ctx, rc)),
        names,
        images,
        json!(format_labels(get(rc, &["spec", "selector"]))),
    ])
}

pub(crate) fn deployment(d: &Value, ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(d, &["spec", "template"]));
    // Upstream prints the selector string itself here: "" for a missing selector.
    let selector = match LabelSelector::from_label_selector(get(d, &["spec", "selector"])) {
        Ok(sel) => sel.to_string(),
        Err(_) => "<invalid>".to_string(),
    };
    Row::new(vec![
        json!(name(d)),
        json!(format!(
            "{}/{}",
            i(d, &["status", "readyReplicas"]),
            replicas(d)
        )),
        json!(i(d, &["status", "updatedReplicas"])),
        json!(i(d, &["status", "availableReplicas"])),
        json!(age(ctx, d)),
        names,
        images,
        json!(selector),
    ])
}

pub(crate) fn replica_set(rs: &Value, ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(rs, &["spec", "template"]));
    Row::new(vec![
        json!(name(rs)),
        json!(replicas(rs)),
        json!(i(rs, &["status", "replicas"])),
        json!(i(rs, &["status", "readyReplicas"])),
        json!(age(ctx, rs)),
        names,
        images,
        json!(format_label_selector(get(rs, &["spec", "selector"]))),
    ])
}

pub(crate) fn stateful_set(sts: &Value, ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(sts, &["spec", "template"]));
    Row::new(vec![
        json!(name(sts)),
        json!(format!(
            "{}/{}",
            i(sts, &["status", "readyReplicas"]),
            replicas(sts)
        )),
        json!(age(ctx, sts)),
        names,
        images,
    ])
}

pub(crate) fn daemon_set(ds: &Value, ctx: &Ctx) -> Row {
    let (names, images) = container_cells(containers(ds, &["spec", "template"]));
    let st = |f: &str| json!(i(ds, &["status", f]));
    Row::new(vec![
        json!(name(ds)),
        st("desiredNumberScheduled"),
        st("currentNumberScheduled"),
        st("numberReady"),
        st("updatedNumberScheduled"),
        st("numberAvailable"),
        json!(format_labels(get(
            ds,
            &["spec", "template", "spec", "nodeSelector"]
        ))),
        json!(age(ctx, ds)),
        names,
        images,
        json!(format_label_selector(get(ds, &["spec", "selector"]))),
    ])
}

/// `statefulset.apps/web` from the controlling owner reference, `<none>` without one.
pub(crate) fn controller_revision(cr: &Value, ctx: &Ctx) -> Row {
    let owner = arr(cr, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| get(o, &["controller"]).and_then(Value::as_bool) == Some(true));
    let controller = match owner {
        None => "<none>".to_string(),
        Some(o) => {
            let api_version = s(o, &["apiVersion"]);
            let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            let kind = s(o, &["kind"]);
            let group_kind = if group.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}.{group}")
            };
            if group_kind.is_empty() {
                s(o, &["name"]).to_string()
            } else {
                format!("{}/{}", group_kind.to_lowercase(), s(o, &["name"]))
            }
        }
    };
    Row::new(vec![
        json!(name(cr)),
        json!(controller),
        json!(i(cr, &["revision"])),
        json!(age(ctx, cr)),
    ])
}

/// The first condition of a type decides (`status == "True"`).
fn job_condition(job: &Value, ty: &str) -> bool {
    arr(job, &["status", "conditions"])
        .iter()
        .find(|c| s(c, &["type"]) == ty)
        .is_some_and(|c| s(c, &["status"]) == "True")
}

pub(crate) fn job(job: &Value, ctx: &Ctx) -> Row {
    let succeeded = i(job, &["status", "succeeded"]);
    let completions = match opt_i(job, &["spec", "completions"]) {
        Some(c) => format!("{succeeded}/{c}"),
        None => match opt_i(job, &["spec", "parallelism"]).unwrap_or(0) {
            p if p > 1 => format!("{succeeded}/1 of {p}"),
            _ => format!("{succeeded}/1"),
        },
    };
    let start = parse_time(get(job, &["status", "startTime"]));
    let end = parse_time(get(job, &["status", "completionTime"]));
    let duration = match (start, end) {
        (None, _) => String::new(),
        (Some(s), None) => human_duration(ctx.now - s),
        (Some(s), Some(e)) => human_duration(e - s),
    };
    let status = if job_condition(job, "Complete") {
        "Complete"
    } else if job_condition(job, "Failed") {
        "Failed"
    } else if is_deleting(job) {
        "Terminating"
    } else if job_condition(job, "Suspended") {
        "Suspended"
    } else if job_condition(job, "FailureTarget") {
        "FailureTarget"
    } else {
        "Running"
    };
    let (names, images) = container_cells(containers(job, &["spec", "template"]));
    Row::new(vec![
        json!(name(job)),
        json!(status),
        json!(completions),
        json!(duration),
        json!(age(ctx, job)),
        names,
        images,
        json!(format_label_selector(get(job, &["spec", "selector"]))),
    ])
}

pub(crate) fn cron_job(cj: &Value, ctx: &Ctx) -> Row {
    let last = match get(cj, &["status", "lastScheduleTime"]).filter(|v| !v.is_null()) {
        Some(t) => since(ctx, Some(t)),
        None => "<none>".to_string(),
    };
    let tz = get(cj, &["spec", "timeZone"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    // Defaulting sets suspend to false.
    let suspend = match get(cj, &["spec", "suspend"]).and_then(Value::as_bool) {
        Some(true) => "True",
        _ => "False",
    };
    let template = ["spec", "jobTemplate", "spec", "template"];
    let (names, images) = container_cells(containers(cj, &template));
    Row::new(vec![
        json!(name(cj)),
        json!(s(cj, &["spec", "schedule"])),
        json!(tz),
        json!(suspend),
        json!(arr(cj, &["status", "active"]).len()),
        json!(last),
        json!(age(ctx, cj)),
        names,
        images,
        json!(format_label_selector(get(
            cj,
            &["spec", "jobTemplate", "spec", "selector"]
        ))),
    ])
}
