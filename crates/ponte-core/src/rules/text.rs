//! Names and descriptions as Conta Azul gets them and as Ponte compares them (R10, R12).

use unicode_normalization::UnicodeNormalization;

/// Two names or descriptions are "the same" when they read the same: Unicode normalisation
/// (NFC: `é` typed as one character or as `e` + accent is one letter), surrounding and
/// repeated spaces and letter case do not count; accents and punctuation do.
pub fn same_text(a: &str, b: &str) -> bool {
    same_text_key(a) == same_text_key(b)
}

/// The form under which two same texts are equal, for keys.
pub fn same_text_key(text: &str) -> String {
    clean_text(text).to_lowercase()
}

/// A text from the store made fit to send: NFC, without control characters or the invisible
/// marks that reorder text (a right-to-left override would turn the merchant's screens around),
/// spaces collapsed. The same cleaning is applied before a search and before a creation, so
/// what Ponte looks for is what it would create.
pub fn clean_text(text: &str) -> String {
    let visible: String = text
        .nfc()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|c| !is_bidi_control(*c))
        .collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`clean_text`], cut to at most `max_chars` characters (Conta Azul's field limits).
pub fn clean_text_within(text: &str, max_chars: usize) -> String {
    let clean = clean_text(text);
    match clean.char_indices().nth(max_chars) {
        Some((end, _)) => clean[..end].trim_end().to_string(),
        None => clean,
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_and_case_do_not_count_accents_do() {
        assert!(same_text("  Maria   Silva ", "maria silva"));
        assert!(same_text("CAMISETA Básica (P)", "camiseta básica (p)"));
        assert!(!same_text("Camiseta Basica", "Camiseta Básica"));
        assert!(!same_text("Maria Silva", "Maria Silva Santos"));
    }

    #[test]
    fn r10_r12_an_accent_typed_two_ways_is_one_letter() {
        let composed = "Caf\u{e9}";
        let decomposed = "Cafe\u{301}";
        assert_ne!(composed, decomposed);
        assert!(same_text(composed, decomposed));
        assert_eq!(clean_text(decomposed), composed);
    }

    #[test]
    fn controls_and_direction_marks_are_dropped() {
        assert_eq!(clean_text("Ana\u{202E}Souza"), "AnaSouza");
        assert_eq!(clean_text("Ana\tde\nSouza\u{0}"), "Ana de Souza");
        assert_eq!(clean_text("\u{2067}Loja\u{2069}"), "Loja");
    }

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let long = "é".repeat(300);
        let cut = clean_text_within(&long, 200);
        assert_eq!(cut.chars().count(), 200);
        assert_eq!(clean_text_within("Caneca", 200), "Caneca");
        assert_eq!(clean_text_within("ab cd", 3), "ab", "no trailing space");
        let emoji = "😀".repeat(10);
        assert_eq!(clean_text_within(&emoji, 4).chars().count(), 4);
    }
}
