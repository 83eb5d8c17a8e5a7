use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of network an address belongs to, as far as calling a customer's
/// Authentication URL is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    Public,
    Loopback,
    /// RFC 1918, carrier-grade NAT, IPv6 unique-local and similar site-local ranges.
    Private,
    LinkLocal,
    /// Cloud instance-metadata endpoints: never called, whatever the operator allows,
    /// because they hand out credentials.
    Metadata,
    /// Unspecified, broadcast, multicast, documentation and reserved ranges: not a server.
    Unroutable,
}

impl AddressClass {
    /// Whether the address may be called under the operator's switch
    /// `--allow-private-upstreams`.
    pub fn is_allowed(self, allow_private: bool) -> bool {
        match self {
            Self::Public => true,
            Self::Loopback | Self::Private | Self::LinkLocal => allow_private,
            Self::Metadata | Self::Unroutable => false,
        }
    }

    /// How much the class keeps out, for the strictest of several readings of an address.
    fn strictness(self) -> u8 {
        match self {
            Self::Public => 0,
            Self::Loopback | Self::Private | Self::LinkLocal => 1,
            Self::Unroutable => 2,
            Self::Metadata => 3,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Public => "a public address",
            Self::Loopback => "a loopback address",
            Self::Private => "a private-network address",
            Self::LinkLocal => "a link-local address",
            Self::Metadata => "a cloud metadata address",
            Self::Unroutable => "an unroutable or reserved address",
        }
    }
}

/// Classifies an address. IPv4-mapped, IPv4-translated and IPv4-compatible IPv6 addresses
/// are judged as the IPv4 address they carry, so `[::ffff:127.0.0.1]` is loopback.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped().or_else(|| ipv4_translated(v6)) {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

/// The IPv4 address in an IPv4-translated address (`::ffff:0:a.b.c.d`, RFC 2765's SIIT),
/// which a translator delivers to that IPv4 address as a mapped one would be.
fn ipv4_translated(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    match ip.segments() {
        [0, 0, 0, 0, 0xffff, 0, high, low] => Some(v4_in(high, low)),
        _ => None,
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, c, _] = ip.octets();
    // AWS, GCP and Azure IMDS; ECS task credentials; the EKS Pod Identity agent, which
    // hands out a pod's role credentials; Alibaba; Azure's WireServer, which every Azure VM
    // reaches and which serves its configuration.
    if ip == Ipv4Addr::new(169, 254, 169, 254)
        || ip == Ipv4Addr::new(169, 254, 170, 2)
        || ip == Ipv4Addr::new(169, 254, 170, 23)
        || ip == Ipv4Addr::new(100, 100, 100, 200)
        || ip == Ipv4Addr::new(168, 63, 129, 16)
    {
        return AddressClass::Metadata;
    }
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_link_local() {
        AddressClass::LinkLocal
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) || (a == 198 && (b == 18 || b == 19)) {
        AddressClass::Private
    } else if ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
    {
        AddressClass::Unroutable
    } else {
        AddressClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    let seg = ip.segments();
    // AWS's IMDS and EKS Pod Identity agent over IPv6.
    if seg == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] || seg == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0023] {
        return AddressClass::Metadata;
    }
    if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() || (seg[0] == 0x2001 && seg[1] == 0x0db8) {
        AddressClass::Unroutable
    } else if (seg[0] & 0xffc0) == 0xfe80 {
        AddressClass::LinkLocal
    } else if (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfec0 {
        AddressClass::Private
    } else if seg[0] == 0 && seg[1..6].iter().all(|s| *s == 0) {
        // IPv4-compatible (::a.b.c.d), deprecated but still routed by some stacks.
        classify_v4(v4_in(seg[6], seg[7]))
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6].iter().all(|s| *s == 0) {
        // NAT64's well-known prefix: a gateway translates to the IPv4 address in the last
        // 32 bits, so that one is judged.
        classify_v4(v4_in(seg[6], seg[7]))
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1 {
        local_use_nat64(ip.octets())
    } else if seg[0] == 0x2002 {
        // 6to4 (2002:a.b.c.d::/48): a relay forwards to the IPv4 address it carries.
        classify_v4(v4_in(seg[1], seg[2]))
    } else if seg[0] == 0x2001 && seg[1] == 0 {
        // Teredo tunnels to an IPv4 host named in the address; long retired (RFC 7526's
        // era), no Authentication URL is served from one.
        AddressClass::Unroutable
    } else {
        AddressClass::Public
    }
}

/// The local-use NAT64 prefix 64:ff9b:1::/48 may be deployed at any RFC 6052 length from
/// 48 to 96 bits, and each puts the IPv4 address elsewhere (never in bits 64–71). The
/// gateway's length is not known here, so every reading is judged and the strictest holds;
/// a reading in 0.0.0.0/8 is a placement not in use (its bytes are the padding of another).
fn local_use_nat64(b: [u8; 16]) -> AddressClass {
    let readings = [
        [b[6], b[7], b[9], b[10]],
        [b[7], b[9], b[10], b[11]],
        [b[9], b[10], b[11], b[12]],
        [b[12], b[13], b[14], b[15]],
    ];
    readings
        .into_iter()
        .filter(|r| r[0] != 0)
        .map(|r| classify_v4(Ipv4Addr::from(r)))
        .max_by_key(|class| class.strictness())
        .unwrap_or(AddressClass::Unroutable)
}

/// The IPv4 address that two 16-bit segments of an IPv6 address carry.
fn v4_in(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn ranges_are_classified() {
        for (addr, expected) in [
            ("8.8.8.8", AddressClass::Public),
            ("2606:4700:4700::1111", AddressClass::Public),
            ("127.0.0.1", AddressClass::Loopback),
            ("127.255.0.9", AddressClass::Loopback),
            ("::1", AddressClass::Loopback),
            ("::ffff:127.0.0.1", AddressClass::Loopback),
            ("10.1.2.3", AddressClass::Private),
            ("172.16.0.1", AddressClass::Private),
            ("172.31.255.255", AddressClass::Private),
            ("172.32.0.1", AddressClass::Public),
            ("192.168.1.1", AddressClass::Private),
            ("100.64.0.1", AddressClass::Private),
            ("fd12:3456::1", AddressClass::Private),
            ("::ffff:10.0.0.1", AddressClass::Private),
            ("169.254.1.1", AddressClass::LinkLocal),
            ("fe80::1", AddressClass::LinkLocal),
            ("169.254.169.254", AddressClass::Metadata),
            ("::ffff:169.254.169.254", AddressClass::Metadata),
            ("fd00:ec2::254", AddressClass::Metadata),
            ("100.100.100.200", AddressClass::Metadata),
            ("169.254.170.2", AddressClass::Metadata),
            ("169.254.170.23", AddressClass::Metadata),
            ("fd00:ec2::23", AddressClass::Metadata),
            ("::ffff:169.254.170.23", AddressClass::Metadata),
            ("169.254.170.3", AddressClass::LinkLocal),
            ("fd00:ec2::24", AddressClass::Private),
            // IPv4-translated (::ffff:0:0:0/96): the IPv4 address it carries.
            ("::ffff:0:127.0.0.1", AddressClass::Loopback),
            ("::ffff:0:10.0.0.1", AddressClass::Private),
            ("::ffff:0:169.254.169.254", AddressClass::Metadata),
            ("::ffff:0:169.254.170.23", AddressClass::Metadata),
            ("::ffff:0:0.0.0.0", AddressClass::Unroutable),
            ("::ffff:0:8.8.8.8", AddressClass::Public),
            ("0.0.0.0", AddressClass::Unroutable),
            ("::", AddressClass::Unroutable),
            ("255.255.255.255", AddressClass::Unroutable),
            ("224.0.0.1", AddressClass::Unroutable),
            ("192.0.2.10", AddressClass::Unroutable),
            ("::127.0.0.1", AddressClass::Loopback),
            ("64:ff9b::10.0.0.1", AddressClass::Private),
            ("64:ff9b::8.8.8.8", AddressClass::Public),
            ("64:ff9b:1::7f00:1", AddressClass::Loopback),
            ("64:ff9b:1::a9fe:a9fe", AddressClass::Metadata),
            ("64:ff9b:1::8.8.8.8", AddressClass::Public),
            // Read at /96 it is 1.1.1.1; a gateway on a /64 translates it to 10.0.0.1.
            ("64:ff9b:1:0:a:0:101:101", AddressClass::Private),
            // At /48, 169.254.169.254, wherever the rest points.
            ("64:ff9b:1:a9fe:a9:fe00:808:808", AddressClass::Metadata),
            ("168.63.129.16", AddressClass::Metadata),
            ("::ffff:168.63.129.16", AddressClass::Metadata),
            ("2002:7f00:1::", AddressClass::Loopback),
            ("2002:a9fe:a9fe::1", AddressClass::Metadata),
            ("2002:c0a8:101::1", AddressClass::Private),
            ("2002:808:808::1", AddressClass::Public),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass::Unroutable),
            ("2001:4860:4860::8888", AddressClass::Public),
        ] {
            assert_eq!(class(addr), expected, "{addr}");
        }
    }

    #[test]
    fn the_operator_switch_opens_private_ranges_but_never_metadata() {
        assert!(!AddressClass::Loopback.is_allowed(false));
        assert!(AddressClass::Loopback.is_allowed(true));
        assert!(AddressClass::Private.is_allowed(true));
        assert!(!AddressClass::Metadata.is_allowed(true));
        assert!(!AddressClass::Unroutable.is_allowed(true));
        assert!(AddressClass::Public.is_allowed(false));
    }
}
