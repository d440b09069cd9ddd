//! Human units as go-units prints them: durations, decimal sizes, binary sizes.

use std::time::Duration;

/// go-units `HumanDuration`: "Less than a second", "1 second", "About a minute", "3 hours"…
/// Docker builds "Up 3 seconds" and "Exited (0) 5 minutes ago" from it.
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    let hours_f = d.as_secs_f64() / 3600.0;
    if seconds < 1 {
        return "Less than a second".into();
    }
    if seconds == 1 {
        return "1 second".into();
    }
    if seconds < 60 {
        return format!("{seconds} seconds");
    }
    let minutes = seconds / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // go-units rounds hours to the nearest (`int(d.Hours() + 0.5)`) from here on.
    let hours = (hours_f + 0.5) as u64;
    if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", (hours_f as u64) / 24 / 365)
    }
}

/// Duration since `then`, as `human_duration` words followed by " ago" (Docker's CREATED column).
pub fn ago(then: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} ago", human_duration(since(then)))
}

/// Time elapsed since `then`; zero if `then` is in the future (clock skew).
pub fn since(then: chrono::DateTime<chrono::Utc>) -> Duration {
    (chrono::Utc::now() - then).to_std().unwrap_or_default()
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units, 3 significant digits
/// (`1.99MB`, `1.88kB`, `301B`), as `docker images` and `ps -s` print sizes.
pub fn human_size(bytes: u64) -> String {
    scaled(
        bytes as f64,
        1000.0,
        &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"],
        3,
    )
}

/// go-units `BytesSize`: binary units, 4 significant digits (`1.785MiB`, `23.54GiB`), as `stats` prints memory.
pub fn bytes_size(bytes: u64) -> String {
    scaled(
        bytes as f64,
        1024.0,
        &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"],
        4,
    )
}

fn scaled(mut size: f64, base: f64, units: &[&str], precision: usize) -> String {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    format!("{}{}", format_g(size, precision), units[i])
}

/// Go's `%.Ng`: N significant digits, trailing zeros dropped, exponent form when the
/// exponent is < -4 or >= N (so 999.9 with N = 3 prints `1e+03`, as Docker does).
pub fn format_g(value: f64, precision: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let sci = format!("{:.*e}", precision - 1, value);
    let (mantissa, exp) = sci.split_once('e').expect("exponent form");
    let exp: i32 = exp.parse().expect("exponent");
    if exp < -4 || exp >= precision as i32 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_go_units() {
        let d = |s| human_duration(Duration::from_secs(s));
        assert_eq!(
            human_duration(Duration::from_millis(300)),
            "Less than a second"
        );
        assert_eq!(d(1), "1 second");
        assert_eq!(d(59), "59 seconds");
        assert_eq!(d(60), "About a minute");
        assert_eq!(d(119), "About a minute");
        assert_eq!(d(120), "2 minutes");
        assert_eq!(d(59 * 60 + 59), "59 minutes");
        assert_eq!(d(3600), "About an hour");
        assert_eq!(d(90 * 60), "2 hours");
        assert_eq!(d(47 * 3600), "47 hours");
        assert_eq!(d(48 * 3600), "2 days");
        assert_eq!(d(14 * 24 * 3600), "2 weeks");
        assert_eq!(d(60 * 24 * 3600), "2 months");
        assert_eq!(d(800 * 24 * 3600), "2 years");
    }

    #[test]
    fn decimal_sizes_have_three_significant_digits() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(301), "301B");
        assert_eq!(human_size(1880), "1.88kB");
        assert_eq!(human_size(1_990_000), "1.99MB");
        assert_eq!(human_size(4_261_000), "4.26MB");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(2048), "2.05kB");
        assert_eq!(human_size(123_456_789), "123MB");
        // Go's %g switches to exponent form once rounding reaches 1000.
        assert_eq!(human_size(999_999), "1e+03kB");
    }

    #[test]
    fn binary_sizes_have_four_significant_digits() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1_871_708), "1.785MiB");
        assert_eq!(bytes_size(25_275_000_000), "23.54GiB");
        assert_eq!(bytes_size(848), "848B");
    }

    #[test]
    fn format_g_matches_go() {
        assert_eq!(format_g(0.00001234, 3), "1.23e-05");
        assert_eq!(format_g(12.0, 3), "12");
        assert_eq!(format_g(1.5, 3), "1.5");
    }
}
