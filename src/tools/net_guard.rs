//! Where `web_fetch` may connect: every hop's host is resolved here, every resolved address is
//! checked, and the request is then pinned to the checked addresses (no second lookup a DNS
//! rebinding could answer differently). Private, loopback, link-local, unique-local, CGNAT,
//! multicast, unspecified, reserved and cloud-metadata addresses are refused in every spelling
//! (the URL parser has already turned `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1` into
//! 127.0.0.1; IPv4-mapped, -compatible, NAT64 and 6to4 IPv6 addresses are checked as the IPv4
//! address inside), unless a rule names the host explicitly.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// What the rules say about the hops of one fetch.
pub trait HopPolicy: Send + Sync {
    /// May a redirect to `url` be followed? `Err` says why not (the model can fetch the URL
    /// itself, which goes through the gate).
    fn may_follow(&self, url: &str) -> Result<(), String>;
    /// Does an allow rule name this URL's host explicitly (no wildcard)? Then private
    /// addresses are allowed for it.
    fn names_host(&self, url: &str) -> bool;
}

/// No rules: every redirect is followed (after the address check); no host is named.
pub struct NoRules;

impl HopPolicy for NoRules {
    fn may_follow(&self, _url: &str) -> Result<(), String> {
        Ok(())
    }
    fn names_host(&self, _url: &str) -> bool {
        false
    }
}

/// A fixed list of explicitly allowed hosts (tests, embedders).
pub struct AllowHosts(pub Vec<String>);

impl HopPolicy for AllowHosts {
    fn may_follow(&self, _url: &str) -> Result<(), String> {
        Ok(())
    }
    fn names_host(&self, url: &str) -> bool {
        Url::parse(url)
            .ok()
            .and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
            })
            .is_some_and(|h| self.0.iter().any(|a| a.eq_ignore_ascii_case(&h)))
    }
}

/// The addresses a request to `url` may connect to, all checked; `Err` explains a refusal.
pub async fn checked_addrs(url: &Url, policy: &dyn HopPolicy) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(80);
    let explicit = policy.names_host(url.as_str());
    // The URL parser serialises IP hosts canonically: `127.0.0.1`, `[::ffff:7f00:1]`.
    let Some(host) = url.host_str() else {
        return Err(format!("{url} has no host."));
    };
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>()
        .ok();
    let addrs: Vec<SocketAddr> = match literal {
        Some(ip) => vec![SocketAddr::new(ip, port)],
        None => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            if !explicit && (name == "localhost" || name.ends_with(".localhost")) {
                return Err(refusal(url, &name, "a loopback name"));
            }
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
                .await
                .map_err(|e| format!("Could not resolve {name}: {e}. Check the URL."))?
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{name} did not resolve to any address. Check the URL."
                ));
            }
            found
        }
    };
    if !explicit {
        for a in &addrs {
            if let Some(kind) = forbidden(a.ip()) {
                return Err(refusal(url, &a.ip().to_string(), kind));
            }
        }
    }
    Ok(addrs)
}

fn refusal(url: &Url, what: &str, kind: &str) -> String {
    format!(
        "web_fetch refused {url}: {what} is {kind}. Private, loopback, link-local and cloud \
         metadata addresses are never fetched unless an allow rule names the host explicitly \
         (e.g. `web_fetch: domain:HOST`)."
    )
}

/// Why `ip` must not be connected to, or `None` for a public address.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        (0, _, _) => "an unspecified (0.0.0.0/8) address",
        (127, _, _) => "a loopback address",
        (10, _, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (192, 168, _) => "a private address",
        (169, 254, _) => "a link-local (cloud metadata) address",
        (100, 64..=127, _) => "a carrier-grade NAT address",
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a reserved address",
        (198, 18..=19, _) => "a reserved (benchmarking) address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    };
    Some(kind)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("the unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // IPv4 inside IPv6: mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d.
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if s[0..6] == [0, 0, 0, 0, 0, 0xffff] {
        return forbidden_v4(embedded(s[6], s[7]));
    }
    if s[0..6] == [0, 0, 0, 0, 0, 0] {
        return Some("an IPv4-compatible (deprecated) address");
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return forbidden_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return forbidden_v4(embedded(s[1], s[2]));
    }
    match s[0] {
        x if x & 0xfe00 == 0xfc00 => Some("a unique-local (private) address"),
        x if x & 0xffc0 == 0xfe80 => Some("a link-local address"),
        x if x & 0xffc0 == 0xfec0 => Some("a site-local address"),
        x if x & 0xff00 == 0xff00 => Some("a multicast address"),
        0x2001 if s[1] == 0x0db8 => Some("a documentation address"),
        0x0100 if s[1..4] == [0, 0, 0] => Some("a discard address"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_classes() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
        ] {
            let ip: IpAddr = bad.parse().unwrap();
            assert!(forbidden(ip).is_some(), "{bad}");
        }
        for good in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "172.32.0.1",
            "::ffff:8.8.8.8",
        ] {
            let ip: IpAddr = good.parse().unwrap();
            assert_eq!(forbidden(ip), None, "{good}");
        }
    }
}
