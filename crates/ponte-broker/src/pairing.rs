//! Pairing codes for installs that start in the Nuvemshop admin: eight characters from an
//! alphabet without look-alikes (no 0/O, 1/I/L), shown as `ABCD-2345`. 32⁸ ≈ 10¹² codes, each
//! alive 10 minutes and single-use, and attempts are rate-limited per address.

use rand::Rng;

use crate::seal::digest;

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const LENGTH: usize = 8;

pub fn new_code() -> String {
    let mut rng = rand::thread_rng();
    let chars: String = (0..LENGTH)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// The code as typed (any case, with or without the dash or spaces), or `None` when it cannot
/// be one.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// Where the code's result is filed: its digest, never the code.
pub fn id(code: &str) -> String {
    let plain = normalise(code).unwrap_or_default();
    digest(&format!("pair:{plain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = new_code();
        assert_eq!(code.len(), 9);
        assert_eq!(id(&code), id(&code.to_lowercase().replace('-', " ")));
        assert!(normalise("ABCD-234").is_none());
        assert!(normalise("ABCD-O234").is_none(), "O is not in the alphabet");
    }
}
