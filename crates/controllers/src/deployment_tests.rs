//! Unit tests of the deployment controller's pure parts (util, status), with cases
//! taken from upstream's behaviour.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStatus, DeploymentStrategy, ReplicaSet, ReplicaSetSpec,
    ReplicaSetStatus, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{Container, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::jiff::Timestamp;

use super::plan;
use super::status::{self, PROGRESSING};
use super::util::{self, scaled_value};

fn template(image: &str) -> PodTemplateSpec {
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(BTreeMap::from([("app".to_string(), "web".to_string())])),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers: vec![Container {
                name: "main".into(),
                image: Some(image.into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    }
}

fn deployment(
    replicas: i32,
    surge: Option<IntOrString>,
    unavailable: Option<IntOrString>,
) -> Deployment {
    Deployment {
        metadata: ObjectMeta {
            name: Some("web".into()),
            generation: Some(1),
            ..Default::default()
        },
        spec: Some(DeploymentSpec {
            replicas: Some(replicas),
            progress_deadline_seconds: Some(600),
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: surge,
                    max_unavailable: unavailable,
                }),
            }),
            template: template("busybox"),
            ..Default::default()
        }),
        status: None,
    }
}

fn rs(name: &str, created: i64, replicas: i32, available: i32, image: &str) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.into()),
            creation_timestamp: Some(Time(Timestamp::from_second(created).unwrap())),
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            template: Some(template(image)),
            ..Default::default()
        }),
        status: Some(ReplicaSetStatus {
            replicas,
            ready_replicas: Some(available),
            available_replicas: Some(available),
            ..Default::default()
        }),
    }
}

fn pct(s: &str) -> Option<IntOrString> {
    Some(IntOrString::String(s.into()))
}

#[test]
fn fenceposts_round_like_upstream() {
    assert_eq!(scaled_value(pct("25%").as_ref(), 5, true), 2);
    assert_eq!(scaled_value(pct("25%").as_ref(), 5, false), 1);
    assert_eq!(scaled_value(Some(&IntOrString::Int(3)), 5, false), 3);
    assert_eq!(scaled_value(pct("bad").as_ref(), 5, true), 0);
    let d = deployment(5, pct("25%"), pct("25%"));
    assert_eq!((util::max_surge(&d), util::max_unavailable(&d)), (2, 1));
    // Both rounding to zero: one pod may be unavailable.
    let d = deployment(2, pct("0%"), pct("10%"));
    assert_eq!((util::max_surge(&d), util::max_unavailable(&d)), (0, 1));
    // maxUnavailable never exceeds the replica count; none for 0 replicas or Recreate.
    let d = deployment(2, None, Some(IntOrString::Int(5)));
    assert_eq!(util::max_unavailable(&d), 2);
    assert_eq!(
        util::max_unavailable(&deployment(0, None, Some(IntOrString::Int(5)))),
        0
    );
    let mut d = deployment(3, pct("25%"), pct("25%"));
    d.spec.as_mut().unwrap().strategy = Some(DeploymentStrategy {
        type_: Some("Recreate".into()),
        rolling_update: None,
    });
    assert_eq!((util::max_surge(&d), util::max_unavailable(&d)), (0, 0));
    assert_eq!(
        plan::new_rs_new_replicas(&d, &[], &rs("n", 0, 0, 0, "x")),
        3
    );
}

#[test]
fn hash_is_stable_and_safe() {
    let t = template("busybox");
    let h = util::compute_hash(&t, None);
    assert_eq!(h, util::compute_hash(&template("busybox"), None));
    assert_ne!(h, util::compute_hash(&template("nginx"), None));
    assert_ne!(h, util::compute_hash(&t, Some(1)));
    assert!(!h.is_empty() && h.len() <= 10);
    assert!(
        h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)),
        "{h}"
    );
}

#[test]
fn templates_compare_ignoring_the_hash_label() {
    let a = template("busybox");
    let mut b = template("busybox");
    let labels = b.metadata.as_mut().unwrap().labels.as_mut().unwrap();
    labels.insert(util::HASH_LABEL.into(), "abc".into());
    assert!(util::equal_ignore_hash(&a, &b));
    // Unset and empty lists are the same template.
    b.spec.as_mut().unwrap().containers[0].env = Some(Vec::new());
    assert!(util::equal_ignore_hash(&a, &b));
    assert!(!util::equal_ignore_hash(&a, &template("nginx")));
    // The oldest matching ReplicaSet is the new one.
    let rss = vec![
        rs("c", 30, 1, 1, "busybox"),
        rs("a", 10, 1, 1, "nginx"),
        rs("b", 20, 1, 1, "busybox"),
    ];
    let d = deployment(3, None, None);
    assert_eq!(util::find_new(&d, &rss), Some(2));
}

#[test]
fn revisions_and_annotations() {
    let mut d = deployment(3, pct("25%"), pct("25%"));
    d.metadata.annotations = Some(BTreeMap::from([
        (
            "kubernetes.io/change-cause".to_string(),
            "kubectl set image".to_string(),
        ),
        (
            "kubectl.kubernetes.io/last-applied-configuration".to_string(),
            "{}".to_string(),
        ),
        (util::REVISION.to_string(), "7".to_string()),
    ]));
    let mut new = rs("web-1", 0, 0, 0, "busybox");
    assert!(util::set_new_rs_annotations(&d, &mut new, 1, false));
    let a = new.metadata.annotations.clone().unwrap();
    assert_eq!(a["kubernetes.io/change-cause"], "kubectl set image");
    assert!(!a.contains_key("kubectl.kubernetes.io/last-applied-configuration"));
    assert_eq!(a[util::REVISION], "1");
    assert_eq!(
        (
            a[util::DESIRED_REPLICAS].as_str(),
            a[util::MAX_REPLICAS].as_str()
        ),
        ("3", "4")
    );
    assert!(!util::set_new_rs_annotations(&d, &mut new, 1, true));
    // Reusing an old ReplicaSet (rollback) keeps its former revisions in the history.
    assert!(util::set_new_rs_annotations(&d, &mut new, 3, true));
    assert!(util::set_new_rs_annotations(&d, &mut new, 5, true));
    let a = new.metadata.annotations.clone().unwrap();
    assert_eq!(
        (
            a[util::REVISION].as_str(),
            a[util::REVISION_HISTORY].as_str()
        ),
        ("5", "1,3")
    );
    let revs = [rs("a", 0, 0, 0, "x"), new.clone(), rs("c", 0, 0, 0, "x")];
    let mut revs: Vec<ReplicaSet> = revs.to_vec();
    revs[0].metadata.annotations = Some(BTreeMap::from([(
        util::REVISION.to_string(),
        "4".to_string(),
    )]));
    let refs: Vec<&ReplicaSet> = revs.iter().collect();
    assert_eq!(
        (util::max_revision(&refs), util::last_revision(&refs)),
        (5, 4)
    );
    // Rolling back takes the ReplicaSet's annotations but keeps the Deployment's own.
    util::set_deployment_annotations_to(&mut d, &revs[0]);
    let a = d.metadata.annotations.clone().unwrap();
    assert_eq!(a.get(util::REVISION).map(String::as_str), Some("7"));
    assert!(!a.contains_key("kubernetes.io/change-cause"));
}

#[test]
fn proportional_scaling_shares() {
    // 10 replicas (max 13) split 6 old / 4 new, scaled to 20 (max 23): +13 to share,
    // each in proportion to its size: round(6*23/13) - 6 = 5, round(4*23/13) - 4 = 3.
    let mut d = deployment(20, Some(IntOrString::Int(3)), Some(IntOrString::Int(2)));
    d.status = Some(DeploymentStatus {
        replicas: Some(10),
        ..Default::default()
    });
    let mut old = rs("old", 0, 6, 6, "x");
    util::set_replicas_annotations(&mut old, 10, 13);
    let mut new = rs("new", 1, 4, 0, "busybox");
    util::set_replicas_annotations(&mut new, 10, 13);
    let p_old = plan::proportion(&old, &d, 13, 0);
    let p_new = plan::proportion(&new, &d, 13, p_old);
    assert_eq!((p_old, p_new), (5, 3));
    // Scaled down to 5 (max 8): -2 to share; the old one's share, round(6*8/13) - 6 = -2,
    // takes it all and the new one's is capped at what is left.
    d.spec.as_mut().unwrap().replicas = Some(5);
    assert_eq!(plan::proportion(&old, &d, -2, 0), -2);
    assert_eq!(plan::proportion(&new, &d, -2, -2), 0);
    assert!(plan::is_saturated(&deployment(4, None, None), &{
        let mut n = rs("n", 0, 4, 4, "busybox");
        util::set_replicas_annotations(&mut n, 4, 5);
        n
    }));
}

#[test]
fn status_and_progress_conditions() {
    let now = Timestamp::from_second(1_000_000).unwrap();
    let d = deployment(3, pct("25%"), pct("25%"));
    let new = rs("web-abc", 0, 3, 3, "busybox");
    let st = status::rollout_status(&[&new], Some(&new), &d, now);
    assert_eq!(
        (
            st.replicas,
            st.updated_replicas,
            st.available_replicas,
            st.unavailable_replicas
        ),
        (Some(3), Some(3), Some(3), None)
    );
    let p = status::get_condition(&st, PROGRESSING).unwrap();
    assert_eq!(p.reason.as_deref(), Some("NewReplicaSetAvailable"));
    assert_eq!(
        p.message.as_deref(),
        Some("ReplicaSet \"web-abc\" has successfully progressed.")
    );
    let a = status::get_condition(&st, "Available").unwrap();
    assert_eq!(
        (a.status.as_str(), a.reason.as_deref()),
        ("True", Some("MinimumReplicasAvailable"))
    );
    // Mid-rollout with progress: ReplicaSetUpdated; without progress past the deadline: timed out.
    let mut d2 = d.clone();
    d2.status = Some(status::calculate_status(
        &[&rs("old", 0, 3, 3, "x")],
        None,
        &d,
        now,
    ));
    let mid = rs("web-abc", 0, 1, 0, "busybox");
    let old = rs("old", 0, 3, 3, "x");
    let st = status::rollout_status(&[&old, &mid], Some(&mid), &d2, now);
    let p = status::get_condition(&st, PROGRESSING).unwrap();
    assert_eq!(
        p.message.as_deref(),
        Some("ReplicaSet \"web-abc\" is progressing.")
    );
    d2.status = Some(st.clone());
    let later = Timestamp::from_second(1_000_000 + 601).unwrap();
    assert_eq!(
        status::requeue_stuck(&d2, &st, now).map(|d| d.as_secs()),
        Some(601)
    );
    let st = status::rollout_status(&[&old, &mid], Some(&mid), &d2, later);
    let p = status::get_condition(&st, PROGRESSING).unwrap();
    assert_eq!(
        (p.status.as_str(), p.reason.as_deref()),
        ("False", Some("ProgressDeadlineExceeded"))
    );
    assert_eq!(
        p.message.as_deref(),
        Some("ReplicaSet \"web-abc\" has timed out progressing.")
    );
    // Too few available: MinimumReplicasUnavailable.
    let st = status::calculate_status(&[&rs("x", 0, 3, 1, "busybox")], None, &d, now);
    let a = status::get_condition(&st, "Available").unwrap();
    assert_eq!(a.reason.as_deref(), Some("MinimumReplicasUnavailable"));
    assert_eq!(st.unavailable_replicas, Some(2));
}

#[test]
fn pausing_and_resuming_mark_progress_unknown() {
    let now = Timestamp::from_second(1_000).unwrap();
    let mut d = deployment(3, None, None);
    assert!(!status::paused_conditions(&mut d, now));
    d.spec.as_mut().unwrap().paused = Some(true);
    assert!(status::paused_conditions(&mut d, now));
    assert!(!status::paused_conditions(&mut d, now));
    let p = status::get_condition(d.status.as_ref().unwrap(), PROGRESSING).unwrap();
    assert_eq!(
        (p.status.as_str(), p.message.as_deref()),
        ("Unknown", Some("Deployment is paused"))
    );
    d.spec.as_mut().unwrap().paused = Some(false);
    assert!(status::paused_conditions(&mut d, now));
    let p = status::get_condition(d.status.as_ref().unwrap(), PROGRESSING).unwrap();
    assert_eq!(p.reason.as_deref(), Some("DeploymentResumed"));
}
