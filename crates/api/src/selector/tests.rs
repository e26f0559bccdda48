use serde_json::{Map, Value, json};

use super::*;

fn labels(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn parse_err(s: &str) -> String {
    LabelSelector::parse(s)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[test]
fn label_parse_and_print_round_trip() {
    let cases = [
        ("x=a,y=b,z=c", "x=a,y=b,z=c"),
        ("z=c , x = a", "x=a,z=c"),
        ("x==a", "x==a"),
        ("x!=a", "x!=a"),
        ("x in (b,a,a)", "x in (a,b)"),
        ("x notin ()", "x notin ()"),
        (
            "x in (foo,,baz),y,z notin ()",
            "x in (,baz,foo),y,z notin ()",
        ),
        ("!x", "!x"),
        ("x>1,y<2", "x>1,y<2"),
        ("in in (in)", "in in (in)"),
        ("x=", "x="),
        ("", ""),
        ("example.com/app=web", "example.com/app=web"),
    ];
    for (input, want) in cases {
        let s = LabelSelector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(s.to_string(), want, "{input}");
    }
    assert!(
        LabelSelector::parse("")
            .map(|s| s.is_empty())
            .unwrap_or(false)
    );
}

#[test]
fn label_parse_errors_are_upstreams() {
    assert_eq!(
        parse_err("x=a,"),
        "found '', expected: identifier after ','"
    );
    assert_eq!(
        parse_err("!x y"),
        "found 'y', expected: ',' or 'end of string'"
    );
    assert_eq!(
        parse_err("x y"),
        "unable to parse requirement: found 'y', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        parse_err("=a"),
        "found '=', expected: !, identifier, or 'end of string'"
    );
    assert_eq!(
        parse_err("x in a"),
        "unable to parse requirement: found 'a' expected: '('"
    );
    assert_eq!(
        parse_err("x in (a b)"),
        "unable to parse requirement: found 'b', expected: ',' or ')'"
    );
    assert_eq!(
        parse_err("x (a)"),
        "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        parse_err("x>a"),
        "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
    let e = parse_err("a/b/c=d");
    assert!(e.starts_with("unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of"), "{e}");
    let e = parse_err("app=a@b");
    assert!(e.starts_with("unable to parse requirement: values[0][app]: Invalid value: \"a@b\": a valid label must be an empty string"), "{e}");
}

#[test]
fn label_matching() {
    let l = labels(json!({"app": "web", "tier": "fe", "n": "5"}));
    let m = |s: &str| {
        LabelSelector::parse(s)
            .map(|sel| sel.matches(&l))
            .unwrap_or(false)
    };
    assert!(m("app=web"));
    assert!(m("app==web,tier"));
    assert!(!m("app!=web"));
    assert!(m("missing!=x"));
    assert!(m("app in (db,web)"));
    assert!(!m("app notin (web)"));
    assert!(m("missing notin (web)"));
    assert!(m("!missing"));
    assert!(!m("!app"));
    assert!(m("n>4,n<6"));
    assert!(!m("app>1"));
    assert!(m(""));
}

#[test]
fn metav1_label_selector_conversion() {
    let sel = json!({"matchLabels": {"b": "2", "a": "1"}, "matchExpressions": [
        {"key": "c", "operator": "In", "values": ["y", "x"]},
        {"key": "d", "operator": "Exists"},
        {"key": "e", "operator": "DoesNotExist"},
        {"key": "f", "operator": "NotIn", "values": ["z"]}]});
    let s = LabelSelector::from_label_selector(Some(&sel)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.to_string(), "a=1,b=2,c in (x,y),d,!e,f notin (z)");
    assert!(s.matches(&labels(json!({"a": "1", "b": "2", "c": "x", "d": ""}))));
    assert!(!s.matches(&labels(
        json!({"a": "1", "b": "2", "c": "x", "d": "", "e": "1"})
    )));
    assert!(
        LabelSelector::from_label_selector(None)
            .map(|s| s.is_nothing())
            .unwrap_or(false)
    );
    assert!(!LabelSelector::nothing().matches(&Map::new()));
    assert!(
        LabelSelector::from_label_selector(Some(&json!({})))
            .map(|s| s.is_empty())
            .unwrap_or(false)
    );
    let bad = json!({"matchExpressions": [{"key": "a", "operator": "Foo"}]});
    assert_eq!(
        LabelSelector::from_label_selector(Some(&bad))
            .err()
            .map(|e| e.to_string()),
        Some("\"Foo\" is not a valid label selector operator".into())
    );
    let empty_in = json!({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]});
    assert_eq!(
        LabelSelector::from_label_selector(Some(&empty_in)).err().map(|e| e.to_string()),
        Some("values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".into())
    );
    assert_eq!(format_label_selector(None), "<none>");
    assert_eq!(
        format_label_selector(Some(&json!({"matchLabels": {"app": "x"}}))),
        "app=x"
    );
    assert_eq!(format_labels(Some(&json!({"b": "2", "a": "1"}))), "a=1,b=2");
    assert_eq!(format_labels(None), "<none>");
}

#[test]
fn field_selector_parse_escape_and_print() {
    let s = FieldSelector::parse("b=x\\,y,a!=1,c==\\=\\\\").unwrap_or_default();
    assert_eq!(s.to_string(), "a!=1,b=x\\,y,c=\\=\\\\");
    assert_eq!(s.terms()[1].value, "x,y");
    assert_eq!(s.terms()[2].value, "=\\");
    let err = |x: &str| {
        FieldSelector::parse(x)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert_eq!(err("a"), "invalid selector: 'a'; can't understand 'a'");
    assert_eq!(
        err("a=b=c"),
        "invalid field selector: unescaped character in value: 61"
    );
    assert_eq!(
        err("a=\\x"),
        "invalid field selector: invalid escape sequence: \\x"
    );
    assert_eq!(
        err("a=b\\"),
        "invalid field selector: invalid escape sequence: \\"
    );
    assert!(
        FieldSelector::parse("")
            .map(|s| s.is_empty())
            .unwrap_or(false)
    );
    assert_eq!(
        FieldSelector::parse("metadata.name=x")
            .ok()
            .and_then(|s| s.requires_exact_match("metadata.name").map(String::from)),
        Some("x".into())
    );
}

#[test]
fn field_labels_per_resource() {
    let check = |g: &str, r: &str, sel: &str| -> Result<String, String> {
        let s = FieldSelector::parse(sel).map_err(|e| e.to_string())?;
        s.validate(g, r)
            .map(|s| s.to_string())
            .map_err(|e| e.to_string())
    };
    assert_eq!(
        check("", "pods", "spec.nodeName=n1,status.phase=Running"),
        Ok("spec.nodeName=n1,status.phase=Running".into())
    );
    assert_eq!(
        check("", "pods", "spec.host=n1"),
        Ok("spec.nodeName=n1".into())
    );
    assert_eq!(
        check("", "pods", "foo=bar"),
        Err("field label not supported: foo".into())
    );
    assert_eq!(
        check("", "nodes", "metadata.namespace=x"),
        Err("field label not supported: metadata.namespace".into())
    );
    assert_eq!(
        check("batch", "jobs", "status.succeeded=1"),
        Err("field label \"status.succeeded\" not supported for batchv1.Job".into())
    );
    assert_eq!(
        check("", "configmaps", "data.x=1"),
        Err("\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"".into())
    );
    assert_eq!(
        check("events.k8s.io", "events", "regarding.name=p"),
        Ok("involvedObject.name=p".into())
    );
    assert_eq!(
        check("", "services", "spec.type=NodePort"),
        Ok("spec.type=NodePort".into())
    );
    let custom = FieldSelector::parse("spec.color=red").unwrap_or_default();
    assert!(
        custom
            .validate_custom(true, &[".spec.color".into()])
            .is_ok()
    );
    assert_eq!(
        custom
            .validate_custom(false, &[])
            .err()
            .map(|e| e.to_string()),
        Some("field label not supported: spec.color".into())
    );
}

#[test]
fn field_matching() {
    let pod = json!({"metadata": {"name": "p", "namespace": "ns"},
        "spec": {"nodeName": "n1", "restartPolicy": "Always"},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.5"}]}});
    let m = |sel: &str| {
        FieldSelector::parse(sel)
            .map(|s| s.matches("", "pods", &pod))
            .unwrap_or(false)
    };
    assert!(m("spec.nodeName=n1,metadata.namespace=ns"));
    assert!(m("status.phase!=Pending"));
    assert!(m("spec.hostNetwork=false"));
    assert!(m("status.podIP=10.0.0.5"));
    assert!(m("status.nominatedNodeName="));
    assert!(!m("metadata.name=q"));
    let ev = json!({"metadata": {"name": "e"}, "involvedObject": {"kind": "Pod", "name": "p"},
        "reason": "Started", "source": {"component": "kubelet"}, "type": "Normal"});
    assert_eq!(
        field_value("", "events", &ev, "involvedObject.kind").as_deref(),
        Some("Pod")
    );
    assert_eq!(
        field_value("", "events", &ev, "source").as_deref(),
        Some("kubelet")
    );
    let job = json!({"status": {"succeeded": 2}});
    assert_eq!(
        field_value("batch", "jobs", &job, "status.successful").as_deref(),
        Some("2")
    );
    let node = json!({"spec": {"unschedulable": true}});
    assert_eq!(
        field_value("", "nodes", &node, "spec.unschedulable").as_deref(),
        Some("true")
    );
    let cr = json!({"spec": {"color": "red", "size": 3}});
    assert_eq!(custom_field_value(&cr, "spec.size").as_deref(), Some("3"));
    let api: crate::status::ApiError =
        SelectorError::FieldNotSupported("field label not supported: x".into()).into();
    assert_eq!(
        (api.code, api.message.as_str()),
        (400, "field label not supported: x")
    );
}
