//! Opaque ids as W&B hands them out: base64 of `Kind:…`. The client only echoes them
//! back, but Cairn decodes the ones it receives (a run's storage id in an upsert, an
//! artifact id in a mutation), so the forms are fixed here in one place. Ids carry
//! database keys, not names: names may contain any character, keys never change.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub fn encode(plain: &str) -> String {
    STANDARD.encode(plain)
}

fn decode(id: &str) -> Option<String> {
    String::from_utf8(STANDARD.decode(id.trim()).ok()?).ok()
}

pub fn project(entity: &str, project: &str) -> String {
    encode(&format!("Project:v1:{project}:{entity}"))
}

/// An id made of a kind and a database key, e.g. `Artifact:12`.
pub fn keyed(kind: &str, pk: i32) -> String {
    encode(&format!("{kind}:{pk}"))
}

/// The database key of a `keyed` id of this kind.
pub fn parse_keyed(kind: &str, id: &str) -> Option<i32> {
    decode(id)?
        .strip_prefix(kind)?
        .strip_prefix(':')?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        assert_eq!(keyed("Run", 1), "UnVuOjE=");
        assert_eq!(parse_keyed("Artifact", &keyed("Artifact", 7)), Some(7));
        assert_eq!(parse_keyed("Artifact", &keyed("ArtifactManifest", 7)), None);
        assert_eq!(parse_keyed("Artifact", "not base64!"), None);
    }
}
