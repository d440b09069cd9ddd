//! Random container names (`adjective_surname`), as moby's namesgenerator makes them.

/// A random `left_right` name. STUB: the image/format work fills in moby's word lists.
pub fn random_name(retry: u32) -> String {
    let mut b = [0u8; 2];
    crate::engine::ids::random_bytes(&mut b);
    let base = format!("container_{}", u16::from_le_bytes(b));
    if retry > 0 {
        format!("{base}{}", b[0] % 10)
    } else {
        base
    }
}
