//! Images: references, digests, configs, layers, the local OCI store and the offline catalog.
//!
//! INTERFACE used by the container engine (keep these signatures):
//! - `ImageStore::open(&Engine)`
//! - `ImageStore::find(&self, reference) -> Result<Option<Image>, ImageError>`:
//!   by `name[:tag]`, full or short ID, `sha256:` ID.
//! - `ImageStore::pull(&self, reference, progress) -> Result<Image, ImageError>`: offline catalog.
//! - `Image { id, repo_tags, config, layer_dirs, size, created }`.
//!
//! Files: `reference.rs` (names), `digest.rs` (sha256, chain IDs), `config.rs` (image
//! config, manifest, index JSON), `layer.rs` (tar build and secure extraction),
//! `catalog.rs` (offline recipes and their cache), `store.rs` (the OCI layout under
//! `<root>/images`, tags, pull, tag, remove).

pub mod catalog;
pub mod config;
pub mod digest;
pub mod layer;
pub mod reference;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use store::{ContainerUse, DeleteItem, ImageRecord, ImageStore};

/// The runtime part of an image config (`config` in Docker's image JSON).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `STOPSIGNAL` (nginx: `SIGQUIT`); `docker stop` sends it instead of SIGTERM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
}

/// An image in the local store.
#[derive(Debug, Clone)]
pub struct Image {
    /// `sha256:<64 hex>`: the digest of the config JSON, as Docker computes it.
    pub id: String,
    /// `name:tag` references pointing at it, e.g. `busybox:latest`.
    pub repo_tags: Vec<String>,
    pub config: RunConfig,
    /// Unpacked layer directories, lowest first (overlayfs lowerdir takes them reversed).
    pub layer_dirs: Vec<PathBuf>,
    /// Sum of the uncompressed layer sizes, as `docker images` shows it.
    pub size: u64,
    pub created: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("No such image: {0}")]
    NotFound(String),
    #[error(
        "pull access denied for {0}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied"
    )]
    PullDenied(String),
    #[error("invalid reference format")]
    InvalidReference(String),
    /// An ambiguous short ID; Docker's odd wording (docker-behaviour.md).
    #[error("no such image: {0}: No such image: {0}:latest")]
    AmbiguousPrefix(String),
    /// `rmi` conflicts, already in Docker's words (`conflict: unable to …`).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Layer(#[from] layer::LayerError),
    #[error(transparent)]
    Catalog(#[from] catalog::CatalogError),
    #[error("corrupt image store: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
