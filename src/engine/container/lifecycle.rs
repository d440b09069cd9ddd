//! `stop`, `kill`, `restart`, `pause`, `unpause`, `wait` and `rename`.

use super::{Container, ContainerError, Status};
use crate::engine::Engine;
use crate::engine::runtime::sys;

/// Signal names as `docker kill -s` takes them (`KILL`, `SIGTERM`, `9`).
pub fn parse_signal(name: &str) -> Option<i32> {
    if let Ok(n) = name.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    let sig = match bare {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ILL" => libc::SIGILL,
        "TRAP" => libc::SIGTRAP,
        "ABRT" => libc::SIGABRT,
        "BUS" => libc::SIGBUS,
        "FPE" => libc::SIGFPE,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "SEGV" => libc::SIGSEGV,
        "USR2" => libc::SIGUSR2,
        "PIPE" => libc::SIGPIPE,
        "ALRM" => libc::SIGALRM,
        "TERM" => libc::SIGTERM,
        "CHLD" => libc::SIGCHLD,
        "CONT" => libc::SIGCONT,
        "STOP" => libc::SIGSTOP,
        "TSTP" => libc::SIGTSTP,
        "TTIN" => libc::SIGTTIN,
        "TTOU" => libc::SIGTTOU,
        "URG" => libc::SIGURG,
        "WINCH" => libc::SIGWINCH,
        _ => return None,
    };
    Some(sig)
}

/// Waits until the monitor has recorded the exit (it exits right after), up to `timeout_ms`.
fn wait_monitor(container: &Container, timeout_ms: i32) -> bool {
    sys::wait_pid_gone(container.state.monitor_pid, timeout_ms)
}

/// Sends `signal` to the init and waits for the container to be recorded as stopped.
pub fn kill_and_wait(
    engine: &Engine,
    container: &Container,
    signal: i32,
) -> Result<(), ContainerError> {
    send(engine, container, signal)?;
    wait_monitor(container, -1);
    Ok(())
}

fn send(engine: &Engine, container: &Container, signal: i32) -> Result<(), ContainerError> {
    let pid = container.state.pid;
    if pid <= 0 {
        return Err(ContainerError::NotRunning(container.record.id.clone()));
    }
    // SAFETY: kill with integer arguments.
    unsafe { libc::kill(pid, signal) };
    if container.state.status == Status::Paused {
        // A frozen task only acts on the signal once thawed.
        let _ = container.cgroup().set_frozen(false);
        super::update_state(engine, &container.record.id, |s| {
            if s.status == Status::Paused {
                s.status = Status::Running;
            }
        })?;
    }
    Ok(())
}

/// `docker stop -t N`: the stop signal (SIGTERM unless the image says otherwise), then
/// SIGKILL after `timeout` seconds; a container that is not running is left as it is.
pub fn stop(
    engine: &Engine,
    container: &Container,
    timeout_secs: i64,
) -> Result<(), ContainerError> {
    if !container.is_running() {
        return Ok(());
    }
    let signal = container
        .record
        .config
        .stop_signal
        .as_deref()
        .and_then(parse_signal)
        .unwrap_or(libc::SIGTERM);
    send(engine, container, signal)?;
    let timeout_ms = if timeout_secs < 0 {
        -1
    } else {
        (timeout_secs * 1000).min(i32::MAX as i64) as i32
    };
    if !sys::wait_pid_gone(container.state.pid, timeout_ms) {
        // SAFETY: kill with integer arguments.
        unsafe { libc::kill(container.state.pid, libc::SIGKILL) };
    }
    wait_monitor(container, -1);
    Ok(())
}

/// `docker kill -s SIG`: only for a running container.
pub fn kill(engine: &Engine, container: &Container, signal: i32) -> Result<(), ContainerError> {
    if !container.is_running() {
        return Err(ContainerError::NotRunning(container.record.id.clone()));
    }
    send(engine, container, signal)?;
    if signal == libc::SIGKILL {
        wait_monitor(container, 10_000);
    }
    Ok(())
}

pub fn pause(engine: &Engine, container: &Container) -> Result<(), ContainerError> {
    match container.state.status {
        Status::Paused => return Err(ContainerError::AlreadyPaused(container.record.id.clone())),
        Status::Running => {}
        _ => return Err(ContainerError::NotRunning(container.record.id.clone())),
    }
    container.cgroup().set_frozen(true)?;
    super::update_state(engine, &container.record.id, |s| s.status = Status::Paused)?;
    Ok(())
}

pub fn unpause(engine: &Engine, container: &Container) -> Result<(), ContainerError> {
    if container.state.status != Status::Paused {
        return Err(ContainerError::NotPaused(container.record.id.clone()));
    }
    container.cgroup().set_frozen(false)?;
    super::update_state(engine, &container.record.id, |s| s.status = Status::Running)?;
    Ok(())
}

/// `docker wait`: blocks until the container stops, returns its exit code.
pub fn wait(engine: &Engine, container: &Container) -> Result<i32, ContainerError> {
    if container.is_running() {
        wait_monitor(container, -1);
    }
    match super::load(engine, &container.record.id) {
        Ok(c) => Ok(c.state.exit_code),
        // Removed on exit (`--rm`): Docker still reports the code; we no longer have it.
        Err(ContainerError::NotFound(_)) => Ok(0),
        Err(e) => Err(e),
    }
}

/// `docker rename OLD NEW`.
pub fn rename(
    engine: &Engine,
    container: &Container,
    new_name: &str,
) -> Result<(), ContainerError> {
    let new_name = new_name.trim_start_matches('/');
    if !super::create::valid_name(new_name) {
        return Err(ContainerError::InvalidName(new_name.to_string()));
    }
    let _lock = engine.lock()?;
    if container.name() == new_name {
        return Err(ContainerError::Invalid(
            "Renaming a container with the same name as its current name".into(),
        ));
    }
    if let Some(other) = super::list(engine)?
        .into_iter()
        .find(|c| c.name() == new_name)
    {
        return Err(ContainerError::NameConflict {
            name: new_name.to_string(),
            id: other.record.id,
        });
    }
    let mut record = container.record.clone();
    record.name = format!("/{new_name}");
    crate::engine::store::write_json(&container.dir.join("config.json"), &record)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_like_docker_kill() {
        assert_eq!(parse_signal("KILL"), Some(9));
        assert_eq!(parse_signal("sigterm"), Some(15));
        assert_eq!(parse_signal("SIGUSR1"), Some(libc::SIGUSR1));
        assert_eq!(parse_signal("2"), Some(2));
        assert_eq!(parse_signal("NOPE"), None);
        assert_eq!(parse_signal("99"), None);
    }
}
