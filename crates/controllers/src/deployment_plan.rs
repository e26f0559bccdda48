//! The arithmetic of one rolling-update step (upstream `rolling.go`), kept free of I/O
//! so that it can be checked by simulation: scale the new ReplicaSet up within
//! maxSurge, else scale old ones down within maxUnavailable (unhealthy replicas first);
//! and the shares of a proportional scale.

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};

use super::util::{
    desired_annotation, is_rolling, max_annotation, max_surge, max_unavailable, replicas,
    rs_available, rs_replicas,
};

/// What one rolling step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Scale the new ReplicaSet to this size.
    ScaleNew(i32),
    /// Scale these old ReplicaSets (indices into the given slice) to these sizes.
    ScaleOld(Vec<(usize, i32)>),
    /// Nothing to scale now.
    Wait,
}

/// Available replicas we can count on: a ReplicaSet just told to shrink may still
/// report the pods it is deleting as available, so never more than its size.
fn counted_available(rs: &ReplicaSet) -> i32 {
    rs_available(rs).min(rs_replicas(rs)).max(0)
}

/// `reconcileNewReplicaSet` and, when that does nothing, `reconcileOldReplicaSets`.
/// `olds` are the active old ReplicaSets sorted oldest first.
pub(crate) fn rolling_step(d: &Deployment, new: &ReplicaSet, olds: &[ReplicaSet]) -> Step {
    let want = replicas(d);
    let all: Vec<&ReplicaSet> = olds.iter().chain(std::iter::once(new)).collect();
    if rs_replicas(new) > want {
        return Step::ScaleNew(want);
    }
    if rs_replicas(new) < want {
        let n = new_rs_new_replicas(d, &all, new);
        if n != rs_replicas(new) {
            return Step::ScaleNew(n);
        }
    }
    let old_pods: i32 = olds.iter().map(rs_replicas).sum();
    if old_pods == 0 {
        return Step::Wait;
    }
    let all_pods: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let min_available = want - max_unavailable(d);
    let new_unavailable = (rs_replicas(new) - counted_available(new)).max(0);
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return Step::Wait;
    }
    // Unhealthy old replicas go first: removing them costs no availability.
    let mut sizes: Vec<i32> = olds.iter().map(rs_replicas).collect();
    let mut cleaned = 0;
    for (i, rs) in olds.iter().enumerate() {
        if cleaned >= max_scaled_down {
            break;
        }
        let unhealthy = sizes[i] - counted_available(rs);
        if sizes[i] == 0 || unhealthy <= 0 {
            continue;
        }
        let n = (max_scaled_down - cleaned).min(unhealthy);
        sizes[i] -= n;
        cleaned += n;
    }
    // Then healthy ones, as far as the available count above minAvailable allows.
    let available: i32 = all.iter().map(|rs| counted_available(rs)).sum();
    if available > min_available {
        let mut budget = available - min_available;
        for size in sizes.iter_mut() {
            if budget <= 0 {
                break;
            }
            let n = (*size).min(budget);
            *size -= n;
            budget -= n;
        }
    }
    let changes: Vec<(usize, i32)> = sizes
        .into_iter()
        .enumerate()
        .filter(|(i, s)| *s != rs_replicas(&olds[*i]))
        .collect();
    if changes.is_empty() {
        Step::Wait
    } else {
        Step::ScaleOld(changes)
    }
}

/// `NewRSNewReplicas`: how big the new ReplicaSet may be now.
pub(crate) fn new_rs_new_replicas(d: &Deployment, all: &[&ReplicaSet], new: &ReplicaSet) -> i32 {
    if !is_rolling(d) {
        return replicas(d);
    }
    let current: i32 = all.iter().map(|rs| rs_replicas(rs)).sum();
    let max_total = replicas(d) + max_surge(d);
    if current >= max_total {
        return rs_replicas(new);
    }
    let up = (max_total - current).min(replicas(d) - rs_replicas(new));
    rs_replicas(new) + up
}

/// `IsSaturated`: the new ReplicaSet holds (and both sides agree it should hold) every
/// desired replica, all available.
pub(crate) fn is_saturated(d: &Deployment, rs: &ReplicaSet) -> bool {
    desired_annotation(rs) == Some(replicas(d))
        && rs_replicas(rs) == replicas(d)
        && rs_available(rs) == replicas(d)
}

/// `GetProportion`: this ReplicaSet's share of `to_add` during a proportional scale.
pub(crate) fn proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if rs_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = if replicas(d) == 0 {
        -rs_replicas(rs)
    } else {
        let target = replicas(d) + max_surge(d);
        let annotated = max_annotation(rs)
            .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
        if annotated == 0 {
            0
        } else {
            let size = f64::from(rs_replicas(rs)) * f64::from(target) / f64::from(annotated);
            size.round() as i32 - rs_replicas(rs)
        }
    };
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{
        DeploymentSpec, DeploymentStrategy, ReplicaSetSpec, ReplicaSetStatus,
        RollingUpdateDeployment,
    };
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    fn deployment(replicas: i32, surge: IntOrString, unavailable: IntOrString) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(surge),
                        max_unavailable: Some(unavailable),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn rs(spec: i32, available: i32) -> ReplicaSet {
        ReplicaSet {
            spec: Some(ReplicaSetSpec {
                replicas: Some(spec),
                ..Default::default()
            }),
            status: Some(ReplicaSetStatus {
                replicas: spec,
                available_replicas: Some(available),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Runs a rollout from one full old ReplicaSet to a new one. New pods need
    /// `delay` steps to become available; removed pods are unavailable at once.
    /// Checks availability never drops below `replicas - maxUnavailable` and that the
    /// rollout completes.
    fn simulate(d: &Deployment, delay: usize) -> usize {
        let want = replicas(d);
        let min_available = want - max_unavailable(d);
        let mut olds = vec![rs(want, want)];
        let mut new = rs(0, 0);
        // Steps at which the new ReplicaSet reached each size.
        let mut grown: Vec<usize> = Vec::new();
        for step in 0..1000 {
            let target_new = rs_replicas(&new);
            while grown.len() < usize::try_from(target_new).unwrap_or(0) {
                grown.push(step);
            }
            grown.truncate(usize::try_from(target_new).unwrap_or(0));
            let ready = grown.iter().filter(|s| step >= **s + delay).count();
            new.status = Some(ReplicaSetStatus {
                replicas: target_new,
                available_replicas: Some(i32::try_from(ready).unwrap_or(0)),
                ..Default::default()
            });
            for o in olds.iter_mut() {
                *o = rs(rs_replicas(o), rs_replicas(o));
            }
            let available: i32 = olds
                .iter()
                .chain(std::iter::once(&new))
                .map(rs_available)
                .sum();
            assert!(
                available >= min_available.min(want),
                "availability {available} < {min_available} at step {step}"
            );
            if rs_available(&new) == want && olds.iter().all(|o| rs_replicas(o) == 0) {
                return step;
            }
            match rolling_step(d, &new, &olds) {
                Step::ScaleNew(n) => new = rs(n, rs_available(&new)),
                Step::ScaleOld(changes) => {
                    for (i, n) in changes {
                        // The old pods being removed stop counting as available at once.
                        olds[i] = rs(n, n);
                    }
                }
                Step::Wait => {}
            }
        }
        panic!("rollout did not finish");
    }

    #[test]
    fn rolling_updates_respect_fenceposts_and_finish() {
        let pct = |s: &str| IntOrString::String(s.into());
        let cases = [
            deployment(5, pct("25%"), pct("25%")),
            deployment(10, IntOrString::Int(3), IntOrString::Int(2)),
            deployment(3, IntOrString::Int(0), IntOrString::Int(1)),
            deployment(3, IntOrString::Int(1), IntOrString::Int(0)),
            deployment(1, pct("25%"), pct("25%")),
            deployment(2, pct("1%"), pct("1%")),
        ];
        for d in &cases {
            for delay in [0, 1, 3] {
                simulate(d, delay);
            }
        }
    }

    #[test]
    fn first_step_surges_then_waits_for_availability() {
        let d = deployment(10, IntOrString::Int(3), IntOrString::Int(2));
        let olds = vec![rs(10, 10)];
        assert_eq!(rolling_step(&d, &rs(0, 0), &olds), Step::ScaleNew(3));
        // 13 pods, 3 new unavailable: 13 - 8 - 3 = 2 old ones may go.
        assert_eq!(
            rolling_step(&d, &rs(3, 0), &olds),
            Step::ScaleOld(vec![(0, 8)])
        );
        // An old ReplicaSet told to shrink still reporting 10 available is not trusted.
        let olds = vec![rs(8, 10)];
        assert_eq!(rolling_step(&d, &rs(5, 0), &olds), Step::Wait);
    }
}
