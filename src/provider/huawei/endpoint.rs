//! Huawei Cloud endpoints from a region (PROVIDERS.md §2.1), and base-URL parsing.

/// A Huawei service the exporter calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Cloud Backup and Recovery.
    Cbr,
    /// Volume Backup Service (legacy).
    Vbs,
    /// Cloud Container Engine.
    Cce,
    /// Distributed Message Service (Kafka, RabbitMQ, RocketMQ).
    Dms,
    /// Identity and Access Management (tokens).
    Iam,
}

impl Service {
    /// The host prefix of the service.
    pub const fn prefix(self) -> &'static str {
        match self {
            Service::Cbr => "cbr",
            Service::Vbs => "vbs",
            Service::Cce => "cce",
            Service::Dms => "dms",
            Service::Iam => "iam",
        }
    }
}

/// `https://{svc}.{region}.myhuaweicloud.com`, except CCE and DMS in `eu-west-101`, which
/// live under `.myhuaweicloud.eu` (CBR there stays `.com`).
pub fn default_endpoint(service: Service, region: &str) -> String {
    let tld = match (service, region) {
        (Service::Cce | Service::Dms, "eu-west-101") => "eu",
        _ => "com",
    };
    format!("https://{}.{region}.myhuaweicloud.{tld}", service.prefix())
}

/// A base URL split into what the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    /// `scheme://host[:port]`.
    pub origin: String,
    /// `host[:port]` as written: the signed `Host` header.
    pub host: String,
    /// A path prefix (empty, or starting with `/` and without a trailing `/`).
    pub prefix: String,
}

/// Parses `scheme://host[:port][/prefix]`.
pub fn parse_base(url: &str) -> Result<Base, String> {
    let url = url.trim().trim_end_matches('/');
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("endpoint {url:?} is not scheme://host[:port]"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!("endpoint {url:?}: scheme must be http or https"));
    }
    let (host, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if host.is_empty() {
        return Err(format!("endpoint {url:?} has no host"));
    }
    Ok(Base {
        origin: format!("{scheme}://{host}"),
        host: host.to_string(),
        prefix: prefix.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eu_west_101_exceptions() {
        assert_eq!(
            default_endpoint(Service::Cce, "eu-west-101"),
            "https://cce.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(
            default_endpoint(Service::Dms, "eu-west-101"),
            "https://dms.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(
            default_endpoint(Service::Cbr, "eu-west-101"),
            "https://cbr.eu-west-101.myhuaweicloud.com"
        );
        assert_eq!(
            default_endpoint(Service::Vbs, "ap-southeast-1"),
            "https://vbs.ap-southeast-1.myhuaweicloud.com"
        );
        assert_eq!(
            default_endpoint(Service::Iam, "cn-north-4"),
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
    }

    #[test]
    fn base_parts() {
        let b = parse_base("http://127.0.0.1:8080/").unwrap();
        assert_eq!(b.origin, "http://127.0.0.1:8080");
        assert_eq!(b.host, "127.0.0.1:8080");
        assert_eq!(b.prefix, "");
        let b = parse_base("https://x.example/api").unwrap();
        assert_eq!(b.prefix, "/api");
        assert!(parse_base("x.example").is_err());
        assert!(parse_base("ftp://x").is_err());
    }
}
