//! `logs`: reading the json-file log back, with `--tail`, `-t` and `-f`.

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};

use super::{Container, ContainerError};
use crate::engine::Engine;

/// One log line as stored.
#[derive(Debug, serde::Deserialize)]
pub struct LogEntry {
    pub log: String,
    pub stream: String,
    pub time: String,
}

/// Options of `docker logs`.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub tail: Option<usize>,
    pub timestamps: bool,
}

/// Writes the log to `out`/`err` by stream. With `follow`, keeps going until the
/// container stops.
pub fn copy_logs(
    engine: &Engine,
    container: &Container,
    opts: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), ContainerError> {
    let mut file = std::fs::File::open(container.log_path())?;
    let mut reader = BufReader::new(&mut file);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        if line.ends_with('\n') {
            lines.push(std::mem::take(&mut line));
        } else {
            break;
        }
    }
    let pending = line;
    let skip = opts
        .tail
        .map(|n| lines.len().saturating_sub(n))
        .unwrap_or(0);
    for l in &lines[skip..] {
        print_entry(l, opts, out, err)?;
    }
    if !opts.follow {
        return Ok(());
    }
    let mut pos = reader.stream_position()? - pending.len() as u64;
    let mut partial = String::new();
    loop {
        let running = super::load(engine, &container.record.id)
            .map(|c| c.is_running())
            .unwrap_or(false);
        file.seek(SeekFrom::Start(pos))?;
        let mut reader = BufReader::new(&mut file);
        let mut chunk = String::new();
        while reader.read_line(&mut chunk)? > 0 {
            partial.push_str(&chunk);
            chunk.clear();
            if partial.ends_with('\n') {
                print_entry(&partial, opts, out, err)?;
                partial.clear();
            }
        }
        pos = reader.stream_position()?;
        out.flush()?;
        if !running {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn print_entry(
    line: &str,
    opts: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), ContainerError> {
    let Ok(entry) = serde_json::from_str::<LogEntry>(line) else {
        return Ok(());
    };
    let target: &mut dyn Write = if entry.stream == "stderr" { err } else { out };
    if opts.timestamps {
        // `docker logs -t` prints RFC3339 with a fixed nine-digit fraction (RFC3339NanoFixed).
        let fixed = chrono::DateTime::parse_from_rfc3339(&entry.time)
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .format("%Y-%m-%dT%H:%M:%S%.9fZ")
                    .to_string()
            })
            .unwrap_or(entry.time.clone());
        write!(target, "{fixed} ")?;
    }
    target.write_all(entry.log.as_bytes())?;
    Ok(())
}
