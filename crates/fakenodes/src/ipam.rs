//! Pod IPs: each node hands out addresses from its own /24 (`.2` to `.254`), remembering
//! which pod holds which, so that IPs are unique while pods live. Addresses are never
//! routed anywhere; they only make `kubectl get pods -o wide` and Endpoints look real.

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use crate::node::pod_subnet;

const FIRST_HOST: u8 = 2;
const LAST_HOST: u8 = 254;

#[derive(Debug, Default)]
struct Subnet {
    used: BTreeSet<u8>,
    next: u8,
}

/// Pod IP allocation for all fake nodes. Keys are pod uids.
#[derive(Debug, Default)]
pub(crate) struct Ipam {
    subnets: HashMap<u32, Subnet>,
    holders: HashMap<String, (u32, u8)>,
}

impl Ipam {
    /// The IP of pod `uid` on node `index`: the one it holds, or a free one (when the
    /// subnet is full, addresses repeat: fake pods never talk).
    pub fn assign(&mut self, uid: &str, index: u32) -> Ipv4Addr {
        if let Some((i, host)) = self.holders.get(uid)
            && *i == index
        {
            return host_ip(index, *host);
        }
        self.release(uid);
        let subnet = self.subnets.entry(index).or_default();
        let span = u16::from(LAST_HOST - FIRST_HOST) + 1;
        let start = u16::from(subnet.next.max(FIRST_HOST) - FIRST_HOST);
        let free = (0..span)
            .map(|k| FIRST_HOST + ((start + k) % span) as u8)
            .find(|host| !subnet.used.contains(host));
        let host = free.unwrap_or(FIRST_HOST + (start % span) as u8);
        subnet.used.insert(host);
        subnet.next = if host >= LAST_HOST {
            FIRST_HOST
        } else {
            host + 1
        };
        self.holders.insert(uid.to_string(), (index, host));
        host_ip(index, host)
    }

    /// Records an IP a pod already has (after a restart of the fake nodes).
    pub fn adopt(&mut self, uid: &str, index: u32, ip: Ipv4Addr) {
        let subnet_base = pod_subnet(index).octets();
        let o = ip.octets();
        if o[..3] != subnet_base[..3] || !(FIRST_HOST..=LAST_HOST).contains(&o[3]) {
            return;
        }
        self.release(uid);
        self.subnets.entry(index).or_default().used.insert(o[3]);
        self.holders.insert(uid.to_string(), (index, o[3]));
    }

    /// The pods holding an IP.
    pub fn uids(&self) -> impl Iterator<Item = &String> {
        self.holders.keys()
    }

    /// Frees the IP of a pod that ended or is gone.
    pub fn release(&mut self, uid: &str) {
        if let Some((index, host)) = self.holders.remove(uid)
            && let Some(s) = self.subnets.get_mut(&index)
        {
            s.used.remove(&host);
        }
    }
}

fn host_ip(index: u32, host: u8) -> Ipv4Addr {
    let o = pod_subnet(index).octets();
    Ipv4Addr::new(o[0], o[1], o[2], host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_until_released() {
        let mut ipam = Ipam::default();
        let a = ipam.assign("a", 1);
        let b = ipam.assign("b", 1);
        assert_eq!(a, Ipv4Addr::new(10, 244, 1, 2));
        assert_eq!(b, Ipv4Addr::new(10, 244, 1, 3));
        assert_eq!(ipam.assign("a", 1), a, "stable for the same pod");
        ipam.release("a");
        let c = ipam.assign("c", 1);
        assert_eq!(
            c,
            Ipv4Addr::new(10, 244, 1, 4),
            "next free after the last one"
        );
        ipam.adopt("d", 2, Ipv4Addr::new(10, 244, 2, 2));
        assert_eq!(ipam.assign("e", 2), Ipv4Addr::new(10, 244, 2, 3));
    }

    #[test]
    fn full_subnet_wraps_without_panicking() {
        let mut ipam = Ipam::default();
        let mut all = BTreeSet::new();
        for i in 0..253 {
            all.insert(ipam.assign(&format!("p{i}"), 0));
        }
        assert_eq!(all.len(), 253);
        let extra = ipam.assign("overflow", 0);
        assert_eq!(extra.octets()[..3], [10, 244, 0]);
    }
}
