//! Percent-encoding of one URL path segment. Entity, project and run names may hold
//! spaces, slashes, quotes and any Unicode (SPEC.md §7); links must round-trip them.

/// Encode `s` so it stays a single path segment: everything except RFC 3986
/// unreserved characters is percent-encoded as UTF-8 bytes.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decode percent-escapes; `None` when an escape is malformed or the bytes are not UTF-8.
pub fn decode_segment(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_plain_names() {
        assert_eq!(encode_segment("mnist-v2_final.1"), "mnist-v2_final.1");
    }

    #[test]
    fn escapes_slashes_spaces_quotes_and_unicode() {
        assert_eq!(encode_segment("a/b c\"é"), "a%2Fb%20c%22%C3%A9");
    }

    #[test]
    fn rejects_bad_escapes() {
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(decode_segment("%4"), None);
        assert_eq!(decode_segment("%FF"), None);
    }

    proptest! {
        #[test]
        fn round_trips(s in "\\PC*") {
            prop_assert_eq!(decode_segment(&encode_segment(&s)), Some(s));
        }
    }
}
