//! Display names for runs that were given none: `adjective-noun-N`, where N is the
//! run's ordinal in its project, so names stay unique and tell the order of runs.

const ADJECTIVES: &[&str] = &[
    "amber",
    "bold",
    "brisk",
    "calm",
    "clever",
    "cosmic",
    "crisp",
    "dainty",
    "dark",
    "dauntless",
    "deep",
    "dry",
    "eager",
    "earnest",
    "easy",
    "electric",
    "fancy",
    "fearless",
    "fiery",
    "fine",
    "floral",
    "fluent",
    "fresh",
    "frosty",
    "gallant",
    "gentle",
    "giddy",
    "glad",
    "golden",
    "grateful",
    "hardy",
    "hearty",
    "helpful",
    "honest",
    "hopeful",
    "icy",
    "jolly",
    "keen",
    "kind",
    "lilac",
    "lively",
    "lucky",
    "lunar",
    "major",
    "mellow",
    "misty",
    "noble",
    "olive",
    "polar",
    "proud",
    "quiet",
    "rare",
    "rosy",
    "royal",
    "rustic",
    "sandy",
    "scarlet",
    "sleek",
    "smart",
    "snowy",
    "solar",
    "spring",
    "stellar",
    "still",
    "stoic",
    "sunny",
    "swift",
    "tidy",
    "vivid",
    "warm",
    "wild",
    "wise",
    "young",
    "zany",
];

const NOUNS: &[&str] = &[
    "bird",
    "bloom",
    "breeze",
    "brook",
    "butterfly",
    "canyon",
    "cedar",
    "cloud",
    "comet",
    "cosmos",
    "dawn",
    "deluge",
    "dew",
    "dream",
    "dune",
    "eon",
    "field",
    "fire",
    "firefly",
    "flower",
    "fog",
    "forest",
    "frost",
    "galaxy",
    "glade",
    "grass",
    "haze",
    "hill",
    "lake",
    "leaf",
    "meadow",
    "moon",
    "morning",
    "mountain",
    "night",
    "oasis",
    "ocean",
    "paper",
    "pine",
    "planet",
    "pond",
    "rain",
    "resonance",
    "river",
    "sea",
    "shadow",
    "silence",
    "sky",
    "smoke",
    "snow",
    "sound",
    "spaceship",
    "star",
    "sun",
    "sunset",
    "surf",
    "thunder",
    "tree",
    "valley",
    "vortex",
    "water",
    "wave",
    "wildflower",
    "wind",
    "wood",
];

/// The display name of the `ordinal`-th run (1-based) of a project, with words chosen by
/// two random numbers (any value; they are reduced modulo the word lists).
pub fn generate(adjective_pick: usize, noun_pick: usize, ordinal: u64) -> String {
    format!(
        "{}-{}-{}",
        ADJECTIVES[adjective_pick % ADJECTIVES.len()],
        NOUNS[noun_pick % NOUNS.len()],
        ordinal
    )
}

/// How many word pairs there are to choose from.
pub fn vocabulary_size() -> (usize, usize) {
    (ADJECTIVES.len(), NOUNS.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn has_three_parts() {
        assert_eq!(generate(0, 0, 1), "amber-bird-1");
        assert_eq!(
            generate(ADJECTIVES.len(), NOUNS.len() + 1, 12),
            "amber-bloom-12"
        );
    }

    #[test]
    fn words_are_lowercase_single_words() {
        for w in ADJECTIVES.iter().chain(NOUNS) {
            assert!(w.chars().all(|c| c.is_ascii_lowercase()), "{w}");
        }
    }

    proptest! {
        #[test]
        fn ends_with_the_ordinal(a in any::<usize>(), n in any::<usize>(), k in 1u64..1_000_000) {
            let name = generate(a, n, k);
            let parts: Vec<_> = name.split('-').collect();
            prop_assert_eq!(parts.len(), 3);
            prop_assert_eq!(parts[2].parse::<u64>().unwrap(), k);
        }
    }
}
