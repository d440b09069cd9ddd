//! Layer tarballs: a deterministic builder (the catalog uses it; `commit` and `build` will)
//! and a secure extractor that unpacks one layer into its own directory for overlayfs.
//!
//! Extraction refuses what Docker has shipped CVEs for: absolute names and `..`
//! (CVE-2014-6407), entries written through a symlink an earlier entry planted
//! (CVE-2014-9356, and the CVE-2018-15664 class), hardlinks leaving the root
//! (CVE-2014-9357). Whiteouts (`.wh.name`, `.wh..wh..opq`) become overlayfs's own form,
//! a 0/0 character device and the `trusted.overlay.opaque=y` xattr, because each layer is
//! unpacked separately and overlayfs applies them against the lower layers at mount time.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

/// Docker/OCI whiteout prefix: `.wh.name` deletes `name` from lower layers.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// Opaque-directory marker: hides everything below the directory in lower layers.
pub const WHITEOUT_OPAQUE: &str = ".wh..wh..opq";

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("refusing layer entry {entry:?}: {reason}")]
    Unsafe { entry: String, reason: String },
    #[error("layer entry {entry:?}: {source}")]
    Entry { entry: String, source: io::Error },
    #[error("reading layer: {0}")]
    Io(#[from] io::Error),
}

fn unsafe_entry(entry: &str, reason: impl Into<String>) -> LayerError {
    LayerError::Unsafe {
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

// ---------------------------------------------------------------------------------------
// Builder

/// Where a regular file's bytes come from.
#[derive(Debug, Clone)]
pub enum Content {
    Host(PathBuf),
    Bytes(Vec<u8>),
}

/// One entry of a layer being built.
#[derive(Debug, Clone)]
pub enum Entry {
    Dir {
        mode: u32,
    },
    File {
        mode: u32,
        content: Content,
    },
    Symlink {
        target: String,
    },
    /// A hardlink to another entry of the same layer (path relative to the root).
    Hardlink {
        target: String,
    },
    /// A 0/0 character device (an overlayfs whiteout, when `commit` records deletions).
    Whiteout,
}

/// Collects entries, then writes them as a reproducible tar: sorted by path, every
/// missing parent directory added (0755), uid/gid 0, no user or group names, one mtime.
#[derive(Debug, Clone)]
pub struct LayerBuilder {
    entries: BTreeMap<String, Entry>,
    mtime: u64,
}

/// What a written or extracted layer holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerStats {
    /// Bytes of the tar stream (the blob size for an uncompressed layer).
    pub tar_size: u64,
    /// Sum of file sizes (symlinks: target length), hardlinks counted once: the layer
    /// size Docker shows (moby `directory.Size` over the unpacked layer).
    pub content_size: u64,
    pub entries: u64,
}

/// Normalises a path inside a layer: no leading `/` or `./`, no `.` components. Refuses
/// `..` so a builder can never produce a tar our own extractor rejects.
pub fn clean_path(path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(p) => parts.push(p.to_str()?.to_string()),
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

impl LayerBuilder {
    /// A builder whose every entry gets modification time `mtime` (seconds since the epoch).
    pub fn new(mtime: u64) -> Self {
        LayerBuilder {
            entries: BTreeMap::new(),
            mtime,
        }
    }

    fn key(path: &str) -> io::Result<String> {
        clean_path(path).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("bad path in layer: {path:?}"),
            )
        })
    }

    pub fn add(&mut self, path: &str, entry: Entry) -> io::Result<()> {
        self.entries.insert(Self::key(path)?, entry);
        Ok(())
    }

    pub fn dir(&mut self, path: &str, mode: u32) -> io::Result<()> {
        self.add(path, Entry::Dir { mode })
    }

    pub fn file(&mut self, path: &str, mode: u32, content: Content) -> io::Result<()> {
        self.add(path, Entry::File { mode, content })
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        self.add(
            path,
            Entry::Symlink {
                target: target.to_string(),
            },
        )
    }

    pub fn hardlink(&mut self, path: &str, target: &str) -> io::Result<()> {
        let target = Self::key(target)?;
        self.add(path, Entry::Hardlink { target })
    }

    /// Adds the host directory `src` (recursively) at `dest`. `skip` sees each host path
    /// relative to `src` and returns true to leave it (and everything below it) out.
    /// Modes and symlink targets are kept; owners and times are not (they are normalised).
    pub fn tree(&mut self, src: &Path, dest: &str, skip: &dyn Fn(&Path) -> bool) -> io::Result<()> {
        let meta = fs::symlink_metadata(src)?;
        self.dir(dest, meta.permissions().mode() & 0o7777)?;
        let mut stack = vec![PathBuf::new()];
        while let Some(rel) = stack.pop() {
            for e in fs::read_dir(src.join(&rel))? {
                let e = e?;
                let rel_child = rel.join(e.file_name());
                if skip(&rel_child) {
                    continue;
                }
                let path = format!("{dest}/{}", rel_child.display());
                let meta = e.metadata()?;
                let mode = meta.permissions().mode() & 0o7777;
                let ft = meta.file_type();
                if ft.is_dir() {
                    self.dir(&path, mode)?;
                    stack.push(rel_child);
                } else if ft.is_symlink() {
                    let target = fs::read_link(e.path())?;
                    self.symlink(&path, &target.to_string_lossy())?;
                } else if ft.is_file() {
                    self.file(&path, mode, Content::Host(e.path()))?;
                }
                // Sockets, fifos and devices in a host tree are not image content.
            }
        }
        Ok(())
    }

    /// Paths of host files the layer reads (for cache fingerprints).
    pub fn host_sources(&self) -> impl Iterator<Item = &Path> {
        self.entries.values().filter_map(|e| match e {
            Entry::File {
                content: Content::Host(p),
                ..
            } => Some(p.as_path()),
            _ => None,
        })
    }

    /// Writes the tar to `out`. Deterministic: same entries and host bytes, same output.
    pub fn write<W: Write>(&self, out: W) -> io::Result<(W, LayerStats)> {
        let mut counting = CountingWriter { inner: out, n: 0 };
        let mut stats = LayerStats::default();
        {
            let mut tar = tar::Builder::new(&mut counting);
            let mut written: std::collections::HashSet<String> = Default::default();
            for path in self.entries.keys() {
                self.emit(&mut tar, path, &mut written, &mut stats)?;
            }
            tar.finish()?;
        }
        stats.tar_size = counting.n;
        Ok((counting.inner, stats))
    }

    /// Writes `path` after its parent directories and, for a hardlink, after its target
    /// (a reader can only link to what it has already extracted). Sorted order otherwise.
    fn emit<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        path: &str,
        written: &mut std::collections::HashSet<String>,
        stats: &mut LayerStats,
    ) -> io::Result<()> {
        if written.contains(path) {
            return Ok(());
        }
        let mut parent = String::new();
        let comps: Vec<&str> = path.split('/').collect();
        for comp in &comps[..comps.len() - 1] {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(comp);
            if self.entries.contains_key(&parent) {
                self.emit(tar, &parent.clone(), written, stats)?;
            } else if written.insert(parent.clone()) {
                self.append(tar, &parent, &Entry::Dir { mode: 0o755 }, stats)?;
            }
        }
        let Some(entry) = self.entries.get(path) else {
            return Ok(());
        };
        if let Entry::Hardlink { target } = entry {
            if !self.entries.contains_key(target) || target == path {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("hardlink {path} to {target}, which is not in the layer"),
                ));
            }
            self.emit(tar, &target.clone(), written, stats)?;
        }
        written.insert(path.to_string());
        self.append(tar, path, entry, stats)
    }

    fn append<W: Write>(
        &self,
        tar: &mut tar::Builder<W>,
        path: &str,
        entry: &Entry,
        stats: &mut LayerStats,
    ) -> io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(self.mtime);
        h.set_size(0);
        stats.entries += 1;
        match entry {
            Entry::Dir { mode } => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(*mode);
                tar.append_data(&mut h, format!("{path}/"), io::empty())
            }
            Entry::File { mode, content } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                match content {
                    Content::Bytes(b) => {
                        h.set_size(b.len() as u64);
                        stats.content_size += b.len() as u64;
                        tar.append_data(&mut h, path, b.as_slice())
                    }
                    Content::Host(p) => {
                        let f = File::open(p)?;
                        let len = f.metadata()?.len();
                        h.set_size(len);
                        stats.content_size += len;
                        // `take` guards against a file growing while we read it.
                        tar.append_data(&mut h, path, f.take(len))
                    }
                }
            }
            Entry::Symlink { target } => {
                stats.content_size += target.len() as u64;
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                tar.append_link(&mut h, path, target)
            }
            Entry::Hardlink { target } => {
                h.set_entry_type(tar::EntryType::Link);
                // A hardlink shares its target's inode, and Docker's extractor (moby
                // pkg/archive) chmods the path to the header's mode: a link header must
                // carry the target's mode or it strips the target's execute bits.
                let mode = match self.entries.get(target) {
                    Some(Entry::File { mode, .. }) => *mode,
                    _ => 0o644,
                };
                h.set_mode(mode);
                tar.append_link(&mut h, path, target)
            }
            Entry::Whiteout => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_mode(0);
                h.set_device_major(0)?;
                h.set_device_minor(0)?;
                tar.append_data(&mut h, path, io::empty())
            }
        }
    }
}

struct CountingWriter<W> {
    inner: W,
    n: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---------------------------------------------------------------------------------------
// Extraction

/// Unpacks the layer tar `reader` (plain or gzip, detected by magic) into the directory
/// `root`, which should be new and private to this call (nothing else writes to it while
/// we do, so checking each parent with lstat is race-free).
///
/// Every entry's path is cleaned and checked: absolute names and `..` are refused, and so
/// is any entry whose parent directory, as it exists on disk, is a symlink (that symlink
/// could point anywhere on the host). Hardlink targets get the same checks, so they stay
/// inside `root`. Whiteouts become overlayfs whiteouts.
pub fn extract<R: Read>(reader: R, root: &Path) -> Result<LayerStats, LayerError> {
    let mut buffered = io::BufReader::with_capacity(256 * 1024, reader);
    let head = io::BufRead::fill_buf(&mut buffered)?;
    let gz = head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let stream: Box<dyn Read> = if gz {
        Box::new(flate2::read::GzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let mut archive = tar::Archive::new(stream);
    let mut stats = LayerStats::default();
    // Directory modes and times are applied at the end: creating children changes a
    // directory's mtime, and a read-only directory mode would stop us writing into it.
    let mut dirs: Vec<(PathBuf, u32, u64)> = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = checked_name(&raw)?;
        let Some(name) = name else { continue }; // "./" itself: the root
        let (parent_rel, file_name) = match name.rsplit_once('/') {
            Some((p, f)) => (Some(p), f),
            None => (None, name.as_str()),
        };
        let parent = ensure_parent(root, parent_rel, &raw)?;
        let header = entry.header().clone();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let mtime = header.mtime().unwrap_or(0);
        let uid = header.uid().unwrap_or(0) as u32;
        let gid = header.gid().unwrap_or(0) as u32;
        let ctx = |e: io::Error| LayerError::Entry {
            entry: raw.clone(),
            source: e,
        };
        stats.entries += 1;

        if file_name == WHITEOUT_OPAQUE {
            set_xattr(&parent, "trusted.overlay.opaque", b"y").map_err(ctx)?;
            continue;
        }
        if let Some(hidden) = file_name.strip_prefix(WHITEOUT_PREFIX) {
            if hidden.is_empty() || hidden == "." || hidden == ".." || hidden.contains('/') {
                return Err(unsafe_entry(&raw, "bad whiteout name"));
            }
            let target = parent.join(hidden);
            remove_existing(&target).map_err(ctx)?;
            mknod(&target, libc::S_IFCHR, 0).map_err(ctx)?;
            continue;
        }

        let target = parent.join(file_name);
        let kind = header.entry_type();
        if kind.is_dir() {
            match fs::symlink_metadata(&target) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    remove_existing(&target).map_err(ctx)?;
                    fs::create_dir(&target).map_err(ctx)?;
                }
                Err(_) => fs::create_dir(&target).map_err(ctx)?,
            }
            lchown(&target, uid, gid).map_err(ctx)?;
            dirs.push((target, mode, mtime));
            continue;
        }
        remove_existing(&target).map_err(ctx)?;
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .mode(0o600)
                    .open(&target)
                    .map_err(ctx)?;
                let n = io::copy(&mut entry, &mut f).map_err(ctx)?;
                stats.content_size += n;
                drop(f);
                lchown(&target, uid, gid).map_err(ctx)?;
                // chmod after chown: chown clears set-id bits.
                fs::set_permissions(&target, fs::Permissions::from_mode(mode)).map_err(ctx)?;
                set_mtime(&target, mtime).map_err(ctx)?;
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| unsafe_entry(&raw, "symlink without a target"))?;
                // The target is stored as is: it is resolved in the container's root at
                // run time, never by us (we refuse to write through it above).
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&link), &target)
                    .map_err(ctx)?;
                stats.content_size += link.len() as u64;
                lchown(&target, uid, gid).map_err(ctx)?;
                set_mtime(&target, mtime).map_err(ctx)?;
            }
            tar::EntryType::Link => {
                let link = entry
                    .link_name_bytes()
                    .ok_or_else(|| unsafe_entry(&raw, "hardlink without a target"))?;
                let link_raw = String::from_utf8_lossy(&link).into_owned();
                let link_name = checked_name(&link_raw)
                    .map_err(|_| {
                        unsafe_entry(
                            &raw,
                            format!("hardlink target {link_raw:?} is outside the layer"),
                        )
                    })?
                    .ok_or_else(|| unsafe_entry(&raw, "hardlink to the layer root"))?;
                let (lp, lf) = match link_name.rsplit_once('/') {
                    Some((p, f)) => (Some(p), f),
                    None => (None, link_name.as_str()),
                };
                let link_parent = existing_parent(root, lp).ok_or_else(|| {
                    unsafe_entry(
                        &raw,
                        format!(
                            "hardlink target {link_raw:?} is missing or reached through a symlink"
                        ),
                    )
                })?;
                let source = link_parent.join(lf);
                match fs::symlink_metadata(&source) {
                    Ok(m) if !m.is_dir() => {}
                    _ => {
                        return Err(unsafe_entry(
                            &raw,
                            format!("hardlink target {link_raw:?} is not a file in this layer"),
                        ));
                    }
                }
                // link(2) does not follow a symlink source, so a link to a symlink links
                // the symlink itself, still inside the root.
                fs::hard_link(&source, &target).map_err(ctx)?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let fmt = match kind {
                    tar::EntryType::Char => libc::S_IFCHR,
                    tar::EntryType::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                let major = header.device_major().ok().flatten().unwrap_or(0);
                let minor = header.device_minor().ok().flatten().unwrap_or(0);
                mknod(&target, fmt | mode, libc::makedev(major, minor)).map_err(ctx)?;
                lchown(&target, uid, gid).map_err(ctx)?;
            }
            // PAX/GNU metadata records are consumed by the tar reader; anything else
            // (sockets, sparse oddities) is not image content.
            _ => {}
        }
    }
    for (dir, mode, mtime) in dirs.iter().rev() {
        fs::set_permissions(dir, fs::Permissions::from_mode(*mode)).map_err(|e| {
            LayerError::Entry {
                entry: dir.display().to_string(),
                source: e,
            }
        })?;
        let _ = set_mtime(dir, *mtime);
    }
    Ok(stats)
}

/// Cleans an entry name. `Ok(None)` for the root itself; an error for absolute names and
/// any `..` component (even ones that would stay inside, as Docker's archive package does).
fn checked_name(raw: &str) -> Result<Option<String>, LayerError> {
    if raw.starts_with('/') {
        return Err(unsafe_entry(raw, "absolute path"));
    }
    let mut parts = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(unsafe_entry(raw, "path contains \"..\"")),
            p => parts.push(p),
        }
    }
    Ok(if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    })
}

/// Creates the parent directories of an entry (0755, like tar) and returns the parent's
/// path, refusing if any existing component is not a real directory (a symlink planted by
/// an earlier entry, CVE-2014-9356).
fn ensure_parent(root: &Path, rel: Option<&str>, raw: &str) -> Result<PathBuf, LayerError> {
    let mut dir = root.to_path_buf();
    let Some(rel) = rel else { return Ok(dir) };
    for comp in rel.split('/') {
        dir.push(comp);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(unsafe_entry(
                    raw,
                    format!(
                        "its parent {:?} is a symlink; writing through it could escape the layer",
                        dir.strip_prefix(root).unwrap_or(&dir)
                    ),
                ));
            }
            Ok(_) => {
                return Err(unsafe_entry(
                    raw,
                    format!(
                        "its parent {:?} is not a directory",
                        dir.strip_prefix(root).unwrap_or(&dir)
                    ),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&dir).map_err(|e| LayerError::Entry {
                    entry: raw.to_string(),
                    source: e,
                })?;
            }
            Err(e) => {
                return Err(LayerError::Entry {
                    entry: raw.to_string(),
                    source: e,
                });
            }
        }
    }
    Ok(dir)
}

/// The parent directory of an existing path, if every component is a real directory.
fn existing_parent(root: &Path, rel: Option<&str>) -> Option<PathBuf> {
    let mut dir = root.to_path_buf();
    if let Some(rel) = rel {
        for comp in rel.split('/') {
            dir.push(comp);
            if !fs::symlink_metadata(&dir).ok()?.is_dir() {
                return None;
            }
        }
    }
    Some(dir)
}

fn remove_existing(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)
}

fn lchown(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid))
}

fn mknod(p: &Path, mode: libc::mode_t, dev: libc::dev_t) -> io::Result<()> {
    let c = cpath(p)?;
    // SAFETY: valid NUL-terminated path.
    if unsafe { libc::mknod(c.as_ptr(), mode, dev) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn set_xattr(p: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let c = cpath(p)?;
    let n = CString::new(name).map_err(io::Error::other)?;
    // SAFETY: valid pointers and lengths.
    let rc = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Reads an xattr (tests and the container engine's checks use it).
pub fn get_xattr(p: &Path, name: &str) -> io::Result<Vec<u8>> {
    let c = cpath(p)?;
    let n = CString::new(name).map_err(io::Error::other)?;
    let mut buf = vec![0u8; 256];
    // SAFETY: valid pointers and lengths.
    let rc = unsafe { libc::lgetxattr(c.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(rc as usize);
    Ok(buf)
}

fn set_mtime(p: &Path, mtime: u64) -> io::Result<()> {
    let c = cpath(p)?;
    let ts = libc::timespec {
        tv_sec: mtime as libc::time_t,
        tv_nsec: 0,
    };
    let times = [ts, ts];
    // SAFETY: valid path and a two-element timespec array.
    let rc = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Apparent size of an unpacked layer directory as moby's `directory.Size` computes it:
/// lstat sizes of everything but directories, each inode once.
pub fn dir_content_size(dir: &Path) -> io::Result<u64> {
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d)? {
            let e = e?;
            // lstat, like moby's directory.Size: symlinks count their target's length.
            let m = fs::symlink_metadata(e.path())?;
            if m.is_dir() {
                stack.push(e.path());
            } else if m.len() > 0 && seen.insert((m.dev(), m.ino())) {
                total += m.len();
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::image::digest::sha256_digest;

    /// A hand-built tar, byte by byte through the tar crate's raw headers, so malicious
    /// names that a friendly builder would refuse can be written.
    struct Evil {
        tar: tar::Builder<Vec<u8>>,
    }

    impl Evil {
        fn new() -> Self {
            Evil {
                tar: tar::Builder::new(Vec::new()),
            }
        }
        fn header(kind: tar::EntryType, name: &str, size: u64) -> tar::Header {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(kind);
            h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
            h.set_size(size);
            // Bypass set_path's own `..`/absolute checks: write the raw name bytes.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            h
        }
        fn file(mut self, name: &str, data: &[u8]) -> Self {
            let h = Self::header(tar::EntryType::Regular, name, data.len() as u64);
            self.tar.append(&h, data).unwrap();
            self
        }
        fn dir(mut self, name: &str) -> Self {
            let h = Self::header(tar::EntryType::Directory, name, 0);
            self.tar.append(&h, io::empty()).unwrap();
            self
        }
        fn link(mut self, kind: tar::EntryType, name: &str, target: &str) -> Self {
            let mut h = Self::header(kind, name, 0);
            let t = target.as_bytes();
            h.as_old_mut().linkname[..t.len()].copy_from_slice(t);
            h.set_cksum();
            self.tar.append(&h, io::empty()).unwrap();
            self
        }
        fn bytes(self) -> Vec<u8> {
            self.tar.into_inner().unwrap()
        }
    }

    fn unpack(tar: &[u8]) -> (tempfile::TempDir, Result<LayerStats, LayerError>) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir(&root).unwrap();
        let r = extract(tar, &root);
        (dir, r)
    }

    fn refused(tar: &[u8], entry: &str) -> String {
        let (_d, r) = unpack(tar);
        match r {
            Err(LayerError::Unsafe { entry: e, reason }) => {
                assert_eq!(e, entry);
                reason
            }
            other => panic!("expected refusal of {entry}, got {other:?}"),
        }
    }

    #[test]
    fn refuses_dotdot_and_absolute_names() {
        let reason = refused(&Evil::new().file("../escape", b"x").bytes(), "../escape");
        assert!(reason.contains(".."), "{reason}");
        refused(
            &Evil::new().file("a/../../escape", b"x").bytes(),
            "a/../../escape",
        );
        let reason = refused(&Evil::new().file("/etc/evil", b"x").bytes(), "/etc/evil");
        assert_eq!(reason, "absolute path");
    }

    #[test]
    fn refuses_writing_through_a_planted_symlink() {
        // CVE-2014-9356: `link -> /tmp/outside`, then `link/pwned`.
        let outside = tempfile::tempdir().unwrap();
        let tar = Evil::new()
            .link(
                tar::EntryType::Symlink,
                "link",
                outside.path().to_str().unwrap(),
            )
            .file("link/pwned", b"owned")
            .bytes();
        let reason = refused(&tar, "link/pwned");
        assert!(reason.contains("symlink"), "{reason}");
        assert!(!outside.path().join("pwned").exists());
        // Also through a relative symlink to `..`.
        let tar = Evil::new()
            .link(tar::EntryType::Symlink, "up", "..")
            .file("up/pwned", b"owned")
            .bytes();
        let (dir, r) = unpack(&tar);
        assert!(matches!(r, Err(LayerError::Unsafe { .. })));
        assert!(!dir.path().join("pwned").exists());
    }

    #[test]
    fn a_file_entry_replaces_a_symlink_instead_of_following_it() {
        // Overwriting `x` (a symlink to a host file) must replace the link, not write
        // through it into the host file.
        let host = tempfile::NamedTempFile::new().unwrap();
        fs::write(host.path(), b"host content").unwrap();
        let tar = Evil::new()
            .link(tar::EntryType::Symlink, "x", host.path().to_str().unwrap())
            .file("x", b"layer content")
            .bytes();
        let (dir, r) = unpack(&tar);
        r.unwrap();
        assert_eq!(fs::read(host.path()).unwrap(), b"host content");
        let x = dir.path().join("root/x");
        assert!(fs::symlink_metadata(&x).unwrap().is_file());
        assert_eq!(fs::read(&x).unwrap(), b"layer content");
        // A directory entry over a planted symlink replaces it too.
        let outside = tempfile::tempdir().unwrap();
        let tar = Evil::new()
            .link(
                tar::EntryType::Symlink,
                "d",
                outside.path().to_str().unwrap(),
            )
            .dir("d/")
            .file("d/f", b"inside")
            .bytes();
        let (dir, r) = unpack(&tar);
        r.unwrap();
        assert!(
            fs::symlink_metadata(dir.path().join("root/d"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(fs::read(dir.path().join("root/d/f")).unwrap(), b"inside");
        assert!(!outside.path().join("f").exists());
    }

    #[test]
    fn hardlinks_must_stay_inside_the_root() {
        let reason = refused(
            &Evil::new()
                .link(tar::EntryType::Link, "shadow", "/etc/shadow")
                .bytes(),
            "shadow",
        );
        assert!(reason.contains("outside"), "{reason}");
        refused(
            &Evil::new()
                .link(tar::EntryType::Link, "p", "../../etc/passwd")
                .bytes(),
            "p",
        );
        // A hardlink through a planted directory symlink is refused too.
        let tar = Evil::new()
            .link(tar::EntryType::Symlink, "etc", "/etc")
            .link(tar::EntryType::Link, "pw", "etc/passwd")
            .bytes();
        refused(&tar, "pw");
        // A legitimate hardlink works and shares the inode.
        let tar = Evil::new()
            .file("bin/busybox", b"ELF")
            .link(tar::EntryType::Link, "bin/sh", "bin/busybox")
            .bytes();
        let (dir, r) = unpack(&tar);
        let stats = r.unwrap();
        let a = fs::metadata(dir.path().join("root/bin/busybox")).unwrap();
        let b = fs::metadata(dir.path().join("root/bin/sh")).unwrap();
        assert_eq!(a.ino(), b.ino());
        assert_eq!(stats.content_size, 3);
    }

    #[test]
    fn whiteouts_become_overlayfs_whiteouts() {
        let tar = Evil::new()
            .dir("etc/")
            .file("etc/.wh.motd", b"")
            .dir("var/cache/")
            .file("var/cache/.wh..wh..opq", b"")
            .bytes();
        let (dir, r) = unpack(&tar);
        r.unwrap();
        let root = dir.path().join("root");
        let motd = fs::symlink_metadata(root.join("etc/motd")).unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(motd.file_type().is_char_device());
        assert_eq!(motd.rdev(), 0);
        assert!(!root.join("etc/.wh.motd").exists());
        assert!(!root.join("var/cache/.wh..wh..opq").exists());
        match get_xattr(&root.join("var/cache"), "trusted.overlay.opaque") {
            Ok(v) => assert_eq!(v, b"y"),
            // trusted.* needs CAP_SYS_ADMIN and a filesystem that supports it.
            Err(e) => assert!(
                matches!(e.raw_os_error(), Some(libc::EPERM) | Some(libc::ENOTSUP)),
                "{e}"
            ),
        }
        let reason = refused(&Evil::new().file(".wh...", b"").bytes(), ".wh...");
        assert!(reason.contains("whiteout"));
    }

    #[test]
    fn builder_output_is_deterministic_and_round_trips() {
        let src = tempfile::tempdir().unwrap();
        fs::create_dir_all(src.path().join("lib/sub")).unwrap();
        fs::write(src.path().join("lib/a.py"), b"print(1)\n").unwrap();
        fs::write(src.path().join("lib/sub/b.py"), b"x = 2\n").unwrap();
        fs::create_dir_all(src.path().join("lib/__pycache__")).unwrap();
        fs::write(src.path().join("lib/__pycache__/a.pyc"), b"junk").unwrap();
        std::os::unix::fs::symlink("a.py", src.path().join("lib/c.py")).unwrap();

        let build = || {
            let mut b = LayerBuilder::new(1_600_000_000);
            b.tree(&src.path().join("lib"), "/usr/lib/x", &|p| {
                p.file_name().is_some_and(|n| n == "__pycache__")
            })
            .unwrap();
            b.file(
                "/bin/hello",
                0o755,
                Content::Bytes(b"#!/bin/sh\necho hi\n".to_vec()),
            )
            .unwrap();
            b.hardlink("/bin/hi", "/bin/hello").unwrap();
            // `[` sorts before `hello`: the target must still come first in the tar.
            b.hardlink("/bin/[", "/bin/hello").unwrap();
            b.symlink("/bin/sh", "busybox").unwrap();
            b.write(Vec::new()).unwrap()
        };
        let (one, stats) = build();
        // Touch the source: mtimes must not leak into the layer.
        filetime_touch(&src.path().join("lib/a.py"));
        let (two, _) = build();
        assert_eq!(sha256_digest(&one), sha256_digest(&two));
        assert_eq!(stats.tar_size, one.len() as u64);

        let (dir, r) = unpack(&one);
        let ex = r.unwrap();
        assert_eq!(
            ex.content_size, stats.content_size,
            "hardlinks counted once"
        );
        // 9 + 6 + 18 bytes of files, symlinks `a.py` and `busybox` by target length.
        assert_eq!(ex.content_size, 9 + 6 + 18 + 4 + 7);
        let root = dir.path().join("root");
        assert_eq!(dir_content_size(&root).unwrap(), ex.content_size);
        assert_eq!(
            fs::read(root.join("usr/lib/x/sub/b.py")).unwrap(),
            b"x = 2\n"
        );
        assert!(!root.join("usr/lib/x/__pycache__").exists());
        assert_eq!(
            fs::read_link(root.join("usr/lib/x/c.py")).unwrap(),
            Path::new("a.py")
        );
        let m = fs::metadata(root.join("bin/hello")).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o755);
        assert_eq!(m.mtime(), 1_600_000_000);
        assert_eq!(m.uid(), 0);
        // Parents come before children, a link's target before the link, the rest sorted.
        let names: Vec<String> = tar::Archive::new(one.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(&names[..4], ["bin/", "bin/hello", "bin/[", "bin/hi"]);
        let usr: Vec<&String> = names.iter().filter(|n| n.starts_with("usr")).collect();
        let mut sorted = usr.clone();
        sorted.sort_by(|a, b| a.trim_end_matches('/').cmp(b.trim_end_matches('/')));
        assert_eq!(usr, sorted);
        assert_eq!(
            fs::metadata(root.join("bin/[")).unwrap().ino(),
            fs::metadata(root.join("bin/hello")).unwrap().ino()
        );
    }

    fn filetime_touch(p: &Path) {
        let f = OpenOptions::new().append(true).open(p).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
            .unwrap();
    }

    #[test]
    fn gzip_layers_are_detected() {
        let mut b = LayerBuilder::new(0);
        b.file("/a", 0o644, Content::Bytes(b"hello".to_vec()))
            .unwrap();
        let (tar, _) = b.write(Vec::new()).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let (dir, r) = unpack(&gz.finish().unwrap());
        r.unwrap();
        assert_eq!(fs::read(dir.path().join("root/a")).unwrap(), b"hello");
    }

    // Ensure a hardlink header carries its target's mode: Docker chmods the extracted
    // path to it, so 0644 here made busybox's applets unexecutable under real Docker.
    #[test]
    fn hardlink_headers_carry_the_target_mode() {
        let mut b = LayerBuilder::new(0);
        b.file("/bin/busybox", 0o755, Content::Bytes(b"x".to_vec()))
            .unwrap();
        b.hardlink("/bin/sh", "/bin/busybox").unwrap();
        let (tar_bytes, _) = b.write(Vec::new()).unwrap();
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        let modes: Vec<(String, u32)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.path().unwrap().display().to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .filter(|(p, _)| p.starts_with("bin/") && p != "bin/")
            .collect();
        assert_eq!(
            modes,
            vec![
                ("bin/busybox".to_string(), 0o755),
                ("bin/sh".to_string(), 0o755)
            ]
        );
    }
}
