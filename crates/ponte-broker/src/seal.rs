//! Exchanged tokens wait for their claim sealed (ChaCha20-Poly1305), bound to their claim's id:
//! a copied database row opens under no other id, and without the key under none at all.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

pub struct Sealer(ChaCha20Poly1305);

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer(ChaCha20Poly1305::new(key.into()))
    }

    pub fn seal(&self, id: &str, plain: &[u8]) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: id.as_bytes(),
                },
            )
            .expect("ChaCha20-Poly1305 encryption of a small message cannot fail");
        [nonce.as_slice(), &sealed].concat()
    }

    pub fn open(&self, id: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: id.as_bytes(),
                },
            )
            .ok()
    }
}

/// Hex SHA-256: how states, verifiers and pairing codes are kept (never in the clear).
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Compares two digests in constant time.
pub fn same_digest(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_result_opens_only_under_its_own_id_and_key() {
        let sealer = Sealer::new(&[7; 32]);
        let sealed = sealer.seal("id-1", b"{\"access_token\":\"x\"}");
        assert!(!sealed.windows(12).any(|w| w == b"access_token"));
        assert_eq!(
            sealer.open("id-1", &sealed).unwrap(),
            b"{\"access_token\":\"x\"}"
        );
        assert!(sealer.open("id-2", &sealed).is_none());
        assert!(Sealer::new(&[8; 32]).open("id-1", &sealed).is_none());
        assert!(sealer.open("id-1", &sealed[..5]).is_none());
    }

    #[test]
    fn digests_compare_exactly() {
        assert!(same_digest(&digest("a"), &digest("a")));
        assert!(!same_digest(&digest("a"), &digest("b")));
        assert!(!same_digest("ab", "abc"));
    }
}
