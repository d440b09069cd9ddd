//! Container and exec IDs: 64 hex characters from the kernel's random source, as Docker draws them.

use std::fs::File;
use std::io::Read;

/// Fills `buf` from /dev/urandom (the same source crypto/rand uses on Linux).
pub fn random_bytes(buf: &mut [u8]) {
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(buf))
        .expect("reading /dev/urandom");
}

/// A new 64-hex ID. Like moby's `stringid.GenerateRandomID`, it is drawn again when the
/// 12-character short form is all digits, so a short ID never parses as a number.
pub fn new_id() -> String {
    loop {
        let mut buf = [0u8; 32];
        random_bytes(&mut buf);
        let id = hex::encode(buf);
        if !id[..12].bytes().all(|b| b.is_ascii_digit()) {
            return id;
        }
    }
}

/// The 12-character short form; strips a `sha256:` prefix first.
pub fn short(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_and_not_all_digit_prefixes() {
        for _ in 0..200 {
            let id = new_id();
            assert_eq!(id.len(), 64);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            assert!(!id[..12].bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn short_strips_algorithm() {
        assert_eq!(short("sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(short("abc"), "abc");
    }
}
