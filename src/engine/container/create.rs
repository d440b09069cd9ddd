//! `create`: a new container record from an image and the user's options: ID, name,
//! environment, command, and the generated hostname, hosts and resolv.conf files.

use std::collections::BTreeMap;
use std::fs;

use super::{ContainerError, ContainerRecord, HostConfig, State};
use crate::engine::Engine;
use crate::engine::image::Image;
use crate::engine::store::write_json_nosync;

/// What `docker create` / `docker run` let the user set.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub name: Option<String>,
    /// The image reference as typed.
    pub image_ref: String,
    /// Command after the image name; empty means the image's CMD.
    pub cmd: Vec<String>,
    /// `--entrypoint`: `Some("")` clears the image's entrypoint.
    pub entrypoint: Option<String>,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub attach_output: bool,
    pub auto_remove: bool,
    pub network: Option<String>,
    pub labels: BTreeMap<String, String>,
}

/// Docker's rule for user-given names (moby `daemon/names`): `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// Merges `overrides` into `base` like moby's `ReplaceOrAppendEnvValues`: a `KEY=v` replaces
/// the same key in place, a new key is appended, and a bare `KEY` takes the value from the
/// client's environment (or is dropped when unset, as `docker run -e KEY` does).
pub fn merge_env(base: &[String], overrides: &[String]) -> Vec<String> {
    let mut out: Vec<String> = base.to_vec();
    for item in overrides {
        let item = if item.contains('=') {
            item.clone()
        } else {
            match std::env::var(item) {
                Ok(v) => format!("{item}={v}"),
                Err(_) => continue,
            }
        };
        let key = item.split('=').next().unwrap_or("");
        match out.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(slot) => *slot = item,
            None => out.push(item),
        }
    }
    out
}

/// The environment a process in the container starts with (moby
/// `CreateDaemonEnvironment`): default PATH, HOSTNAME, TERM for a tty, then the container's
/// own Env replacing or appending.
pub fn process_env(record: &ContainerRecord, tty: bool) -> Vec<String> {
    let mut base = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        format!("HOSTNAME={}", record.config.hostname),
    ];
    if tty {
        base.push("TERM=xterm".into());
    }
    merge_env(&base, &record.config.env)
}

/// Reads a `--env-file`: one `KEY=value` or `KEY` per line, `#` comments and blank lines skipped.
pub fn read_env_file(path: &str) -> Result<Vec<String>, ContainerError> {
    let text = fs::read_to_string(path).map_err(|e| {
        ContainerError::Invalid(format!("open {path}: {}", crate::engine::io_text(&e)))
    })?;
    Ok(text
        .lines()
        .map(|l| l.trim_start())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.to_string())
        .collect())
}

/// Creates the container on disk. The caller holds the engine lock (names must be unique).
pub fn create(
    engine: &Engine,
    image: &Image,
    opts: &CreateOptions,
) -> Result<ContainerRecord, ContainerError> {
    let existing = super::list(engine)?;
    let name = match &opts.name {
        Some(n) => {
            let n = n.trim_start_matches('/');
            if !valid_name(n) {
                return Err(ContainerError::InvalidName(n.to_string()));
            }
            if let Some(c) = existing.iter().find(|c| c.name() == n) {
                return Err(ContainerError::NameConflict {
                    name: n.to_string(),
                    id: c.record.id.clone(),
                });
            }
            n.to_string()
        }
        None => generate_name(&existing),
    };
    let id = crate::engine::ids::new_id();
    let image_cfg = &image.config;

    let entrypoint: Option<Vec<String>> = match &opts.entrypoint {
        Some(e) if e.is_empty() => None,
        Some(e) => Some(vec![e.clone()]),
        None => image_cfg.entrypoint.clone().filter(|e| !e.is_empty()),
    };
    // A new --entrypoint also drops the image's CMD (Docker does the same).
    let cmd: Option<Vec<String>> = if !opts.cmd.is_empty() {
        Some(opts.cmd.clone())
    } else if opts.entrypoint.is_some() {
        None
    } else {
        image_cfg.cmd.clone()
    };
    let mut argv: Vec<String> = entrypoint.clone().unwrap_or_default();
    argv.extend(cmd.clone().unwrap_or_default());
    if argv.is_empty() {
        return Err(ContainerError::Invalid("no command specified".into()));
    }
    let hostname = opts
        .hostname
        .clone()
        .unwrap_or_else(|| id[..12].to_string());
    let network_mode = opts.network.clone().unwrap_or_else(|| "default".into());
    if !matches!(
        network_mode.as_str(),
        "default" | "bridge" | "none" | "host"
    ) {
        return Err(ContainerError::Invalid(format!(
            "network {network_mode} not found"
        )));
    }
    let env = merge_env(&image_cfg.env, &opts.env);
    let record = ContainerRecord {
        id: id.clone(),
        created: chrono::Utc::now(),
        path: argv[0].clone(),
        args: argv[1..].to_vec(),
        image: image.id.clone(),
        name: format!("/{name}"),
        config: super::Config {
            hostname: hostname.clone(),
            domainname: String::new(),
            user: opts.user.clone().unwrap_or_else(|| image_cfg.user.clone()),
            attach_stdin: opts.interactive && opts.attach_output,
            attach_stdout: opts.attach_output,
            attach_stderr: opts.attach_output,
            exposed_ports: image_cfg.exposed_ports.clone(),
            tty: opts.tty,
            open_stdin: opts.interactive,
            stdin_once: opts.interactive && opts.attach_output,
            env,
            cmd,
            image: opts.image_ref.clone(),
            working_dir: opts
                .workdir
                .clone()
                .unwrap_or_else(|| image_cfg.working_dir.clone()),
            entrypoint,
            labels: opts.labels.clone(),
            stop_signal: None,
        },
        host_config: HostConfig {
            auto_remove: opts.auto_remove,
            network_mode,
        },
        lower_dirs: image.layer_dirs.clone(),
        image_size: image.size,
    };

    let dir = engine.containers_dir().join(&id);
    let staging = engine.tmp_dir().join(&id);
    for sub in ["rootfs/upper", "rootfs/work", "rootfs/merged"] {
        fs::create_dir_all(staging.join(sub))?;
    }
    fs::write(staging.join("hostname"), format!("{hostname}\n"))?;
    fs::write(staging.join("hosts"), hosts_file())?;
    fs::write(
        staging.join("resolv.conf"),
        resolv_conf(&fs::read_to_string("/etc/resolv.conf").unwrap_or_default()),
    )?;
    fs::write(staging.join(format!("{id}-json.log")), b"")?;
    // No fsync per file: the directory becomes visible only through the rename below.
    write_json_nosync(&staging.join("config.json"), &record)?;
    write_json_nosync(&staging.join("state.json"), &State::default())?;
    // The directory appears whole or not at all: a killed CLI leaves at most a tmp entry.
    fs::rename(&staging, &dir)?;
    Ok(record)
}

fn generate_name(existing: &[super::Container]) -> String {
    // moby retries with a random digit appended, then falls back to the short ID.
    for retry in 0..7 {
        let name = crate::engine::names::random_name(retry);
        if !existing.iter().any(|c| c.name() == name) {
            return name;
        }
    }
    crate::engine::ids::new_id()[..12].to_string()
}

/// Docker's /etc/hosts for a container with no bridge address yet (loopback only).
pub fn hosts_file() -> String {
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n".to_string()
}

/// The host's resolv.conf without loopback nameservers (unreachable from the container);
/// if none is left, Google's public servers, as Docker's libnetwork/resolvconf does.
pub fn resolv_conf(host: &str) -> String {
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let trimmed = line.trim();
        if let Some(addr) = trimmed.strip_prefix("nameserver") {
            let addr = addr.trim();
            if addr.starts_with("127.") || addr == "::1" {
                continue;
            }
            servers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_docker_rule() {
        assert!(valid_name("web"));
        assert!(valid_name("a.b-c_d"));
        assert!(!valid_name("x"));
        assert!(!valid_name("-web"));
        assert!(!valid_name("bad name"));
        assert!(!valid_name("web!"));
    }

    #[test]
    fn env_replaces_in_place_and_appends() {
        let base = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        let out = merge_env(&base, &["A=2".into(), "B=3".into(), "PATH=/x".into()]);
        assert_eq!(out, vec!["PATH=/x", "A=2", "B=3"]);
    }

    #[test]
    fn bare_env_key_takes_client_value_or_is_dropped() {
        let out = merge_env(&[], &["DOCKLAB_SURELY_UNSET_VAR".into()]);
        assert!(out.is_empty());
    }

    #[test]
    fn resolv_conf_drops_loopback_servers() {
        let out = resolv_conf("search lan\nnameserver 127.0.0.53\n");
        assert_eq!(out, "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        let out = resolv_conf("nameserver 10.0.0.1\n");
        assert_eq!(out, "nameserver 10.0.0.1\n");
    }
}
