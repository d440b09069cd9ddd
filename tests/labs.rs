//! Every lab in `labs/` is a test: it runs end to end against the built-in engine in a
//! fresh lab sandbox, and any mismatch fails the suite with the runner's diff.

mod common;

#[test]
fn every_lab_passes_against_the_engine() {
    common::require_root();
    let labs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    let out = std::process::Command::new(common::docklab_bin())
        .args(["lab", "--labs"])
        .arg(&labs)
        .args(["run", "--all", "--keep-going"])
        .env("LANG", "C")
        .env_remove("DOCKLAB_ROOT")
        .output()
        .expect("run docklab lab run --all");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "a lab failed:\n{text}");
    // Both labs ran and reported every step.
    for id in ["01-run", "02-exec"] {
        assert!(
            text.contains(&format!("Lab {id}")),
            "{id} did not run:\n{text}"
        );
    }
    assert!(!text.contains('✗'), "{text}");
}

#[test]
fn every_lab_is_valid() {
    let labs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("labs");
    let out = std::process::Command::new(common::docklab_bin())
        .args(["lab", "--labs"])
        .arg(&labs)
        .arg("validate")
        .env("LANG", "C")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
