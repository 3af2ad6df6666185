//! Run ids the server makes up when a client gives none: 8 characters from
//! `[a-z0-9]`, like wandb's. The caller supplies randomness, so this stays pure.

/// Characters a generated run id is made of.
pub const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// Length of a generated run id.
pub const LEN: usize = 8;

/// Build a run id from a source of random numbers. `next_below(n)` must return a
/// uniformly random number in `0..n`.
pub fn generate(mut next_below: impl FnMut(usize) -> usize) -> String {
    (0..LEN)
        .map(|_| ALPHABET[next_below(ALPHABET.len()) % ALPHABET.len()] as char)
        .collect()
}

/// Whether `id` has the generated shape (8 lowercase alphanumerics).
pub fn is_generated_shape(id: &str) -> bool {
    id.len() == LEN && id.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uses_the_whole_alphabet() {
        let mut i = 0;
        let a = generate(|n| {
            i += 1;
            (i - 1) % n
        });
        assert_eq!(a, "abcdefgh");
        let z = generate(|n| n - 1);
        assert_eq!(z, "99999999");
    }

    proptest! {
        #[test]
        fn always_has_the_generated_shape(seed in proptest::collection::vec(0usize..1000, LEN)) {
            let mut it = seed.into_iter();
            let id = generate(|n| it.next().unwrap_or(0) % n);
            prop_assert!(is_generated_shape(&id));
        }
    }
}
