//! Spanish hyphenation by syllables, for justified paragraphs and narrow table columns.
//!
//! Spanish divides words by syllables with regular rules (RAE, *Ortografía* 4.1.1.1), so a
//! few lines of rules replace a pattern dictionary: one consonant between vowels starts the
//! next syllable (*ca-sa*); the clusters *pl pr bl br fl fr gl gr cl cr dr tr* and the digraphs
//! *ch ll rr* (and *qu*, *gu* with a silent u) are never split (*ha-blar*, *ca-rro*); other pairs split (*ac-ción*); of three
//! consonants the last two go together if they are a cluster (*in-cluir*) and else only the
//! last (*ins-tan-te*); two strong vowels (a, e, o, or an accented i/u) are a hiatus
//! (*re-a-li-dad*), a weak vowel beside another is a diphthong (*cau-sa*). The *u* of *qu* and
//! of *gu* before e/i is silent. No break leaves fewer than two letters on either side.

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'e' | 'i' | 'o' | 'u' | 'á' | 'é' | 'í' | 'ó' | 'ú' | 'ü'
    )
}

fn is_strong(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'o' | 'á' | 'é' | 'í' | 'ó' | 'ú')
}

fn inseparable(a: char, b: char) -> bool {
    matches!(
        (a, b),
        ('p' | 'b' | 'f' | 'g' | 'c' | 'k', 'l')
            | ('p' | 'b' | 'f' | 'g' | 'c' | 'k' | 'd' | 't', 'r')
            | ('c', 'h')
            | ('l', 'l')
            | ('r', 'r')
            | ('q' | 'g', 'u')
    )
}

/// Positions (in chars) inside `word` where Spanish allows a hyphen. Words with anything but
/// letters get none.
pub fn spanish_breaks(word: &str) -> Vec<usize> {
    let chars: Vec<char> = word.chars().flat_map(char::to_lowercase).collect();
    if chars.len() != word.chars().count()
        || chars.len() < 4
        || !chars.iter().all(|c| c.is_alphabetic())
    {
        return Vec::new();
    }
    // Mark each letter as vowel or not; the silent u of qu/gu(e,i) counts as a consonant.
    let n = chars.len();
    let mut vowel: Vec<bool> = chars.iter().map(|&c| is_vowel(c)).collect();
    for i in 1..n {
        if chars[i] == 'u'
            && (chars[i - 1] == 'q'
                || (chars[i - 1] == 'g'
                    && i + 1 < n
                    && matches!(chars[i + 1], 'e' | 'i' | 'é' | 'í')))
        {
            vowel[i] = false;
        }
        // A final y after a vowel is a vowel sound but never starts a syllable: keep it a
        // consonant, which never puts a break before it at the end anyway.
    }
    let mut breaks = Vec::new();
    let mut i = 0;
    // Skip the leading consonants: they belong to the first syllable.
    while i < n && !vowel[i] {
        i += 1;
    }
    while i < n {
        // A nucleus: a run of vowels, split at strong–strong hiatus.
        let mut j = i + 1;
        while j < n && vowel[j] {
            if is_strong(chars[j - 1]) && is_strong(chars[j]) {
                breaks.push(j);
            }
            j += 1;
        }
        // The consonants up to the next nucleus.
        let start = j;
        while j < n && !vowel[j] {
            j += 1;
        }
        if j >= n {
            break; // trailing consonants close the last syllable
        }
        let cons = &chars[start..j];
        let at = match cons.len() {
            0 | 1 => start,
            2 => {
                if inseparable(cons[0], cons[1]) {
                    start
                } else {
                    start + 1
                }
            }
            3 => {
                if inseparable(cons[1], cons[2]) {
                    start + 1
                } else {
                    start + 2
                }
            }
            k => start + k - 2,
        };
        if !cons.is_empty() {
            breaks.push(at);
        }
        i = j;
    }
    breaks.retain(|&b| b >= 2 && b + 2 <= n);
    breaks.sort_unstable();
    breaks.dedup();
    breaks
}

/// `word` with `-` at every allowed break (for tests and reading).
pub fn syllables(word: &str) -> String {
    let breaks = spanish_breaks(word);
    let mut out = String::new();
    for (i, c) in word.chars().enumerate() {
        if breaks.contains(&i) {
            out.push('-');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_words_break_at_their_syllables() {
        for (word, expected) in [
            ("casa", "ca-sa"),
            ("hablar", "ha-blar"),
            ("carro", "ca-rro"),
            ("acción", "ac-ción"),
            ("instante", "ins-tan-te"),
            ("incluir", "in-cluir"),
            ("realidad", "re-a-li-dad"),
            ("causa", "cau-sa"),
            ("programa", "pro-gra-ma"),
            ("indicadores", "in-di-ca-do-res"),
            ("abandonadas", "a-ban-do-na-das"),
            ("correctivas", "co-rrec-ti-vas"),
            ("quince", "quin-ce"),
            ("Seguimiento", "Se-gui-mien-to"),
            ("construcción", "cons-truc-ción"),
            ("muchacho", "mu-cha-cho"),
        ] {
            // Breaks leaving one letter alone are dropped: "a-ban…" becomes "aban…".
            let expected = if expected.starts_with("a-") {
                expected.replacen("a-", "a", 1)
            } else {
                expected.to_string()
            };
            assert_eq!(syllables(word), expected, "{word}");
        }
    }

    #[test]
    fn words_with_digits_or_signs_are_not_broken() {
        assert!(spanish_breaks("SL80%").is_empty());
        assert!(spanish_breaks("ola").is_empty());
    }
}
