//! Persistent volumes and claims, storage classes, CSI objects, volume attachments,
//! resource quotas.

mod common;

use common::{ago, columns, meta, names, texts};
use serde_json::json;

#[test]
fn persistent_volumes() {
    assert_eq!(
        columns("", "persistentvolumes")
            .iter()
            .map(|c| (c.0.as_str(), c.2))
            .collect::<Vec<_>>(),
        [
            ("Name", 0),
            ("Capacity", 0),
            ("Access Modes", 0),
            ("Reclaim Policy", 0),
            ("Status", 0),
            ("Claim", 0),
            ("StorageClass", 0),
            ("VolumeAttributesClass", 0),
            ("Reason", 0),
            ("Age", 0),
            ("VolumeMode", 1)
        ]
    );
    let pv = json!({"metadata": meta("pv-1", 3600), "spec": {"capacity": {"storage": "1024Mi"},
        "accessModes": ["ReadWriteMany", "ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Delete",
        "claimRef": {"namespace": "default", "name": "data"}, "storageClassName": "hci-disk", "volumeMode": "Block"},
        "status": {"phase": "Bound"}});
    assert_eq!(
        texts("", "persistentvolumes", pv),
        [
            "pv-1",
            "1Gi",
            "RWO,RWX",
            "Delete",
            "Bound",
            "default/data",
            "hci-disk",
            "<unset>",
            "",
            "60m",
            "Block"
        ]
    );
    let mut md = meta("pv-2", 10);
    md["deletionTimestamp"] = json!(ago(1));
    md["annotations"] = json!({"volume.beta.kubernetes.io/storage-class": "old"});
    let pv = json!({"metadata": md, "spec": {"capacity": {"storage": "0.5Gi"}, "storageClassName": "new"},
        "status": {"phase": "Failed", "reason": "Recycler"}});
    assert_eq!(
        texts("", "persistentvolumes", pv)[1..],
        [
            "512Mi",
            "",
            "Retain",
            "Terminating",
            "",
            "old",
            "<unset>",
            "Recycler",
            "10s",
            "Filesystem"
        ]
    );
}

#[test]
fn persistent_volume_claims() {
    assert_eq!(
        names(&columns("", "persistentvolumeclaims")),
        [
            "Name",
            "Status",
            "Volume",
            "Capacity",
            "Access Modes",
            "StorageClass",
            "VolumeAttributesClass",
            "Age",
            "VolumeMode"
        ]
    );
    let bound = json!({"metadata": meta("data", 300), "spec": {"volumeName": "pv-1", "storageClassName": "hci-disk",
        "resources": {"requests": {"storage": "1Gi"}}}, "status": {"phase": "Bound", "capacity": {"storage": "1073741824"},
        "accessModes": ["ReadWriteOnce"]}});
    assert_eq!(
        texts("", "persistentvolumeclaims", bound),
        [
            "data",
            "Bound",
            "pv-1",
            "1073741824",
            "RWO",
            "hci-disk",
            "<unset>",
            "5m",
            "Filesystem"
        ]
    );
    let pending = json!({"metadata": meta("p", 5), "spec": {"resources": {"requests": {"storage": "1Gi"}}, "volumeAttributesClassName": "fast"}});
    assert_eq!(
        texts("", "persistentvolumeclaims", pending)[1..],
        ["Pending", "", "", "", "", "fast", "5s", "Filesystem"]
    );
}

#[test]
fn storage_classes_and_csi() {
    let mut md = meta("hci-disk", 60);
    md["annotations"] = json!({"storageclass.kubernetes.io/is-default-class": "true"});
    let sc = json!({"metadata": md, "provisioner": "disk.csi.kubehci.io", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": true});
    assert_eq!(
        common::cells("storage.k8s.io", "storageclasses", sc),
        [
            json!("hci-disk (default)"),
            json!("disk.csi.kubehci.io"),
            json!("Delete"),
            json!("WaitForFirstConsumer"),
            json!(true),
            json!("60s")
        ]
    );
    assert_eq!(
        names(&columns("storage.k8s.io", "storageclasses"))[1..5],
        [
            "Provisioner",
            "ReclaimPolicy",
            "VolumeBindingMode",
            "AllowVolumeExpansion"
        ]
    );
    let d = json!({"metadata": meta("disk.csi.kubehci.io", 60), "spec": {"attachRequired": false, "fsGroupPolicy": "File"}});
    assert_eq!(
        common::cells("storage.k8s.io", "csidrivers", d),
        [
            json!("disk.csi.kubehci.io"),
            json!(false),
            json!(false),
            json!(false),
            json!("<unset>"),
            json!(false),
            json!("Persistent"),
            json!("60s")
        ]
    );
    let d2 = json!({"metadata": meta("x", 60), "spec": {"podInfoOnMount": true, "tokenRequests": [{"audience": "a"}, {"audience": "b"}],
        "volumeLifecycleModes": ["Persistent", "Ephemeral"]}});
    assert_eq!(
        texts("storage.k8s.io", "csidrivers", d2)[1..7],
        [
            "true",
            "true",
            "false",
            "a,b",
            "false",
            "Persistent,Ephemeral"
        ]
    );
    let n = json!({"metadata": meta("n1", 60), "spec": {"drivers": [{"name": "disk.csi.kubehci.io", "nodeID": "n1"}]}});
    assert_eq!(
        common::cells("storage.k8s.io", "csinodes", n),
        [json!("n1"), json!(1), json!("60s")]
    );
    let va = json!({"metadata": meta("csi-123", 60), "spec": {"attacher": "disk.csi.kubehci.io", "nodeName": "n1",
        "source": {"persistentVolumeName": "pv-1"}}, "status": {"attached": true}});
    assert_eq!(
        common::cells("storage.k8s.io", "volumeattachments", va),
        [
            json!("csi-123"),
            json!("disk.csi.kubehci.io"),
            json!("pv-1"),
            json!("n1"),
            json!(true),
            json!("60s")
        ]
    );
}

#[test]
fn resource_quotas() {
    let rq = json!({"metadata": meta("compute", 60), "status": {
        "hard": {"requests.cpu": "1", "requests.memory": "1Gi", "limits.cpu": "2", "limits.memory": "2048Mi", "pods": "10"},
        "used": {"requests.cpu": "500m", "requests.memory": "512Mi", "limits.cpu": "1", "pods": "3"}}});
    assert_eq!(
        texts("", "resourcequotas", rq),
        [
            "compute",
            "pods: 3/10, requests.cpu: 500m/1, requests.memory: 512Mi/1Gi",
            "limits.cpu: 1/2, limits.memory: 0/2Gi",
            "60s"
        ]
    );
    assert_eq!(
        texts("", "resourcequotas", json!({"metadata": meta("e", 1)}))[1..3],
        ["", ""]
    );
}
