//! The short codes a merchant reads off a broker page and types into Ponte: eight characters
//! from an alphabet without look-alikes (no 0/O, 1/I/L), shown as `ABCD-2345`; 31⁸ ≈ 8·10¹¹.
//!
//! - A **pairing code** carries an install that started in the Nuvemshop admin (no `state`,
//!   no Ponte waiting): single use, ten minutes, attempts limited per address and, for
//!   everyone together, by a budget of failures.
//! - A **return code** proves that the app claiming a connect is the one the merchant's browser
//!   came back to: the page hands it to the app's loopback listener, or shows it for the
//!   merchant to type. Five wrong tries burn the connect.

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

/// Where a pairing code's result is filed: its digest, never the code.
pub fn pairing_id(code: &str) -> String {
    let plain = normalise(code).unwrap_or_default();
    digest(&format!("pair:{plain}"))
}

/// A return code as the connect keeps it: bound to the connect's id, so a code is worth
/// nothing for any other connect.
pub fn return_digest(connect_id: &str, code: &str) -> Option<String> {
    normalise(code).map(|plain| digest(&format!("return:{connect_id}:{plain}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = new_code();
        assert_eq!(code.len(), 9);
        assert_eq!(
            pairing_id(&code),
            pairing_id(&code.to_lowercase().replace('-', " "))
        );
        assert!(normalise("ABCD-234").is_none());
        assert!(normalise("ABCD-O234").is_none(), "O is not in the alphabet");
    }

    #[test]
    fn a_return_code_belongs_to_its_connect() {
        let code = new_code();
        assert_eq!(
            return_digest("a", &code),
            return_digest("a", &code.to_lowercase())
        );
        assert_ne!(return_digest("a", &code), return_digest("b", &code));
        assert_eq!(return_digest("a", "nope"), None);
    }
}
