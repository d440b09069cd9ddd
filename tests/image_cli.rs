//! Image verbs end to end through the binary: pull from the offline catalog, images,
//! tag, rmi (untag, delete, conflicts), image inspect, history, and the OCI layout.
//!
//! Every test gets a fresh `--root`; the catalog cache is shared under the target dir so
//! the python image is built once per `cargo test` run.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Out {
    stdout: String,
    stderr: String,
    code: i32,
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("catalog-cache")
}

fn docklab(root: &Path, args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_docklab"))
        .arg("--root")
        .arg(root)
        .args(args)
        .env("DOCKLAB_CATALOG_CACHE", cache_dir())
        .output()
        .expect("run docklab");
    Out {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn ok(root: &Path, args: &[&str]) -> String {
    let o = docklab(root, args);
    assert_eq!(o.code, 0, "{args:?} failed: {}{}", o.stdout, o.stderr);
    o.stdout
}

/// Replaces what varies between hosts and runs: digests, IDs, ages.
fn redact(s: &str) -> String {
    let s = regex::Regex::new(r"sha256:[0-9a-f]{64}")
        .unwrap()
        .replace_all(s, "sha256:[DIGEST]");
    let s = regex::Regex::new(r"\b[0-9a-f]{12}\b")
        .unwrap()
        .replace_all(&s, "[ID]");
    let s = regex::Regex::new(r"\d+ (years|months|weeks|days) ago")
        .unwrap()
        .replace_all(&s, "[AGO]");
    s.into_owned()
}

fn root() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn pull_prints_dockers_lines_then_is_up_to_date() {
    let r = root();
    let first = ok(r.path(), &["pull", "busybox"]);
    insta::assert_snapshot!(redact(&first), @r"
    Using default tag: latest
    latest: Pulling from library/busybox
    [ID]: Pull complete
    Digest: sha256:[DIGEST]
    Status: Downloaded newer image for busybox:latest
    docker.io/library/busybox:latest
    ");
    let second = ok(r.path(), &["pull", "busybox:latest"]);
    insta::assert_snapshot!(redact(&second), @r"
    latest: Pulling from library/busybox
    Digest: sha256:[DIGEST]
    Status: Image is up to date for busybox:latest
    docker.io/library/busybox:latest
    ");
    // The digest line is the same manifest both times.
    let digest = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("Digest:"))
            .unwrap()
            .to_string()
    };
    assert_eq!(digest(&first), digest(&second));
}

#[test]
fn user_repositories_pull_from_their_namespace_and_share_layers() {
    let r = root();
    ok(r.path(), &["pull", "alpine"]);
    let out = ok(r.path(), &["pull", "avenga/net-tools"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[1], "latest: Pulling from avenga/net-tools");
    // alpine's layer is the base of net-tools: already there.
    assert!(lines[2].ends_with(": Already exists"), "{out}");
    assert!(lines[3].ends_with(": Pull complete"), "{out}");
    assert_eq!(
        lines[5],
        "Status: Downloaded newer image for avenga/net-tools:latest"
    );
    assert_eq!(lines[6], "docker.io/avenga/net-tools:latest");
}

#[test]
fn pull_of_an_unknown_name_is_denied() {
    let r = root();
    let o = docklab(r.path(), &["pull", "nosuchimage"]);
    assert_eq!(o.code, 1);
    assert_eq!(o.stdout, "Using default tag: latest\n");
    assert_eq!(
        o.stderr,
        "Error response from daemon: pull access denied for nosuchimage, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n"
    );
    let o = docklab(r.path(), &["pull", "Bad:Ref:"]);
    assert_eq!(o.code, 1);
    assert!(
        o.stderr.starts_with("invalid reference format"),
        "{}",
        o.stderr
    );
}

#[test]
fn images_table_tag_and_untag() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    ok(r.path(), &["pull", "hello-world"]);
    ok(r.path(), &["image", "tag", "busybox", "mybox:v1"]);
    let table = ok(r.path(), &["images"]);
    insta::assert_snapshot!(redact(&table), @r"
    REPOSITORY    TAG       IMAGE ID       CREATED       SIZE
    busybox       latest    [ID]   [AGO]   1.98MB
    mybox         v1        [ID]   [AGO]   1.98MB
    hello-world   latest    [ID]   [AGO]   1.98MB
    ");
    // Same image ID for the tag and its source.
    let ids: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_ne!(ids[0], ids[2]);
    assert_eq!(ok(r.path(), &["images", "-q"]).lines().count(), 3);

    // A name with other tags left: only untagged.
    assert_eq!(
        ok(r.path(), &["image", "rm", "mybox:v1"]),
        "Untagged: mybox:v1\n"
    );
    // The last tag: untagged, then the image and its layer deleted.
    let out = ok(r.path(), &["image", "rm", "busybox"]);
    insta::assert_snapshot!(redact(&out), @r"
    Untagged: busybox:latest
    Untagged: busybox@sha256:[DIGEST]
    Deleted: sha256:[DIGEST]
    Deleted: sha256:[DIGEST]
    ");
    let deleted_layer = out
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("Deleted: sha256:");
    assert!(!r.path().join("layers").join(deleted_layer).exists());
    assert_eq!(ok(r.path(), &["images", "-q"]).lines().count(), 1);
}

#[test]
fn tag_and_rmi_of_missing_images() {
    let r = root();
    let o = docklab(r.path(), &["image", "tag", "x", "y"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "Error response from daemon: No such image: x:latest\n")
    );
    ok(r.path(), &["pull", "busybox"]);
    let o = docklab(r.path(), &["image", "tag", "busybox", "Bad"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (
            1,
            "Error parsing reference: \"Bad\" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase\n"
        )
    );
    let o = docklab(r.path(), &["image", "rm", "x"]);
    assert_eq!(
        (o.code, o.stderr.as_str()),
        (1, "Error response from daemon: No such image: x:latest\n")
    );
}

/// Writes a container record the way the container engine does.
fn fake_container(root: &Path, id: &str, image_id: &str, status: &str) {
    let dir = root.join("containers").join(id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.json"),
        format!(
            r#"{{"Id":"{id}","Name":"/web","Image":"{image_id}","Config":{{"Image":"busybox"}}}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("state.json"),
        format!(r#"{{"Status":"{status}"}}"#),
    )
    .unwrap();
}

fn image_id(root: &Path, name: &str) -> String {
    let json = ok(root, &["image", "inspect", name]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v[0]["Id"].as_str().unwrap().to_string()
}

#[test]
fn rmi_conflicts_with_containers() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    let id = image_id(r.path(), "busybox");
    let short = &id[7..19];
    let ctr = "66be0fbdab19".to_string() + &"0".repeat(52);
    fake_container(r.path(), &ctr, &id, "exited");

    let o = docklab(r.path(), &["image", "rm", "busybox"]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container 66be0fbdab19 is using its referenced image {short}\n"
        )
    );
    let o = docklab(r.path(), &["image", "rm", short]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "Error response from daemon: conflict: unable to delete {short} (must be forced) - image is being used by stopped container 66be0fbdab19\n"
        )
    );

    // Running: even -f by ID cannot delete it.
    fake_container(r.path(), &ctr, &id, "running");
    let o = docklab(r.path(), &["image", "rm", "-f", short]);
    assert_eq!(o.code, 1);
    assert_eq!(
        o.stderr,
        format!(
            "Error response from daemon: conflict: unable to delete {short} (cannot be forced) - image is being used by running container 66be0fbdab19\n"
        )
    );
    // -f by name untags and leaves the image dangling, as moby does.
    let o = docklab(r.path(), &["image", "rm", "-f", "busybox"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.starts_with("Untagged: busybox:latest\n"));
    assert!(!o.stdout.contains("Deleted"));
    let table = ok(r.path(), &["images"]);
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("<none>       <none>    "),
        "{table}"
    );

    // Stopped again: -f by ID deletes.
    fake_container(r.path(), &ctr, &id, "exited");
    let out = ok(r.path(), &["image", "rm", "-f", short]);
    assert!(out.starts_with(&format!("Deleted: {id}\n")), "{out}");
    assert_eq!(ok(r.path(), &["images", "-q"]), "");
}

#[test]
fn find_by_id_prefix_and_inspect_fields() {
    let r = root();
    ok(r.path(), &["pull", "nginx"]);
    let json = ok(r.path(), &["image", "inspect", "nginx"]);
    assert!(
        json.starts_with("[\n    {\n        \"Id\": \"sha256:"),
        "{json}"
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let img = &v[0];
    assert_eq!(img["RepoTags"], serde_json::json!(["nginx:latest"]));
    assert!(
        img["RepoDigests"][0]
            .as_str()
            .unwrap()
            .starts_with("nginx@sha256:")
    );
    assert_eq!(
        img["Config"]["Entrypoint"],
        serde_json::json!(["/docker-entrypoint.sh"])
    );
    assert_eq!(
        img["Config"]["Cmd"],
        serde_json::json!(["nginx", "-g", "daemon off;"])
    );
    assert_eq!(
        img["Config"]["ExposedPorts"],
        serde_json::json!({"80/tcp": {}})
    );
    assert_eq!(img["Config"]["StopSignal"], "SIGQUIT");
    assert_eq!(img["Architecture"], "amd64");
    assert_eq!(img["Os"], "linux");
    assert_eq!(img["Created"], "2023-08-16T09:50:55Z");
    assert_eq!(img["RootFS"]["Type"], "layers");
    assert_eq!(img["RootFS"]["Layers"].as_array().unwrap().len(), 2);
    // The ID is the sha256 of the config blob.
    let id = img["Id"].as_str().unwrap();
    let blob = std::fs::read(r.path().join("images/blobs/sha256").join(&id[7..])).unwrap();
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&blob)), &id[7..]);
    // Short IDs, `sha256:` IDs and full IDs all find it.
    for name in [&id[7..10], &id[7..19], id, &id[7..]] {
        assert_eq!(image_id(r.path(), name), id, "{name}");
    }
    let o = docklab(r.path(), &["image", "inspect", "nosuch"]);
    assert_eq!(
        (o.code, o.stdout.as_str(), o.stderr.as_str()),
        (1, "[]\n", "Error: No such image: nosuch\n")
    );
}

#[test]
fn history_lists_newest_first_with_missing_below() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    let out = ok(r.path(), &["image", "history", "busybox"]);
    insta::assert_snapshot!(redact(&out), @r#"
    IMAGE          CREATED       CREATED BY                                      SIZE      COMMENT
    [ID]   [AGO]   /bin/sh -c #(nop)  CMD ["sh"]                   0B        
    <missing>      [AGO]   /bin/sh -c #(nop) ADD file:7e9002edaafd4e457…   1.98MB    
    "#);
}

#[test]
fn store_is_an_oci_layout_and_python_runs_from_its_layers() {
    let r = root();
    ok(r.path(), &["pull", "python:3.11.5-alpine"]);
    let images = r.path().join("images");
    let layout: serde_json::Value =
        serde_json::from_slice(&std::fs::read(images.join("oci-layout")).unwrap()).unwrap();
    assert_eq!(layout["imageLayoutVersion"], "1.0.0");
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(images.join("index.json")).unwrap()).unwrap();
    let m = &index["manifests"][0];
    assert_eq!(
        m["annotations"]["io.containerd.image.name"],
        "docker.io/library/python:3.11.5-alpine"
    );
    assert_eq!(
        m["annotations"]["org.opencontainers.image.ref.name"],
        "3.11.5-alpine"
    );
    // Every blob the manifest names exists and hashes to its name.
    let manifest_hex = &m["digest"].as_str().unwrap()[7..];
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(images.join("blobs/sha256").join(manifest_hex)).unwrap(),
    )
    .unwrap();
    use sha2::Digest;
    for d in manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .chain([&manifest["config"]])
    {
        let hex = &d["digest"].as_str().unwrap()[7..];
        let data = std::fs::read(images.join("blobs/sha256").join(hex)).unwrap();
        assert_eq!(data.len() as u64, d["size"].as_u64().unwrap());
        assert_eq!(hex::encode(sha2::Sha256::digest(&data)), hex);
    }
    // The unpacked layers hold a working layout: python's binary, libc, the stdlib
    // without tests, and the /usr/local/bin links.
    let layers = r.path().join("layers");
    let has = |p: &str| {
        std::fs::read_dir(&layers)
            .unwrap()
            .flatten()
            .any(|l| l.path().join(p).symlink_metadata().is_ok())
    };
    for p in [
        "usr/bin/python3.11",
        "lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/python3.11/os.py",
        "usr/lib/python3.11/lib-dynload",
        "usr/local/bin/python",
        "bin/sh",
        "usr/bin/wget",
        "etc/os-release",
    ] {
        assert!(has(p), "{p} missing from the python image");
    }
    for p in [
        "usr/lib/python3.11/test",
        "usr/lib/python3.11/idlelib",
        "usr/lib/python3.11/__pycache__",
    ] {
        assert!(!has(p), "{p} should have been left out");
    }
    let v: serde_json::Value =
        serde_json::from_str(&ok(r.path(), &["image", "inspect", "python:3.11.5-alpine"])).unwrap();
    let env = v[0]["Config"]["Env"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|e| e.as_str().unwrap().starts_with("PYTHON_VERSION=3.11."))
    );
    assert!(env.contains(&serde_json::json!("LANG=C.UTF-8")));
    assert_eq!(v[0]["Config"]["Cmd"], serde_json::json!(["python3"]));
}

/// Cross-check with umoci and skopeo when they are installed (`apt-get install -y umoci
/// skopeo`); skipped otherwise so the suite needs neither.
#[test]
fn umoci_and_skopeo_accept_the_layout() {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("umoci") || !have("skopeo") {
        eprintln!("umoci or skopeo not installed; skipping");
        return;
    }
    let r = root();
    let pulled = ok(r.path(), &["pull", "busybox"]);
    let layout = format!("{}:latest", r.path().join("images").display());
    let stat = Command::new("umoci")
        .args(["stat", "--image", &layout])
        .output()
        .unwrap();
    assert!(
        stat.status.success(),
        "{}",
        String::from_utf8_lossy(&stat.stderr)
    );
    assert!(String::from_utf8_lossy(&stat.stdout).contains("#(nop)  CMD [\"sh\"]"));
    let inspect = Command::new("skopeo")
        .args(["inspect", &format!("oci:{layout}")])
        .output()
        .unwrap();
    assert!(
        inspect.status.success(),
        "{}",
        String::from_utf8_lossy(&inspect.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let digest_line = pulled.lines().find(|l| l.starts_with("Digest: ")).unwrap();
    assert_eq!(v["Digest"].as_str().unwrap(), &digest_line[8..]);
}

#[test]
fn rmi_by_id_of_an_image_in_several_repositories_needs_force() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    ok(r.path(), &["image", "tag", "busybox", "mybox:v1"]);
    let id = image_id(r.path(), "busybox");
    let short = &id[7..19];
    let o = docklab(r.path(), &["image", "rm", short]);
    assert_eq!(
        (o.code, o.stderr),
        (
            1,
            format!(
                "Error response from daemon: conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories\n"
            )
        )
    );
    let out = ok(r.path(), &["image", "rm", "-f", short]);
    assert!(out.contains("Untagged: busybox:latest\n"), "{out}");
    assert!(out.contains("Untagged: mybox:v1\n"), "{out}");
    assert!(out.contains(&format!("Deleted: {id}\n")), "{out}");
}

#[test]
fn rmi_force_keeps_layers_a_stopped_container_mounts_and_prune_removes_dangling() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    let id = image_id(r.path(), "busybox");
    let v: serde_json::Value =
        serde_json::from_str(&ok(r.path(), &["image", "inspect", "busybox"])).unwrap();
    let layer = v[0]["RootFS"]["Layers"][0].as_str().unwrap()[7..].to_string();
    let ctr = "ab".repeat(32);
    fake_container(r.path(), &ctr, &id, "exited");
    let out = ok(r.path(), &["image", "rm", "-f", "busybox"]);
    // The image goes, its layer stays for the container.
    assert!(out.contains(&format!("Deleted: {id}\n")), "{out}");
    assert!(!out.contains(&layer), "{out}");
    assert!(r.path().join("layers").join(&layer).is_dir());

    // prune: a dangling image goes once no container uses it.
    std::fs::remove_dir_all(r.path().join("containers").join(&ctr)).unwrap();
    ok(r.path(), &["pull", "alpine"]);
    ok(r.path(), &["pull", "hello-world"]);
    let hello = image_id(r.path(), "hello-world");
    fake_container(r.path(), &ctr, &hello, "running");
    let out = ok(r.path(), &["image", "rm", "-f", "hello-world"]);
    assert!(
        out.starts_with("Untagged: hello-world:latest\nUntagged: hello-world@sha256:"),
        "{out}"
    );
    assert!(
        !out.contains("Deleted"),
        "a running container keeps it: {out}"
    );
    assert_eq!(
        ok(r.path(), &["image", "prune", "-f"]),
        "Total reclaimed space: 0B\n"
    );
    std::fs::remove_dir_all(r.path().join("containers").join(&ctr)).unwrap();
    let out = ok(r.path(), &["image", "prune", "-f"]);
    assert!(
        out.starts_with(&format!(
            "Deleted Images:\ndeleted: {hello}\ndeleted: sha256:"
        )),
        "{out}"
    );
    assert!(
        out.ends_with("\n\nTotal reclaimed space: 1.98MB\n"),
        "{out}"
    );
    // -a: unused tagged images too.
    ok(r.path(), &["image", "tag", "alpine", "keep:me"]);
    let out = ok(r.path(), &["image", "prune", "-a", "-f"]);
    assert!(
        out.starts_with("Deleted Images:\nuntagged: alpine:latest\n"),
        "{out}"
    );
    assert!(out.contains("\nTotal reclaimed space: 1.99MB\n"), "{out}");
    assert_eq!(ok(r.path(), &["images", "-q"]), "");
}

// Ensure --format works on images and image inspect as with docker/cli (checked side by
// side against dockerd 20.10 with the same image loaded).
#[test]
fn images_and_image_inspect_take_go_templates() {
    let r = root();
    ok(r.path(), &["pull", "busybox"]);
    ok(r.path(), &["tag", "busybox", "mybox:v1"]);
    let out = ok(
        r.path(),
        &["images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"],
    );
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines, vec!["busybox:latest 1.98MB", "mybox:v1 1.98MB"]);
    let table = ok(
        r.path(),
        &["images", "--format", "table {{.Repository}}\t{{.ID}}"],
    );
    assert!(table.starts_with("REPOSITORY   IMAGE ID\n"), "{table}");
    let out = ok(
        r.path(),
        &[
            "image",
            "inspect",
            "-f",
            "{{.Os}}/{{.Architecture}} {{json .Config.Cmd}} {{.RootFS.Type}} {{len .RootFS.Layers}}",
            "busybox",
        ],
    );
    assert_eq!(out, "linux/amd64 [\"sh\"] layers 1\n");
    let bad = docklab(
        r.path(),
        &["image", "inspect", "-f", "{{.Nope}}", "busybox"],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("map has no entry for key \"Nope\""),
        "{}",
        bad.stderr
    );
}
