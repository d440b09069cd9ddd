//! Image references (`busybox`, `python:3.11.5-alpine`, `localhost:5000/a/b@sha256:…`):
//! parsing, validation and normalisation as Docker's `distribution/reference` does them.
//!
//! `busybox`, `busybox:latest`, `library/busybox` and `docker.io/library/busybox:latest`
//! all name the same image: the domain defaults to `docker.io`, single-component Docker
//! Hub names live under `library/`, and the tag defaults to `latest`. The *familiar* form
//! (`busybox:latest`, `avenga/net-tools:latest`) is what Docker prints in `RepoTags`.

use std::fmt;

/// Docker Hub's canonical domain; `index.docker.io` is normalised to it.
pub const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
/// The tag a reference without tag or digest gets (`Using default tag: latest`).
pub const DEFAULT_TAG: &str = "latest";
/// distribution/reference: `NameTotalLengthMax`.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A parsed, normalised reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `docker.io`, `localhost:5000`, `registry.example.com`.
    pub domain: String,
    /// The repository path below the domain: `library/busybox`, `avenga/net-tools`.
    pub path: String,
    pub tag: Option<String>,
    /// `sha256:<hex>` when the reference is pinned by digest.
    pub digest: Option<String>,
}

/// Why a string is not a reference. Docker reports all of these as
/// `invalid reference format` (with a detail for upper case).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("invalid reference format")]
    Invalid,
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    Uppercase(String),
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexName(String),
}

impl Reference {
    /// Parses and normalises `s` like `reference.ParseNormalizedNamed`. No default tag is
    /// added; see [`Reference::with_default_tag`].
    pub fn parse(s: &str) -> Result<Self, ReferenceError> {
        if s.is_empty() || s.len() > NAME_TOTAL_LENGTH_MAX + 200 {
            return Err(ReferenceError::Invalid);
        }
        if is_full_hex(s) {
            return Err(ReferenceError::HexName(s.to_string()));
        }
        // Split off `@digest`, then `:tag` (a colon after the last slash).
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                if !valid_digest(d) {
                    return Err(ReferenceError::Invalid);
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let i = last_slash + i;
                (&rest[..i], Some(rest[i + 1..].to_string()))
            }
            None => (rest, None),
        };
        if let Some(t) = &tag
            && !valid_tag(t)
        {
            return Err(ReferenceError::Invalid);
        }
        let (domain, path) = split_domain(name);
        if !valid_domain(&domain) {
            return Err(ReferenceError::Invalid);
        }
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            // Docker checks the case before the grammar, naming the normalised path.
            let lower = path.to_ascii_lowercase();
            if valid_path(&lower) {
                return Err(ReferenceError::Uppercase(path));
            }
            return Err(ReferenceError::Invalid);
        }
        if !valid_path(&path) || domain.len() + 1 + path.len() > NAME_TOTAL_LENGTH_MAX {
            return Err(ReferenceError::Invalid);
        }
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// Adds `:latest` when the reference has neither tag nor digest (`TagNameOnly`).
    pub fn with_default_tag(mut self) -> Self {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some(DEFAULT_TAG.to_string());
        }
        self
    }

    /// The familiar repository name: `busybox`, `avenga/net-tools`, `localhost:5000/x`.
    pub fn familiar_name(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix(OFFICIAL_PREFIX)
                .filter(|p| !p.contains('/'))
                .unwrap_or(&self.path)
                .to_string()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// The full repository name: `docker.io/library/busybox`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The tag, or `latest`.
    pub fn tag_or_default(&self) -> &str {
        self.tag.as_deref().unwrap_or(DEFAULT_TAG)
    }

    /// Familiar `name:tag` (default tag applied), the key of the local tag index and what
    /// `RepoTags` shows: `busybox:latest`.
    pub fn familiar_tagged(&self) -> String {
        format!("{}:{}", self.familiar_name(), self.tag_or_default())
    }

    /// Full `domain/path:tag`: the last line of `docker pull`.
    pub fn full_tagged(&self) -> String {
        format!("{}:{}", self.full_name(), self.tag_or_default())
    }

    /// The path as `Pulling from` shows it: `library/busybox`, `avenga/net-tools`.
    pub fn remote_path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for Reference {
    /// The familiar string form, tag and digest as given.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.familiar_name())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `splitDockerDomain`: the first component is a domain when it contains `.` or `:` or is
/// `localhost` (or has upper case, which a repository path never has).
fn split_domain(name: &str) -> (String, String) {
    let (domain, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    let domain = if domain == LEGACY_DOMAIN {
        DEFAULT_DOMAIN.to_string()
    } else {
        domain
    };
    let path = if domain == DEFAULT_DOMAIN && !path.contains('/') {
        format!("{OFFICIAL_PREFIX}{path}")
    } else {
        path
    };
    (domain, path)
}

/// `path-component := [a-z0-9]+ (separator [a-z0-9]+)*` with `separator := [_.] | __ | [-]+`.
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() {
        return false;
    }
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    // Must start and end with alphanumerics; separators in between.
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "."
            || sep == "_"
            || sep == "__"
            || (!sep.is_empty() && sep.bytes().all(|x| x == b'-'));
        if !ok {
            return false;
        }
    }
    true
}

fn valid_path(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(valid_component)
}

/// `domain := host (':' port)?`, hosts being dot-separated labels of alphanumerics and `-`.
fn valid_domain(domain: &str) -> bool {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (domain, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `tag := [\w][\w.-]{0,127}`.
pub fn valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b[1..].iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

/// `digest := algorithm ':' hex{32,}`; only sha256 (64 hex) is accepted for use.
fn valid_digest(d: &str) -> bool {
    match d.split_once(':') {
        Some(("sha256", hex)) => {
            hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        }
        _ => false,
    }
}

fn is_full_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn short_names_normalise_to_docker_hub_library() {
        for s in [
            "busybox",
            "busybox:latest",
            "library/busybox",
            "docker.io/library/busybox:latest",
            "index.docker.io/library/busybox",
        ] {
            let r = p(s).with_default_tag();
            assert_eq!(r.full_tagged(), "docker.io/library/busybox:latest", "{s}");
            assert_eq!(r.familiar_tagged(), "busybox:latest", "{s}");
            assert_eq!(r.remote_path(), "library/busybox");
        }
    }

    #[test]
    fn user_repositories_keep_their_namespace() {
        let r = p("avenga/net-tools");
        assert_eq!(r.familiar_name(), "avenga/net-tools");
        assert_eq!(r.remote_path(), "avenga/net-tools");
        assert_eq!(r.full_name(), "docker.io/avenga/net-tools");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn registries_with_ports_are_domains_not_tags() {
        let r = p("localhost:5000/anc/img:v1");
        assert_eq!(r.domain, "localhost:5000");
        assert_eq!(r.path, "anc/img");
        assert_eq!(r.tag.as_deref(), Some("v1"));
        assert_eq!(r.familiar_tagged(), "localhost:5000/anc/img:v1");
        let r = p("127.0.0.1:5123/anc/img");
        assert_eq!(r.domain, "127.0.0.1:5123");
        assert_eq!(r.tag, None);
    }

    #[test]
    fn tags_and_digests() {
        let r = p("python:3.11.5-alpine");
        assert_eq!(r.tag.as_deref(), Some("3.11.5-alpine"));
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("busybox@{d}"));
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.clone().with_default_tag().tag, None);
    }

    #[test]
    fn invalid_references_are_rejected() {
        for s in [
            "",
            ":latest",
            "busybox:",
            "bu--sy:x:y",
            "a//b",
            "-busybox",
            "busybox-",
            "busybox:-x",
            "busybox@sha256:abc",
            "a b",
            "busy..box",
            "busybox:tag/x",
        ] {
            assert!(Reference::parse(s).is_err(), "{s:?} should be invalid");
        }
        assert_eq!(
            Reference::parse("Busybox").unwrap_err().to_string(),
            "invalid reference format: repository name (library/Busybox) must be lowercase"
        );
        assert!(matches!(
            Reference::parse(&"ab".repeat(32)),
            Err(ReferenceError::HexName(_))
        ));
    }

    #[test]
    fn separators_follow_the_grammar() {
        assert!(Reference::parse("x/a_b__c-d---e.f").is_ok());
        assert!(Reference::parse("a___b").is_err());
        assert!(Reference::parse("a.-b").is_err());
    }
}
