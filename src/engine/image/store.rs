//! The local image store: an OCI image layout under `<root>/images` (`oci-layout`,
//! `index.json`, `blobs/sha256/…`) plus `repositories.json`, the name index
//! (`busybox:latest` → manifest digest), and the unpacked layers under
//! `<root>/layers/<diff-id hex>/` that overlayfs stacks. Lookup, pull, tag and remove.
//!
//! Callers hold the engine lock (`Engine::lock`) around the mutating calls (`pull`, `tag`,
//! `remove`); the store never takes it itself, so the container engine can pull while it
//! already holds the lock for `run`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::catalog::{Built, Catalog};
use super::config::{ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, ImageConfig, Index, Manifest};
use super::digest::{HashingReader, chain_ids, hex_part, is_hex64, short_id};
use super::layer;
use super::reference::Reference;
use super::{Image, ImageError};
use crate::engine::Engine;
use crate::engine::store::{read_json, write_atomic, write_json};

/// The name index: which tags and digests point at which manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Repositories {
    /// Familiar `name:tag` → manifest digest.
    #[serde(default)]
    tags: BTreeMap<String, String>,
    /// Familiar `name@sha256:…` → manifest digest (`RepoDigests`, set by pull).
    #[serde(default)]
    digests: BTreeMap<String, String>,
}

/// Per-layer facts kept beside the unpacked directory (`layers/<hex>.json`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct LayerMeta {
    /// Sum of regular file sizes: the size Docker reports for the layer.
    size: u64,
}

/// Everything the CLI shows about one image.
#[derive(Debug, Clone)]
pub struct ImageRecord {
    pub image: Image,
    pub manifest_digest: String,
    /// Familiar `name@sha256:…`.
    pub repo_digests: Vec<String>,
    pub config: ImageConfig,
    /// Size of each layer, lowest first, matching `config.rootfs.diff_ids`.
    pub layer_sizes: Vec<u64>,
}

/// One line of `rmi` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteItem {
    /// `Untagged: busybox:latest`
    Untagged(String),
    /// `Deleted: sha256:…` (the image ID, then each removed layer's chain ID)
    Deleted(String),
}

/// A container that uses an image, as `rmi` needs to know it.
#[derive(Debug, Clone)]
pub struct ContainerUse {
    pub id: String,
    /// `sha256:…` image ID.
    pub image: String,
    /// running, paused or restarting: its image cannot be deleted even with `-f`.
    pub running: bool,
    /// Every 64-hex string in the container's config.json: the container engine records
    /// its overlay lower directories (`GraphDriver.Data.LowerDir`) there, so layers it
    /// mounts are kept even after `rmi -f` deleted their image, as Docker keeps them.
    pub mentions: BTreeSet<String>,
}

impl ContainerUse {
    /// Reads `<containers_dir>/<id>/config.json` (`Id`, `Image`) and `state.json`
    /// (`Status`) of every container. Unreadable entries are skipped.
    pub fn scan(containers_dir: &Path) -> Vec<ContainerUse> {
        let mut out = Vec::new();
        let Ok(dir) = fs::read_dir(containers_dir) else {
            return out;
        };
        for e in dir.flatten() {
            let Ok(raw) = fs::read_to_string(e.path().join("config.json")) else {
                continue;
            };
            let Ok(cfg) = serde_json::from_str::<serde_json::Value>(&raw) else {
                continue;
            };
            let mentions = hex64_words(&raw);
            let state = read_json::<serde_json::Value>(&e.path().join("state.json")).ok();
            let status = state
                .as_ref()
                .and_then(|s| s.get("Status"))
                .and_then(|s| s.as_str())
                .unwrap_or("");
            let id = cfg
                .get("Id")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| e.file_name().to_string_lossy().into_owned());
            if let Some(image) = cfg.get("Image").and_then(|v| v.as_str()) {
                out.push(ContainerUse {
                    id,
                    image: image.to_string(),
                    running: matches!(status, "running" | "paused" | "restarting"),
                    mentions,
                });
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

/// Outcome of [`ImageStore::pull_with`]: the image and whether anything new was stored.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub image: Image,
    pub up_to_date: bool,
}

/// The local image store of one engine root.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use docklab::engine::{Engine, image::ImageStore};
/// let engine = Engine::open("/var/lib/docklab")?;
/// let store = ImageStore::open(&engine)?;
/// let _lock = engine.lock()?; // callers serialise mutations
/// let image = match store.find("busybox")? {
///     Some(image) => image,
///     None => store.pull("busybox", &mut std::io::stderr())?,
/// };
/// println!("{} has {} layers", image.id, image.layer_dirs.len());
/// # Ok(()) }
/// ```
pub struct ImageStore {
    engine: Engine,
    dir: PathBuf,
}

impl ImageStore {
    /// Opens the store, creating an empty OCI layout on first use.
    pub fn open(engine: &Engine) -> Result<Self, ImageError> {
        let dir = engine.images_dir();
        fs::create_dir_all(dir.join("blobs/sha256"))?;
        fs::create_dir_all(engine.layers_dir())?;
        let layout = dir.join("oci-layout");
        if !layout.exists() {
            write_atomic(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        }
        if !dir.join("index.json").exists() {
            write_json(&dir.join("index.json"), &Index::default())?;
        }
        Ok(ImageStore {
            engine: engine.clone(),
            dir,
        })
    }

    fn blob_path(&self, digest: &str) -> PathBuf {
        self.dir.join("blobs/sha256").join(hex_part(digest))
    }

    fn layer_dir(&self, diff_id: &str) -> PathBuf {
        self.engine.layers_dir().join(hex_part(diff_id))
    }

    fn load_repos(&self) -> Result<Repositories, ImageError> {
        let p = self.dir.join("repositories.json");
        match read_json(&p) {
            Ok(r) => Ok(r),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Repositories::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Manifest digests of every image in the store (from `index.json`), in order.
    fn manifests(&self) -> Result<Vec<String>, ImageError> {
        let index: Index = read_json(&self.dir.join("index.json"))?;
        let mut seen = BTreeSet::new();
        Ok(index
            .manifests
            .into_iter()
            .map(|d| d.digest)
            .filter(|d| seen.insert(d.clone()))
            .collect())
    }

    /// Rewrites `index.json` (one entry per tag, one bare entry for an untagged image,
    /// annotated as containerd and Docker 25 do) and `repositories.json`.
    fn save(&self, manifests: &[String], repos: &Repositories) -> Result<(), ImageError> {
        let mut index = Index::default();
        for m in manifests {
            let size = fs::metadata(self.blob_path(m))?.len();
            let desc = |annotations| super::config::Descriptor {
                media_type: super::config::MEDIA_TYPE_MANIFEST.into(),
                digest: m.clone(),
                size,
                annotations,
            };
            let tags: Vec<&String> = repos
                .tags
                .iter()
                .filter(|(_, d)| *d == m)
                .map(|(t, _)| t)
                .collect();
            if tags.is_empty() {
                index.manifests.push(desc(BTreeMap::new()));
            }
            for t in tags {
                let r = Reference::parse(t).map_err(|_| ImageError::Corrupt(t.clone()))?;
                let mut a = BTreeMap::new();
                a.insert(ANNOTATION_IMAGE_NAME.to_string(), r.full_tagged());
                a.insert(
                    ANNOTATION_REF_NAME.to_string(),
                    r.tag_or_default().to_string(),
                );
                index.manifests.push(desc(a));
            }
        }
        write_json(&self.dir.join("repositories.json"), repos)?;
        write_json(&self.dir.join("index.json"), &index)?;
        Ok(())
    }

    fn record(
        &self,
        manifest_digest: &str,
        repos: &Repositories,
    ) -> Result<ImageRecord, ImageError> {
        let manifest: Manifest = read_json(&self.blob_path(manifest_digest))?;
        let config_bytes = fs::read(self.blob_path(&manifest.config.digest))?;
        let config: ImageConfig = serde_json::from_slice(&config_bytes)
            .map_err(|e| ImageError::Corrupt(format!("{}: {e}", manifest.config.digest)))?;
        let mut layer_sizes = Vec::new();
        let mut layer_dirs = Vec::new();
        for d in &config.rootfs.diff_ids {
            let meta: LayerMeta = read_json(
                &self
                    .engine
                    .layers_dir()
                    .join(format!("{}.json", hex_part(d))),
            )
            .unwrap_or_default();
            layer_sizes.push(meta.size);
            layer_dirs.push(self.layer_dir(d));
        }
        let repo_tags = repos
            .tags
            .iter()
            .filter(|(_, m)| *m == manifest_digest)
            .map(|(t, _)| t.clone())
            .collect();
        let repo_digests = repos
            .digests
            .iter()
            .filter(|(_, m)| *m == manifest_digest)
            .map(|(t, _)| t.clone())
            .collect();
        let image = Image {
            id: manifest.config.digest.clone(),
            repo_tags,
            config: config.config.clone(),
            layer_dirs,
            size: layer_sizes.iter().sum(),
            created: super::config::parse_time(&config.created),
        };
        Ok(ImageRecord {
            image,
            manifest_digest: manifest_digest.to_string(),
            repo_digests,
            config,
            layer_sizes,
        })
    }

    /// Every image, newest first (ties by ID), as `docker images` lists them.
    pub fn list(&self) -> Result<Vec<ImageRecord>, ImageError> {
        let repos = self.load_repos()?;
        let mut out = self
            .manifests()?
            .iter()
            .map(|m| self.record(m, &repos))
            .collect::<Result<Vec<_>, _>>()?;
        out.sort_by(|a, b| {
            b.image
                .created
                .cmp(&a.image.created)
                .then_with(|| a.image.id.cmp(&b.image.id))
        });
        Ok(out)
    }

    /// Finds an image by `name[:tag]`, `name@digest`, `sha256:<id>`, full ID or unique ID
    /// prefix, in Docker's order: the name first, then the ID.
    pub fn find(&self, reference: &str) -> Result<Option<Image>, ImageError> {
        Ok(self.find_record(reference)?.map(|r| r.image))
    }

    pub fn find_record(&self, reference: &str) -> Result<Option<ImageRecord>, ImageError> {
        let repos = self.load_repos()?;
        let all = || -> Result<Vec<ImageRecord>, ImageError> {
            self.manifests()?
                .iter()
                .map(|m| self.record(m, &repos))
                .collect()
        };
        if let Some(hex) = reference.strip_prefix("sha256:") {
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) || hex.is_empty() {
                return Err(ImageError::InvalidReference(reference.to_string()));
            }
            return self.by_prefix(hex, all()?, reference);
        }
        if is_hex64(reference) {
            return self.by_prefix(reference, all()?, reference);
        }
        if let Ok(r) = Reference::parse(reference) {
            let key = match &r.digest {
                Some(d) => {
                    let k = format!("{}@{d}", r.familiar_name());
                    repos.digests.get(&k).cloned()
                }
                None => repos.tags.get(&r.familiar_tagged()).cloned(),
            };
            if let Some(m) = key {
                return Ok(Some(self.record(&m, &repos)?));
            }
        } else if !reference.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ImageError::InvalidReference(reference.to_string()));
        }
        // A short ID (`9237bab9ee79`, even one character) when no tag was given.
        if !reference.contains(':')
            && reference
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return self.by_prefix(reference, all()?, reference);
        }
        Ok(None)
    }

    fn by_prefix(
        &self,
        hex: &str,
        all: Vec<ImageRecord>,
        reference: &str,
    ) -> Result<Option<ImageRecord>, ImageError> {
        let mut hits: Vec<ImageRecord> = all
            .into_iter()
            .filter(|r| hex_part(&r.image.id).starts_with(hex))
            .collect();
        match hits.len() {
            0 => Ok(None),
            1 => Ok(hits.pop()),
            _ => Err(ImageError::AmbiguousPrefix(reference.to_string())),
        }
    }

    /// Pulls `reference` from the offline catalog, printing Docker's pull lines to
    /// `progress` (from `latest: Pulling from library/busybox` to `Status: …`).
    pub fn pull(&self, reference: &str, progress: &mut dyn Write) -> Result<Image, ImageError> {
        Ok(self.pull_with(reference, progress)?.image)
    }

    /// [`ImageStore::pull`], also telling whether the image was already up to date.
    pub fn pull_with(
        &self,
        reference: &str,
        progress: &mut dyn Write,
    ) -> Result<Pulled, ImageError> {
        let r = Reference::parse(reference)
            .map_err(|_| ImageError::InvalidReference(reference.to_string()))?
            .with_default_tag();
        let catalog = Catalog::open()?;
        let Some(recipe) = catalog.lookup(&r) else {
            return Err(ImageError::PullDenied(r.familiar_name()));
        };
        let shown_tag = r
            .tag
            .clone()
            .unwrap_or_else(|| r.digest.clone().unwrap_or_default());
        writeln!(progress, "{shown_tag}: Pulling from {}", r.remote_path())?;
        let built = catalog.build(recipe)?;
        if let Some(d) = &r.digest
            && *d != built.manifest_digest
        {
            return Err(ImageError::PullDenied(r.familiar_name()));
        }
        let familiar = match &r.digest {
            Some(d) => format!("{}@{d}", r.familiar_name()),
            None => r.familiar_tagged(),
        };
        let mut repos = self.load_repos()?;
        let mut manifests = self.manifests()?;
        let present = manifests.contains(&built.manifest_digest)
            && built
                .config
                .rootfs
                .diff_ids
                .iter()
                .all(|d| self.layer_dir(d).is_dir());
        let already_tagged =
            r.digest.is_some() || repos.tags.get(&familiar) == Some(&built.manifest_digest);
        if present && already_tagged {
            writeln!(progress, "Digest: {}", built.manifest_digest)?;
            writeln!(progress, "Status: Image is up to date for {familiar}")?;
            let image = self.record(&built.manifest_digest, &repos)?.image;
            return Ok(Pulled {
                image,
                up_to_date: true,
            });
        }
        self.import(&built, progress)?;
        if !manifests.contains(&built.manifest_digest) {
            manifests.push(built.manifest_digest.clone());
        }
        if r.digest.is_none() {
            repos
                .tags
                .insert(familiar.clone(), built.manifest_digest.clone());
        }
        repos.digests.insert(
            format!("{}@{}", r.familiar_name(), built.manifest_digest),
            built.manifest_digest.clone(),
        );
        self.save(&manifests, &repos)?;
        writeln!(progress, "Digest: {}", built.manifest_digest)?;
        writeln!(progress, "Status: Downloaded newer image for {familiar}")?;
        let image = self.record(&built.manifest_digest, &repos)?.image;
        Ok(Pulled {
            image,
            up_to_date: false,
        })
    }

    /// Copies a built image's blobs into the store (hardlinks when the cache is on the same
    /// filesystem) and unpacks each missing layer, printing `<12hex>: Pull complete` or
    /// `Already exists` per layer as Docker does.
    fn import(&self, built: &Built, progress: &mut dyn Write) -> Result<(), ImageError> {
        let mut blobs = vec![
            built.manifest_digest.clone(),
            built.manifest.config.digest.clone(),
        ];
        blobs.extend(built.manifest.layers.iter().map(|l| l.digest.clone()));
        for b in &blobs {
            let dest = self.blob_path(b);
            if dest.exists() {
                continue;
            }
            let src = built.blobs_dir.join(hex_part(b));
            let tmp =
                self.engine
                    .tmp_dir()
                    .join(format!("blob-{}-{}", std::process::id(), hex_part(b)));
            let _ = fs::remove_file(&tmp);
            if fs::hard_link(&src, &tmp).is_err() {
                fs::copy(&src, &tmp)?;
            }
            fs::rename(&tmp, &dest)?;
        }
        for (desc, diff_id) in built
            .manifest
            .layers
            .iter()
            .zip(&built.config.rootfs.diff_ids)
        {
            let dir = self.layer_dir(diff_id);
            if dir.is_dir() {
                writeln!(progress, "{}: Already exists", short_id(&desc.digest))?;
                continue;
            }
            self.unpack_layer(&self.blob_path(&desc.digest), diff_id)?;
            writeln!(progress, "{}: Pull complete", short_id(&desc.digest))?;
        }
        Ok(())
    }

    /// Unpacks a layer blob into `layers/<diff-id hex>/` via a private temporary directory
    /// renamed into place, checking that the uncompressed stream hashes to `diff_id`.
    pub fn unpack_layer(&self, blob: &Path, diff_id: &str) -> Result<(), ImageError> {
        let tmp = tempfile::Builder::new()
            .prefix("layer-")
            .tempdir_in(self.engine.tmp_dir())?;
        let root = tmp.path().join("root");
        fs::create_dir(&root)?;
        let mut reader =
            HashingReader::new(io::BufReader::with_capacity(1 << 20, fs::File::open(blob)?));
        let stats = layer::extract(&mut reader, &root)?;
        let got = reader.finish()?;
        // Uncompressed layers only: for gzip blobs the diff ID is of the decompressed
        // stream, which the registry client (a later issue) verifies itself.
        if got != diff_id && !is_gzip(blob) {
            return Err(ImageError::Corrupt(format!(
                "layer {blob:?} has digest {got}, expected {diff_id}"
            )));
        }
        let meta = LayerMeta {
            size: stats.content_size,
        };
        let hex = hex_part(diff_id);
        write_json(&self.engine.layers_dir().join(format!("{hex}.json")), &meta)?;
        fs::rename(&root, self.layer_dir(diff_id))?;
        Ok(())
    }

    /// `docker tag SRC DST`: points `target` at the image `source` names.
    pub fn tag(&self, source: &str, target: &str) -> Result<Image, ImageError> {
        let rec = self
            .find_record(source)?
            .ok_or_else(|| ImageError::NotFound(not_found_name(source)))?;
        let t = Reference::parse(target)
            .map_err(|_| ImageError::InvalidReference(target.to_string()))?;
        if t.digest.is_some() {
            return Err(ImageError::InvalidReference(target.to_string()));
        }
        let mut repos = self.load_repos()?;
        repos
            .tags
            .insert(t.familiar_tagged(), rec.manifest_digest.clone());
        let manifests = self.manifests()?;
        self.save(&manifests, &repos)?;
        Ok(self.record(&rec.manifest_digest, &repos)?.image)
    }

    /// `docker rmi [-f] REF`, following moby's `ImageDelete`: a name untags (and deletes
    /// when it was the last reference), an ID deletes; containers using the image make
    /// it a conflict (soft, overridden by `force`, for stopped containers and several
    /// repositories; hard for running ones).
    pub fn remove(
        &self,
        reference: &str,
        force: bool,
        containers: &[ContainerUse],
    ) -> Result<Vec<DeleteItem>, ImageError> {
        let rec = self
            .find_record(reference)?
            .ok_or_else(|| ImageError::NotFound(not_found_name(reference)))?;
        let id = rec.image.id.clone();
        let short = short_id(&id);
        let mut repos = self.load_repos()?;
        let mut refs: Vec<String> = rec
            .image
            .repo_tags
            .iter()
            .chain(&rec.repo_digests)
            .cloned()
            .collect();
        let using: Vec<&ContainerUse> = containers.iter().filter(|c| c.image == id).collect();
        let mut out = Vec::new();
        let by_id = is_id_reference(reference, &id);
        let mut removed_repo_ref = false;
        if !by_id {
            let r = Reference::parse(reference)
                .map_err(|_| ImageError::InvalidReference(reference.to_string()))?;
            if !force
                && single_repository(&refs)
                && let Some(c) = using.first()
            {
                return Err(ImageError::Conflict(format!(
                    "conflict: unable to remove repository reference \"{reference}\" (must force) - container {} is using its referenced image {short}",
                    short_id(&c.id)
                )));
            }
            let key = match &r.digest {
                Some(d) => format!("{}@{d}", r.familiar_name()),
                None => r.familiar_tagged(),
            };
            repos.tags.remove(&key);
            repos.digests.remove(&key);
            refs.retain(|x| *x != key);
            out.push(DeleteItem::Untagged(key));
            // The last tag of a repository takes its digest references with it.
            if r.digest.is_none() {
                let name = r.familiar_name();
                let tag_left = refs.iter().any(|x| !x.contains('@') && repo_of(x) == name);
                if !tag_left {
                    let digests: Vec<String> = refs
                        .iter()
                        .filter(|x| x.contains('@') && repo_of(x) == name)
                        .cloned()
                        .collect();
                    for d in digests {
                        repos.digests.remove(&d);
                        refs.retain(|x| *x != d);
                        out.push(DeleteItem::Untagged(d));
                    }
                }
            }
            if !refs.is_empty() {
                self.save(&self.manifests()?, &repos)?;
                return Ok(out);
            }
            removed_repo_ref = true;
        } else if single_repository(&refs) {
            if let Some(c) = using.iter().find(|c| c.running) {
                return Err(hard_conflict(&short, c));
            }
            if !force && let Some(c) = using.first() {
                return Err(soft_conflict_stopped(&short, c));
            }
            for x in refs.drain(..) {
                repos.tags.remove(&x);
                repos.digests.remove(&x);
                out.push(DeleteItem::Untagged(x));
            }
        }
        // imageDeleteHelper: hard conflicts always stop; soft ones unless forced. After a
        // name removed the last reference, a conflict quietly leaves the image dangling.
        let conflict = if let Some(c) = using.iter().find(|c| c.running) {
            Some(hard_conflict(&short, c))
        } else if !force && !refs.is_empty() {
            Some(ImageError::Conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories"
            )))
        } else if !force {
            using.first().map(|c| soft_conflict_stopped(&short, c))
        } else {
            None
        };
        if let Some(err) = conflict {
            if removed_repo_ref {
                self.save(&self.manifests()?, &repos)?;
                return Ok(out);
            }
            return Err(err);
        }
        // With force and refs in several repositories, drop them all.
        for x in refs.drain(..) {
            repos.tags.remove(&x);
            repos.digests.remove(&x);
            out.push(DeleteItem::Untagged(x));
        }
        let mut manifests = self.manifests()?;
        manifests.retain(|m| *m != rec.manifest_digest);
        self.save(&manifests, &repos)?;
        out.push(DeleteItem::Deleted(id.clone()));
        // A stopped container still mounts the layers of the image it was created from.
        let mut keep: BTreeSet<String> = containers
            .iter()
            .flat_map(|c| c.mentions.iter().cloned())
            .collect();
        if !using.is_empty() {
            keep.extend(
                rec.config
                    .rootfs
                    .diff_ids
                    .iter()
                    .map(|d| hex_part(d).to_string()),
            );
        }
        out.extend(self.collect_garbage(&rec, &manifests, &repos, &keep)?);
        Ok(out)
    }

    /// `docker image prune [-a]`: deletes dangling images (all unused ones with `all`)
    /// that no container uses. Returns the deleted items and the bytes reclaimed.
    pub fn prune(
        &self,
        all: bool,
        containers: &[ContainerUse],
    ) -> Result<(Vec<DeleteItem>, u64), ImageError> {
        let mut out = Vec::new();
        let mut reclaimed = 0;
        for rec in self.list()? {
            let used = containers.iter().any(|c| c.image == rec.image.id);
            if used || (!all && !rec.image.repo_tags.is_empty()) {
                continue;
            }
            let before = self.layer_bytes();
            out.extend(self.remove(&rec.image.id, true, containers)?);
            reclaimed += before.saturating_sub(self.layer_bytes());
        }
        Ok((out, reclaimed))
    }

    /// Total size of the unpacked layers (from their metadata files).
    fn layer_bytes(&self) -> u64 {
        let Ok(dir) = fs::read_dir(self.engine.layers_dir()) else {
            return 0;
        };
        dir.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| read_json::<LayerMeta>(&e.path()).ok())
            .map(|m| m.size)
            .sum()
    }

    /// Removes the blobs and unpacked layers of a deleted image that no remaining image
    /// uses; returns `Deleted:` items for the layers (chain IDs, top layer first).
    fn collect_garbage(
        &self,
        gone: &ImageRecord,
        manifests: &[String],
        repos: &Repositories,
        keep_layers: &BTreeSet<String>,
    ) -> Result<Vec<DeleteItem>, ImageError> {
        let mut used_blobs = BTreeSet::new();
        let mut used_layers: BTreeSet<String> =
            keep_layers.iter().map(|h| format!("sha256:{h}")).collect();
        for m in manifests {
            let rec = self.record(m, repos)?;
            used_blobs.insert(m.clone());
            used_blobs.insert(rec.image.id.clone());
            let manifest: Manifest = read_json(&self.blob_path(m))?;
            used_blobs.extend(manifest.layers.into_iter().map(|l| l.digest));
            used_layers.extend(rec.config.rootfs.diff_ids.iter().cloned());
        }
        let manifest: Manifest = read_json(&self.blob_path(&gone.manifest_digest))?;
        let mut out = Vec::new();
        let diff_ids = &gone.config.rootfs.diff_ids;
        let chains = chain_ids(diff_ids);
        for (d, chain) in diff_ids.iter().zip(&chains).rev() {
            if used_layers.contains(d) {
                continue;
            }
            let dir = self.layer_dir(d);
            if dir.exists() {
                // Rename first so a half-deleted tree is never mistaken for a layer.
                let trash = self.engine.tmp_dir().join(format!(
                    "rm-{}-{}",
                    std::process::id(),
                    hex_part(d)
                ));
                fs::rename(&dir, &trash)?;
                fs::remove_dir_all(&trash)?;
            }
            let _ = fs::remove_file(
                self.engine
                    .layers_dir()
                    .join(format!("{}.json", hex_part(d))),
            );
            out.push(DeleteItem::Deleted(chain.clone()));
        }
        let mut candidates = vec![gone.manifest_digest.clone(), gone.image.id.clone()];
        candidates.extend(manifest.layers.into_iter().map(|l| l.digest));
        for b in candidates {
            if !used_blobs.contains(&b) {
                let _ = fs::remove_file(self.blob_path(&b));
            }
        }
        Ok(out)
    }
}

/// Every run of exactly 64 lowercase hex digits in `text`.
fn hex64_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_hexdigit() || c.is_ascii_uppercase())
        .filter(|w| is_hex64(w))
        .map(str::to_string)
        .collect()
}

fn hard_conflict(short: &str, c: &ContainerUse) -> ImageError {
    ImageError::Conflict(format!(
        "conflict: unable to delete {short} (cannot be forced) - image is being used by running container {}",
        short_id(&c.id)
    ))
}

fn soft_conflict_stopped(short: &str, c: &ContainerUse) -> ImageError {
    ImageError::Conflict(format!(
        "conflict: unable to delete {short} (must be forced) - image is being used by stopped container {}",
        short_id(&c.id)
    ))
}

/// The repository part of a familiar `name:tag` or `name@digest`.
fn repo_of(r: &str) -> String {
    Reference::parse(r)
        .map(|r| r.familiar_name())
        .unwrap_or_default()
}

/// moby `isSingleReference`: every reference is in one repository.
fn single_repository(refs: &[String]) -> bool {
    refs.iter()
        .map(|r| repo_of(r))
        .collect::<BTreeSet<_>>()
        .len()
        <= 1
}

/// Whether the user named the image by (a prefix of) its ID rather than a name.
fn is_id_reference(reference: &str, id: &str) -> bool {
    if let Some(hex) = reference.strip_prefix("sha256:") {
        return !hex.is_empty() && hex_part(id).starts_with(hex);
    }
    // A bare hex prefix is an ID unless a tag of that name exists (find_record tried the
    // name first and found this image through it).
    !reference.is_empty()
        && hex_part(id).starts_with(reference)
        && Reference::parse(reference).map_or(true, |r| r.tag.is_none())
}

/// Docker's `No such image: busybox:latest`: names get the default tag, IDs stay as typed.
pub fn not_found_name(reference: &str) -> String {
    if reference.starts_with("sha256:") || is_hex64(reference) {
        return reference.to_string();
    }
    match Reference::parse(reference) {
        Ok(r) if r.digest.is_none() => format!("{}:{}", r.familiar_name(), r.tag_or_default()),
        _ => reference.to_string(),
    }
}

fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    fs::File::open(path)
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}
