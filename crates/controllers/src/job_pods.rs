//! The pods a Job makes and removes: the template with the tracking finalizer (and, for
//! Indexed Jobs, the completion index as annotation, label, hostname and
//! `JOB_COMPLETION_INDEX`), which indexes still need a pod, and which active pods go
//! first when there are too many.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;

use super::status::{INDEX_KEY, TRACKING_FINALIZER, completions, is_indexed, valid_index};
use crate::statefulset::podstate::{controller_ref, removal_order};

/// A pod for the job; `index` for Indexed Jobs.
pub(crate) fn new_pod(job: &Job, index: Option<i32>) -> Pod {
    let name = job.name_any();
    let template = job
        .spec
        .as_ref()
        .map(|s| s.template.clone())
        .unwrap_or_default();
    let tmeta = template.metadata.unwrap_or_default();
    let mut labels = tmeta.labels.unwrap_or_default();
    let mut annotations = tmeta.annotations.unwrap_or_default();
    let mut finalizers = tmeta.finalizers.unwrap_or_default();
    if !finalizers.iter().any(|f| f == TRACKING_FINALIZER) {
        finalizers.push(TRACKING_FINALIZER.into());
    }
    let mut spec = template.spec.unwrap_or_default();
    let generate_name = match index {
        Some(ix) => {
            annotations.insert(INDEX_KEY.into(), ix.to_string());
            labels.insert(INDEX_KEY.into(), ix.to_string());
            if spec.hostname.as_deref().is_none_or(str::is_empty) {
                spec.hostname = Some(format!("{name}-{ix}"));
            }
            let env = EnvVar {
                name: "JOB_COMPLETION_INDEX".into(),
                value: None,
                value_from: Some(EnvVarSource {
                    field_ref: Some(ObjectFieldSelector {
                        api_version: None,
                        field_path: format!("metadata.annotations['{INDEX_KEY}']"),
                    }),
                    ..Default::default()
                }),
            };
            let containers = spec.containers.iter_mut();
            for c in containers.chain(spec.init_containers.iter_mut().flatten()) {
                let envs = c.env.get_or_insert_with(Vec::new);
                if !envs.iter().any(|e| e.name == env.name) {
                    envs.push(env.clone());
                }
            }
            format!("{name}-{ix}-")
        }
        None => format!("{name}-"),
    };
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(generate_name),
            namespace: job.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            finalizers: Some(finalizers),
            owner_references: Some(vec![controller_ref(&job.metadata, "batch/v1", "Job")]),
            ..Default::default()
        },
        spec: Some(spec),
        status: None,
    }
}

/// The lowest `count` indexes that have neither succeeded nor an active pod.
pub(crate) fn pending_indexes(
    job: &Job,
    succeeded: &BTreeSet<i32>,
    active: &[&Pod],
    count: usize,
) -> Vec<i32> {
    let taken: BTreeSet<i32> = active.iter().filter_map(|p| valid_index(job, p)).collect();
    (0..completions(job).unwrap_or(0))
        .filter(|ix| !succeeded.contains(ix) && !taken.contains(ix))
        .take(count)
        .collect()
}

/// The active pods to remove, at least `at_least` of them: for Indexed Jobs first those
/// with a missing, out-of-range or duplicated index; then in `ActivePods` order.
pub(crate) fn pods_for_removal<'a>(job: &Job, active: &[&'a Pod], at_least: usize) -> Vec<&'a Pod> {
    let mut remove: Vec<&Pod> = Vec::new();
    let mut left: Vec<&Pod> = Vec::new();
    if is_indexed(job) {
        let mut by_index: BTreeMap<i32, Vec<&Pod>> = BTreeMap::new();
        for p in active {
            match valid_index(job, p) {
                Some(ix) => by_index.entry(ix).or_default().push(p),
                None => remove.push(p),
            }
        }
        for (_, mut ps) in by_index {
            ps.sort_by(|a, b| removal_order(a, b));
            // Keep the one that is furthest along (last in removal order).
            if let Some(keep) = ps.pop() {
                left.push(keep);
            }
            remove.extend(ps);
        }
    } else {
        left = active.to_vec();
    }
    if remove.len() < at_least {
        left.sort_by(|a, b| removal_order(a, b));
        let more = at_least - remove.len();
        remove.extend(left.into_iter().take(more));
    }
    remove
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn job(v: serde_json::Value) -> Job {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn indexed_pod_template() {
        let j = job(
            json!({"metadata": {"name": "pi", "namespace": "ns", "uid": "u"},
            "spec": {"completionMode": "Indexed", "completions": 3, "template": {
                "metadata": {"labels": {"batch.kubernetes.io/job-name": "pi"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}),
        );
        let p = new_pod(&j, Some(2));
        assert_eq!(p.metadata.generate_name.as_deref(), Some("pi-2-"));
        assert_eq!(p.metadata.annotations.as_ref().unwrap()[INDEX_KEY], "2");
        assert_eq!(p.metadata.labels.as_ref().unwrap()[INDEX_KEY], "2");
        assert_eq!(
            p.metadata.finalizers.as_deref(),
            Some(&[TRACKING_FINALIZER.to_string()][..])
        );
        let spec = p.spec.unwrap();
        assert_eq!(spec.hostname.as_deref(), Some("pi-2"));
        let env = &spec.containers[0].env.as_ref().unwrap()[0];
        assert_eq!(env.name, "JOB_COMPLETION_INDEX");
        let owner = &p.metadata.owner_references.unwrap()[0];
        assert_eq!((owner.kind.as_str(), owner.controller), ("Job", Some(true)));
        let plain = new_pod(
            &job(json!({"metadata": {"name": "pi"}, "spec": {"template": {}}})),
            None,
        );
        assert_eq!(plain.metadata.generate_name.as_deref(), Some("pi-"));
    }

    #[test]
    fn pending_and_duplicate_indexes() {
        let j = job(json!({"metadata": {"name": "pi"},
            "spec": {"completionMode": "Indexed", "completions": 5, "template": {}}}));
        let pod = |name: &str, ix: &str| -> Pod {
            serde_json::from_value(json!({"metadata": {"name": name,
                "annotations": {INDEX_KEY: ix}}, "status": {"phase": "Running"}}))
            .unwrap()
        };
        let (a, b, c, d) = (pod("a", "1"), pod("b", "1"), pod("c", "9"), pod("d", "3"));
        let done: BTreeSet<i32> = [0].into();
        let active = [&a, &b, &c, &d];
        assert_eq!(pending_indexes(&j, &done, &active, 10), vec![2, 4]);
        let rm = pods_for_removal(&j, &active, 0);
        let names: BTreeSet<&str> = rm
            .iter()
            .map(|p| p.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names.len(), 2);
        assert!(names.contains("c"));
        assert_eq!(pods_for_removal(&j, &active, 3).len(), 3);
    }
}
