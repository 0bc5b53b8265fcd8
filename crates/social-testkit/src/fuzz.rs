//! Small, dependency-free fuzzing for the parsers that read attacker-controlled bytes (JWTs,
//! key sets, discovery documents, OpenID messages, redirect targets, typed e-mail addresses).
//!
//! Each property runs on a bounded number of generated inputs (`FUZZ_CASES`, 2,000 by
//! default) from a fixed seed, so CI time stays bounded and a failure can be replayed: the
//! panic names the seed and case; run again with `FUZZ_SEED` set to search elsewhere.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// A xorshift64* generator: enough randomness for fuzzing, no dependency.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (zero is replaced, as xorshift would stay at zero).
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::try_from(self.next_u64() % u64::try_from(n).unwrap_or(u64::MAX)).unwrap_or(0)
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Up to `max` random bytes.
    pub fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max + 1);
        (0..len).map(|_| self.next_u64().to_le_bytes()[0]).collect()
    }

    /// Text made of up to `max` pieces of `pieces`, with an occasional random character.
    pub fn text(&mut self, pieces: &[&str], max: usize) -> String {
        let count = self.below(max + 1);
        let mut out = String::new();
        for _ in 0..count {
            if pieces.is_empty() || self.below(8) == 0 {
                let c = char::from_u32(u32::try_from(self.below(0x3_0000)).unwrap_or(0))
                    .unwrap_or('\u{FFFD}');
                out.push(c);
            } else {
                let piece: &str = pieces[self.below(pieces.len())];
                out.push_str(piece);
            }
        }
        out
    }

    /// `input` changed a few times: a piece inserted, a span deleted or duplicated, a
    /// character replaced.
    pub fn mutate(&mut self, input: &str, pieces: &[&str]) -> String {
        let mut chars: Vec<char> = input.chars().collect();
        for _ in 0..=self.below(3) {
            let at = self.below(chars.len() + 1);
            match self.below(4) {
                0 if !pieces.is_empty() => {
                    let piece: &str = pieces[self.below(pieces.len())];
                    let piece: Vec<char> = piece.chars().collect();
                    chars.splice(at..at, piece);
                }
                1 if at < chars.len() => {
                    let end = (at + 1 + self.below(8)).min(chars.len());
                    chars.drain(at..end);
                }
                2 if at < chars.len() => {
                    let end = (at + 1 + self.below(8)).min(chars.len());
                    let span: Vec<char> = chars[at..end].to_vec();
                    chars.splice(at..at, span);
                }
                _ if at < chars.len() => {
                    chars[at] =
                        char::from_u32(u32::try_from(self.below(0x80)).unwrap_or(0)).unwrap_or('x');
                }
                _ => {}
            }
        }
        chars.into_iter().collect()
    }
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs `check` on `FUZZ_CASES` generators (2,000 by default) seeded from `FUZZ_SEED` (a
/// fixed default); a panic in `check` fails with the property's `name`, the seed and the case.
pub fn run(name: &str, mut check: impl FnMut(&mut Rng)) {
    let seed = env_number("FUZZ_SEED").unwrap_or(0x5EED_CAFE);
    let cases = env_number("FUZZ_CASES").unwrap_or(2_000);
    for case in 0..cases {
        let mut rng = Rng::new(seed ^ case.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&mut rng))) {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!("fuzz `{name}`: case {case} of FUZZ_SEED={seed} failed: {why}");
        }
    }
}
