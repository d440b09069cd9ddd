//! `inspect` / `container inspect`: Docker's JSON shape (four-space indent, a top-level
//! array), `-f/--format` Go templates and `-s` sizes.

use clap::Args;
use serde::Serialize;
use serde_json::{Value, json};

use super::format::template;
use super::{Ctx, docker_error};
use crate::engine::container::{self, Container, ZERO_TIME, go_time, remove::dir_size};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format output using a custom template
    #[arg(short, long)]
    pub format: Option<String>,
    /// Display total file sizes if the type is container
    #[arg(short, long)]
    pub size: bool,
    /// Only inspect objects of the given type
    #[arg(long = "type")]
    pub kind: Option<String>,
    #[arg(required = true, value_name = "NAME|ID")]
    pub names: Vec<String>,
}

/// Which objects a name may denote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Any,
    Container,
}

/// Serialises like Go's `json.MarshalIndent(v, "", "    ")`.
pub fn to_docker_json(value: &impl Serialize) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    value.serialize(&mut ser).expect("JSON values serialise");
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

fn time_or_zero(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.as_ref()
        .map(go_time)
        .unwrap_or_else(|| ZERO_TIME.to_string())
}

/// The container as `docker inspect` shows it.
pub fn container_json(c: &Container, with_size: bool) -> Value {
    let r = &c.record;
    let s = &c.state;
    let rootfs = c.dir.join("rootfs");
    let lower: Vec<String> = r
        .lower_dirs
        .iter()
        .rev()
        .map(|p| p.display().to_string())
        .collect();
    let network_mode = r.host_config.network_mode.clone();
    let mut v = json!({
        "Id": r.id,
        "Created": go_time(&r.created),
        "Path": r.path,
        "Args": r.args,
        "State": {
            "Status": s.status.as_str(),
            "Running": c.is_running(),
            "Paused": s.status == container::Status::Paused,
            "Restarting": false,
            "OOMKilled": false,
            "Dead": s.status == container::Status::Dead,
            "Pid": s.pid,
            "ExitCode": s.exit_code,
            "Error": s.error,
            "StartedAt": time_or_zero(&s.started_at),
            "FinishedAt": time_or_zero(&s.finished_at),
        },
        "Image": r.image,
        "ResolvConfPath": c.dir.join("resolv.conf"),
        "HostnamePath": c.dir.join("hostname"),
        "HostsPath": c.dir.join("hosts"),
        "LogPath": c.log_path(),
        "Name": r.name,
        "RestartCount": 0,
        "Driver": "overlay2",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": null,
        "HostConfig": {
            "Binds": null,
            "ContainerIDFile": "",
            "LogConfig": {"Type": "json-file", "Config": {}},
            "NetworkMode": network_mode,
            "PortBindings": {},
            "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0},
            "AutoRemove": r.host_config.auto_remove,
            "VolumeDriver": "",
            "VolumesFrom": null,
            "CapAdd": null,
            "CapDrop": null,
            "Privileged": false,
            "PublishAllPorts": false,
            "ReadonlyRootfs": false,
            "Memory": 0,
            "NanoCpus": 0,
            "PidsLimit": null,
            "MaskedPaths": crate::engine::runtime::rootfs::MASKED_PATHS,
            "ReadonlyPaths": crate::engine::runtime::rootfs::READONLY_PATHS,
        },
        "GraphDriver": {
            "Data": {
                "LowerDir": lower.join(":"),
                "MergedDir": rootfs.join("merged"),
                "UpperDir": rootfs.join("upper"),
                "WorkDir": rootfs.join("work"),
            },
            "Name": "overlay2",
        },
        "Mounts": [],
        "Config": r.config,
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "",
            "Ports": {},
            "SandboxKey": if s.pid > 0 { format!("/proc/{}/ns/net", s.pid) } else { String::new() },
            "Gateway": "",
            "IPAddress": "",
            "IPPrefixLen": 0,
            "MacAddress": "",
            "Networks": {},
        },
    });
    if with_size {
        let rw = dir_size(&rootfs.join("upper"));
        v["SizeRw"] = json!(rw);
        v["SizeRootFs"] = json!(rw + r.image_size);
    }
    v
}

pub fn inspect(args: InspectArgs, ctx: &Ctx, kind: Kind) -> anyhow::Result<i32> {
    let only_containers = kind == Kind::Container || args.kind.as_deref() == Some("container");
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in &args.names {
        match container::lookup(&ctx.engine, name) {
            Ok(c) => found.push(container_json(&c, args.size)),
            Err(container::ContainerError::Ambiguous(p)) => errors.push(format!(
                "Error response from daemon: Multiple IDs found with provided prefix: {p}"
            )),
            Err(_) if !only_containers => match super::image::inspect_value(ctx, name) {
                Some(v) => found.push(v),
                None => errors.push(format!("Error: No such object: {name}")),
            },
            Err(_) => errors.push(format!("Error: No such container: {name}")),
        }
    }
    match &args.format {
        Some(fmt) => {
            // docker/cli's inspector retries on the raw JSON with missingkey=error, so an
            // unknown field is an error there, not `<no value>`.
            let tmpl = template::parse(&template::prepare(fmt))
                .map_err(|e| docker_error(1, e.to_string()))?
                .missingkey_error(true);
            for v in &found {
                let line = tmpl.render(v).map_err(|e| docker_error(1, e.to_string()))?;
                println!("{line}");
            }
        }
        None => println!("{}", to_docker_json(&Value::Array(found))),
    }
    if errors.is_empty() {
        Ok(0)
    } else {
        Err(docker_error(1, errors.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_uses_four_space_indent_like_docker() {
        let out = to_docker_json(&json!([{"Id": "x", "Args": []}]));
        assert_eq!(
            out,
            "[\n    {\n        \"Id\": \"x\",\n        \"Args\": []\n    }\n]"
        );
    }
}
