//! Service cluster-IP and NodePort allocation from the configured ranges. The state is
//! rebuilt from the stored Services at start-up, so the store stays the single truth.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use kubehci_api::FieldError;
use parking_lot::Mutex;
use serde_json::{Value, json};

struct Inner {
    cidr: ipnet::Ipv4Net,
    ips: HashSet<Ipv4Addr>,
    next_ip: u32,
    ports: HashSet<u16>,
    port_range: (u16, u16),
    next_port: u16,
}

/// Allocators for `spec.clusterIP(s)` and `spec.ports[*].nodePort`.
pub struct ServiceAllocators {
    inner: Mutex<Inner>,
}

fn service_type(svc: &Value) -> &str {
    svc.pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
}

fn wants_node_ports(svc: &Value) -> bool {
    match service_type(svc) {
        "NodePort" => true,
        "LoadBalancer" => svc
            .pointer("/spec/allocateLoadBalancerNodePorts")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        _ => false,
    }
}

impl ServiceAllocators {
    pub fn new(cidr: ipnet::Ipv4Net, port_range: (u16, u16)) -> Self {
        Self {
            inner: Mutex::new(Inner {
                cidr,
                ips: HashSet::new(),
                next_ip: 2,
                ports: HashSet::new(),
                port_range,
                next_port: port_range.0,
            }),
        }
    }

    /// The `kubernetes` Service's address: the first host of the range.
    pub fn first_ip(&self) -> Ipv4Addr {
        let cidr = self.inner.lock().cidr;
        Ipv4Addr::from(u32::from(cidr.network()).wrapping_add(1))
    }

    /// Marks what an existing Service holds (start-up).
    pub fn load(&self, svc: &Value) {
        let mut g = self.inner.lock();
        for ip in cluster_ips(svc) {
            g.ips.insert(ip);
        }
        for p in node_ports(svc) {
            g.ports.insert(p);
        }
    }

    /// Allocates or reserves addresses and node ports for a new Service; on error nothing
    /// stays allocated.
    pub fn allocate(&self, svc: &mut Value, old: Option<&Value>) -> Result<(), Vec<FieldError>> {
        let mut g = self.inner.lock();
        let mut taken_ips = Vec::new();
        let mut taken_ports = Vec::new();
        let res = g.allocate_into(svc, old, &mut taken_ips, &mut taken_ports);
        if res.is_err() {
            for ip in taken_ips {
                g.ips.remove(&ip);
            }
            for p in taken_ports {
                g.ports.remove(&p);
            }
        }
        res
    }

    /// Releases what `old` held and `new` (if any) no longer holds.
    pub fn release(&self, old: &Value, new: Option<&Value>) {
        let keep_ips: HashSet<Ipv4Addr> = new
            .map(cluster_ips)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let keep_ports: HashSet<u16> = new
            .map(node_ports)
            .unwrap_or_default()
            .into_iter()
            .collect();
        let mut g = self.inner.lock();
        for ip in cluster_ips(old) {
            if !keep_ips.contains(&ip) {
                g.ips.remove(&ip);
            }
        }
        for p in node_ports(old) {
            if !keep_ports.contains(&p) {
                g.ports.remove(&p);
            }
        }
    }
}

impl Inner {
    fn allocate_into(
        &mut self,
        svc: &mut Value,
        old: Option<&Value>,
        taken_ips: &mut Vec<Ipv4Addr>,
        taken_ports: &mut Vec<u16>,
    ) -> Result<(), Vec<FieldError>> {
        let ty = service_type(svc).to_string();
        let old_ips = old.map(cluster_ips).unwrap_or_default();
        if ty != "ExternalName" && old.is_none() {
            let requested = svc
                .pointer("/spec/clusterIP")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if requested != "None" {
                let ip = if requested.is_empty() {
                    self.next_free_ip().ok_or_else(|| {
                        vec![FieldError::internal(
                            "spec.clusterIPs",
                            "failed to allocate a serviceIP: range is full",
                        )]
                    })?
                } else {
                    let ip: Ipv4Addr = requested.parse().map_err(|_| {
                        vec![FieldError::invalid(
                            "spec.clusterIPs[0]",
                            requested.clone(),
                            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                        )]
                    })?;
                    if !self.cidr.contains(&ip)
                        || ip == self.cidr.network()
                        || ip == self.cidr.broadcast()
                    {
                        return Err(vec![FieldError::invalid(
                            "spec.clusterIPs",
                            json!([requested]),
                            format!(
                                "failed to allocate IP {requested}: the provided IP ({requested}) is not in the valid range. The range of valid IPs is {}",
                                self.cidr
                            ),
                        )]);
                    }
                    if self.ips.contains(&ip) {
                        return Err(vec![FieldError::invalid(
                            "spec.clusterIPs",
                            json!([requested]),
                            format!(
                                "failed to allocate IP {requested}: provided IP is already allocated"
                            ),
                        )]);
                    }
                    ip
                };
                self.ips.insert(ip);
                taken_ips.push(ip);
                let spec = spec_mut(svc);
                spec.insert("clusterIP".into(), json!(ip.to_string()));
                spec.insert("clusterIPs".into(), json!([ip.to_string()]));
            } else {
                spec_mut(svc).insert("clusterIPs".into(), json!(["None"]));
            }
        } else if let Some(o) = old {
            // Cluster IPs are immutable: keep the old ones (validation reports changes).
            if !old_ips.is_empty() && ty != "ExternalName" {
                let spec = spec_mut(svc);
                if spec
                    .get("clusterIP")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .is_empty()
                {
                    if let Some(v) = o.pointer("/spec/clusterIP") {
                        spec.insert("clusterIP".into(), v.clone());
                    }
                    if let Some(v) = o.pointer("/spec/clusterIPs") {
                        spec.insert("clusterIPs".into(), v.clone());
                    }
                }
            }
        }
        if !wants_node_ports(svc) {
            if let Some(ports) = svc.pointer_mut("/spec/ports").and_then(Value::as_array_mut)
                && service_type_of_old_had_ports(old)
            {
                for p in ports.iter_mut() {
                    if let Some(m) = p.as_object_mut() {
                        m.remove("nodePort");
                    }
                }
            }
            return Ok(());
        }
        let old_ports: Vec<u16> = old.map(node_ports).unwrap_or_default();
        let n = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        for i in 0..n {
            let path = format!("/spec/ports/{i}/nodePort");
            let requested = svc.pointer(&path).and_then(Value::as_u64).unwrap_or(0);
            let port = if requested == 0 {
                self.next_free_port().ok_or_else(|| {
                    vec![FieldError::internal(
                        format!("spec.ports[{i}].nodePort"),
                        "failed to allocate a nodePort: range is full",
                    )]
                })?
            } else {
                let p = u16::try_from(requested).unwrap_or(0);
                if old_ports.contains(&p) {
                    continue;
                }
                if p < self.port_range.0 || p > self.port_range.1 {
                    return Err(vec![FieldError::invalid(
                        format!("spec.ports[{i}].nodePort"),
                        requested,
                        format!(
                            "provided port is not in the valid range. The range of valid ports is {}-{}",
                            self.port_range.0, self.port_range.1
                        ),
                    )]);
                }
                if self.ports.contains(&p) || taken_ports.contains(&p) {
                    return Err(vec![FieldError::invalid(
                        format!("spec.ports[{i}].nodePort"),
                        requested,
                        "provided port is already allocated",
                    )]);
                }
                p
            };
            self.ports.insert(port);
            taken_ports.push(port);
            if let Some(pm) = svc
                .pointer_mut(&format!("/spec/ports/{i}"))
                .and_then(Value::as_object_mut)
            {
                pm.insert("nodePort".into(), json!(port));
            }
        }
        Ok(())
    }

    fn next_free_ip(&mut self) -> Option<Ipv4Addr> {
        let base = u32::from(self.cidr.network());
        let size = 1u32
            .checked_shl(32 - u32::from(self.cidr.prefix_len()))
            .unwrap_or(0);
        if size < 4 {
            return None;
        }
        for _ in 0..size {
            let off = self.next_ip;
            self.next_ip = if off + 1 >= size - 1 { 2 } else { off + 1 };
            let ip = Ipv4Addr::from(base.wrapping_add(off));
            if !self.ips.contains(&ip) {
                return Some(ip);
            }
        }
        None
    }

    fn next_free_port(&mut self) -> Option<u16> {
        let (lo, hi) = self.port_range;
        for _ in lo..=hi {
            let p = self.next_port;
            self.next_port = if p >= hi { lo } else { p + 1 };
            if !self.ports.contains(&p) {
                return Some(p);
            }
        }
        None
    }
}

fn service_type_of_old_had_ports(old: Option<&Value>) -> bool {
    old.is_some_and(wants_node_ports)
}

fn spec_mut(svc: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !svc.get("spec").is_some_and(Value::is_object)
        && let Some(m) = svc.as_object_mut()
    {
        m.insert("spec".into(), json!({}));
    }
    match svc.get_mut("spec") {
        Some(Value::Object(m)) => m,
        // The service body was checked to be an object before admission runs.
        _ => unreachable!("spec was made an object above"),
    }
}

fn cluster_ips(svc: &Value) -> Vec<Ipv4Addr> {
    let mut out: Vec<Ipv4Addr> = svc
        .pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    if let Some(ip) = svc
        .pointer("/spec/clusterIP")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        && !out.contains(&ip)
    {
        out.push(ip);
    }
    out
}

fn node_ports(svc: &Value) -> Vec<u16> {
    svc.pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| p.get("nodePort")?.as_u64())
                .filter_map(|p| u16::try_from(p).ok())
                .filter(|p| *p != 0)
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alloc() -> ServiceAllocators {
        ServiceAllocators::new("10.96.0.0/12".parse().unwrap(), (30000, 32767))
    }

    #[test]
    fn allocates_reserves_and_releases() {
        let a = alloc();
        assert_eq!(a.first_ip().to_string(), "10.96.0.1");
        let mut s = json!({"spec": {"type": "NodePort", "ports": [{"port": 80}]}});
        a.allocate(&mut s, None).unwrap();
        let ip = s["spec"]["clusterIP"].as_str().unwrap().to_string();
        assert_eq!(s["spec"]["clusterIPs"][0], ip.as_str());
        assert_eq!(s["spec"]["ports"][0]["nodePort"], 30000);
        let mut dup = json!({"spec": {"clusterIP": ip, "ports": [{"port": 80}]}});
        let err = a.allocate(&mut dup, None).unwrap_err();
        assert!(
            err[0]
                .to_string()
                .contains("provided IP is already allocated"),
            "{}",
            err[0]
        );
        let mut dup_port =
            json!({"spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": 30000}]}});
        assert!(a.allocate(&mut dup_port, None).is_err());
        a.release(&s, None);
        let mut again = json!({"spec": {"type": "NodePort", "clusterIP": ip, "ports": [{"port": 80, "nodePort": 30000}]}});
        a.allocate(&mut again, None).unwrap();
        let mut headless = json!({"spec": {"clusterIP": "None"}});
        a.allocate(&mut headless, None).unwrap();
        assert_eq!(headless["spec"]["clusterIPs"][0], "None");
    }
}
