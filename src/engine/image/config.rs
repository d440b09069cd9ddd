//! The image JSON documents: Docker's image config (whose sha256 is the image ID), the OCI
//! manifest, descriptors and the image index (`index.json`).
//!
//! Field names and order follow what Docker and the OCI image spec write, so a config
//! serialised here hashes the same way every time: serde writes struct fields in
//! declaration order and `BTreeMap`s sorted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RunConfig;

pub const MEDIA_TYPE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const MEDIA_TYPE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// Layers are stored uncompressed: the blob digest is then the diff ID, and `save` can
/// hand the blob to `docker load` as `layer.tar` unchanged.
pub const MEDIA_TYPE_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const MEDIA_TYPE_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// containerd's and Docker 25's annotation for the full image name in `index.json`.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
/// image-spec: "the name of a reference for the image", the tag part.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Docker's image config (image-spec `config.md`, plus Docker's capitalised `config` keys).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageConfig {
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub author: String,
    #[serde(default)]
    pub config: RunConfig,
    /// RFC 3339 with nanoseconds, as Go's `time.Time` marshals it.
    pub created: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    pub os: String,
    pub rootfs: RootFs,
}

/// One `history` entry: what instruction made which layer (or none, `empty_layer`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct History {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".into(),
            diff_ids: Vec::new(),
        }
    }
}

/// A content descriptor (image-spec `descriptor.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest (image-spec `manifest.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// `index.json` of an image layout (image-spec `image-index.md`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    pub schema_version: u32,
    #[serde(default)]
    pub media_type: String,
    pub manifests: Vec<Descriptor>,
}

impl Default for Index {
    fn default() -> Self {
        Index {
            schema_version: 2,
            media_type: MEDIA_TYPE_INDEX.into(),
            manifests: Vec::new(),
        }
    }
}

/// Go's RFC 3339 with nanoseconds (`time.RFC3339Nano` drops trailing zeros; we keep the
/// seconds form when there are none, as Go does).
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses a config `created` time; the Unix epoch when absent or malformed.
pub fn parse_time(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::image::digest::sha256_digest;

    #[test]
    fn config_serialises_to_the_bytes_docker_hashes() {
        let config = ImageConfig {
            architecture: "amd64".into(),
            config: RunConfig {
                env: vec![
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
                ],
                cmd: Some(vec!["sh".into()]),
                ..Default::default()
            },
            created: "2023-07-18T23:19:33Z".into(),
            os: "linux".into(),
            ..Default::default()
        };
        let json = serde_json::to_vec(&config).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&json),
            r#"{"architecture":"amd64","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"created":"2023-07-18T23:19:33Z","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
        );
        // The image ID: sha256 of exactly these bytes (same value as digest.rs's test).
        assert_eq!(
            sha256_digest(&json),
            "sha256:325e9f24420f04c916ccb248f47332d3f63a5f7756d1d76909badc4b3f92439c"
        );
        let back: ImageConfig = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn times_round_trip_in_go_format() {
        let t = parse_time("2023-07-18T23:19:33.655005962Z");
        assert_eq!(format_time(t), "2023-07-18T23:19:33.655005962Z");
        assert_eq!(
            format_time(parse_time("2021-09-23T16:50:21Z")),
            "2021-09-23T16:50:21Z"
        );
    }
}
