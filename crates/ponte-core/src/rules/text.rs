/// Two names or descriptions are "the same" when they read the same: surrounding and repeated
/// spaces and letter case do not count; accents and punctuation do.
pub fn same_text(a: &str, b: &str) -> bool {
    normalize(a) == normalize(b)
}

/// The form under which two same texts are equal, for keys.
pub fn same_text_key(text: &str) -> String {
    normalize(text)
}

fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
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
}
