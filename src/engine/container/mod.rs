//! Containers: their config and state on disk, and one file per verb.
//!
//! On disk, `<root>/containers/<64hex id>/config.json` holds the container as
//! `docker inspect` shows its static part (`Id`, `Created`, `Name` ("/web"), `Image`
//! ("sha256:…" image ID), `Config.Image` (the reference the user typed), `Config.Cmd`, …)
//! and `state.json` holds the mutable part (`Status`: created|running|paused|exited|dead,
//! `Pid`, `ExitCode`, `StartedAt`, `FinishedAt`, `MonitorPid`).
