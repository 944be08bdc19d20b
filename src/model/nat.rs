//! NAT gateways: what the model reads of them beyond their subnet.
//!
//! A NAT gateway, public or private, gives the traffic it forwards towards
//! other networks its own private address as the source; the replies are
//! addressed to it. That address lies in the gateway's subnet: the one
//! `private_ip` names, or, when the configuration leaves it out, one AWS
//! picks at apply time.

use crate::ingest::Json;

use crate::ingest::RawResource;

/// The `private_ip` of a NAT gateway, as an IPv4 address; `None` when it is
/// not set, not known until apply, or not an IPv4 address.
pub fn private_ip(r: &RawResource) -> Option<u128> {
    match r.values.get("private_ip") {
        Some(Json::String(s)) => s
            .parse::<std::net::Ipv4Addr>()
            .ok()
            .map(|a| u32::from(a) as u128),
        _ => None,
    }
}
