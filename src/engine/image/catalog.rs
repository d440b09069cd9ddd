//! The offline image catalog: recipes (`fixtures/images/*.toml`, compiled into the binary)
//! that build Docker-Hub-named images from files on the host, reproducibly, and a
//! host-wide cache of the built blobs so each fresh engine root only imports them.
//!
//! Reproducible means: same recipe and same host files give the same layer bytes, the
//! same config and so the same image ID and manifest digest. Every entry gets the
//! recipe's fixed time as mtime and uid/gid 0, entries are sorted, and no host xattrs or
//! owners are copied (see `layer::LayerBuilder`).
//!
//! The cache (`/var/cache/docklab/catalog`, or `$DOCKLAB_CATALOG_CACHE`) is an OCI-like
//! blob store keyed by a fingerprint of the recipe text and the host source files (path,
//! size, mtime, inode of each named source). Builds write blobs to temporary files renamed
//! into place, and one flock per fingerprint stops two processes building the same image
//! at once: the second waits, then finds the first one's result.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use super::config::{
    Descriptor, History, ImageConfig, MEDIA_TYPE_CONFIG, MEDIA_TYPE_LAYER, MEDIA_TYPE_MANIFEST,
    Manifest, RootFs, format_time,
};
use super::digest::{HashingWriter, hex_part, sha256_digest};
use super::layer::{Content, LayerBuilder};
use super::reference::Reference;

/// Default host-wide cache directory.
pub const DEFAULT_CACHE: &str = "/var/cache/docklab/catalog";
/// Environment variable overriding [`DEFAULT_CACHE`].
pub const CACHE_ENV: &str = "DOCKLAB_CATALOG_CACHE";
/// Bumped when the way recipes are turned into layers changes, to invalidate old caches.
const BUILDER_VERSION: &str = "docklab-catalog-2";

/// The recipes, compiled in so an installed binary needs no fixture directory.
const RECIPES: &[(&str, &str)] = &[
    (
        "busybox",
        include_str!("../../../fixtures/images/busybox.toml"),
    ),
    (
        "hello-world",
        include_str!("../../../fixtures/images/hello-world.toml"),
    ),
    (
        "alpine",
        include_str!("../../../fixtures/images/alpine.toml"),
    ),
    (
        "python",
        include_str!("../../../fixtures/images/python.toml"),
    ),
    ("nginx", include_str!("../../../fixtures/images/nginx.toml")),
    (
        "net-tools",
        include_str!("../../../fixtures/images/net-tools.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog recipe {recipe}: {message}")]
    Recipe { recipe: String, message: String },
    #[error("catalog build of {recipe}: {path}: {source}")]
    Source {
        recipe: String,
        path: String,
        source: io::Error,
    },
    #[error("catalog cache {path}: {source}")]
    Cache { path: String, source: io::Error },
}

/// A recipe file (format documented in `fixtures/images/README.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Repository as Docker Hub names it: `busybox`, `avenga/net-tools`.
    pub name: String,
    pub tags: Vec<String>,
    /// RFC 3339; the image's `created` and the mtime of every file in its own layers.
    pub created: String,
    /// Another catalog image (`alpine:latest`) whose layers, config and history come first.
    #[serde(default)]
    pub base: Option<String>,
    /// Values computed on the host at build time: `NAME = ["/prog", "arg"…]` runs the
    /// command and `${NAME}` in env, history and `created_by` becomes its trimmed output
    /// (the python image's `PYTHON_VERSION` is the host interpreter's version).
    #[serde(default)]
    pub vars: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub config: RecipeConfig,
    #[serde(default)]
    pub layers: Vec<RecipeLayer>,
}

/// Config keys; a key present replaces the base image's value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeConfig {
    pub env: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub exposed_ports: Option<Vec<String>>,
    pub stop_signal: Option<String>,
    pub labels: Option<BTreeMap<String, String>>,
    /// `created_by` lines of the config-only history entries (`CMD ["sh"]`…), in order.
    #[serde(default)]
    pub history: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeLayer {
    pub created_by: String,
    /// A history-only step (`ENV`, `LABEL`…) placed among the layers: no tar is built.
    #[serde(default)]
    pub empty_layer: bool,
    #[serde(default)]
    pub entries: Vec<RecipeEntry>,
}

/// One entry: `path` plus exactly one of the source keys.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipeEntry {
    pub path: Option<String>,
    /// Octal string (`"0755"`); defaults: host mode for copies, 0644 text, 0755 dirs.
    pub mode: Option<String>,
    pub dir: Option<bool>,
    pub copy: Option<String>,
    pub text: Option<String>,
    pub symlink: Option<String>,
    pub hardlink: Option<String>,
    /// Host directory copied recursively to `path`, leaving out names in `exclude`.
    pub tree: Option<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Host ELF files or directories of `.so` files: copy every shared library `ldd`
    /// lists for them (and the dynamic loader) to its host path.
    pub libs_for: Option<Vec<String>>,
    /// A busybox binary: add its applets as `link_style` links to `path`.
    pub applets: Option<String>,
    /// `symlink`: at the paths `busybox --list-full` gives (alpine's layout);
    /// `hardlink`: all in `/bin` (the busybox image's layout).
    pub link_style: Option<String>,
}

/// A catalog image built into the cache.
#[derive(Debug, Clone)]
pub struct Built {
    pub manifest_digest: String,
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    pub config: ImageConfig,
    /// Where its blobs live: `<cache>/blobs/sha256/<hex>`.
    pub blobs_dir: PathBuf,
}

/// The catalog: recipes plus the cache directory.
pub struct Catalog {
    cache: PathBuf,
    recipes: Vec<Recipe>,
}

impl Catalog {
    /// The compiled-in recipes with the cache from `$DOCKLAB_CATALOG_CACHE` or the default.
    pub fn open() -> Result<Self, CatalogError> {
        let cache = std::env::var_os(CACHE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE));
        Self::with_cache(cache)
    }

    pub fn with_cache(cache: PathBuf) -> Result<Self, CatalogError> {
        let recipes = RECIPES
            .iter()
            .map(|(name, text)| {
                toml::from_str::<Recipe>(text).map_err(|e| CatalogError::Recipe {
                    recipe: name.to_string(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Catalog { cache, recipes })
    }

    pub fn recipes(&self) -> &[Recipe] {
        &self.recipes
    }

    /// The recipe serving `reference` (Docker Hub names only), if any.
    pub fn lookup(&self, reference: &Reference) -> Option<&Recipe> {
        if reference.domain != super::reference::DEFAULT_DOMAIN {
            return None;
        }
        let name = reference.familiar_name();
        let tag = reference.tag_or_default();
        self.recipes
            .iter()
            .find(|r| r.name == name && r.tags.iter().any(|t| t == tag))
    }

    fn recipe_text(&self, recipe: &Recipe) -> &'static str {
        let idx = self
            .recipes
            .iter()
            .position(|r| std::ptr::eq(r, recipe))
            .expect("recipe from this catalog");
        RECIPES[idx].1
    }

    /// Builds (or finds in the cache) the image `recipe` describes.
    pub fn build(&self, recipe: &Recipe) -> Result<Built, CatalogError> {
        let base = match &recipe.base {
            Some(b) => {
                let r = Reference::parse(b)
                    .ok()
                    .and_then(|r| self.lookup(&r.with_default_tag()))
                    .ok_or_else(|| CatalogError::Recipe {
                        recipe: recipe.name.clone(),
                        message: format!("unknown base {b}"),
                    })?;
                Some(self.build(r)?)
            }
            None => None,
        };
        let fingerprint = self.fingerprint(recipe, base.as_ref())?;
        let cache_err = |path: &Path| {
            let path = path.display().to_string();
            move |source| CatalogError::Cache {
                path: path.clone(),
                source,
            }
        };
        let images = self.cache.join("images");
        let blobs = self.cache.join("blobs/sha256");
        let tmp = self.cache.join("tmp");
        for d in [&images, &blobs, &tmp] {
            fs::create_dir_all(d).map_err(cache_err(d))?;
        }
        let entry = images.join(format!("{}.json", hex_part(&fingerprint)));
        if let Some(b) = self.load_cached(&entry)? {
            return Ok(b);
        }
        // Serialise builds of the same image across processes; re-check after waiting.
        let lock_path = images.join(format!("{}.lock", hex_part(&fingerprint)));
        let _lock = flock(&lock_path).map_err(cache_err(&lock_path))?;
        if let Some(b) = self.load_cached(&entry)? {
            return Ok(b);
        }

        let recipe = &self.expand_vars(recipe)?;
        let created = super::config::parse_time(&recipe.created);
        let mtime = created.timestamp().max(0) as u64;
        let mut config = base
            .as_ref()
            .map(|b| b.config.clone())
            .unwrap_or_else(|| ImageConfig {
                architecture: "amd64".into(),
                os: "linux".into(),
                rootfs: RootFs::default(),
                ..Default::default()
            });
        let mut layer_descs = base
            .as_ref()
            .map(|b| b.manifest.layers.clone())
            .unwrap_or_default();
        config.created = format_time(created);
        for layer in &recipe.layers {
            if layer.empty_layer {
                config.history.push(History {
                    created: format_time(created),
                    created_by: layer.created_by.clone(),
                    empty_layer: true,
                    ..Default::default()
                });
                continue;
            }
            let builder = self.layer_builder(recipe, layer, mtime)?;
            let (digest, size) = write_blob(&tmp, &blobs, |w| builder.write(w).map(|(w, _)| w))
                .map_err(|e| CatalogError::Source {
                    recipe: recipe.name.clone(),
                    path: "layer".into(),
                    source: e,
                })?;
            // Uncompressed layer: the blob digest is the diff ID.
            config.rootfs.diff_ids.push(digest.clone());
            layer_descs.push(Descriptor {
                media_type: MEDIA_TYPE_LAYER.into(),
                digest,
                size,
                annotations: Default::default(),
            });
            config.history.push(History {
                created: format_time(created),
                created_by: layer.created_by.clone(),
                ..Default::default()
            });
        }
        apply_config(&mut config, &recipe.config);
        for line in &recipe.config.history {
            config.history.push(History {
                created: format_time(created),
                created_by: line.clone(),
                empty_layer: true,
                ..Default::default()
            });
        }
        let config_bytes = serde_json::to_vec(&config).expect("config serialises");
        let (config_digest, config_size) =
            write_blob(&tmp, &blobs, |mut w| w.write_all(&config_bytes).map(|_| w))
                .map_err(cache_err(&blobs))?;
        let manifest = Manifest {
            schema_version: 2,
            media_type: MEDIA_TYPE_MANIFEST.into(),
            config: Descriptor {
                media_type: MEDIA_TYPE_CONFIG.into(),
                digest: config_digest,
                size: config_size,
                annotations: Default::default(),
            },
            layers: layer_descs,
        };
        let manifest_bytes = serde_json::to_vec(&manifest).expect("manifest serialises");
        let (manifest_digest, _) = write_blob(&tmp, &blobs, |mut w| {
            w.write_all(&manifest_bytes).map(|_| w)
        })
        .map_err(cache_err(&blobs))?;
        let record = serde_json::json!({ "manifest": manifest_digest, "recipe": recipe.name });
        super::super::store::write_atomic(&entry, record.to_string().as_bytes())
            .map_err(cache_err(&entry))?;
        Ok(Built {
            manifest_digest,
            manifest,
            manifest_bytes,
            config,
            blobs_dir: blobs,
        })
    }

    /// A copy of `recipe` with every `${VAR}` of its `vars` replaced in the config's env
    /// and history lines and in the layers' `created_by`.
    fn expand_vars(&self, recipe: &Recipe) -> Result<Recipe, CatalogError> {
        let mut values = Vec::new();
        for (name, cmd) in &recipe.vars {
            let fail = |message: String| CatalogError::Recipe {
                recipe: recipe.name.clone(),
                message,
            };
            let (prog, args) = cmd
                .split_first()
                .ok_or_else(|| fail(format!("var {name} has an empty command")))?;
            let out = Command::new(prog)
                .args(args)
                .output()
                .map_err(|e| fail(format!("var {name}: {prog}: {e}")))?;
            if !out.status.success() {
                return Err(fail(format!(
                    "var {name}: {prog} exited with {}",
                    out.status
                )));
            }
            let value = String::from_utf8_lossy(&out.stdout).trim().to_string();
            values.push((format!("${{{name}}}"), value));
        }
        let subst = |s: &str| {
            values
                .iter()
                .fold(s.to_string(), |acc, (k, v)| acc.replace(k.as_str(), v))
        };
        let mut r = recipe.clone();
        if let Some(env) = &mut r.config.env {
            for e in env.iter_mut() {
                *e = subst(e);
            }
        }
        for h in &mut r.config.history {
            *h = subst(h);
        }
        for l in &mut r.layers {
            l.created_by = subst(&l.created_by);
        }
        Ok(r)
    }

    fn load_cached(&self, entry: &Path) -> Result<Option<Built>, CatalogError> {
        let Ok(data) = fs::read(entry) else {
            return Ok(None);
        };
        let blobs = self.cache.join("blobs/sha256");
        let load = || -> Option<Built> {
            let v: serde_json::Value = serde_json::from_slice(&data).ok()?;
            let manifest_digest = v.get("manifest")?.as_str()?.to_string();
            let manifest_bytes = fs::read(blobs.join(hex_part(&manifest_digest))).ok()?;
            let manifest: Manifest = serde_json::from_slice(&manifest_bytes).ok()?;
            let config_bytes = fs::read(blobs.join(hex_part(&manifest.config.digest))).ok()?;
            let config: ImageConfig = serde_json::from_slice(&config_bytes).ok()?;
            // A cache entry is only good if every blob is still there at its size.
            for l in &manifest.layers {
                if fs::metadata(blobs.join(hex_part(&l.digest))).ok()?.len() != l.size {
                    return None;
                }
            }
            Some(Built {
                manifest_digest,
                manifest,
                manifest_bytes,
                config,
                blobs_dir: blobs.clone(),
            })
        };
        Ok(load())
    }

    /// sha256 over the builder version, the recipe text, the base's fingerprint, and
    /// (path, size, mtime, inode) of every host path the recipe names.
    fn fingerprint(&self, recipe: &Recipe, base: Option<&Built>) -> Result<String, CatalogError> {
        let mut s = String::new();
        s.push_str(BUILDER_VERSION);
        s.push('\n');
        s.push_str(self.recipe_text(recipe));
        if let Some(b) = base {
            s.push_str(&format!("\nbase {}\n", b.manifest_digest));
        }
        let var_programs: Vec<&str> = recipe
            .vars
            .values()
            .filter_map(|c| c.first().map(String::as_str))
            .collect();
        for src in var_programs {
            if let Ok(m) = fs::metadata(src) {
                s.push_str(&format!(
                    "\nvar {src} {} {} {}",
                    m.len(),
                    m.mtime(),
                    m.ino()
                ));
            }
        }
        for layer in &recipe.layers {
            for e in &layer.entries {
                let mut sources: Vec<&str> = Vec::new();
                sources.extend(e.copy.as_deref());
                sources.extend(e.tree.as_deref());
                sources.extend(e.applets.as_deref());
                if let Some(l) = &e.libs_for {
                    sources.extend(l.iter().map(String::as_str));
                }
                for src in sources {
                    let m = fs::metadata(src).map_err(|err| CatalogError::Source {
                        recipe: recipe.name.clone(),
                        path: src.to_string(),
                        source: err,
                    })?;
                    s.push_str(&format!(
                        "\n{src} {} {} {} {}",
                        m.len(),
                        m.mtime(),
                        m.mtime_nsec(),
                        m.ino()
                    ));
                }
            }
        }
        Ok(sha256_digest(s.as_bytes()))
    }

    fn layer_builder(
        &self,
        recipe: &Recipe,
        layer: &RecipeLayer,
        mtime: u64,
    ) -> Result<LayerBuilder, CatalogError> {
        let mut b = LayerBuilder::new(mtime);
        for e in &layer.entries {
            add_entry(&mut b, e).map_err(|(path, source)| CatalogError::Source {
                recipe: recipe.name.clone(),
                path,
                source,
            })?;
        }
        Ok(b)
    }
}

fn apply_config(config: &mut ImageConfig, rc: &RecipeConfig) {
    let c = &mut config.config;
    if let Some(v) = &rc.env {
        c.env = v.clone();
    }
    if let Some(v) = &rc.cmd {
        c.cmd = Some(v.clone());
    }
    if let Some(v) = &rc.entrypoint {
        c.entrypoint = if v.is_empty() { None } else { Some(v.clone()) };
    }
    if let Some(v) = &rc.working_dir {
        c.working_dir = v.clone();
    }
    if let Some(v) = &rc.user {
        c.user = v.clone();
    }
    if let Some(v) = &rc.exposed_ports {
        c.exposed_ports = v
            .iter()
            .map(|p| (p.clone(), serde_json::json!({})))
            .collect();
    }
    if let Some(v) = &rc.stop_signal {
        c.stop_signal = Some(v.clone());
    }
    if let Some(v) = &rc.labels {
        c.labels = Some(v.clone());
    }
}

fn parse_mode(m: &Option<String>, default: u32) -> io::Result<u32> {
    match m {
        None => Ok(default),
        Some(s) => u32::from_str_radix(s.trim_start_matches("0o"), 8)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("bad mode {s:?}"))),
    }
}

type EntryError = (String, io::Error);

fn add_entry(b: &mut LayerBuilder, e: &RecipeEntry) -> Result<(), EntryError> {
    let path = e.path.clone().unwrap_or_default();
    let at = |p: &str| {
        let p = p.to_string();
        move |err: io::Error| (p.clone(), err)
    };
    let need_path = || {
        if path.is_empty() {
            Err((
                "entry".to_string(),
                io::Error::new(io::ErrorKind::InvalidInput, "entry needs a path"),
            ))
        } else {
            Ok(())
        }
    };
    if e.dir == Some(true) {
        need_path()?;
        b.dir(&path, parse_mode(&e.mode, 0o755).map_err(at(&path))?)
            .map_err(at(&path))
    } else if let Some(src) = &e.copy {
        need_path()?;
        let meta = fs::metadata(src).map_err(at(src))?;
        let mode = parse_mode(&e.mode, meta.permissions().mode() & 0o7777).map_err(at(src))?;
        b.file(&path, mode, Content::Host(PathBuf::from(src)))
            .map_err(at(&path))
    } else if let Some(text) = &e.text {
        need_path()?;
        let mode = parse_mode(&e.mode, 0o644).map_err(at(&path))?;
        b.file(&path, mode, Content::Bytes(text.as_bytes().to_vec()))
            .map_err(at(&path))
    } else if let Some(target) = &e.symlink {
        need_path()?;
        b.symlink(&path, target).map_err(at(&path))
    } else if let Some(target) = &e.hardlink {
        need_path()?;
        b.hardlink(&path, target).map_err(at(&path))
    } else if let Some(src) = &e.tree {
        need_path()?;
        let exclude = e.exclude.clone();
        b.tree(Path::new(src), &path, &move |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| exclude.iter().any(|x| x == n))
        })
        .map_err(at(src))
    } else if let Some(targets) = &e.libs_for {
        for lib in shared_libraries(targets).map_err(at(&targets.join(" ")))? {
            let s = lib.to_string_lossy().to_string();
            let meta = fs::metadata(&lib).map_err(at(&s))?;
            b.file(
                &s,
                meta.permissions().mode() & 0o7777,
                Content::Host(lib.clone()),
            )
            .map_err(at(&s))?;
        }
        Ok(())
    } else if let Some(bb) = &e.applets {
        need_path()?;
        let out = Command::new(bb)
            .arg("--list-full")
            .output()
            .map_err(at(bb))?;
        if !out.status.success() {
            return Err((bb.clone(), io::Error::other("busybox --list-full failed")));
        }
        let hard = e.link_style.as_deref() == Some("hardlink");
        let own = path.trim_start_matches('/').to_string();
        let mut seen = std::collections::BTreeSet::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let line = line.trim();
            // `linuxrc` is an init for initramfs images, not a command.
            if line.is_empty() || !line.contains('/') {
                continue;
            }
            let name = line.rsplit('/').next().unwrap_or(line);
            let dest = if hard {
                format!("bin/{name}")
            } else {
                line.to_string()
            };
            if dest == own || !seen.insert(dest.clone()) {
                continue;
            }
            if hard {
                b.hardlink(&dest, &own).map_err(at(&dest))?;
            } else {
                b.symlink(&dest, &path).map_err(at(&dest))?;
            }
        }
        Ok(())
    } else {
        Err((
            path,
            io::Error::new(io::ErrorKind::InvalidInput, "entry has no source key"),
        ))
    }
}

/// Libraries `ldd` lists for each ELF file (or each `.so` in a directory), plus the loader.
/// Host paths are kept (`/lib/x86_64-linux-gnu/libc.so.6`), contents read through symlinks.
fn shared_libraries(targets: &[String]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for t in targets {
        let p = Path::new(t);
        if p.is_dir() {
            let mut v: Vec<PathBuf> = fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "so"))
                .collect();
            v.sort();
            files.extend(v);
        } else {
            files.push(p.to_path_buf());
        }
    }
    let mut libs = std::collections::BTreeSet::new();
    for chunk in files.chunks(64) {
        let out = Command::new("ldd").args(chunk).output()?;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let line = line.trim();
            // With several files ldd prints a `/path/file:` header before each one's list.
            if line.ends_with(':') {
                continue;
            }
            // `libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)` or `/lib64/ld-linux-x86-64.so.2 (0x…)`.
            let path = match line.split_once("=>") {
                Some((_, rhs)) => rhs.trim().split(' ').next().unwrap_or(""),
                None => line.split(' ').next().unwrap_or(""),
            };
            if path.starts_with('/') {
                libs.insert(PathBuf::from(path));
            }
        }
    }
    Ok(libs.into_iter().collect())
}

/// Writes a blob through `write` to a temporary file, then renames it to its digest.
fn write_blob(
    tmp: &Path,
    blobs: &Path,
    write: impl FnOnce(HashingWriter<BufWriter<File>>) -> io::Result<HashingWriter<BufWriter<File>>>,
) -> io::Result<(String, u64)> {
    let tmpfile = tempfile::NamedTempFile::new_in(tmp)?;
    let file = tmpfile.reopen()?;
    let w = write(HashingWriter::new(BufWriter::with_capacity(1 << 20, file)))?;
    let (mut buf, digest, size) = w.finish();
    buf.flush()?;
    buf.get_ref().sync_all()?;
    let dest = blobs.join(hex_part(&digest));
    fs::set_permissions(tmpfile.path(), fs::Permissions::from_mode(0o444))?;
    tmpfile.persist(&dest).map_err(|e| e.error)?;
    Ok((digest, size))
}

/// An exclusive flock(2), released when the returned file is dropped.
fn flock(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    loop {
        // SAFETY: flock on an fd we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(f);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recipe_parses_and_names_resolve() {
        let cat = Catalog::with_cache(PathBuf::from("/nonexistent")).unwrap();
        for name in [
            "busybox",
            "hello-world",
            "alpine",
            "python:3.11.5-alpine",
            "python:3.10.6",
            "python:3.10.6-alpine",
            "python:3.5",
            "nginx",
            "avenga/net-tools",
        ] {
            let r = Reference::parse(name).unwrap().with_default_tag();
            assert!(cat.lookup(&r).is_some(), "{name} not in the catalog");
        }
        for name in ["python", "nosuchimage", "localhost:5000/busybox"] {
            let r = Reference::parse(name).unwrap().with_default_tag();
            assert!(
                cat.lookup(&r).is_none(),
                "{name} should not be in the catalog"
            );
        }
    }

    #[test]
    fn building_twice_gives_the_same_ids() {
        // Two separate caches: nothing is shared but the host files.
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let ids = |dir: &Path| {
            let cat = Catalog::with_cache(dir.to_path_buf()).unwrap();
            let r = Reference::parse("alpine").unwrap().with_default_tag();
            let built = cat.build(cat.lookup(&r).unwrap()).unwrap();
            let hw = Reference::parse("hello-world").unwrap().with_default_tag();
            let hello = cat.build(cat.lookup(&hw).unwrap()).unwrap();
            let py = Reference::parse("python:3.11.5-alpine").unwrap();
            let python = cat.build(cat.lookup(&py).unwrap()).unwrap();
            // The python image sits on alpine's layer and gets the host's version.
            assert_eq!(python.manifest.layers[0], built.manifest.layers[0]);
            let version = python
                .config
                .config
                .env
                .iter()
                .find_map(|e| e.strip_prefix("PYTHON_VERSION="))
                .unwrap()
                .to_string();
            assert!(version.starts_with("3.11."), "{version}");
            (
                built.manifest_digest,
                built.manifest.config.digest,
                hello.manifest.config.digest,
                python.manifest_digest,
            )
        };
        let one = ids(a.path());
        let two = ids(b.path());
        assert_eq!(one, two);
        // And a rebuild from the warm cache returns the same.
        assert_eq!(ids(a.path()), one);
    }
}
