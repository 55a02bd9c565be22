//! Recognising a person in stored text: CSV records (by the keyed caller hash, or by a caller
//! column kept in clear by older imports), and free texts (finding messages, audit values) by
//! the digits of a number, an e-mail, a name or a RUT. Pure functions, tested with tables.

use rumbo_domain::rut::Rut;

/// What a person is searched by, already normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needle {
    /// A phone number: its national digits (a Chilean number without the 56), which is what
    /// texts quote in whatever layout.
    Phone { national: String },
    /// An e-mail address, lower-case.
    Email(String),
    /// A name, lower-case, blanks collapsed.
    Name(String),
    /// A RUT: the forms a text may hold it in.
    Rut(Rut),
}

/// The digits of a phone number as the hashing normalises them: `00` prefix dropped, a
/// 9-digit national number without the country code. `None` when fewer than 7 digits remain
/// (too short to find anyone safely).
pub fn national_digits(raw: &str) -> Option<String> {
    let mut digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if let Some(rest) = digits.strip_prefix("00") {
        digits = rest.to_string();
    }
    if digits.len() == 11 && digits.starts_with("56") {
        digits = digits[2..].to_string();
    }
    (digits.len() >= 7).then_some(digits)
}

/// The byte ranges of `text` that quote `national`: runs of digits and the separators
/// numbers are written with (`+`, `-`, `(`, `)`, `.`, blanks) whose digits contain it.
fn phone_runs(text: &str, national: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let is_part =
        |c: u8| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'(' | b')' | b'.' | b' ');
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() && bytes[i] != b'+' && bytes[i] != b'(' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_part(bytes[i]) {
            i += 1;
        }
        let run = &text[start..i];
        let digits: String = run.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.contains(national) {
            let trimmed = run.trim_end();
            out.push((start, start + trimmed.len()));
        }
    }
    out
}

/// The RUT forms a text may hold: `12.345.678-5`, `12345678-5`, `123456785`.
fn rut_forms(r: &Rut) -> Vec<String> {
    let dotted = r.to_string();
    let plain = format!("{}-{}", r.body(), r.dv());
    let bare = format!("{}{}", r.body(), r.dv());
    vec![dotted, plain, bare]
}

/// Byte ranges of case-insensitive occurrences of `word` in `text`.
fn occurrences(text: &str, word: &str) -> Vec<(usize, usize)> {
    if word.is_empty() {
        return vec![];
    }
    let lower = text.to_lowercase();
    // Lower-casing can change lengths outside ASCII; fall back to exact matching then.
    let (hay, w) = if lower.len() == text.len() {
        (lower, word.to_lowercase())
    } else {
        (text.to_string(), word.to_string())
    };
    hay.match_indices(&w)
        .map(|(i, m)| (i, i + m.len()))
        .collect()
}

impl Needle {
    /// Where `text` mentions the person.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        match self {
            Needle::Phone { national } => phone_runs(text, national),
            Needle::Email(e) => occurrences(text, e),
            Needle::Name(n) => occurrences(text, n),
            Needle::Rut(r) => {
                let mut v: Vec<(usize, usize)> = rut_forms(r)
                    .iter()
                    .flat_map(|f| occurrences(text, f))
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }

    /// Does `text` mention the person?
    pub fn found_in(&self, text: &str) -> bool {
        !self.ranges(text).is_empty()
    }

    /// `text` with every mention replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut ranges = self.ranges(text);
        ranges.sort_unstable();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (a, b) in ranges {
            if a < at {
                continue;
            }
            out.push_str(&text[at..a]);
            out.push_str("***");
            at = b;
        }
        out.push_str(&text[at..]);
        out
    }

    /// A short text a database `LIKE` can prefilter with (the caller confirms each hit).
    pub fn prefilter(&self) -> String {
        match self {
            Needle::Phone { national } => national[national.len() - 4..].to_string(),
            Needle::Email(e) => e.clone(),
            Needle::Name(n) => n
                .split(' ')
                .max_by_key(|w| w.len())
                .unwrap_or("")
                .to_string(),
            Needle::Rut(r) => {
                let b = r.body().to_string();
                b[b.len().saturating_sub(3)..].to_string()
            }
        }
    }

    /// A JSON value with every string that mentions the person redacted; true when changed.
    pub fn redact_json(&self, v: &mut serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) if self.found_in(s) => {
                *s = self.redact(s);
                true
            }
            serde_json::Value::Array(a) => a.iter_mut().fold(false, |c, x| self.redact_json(x) | c),
            serde_json::Value::Object(o) => {
                o.values_mut().fold(false, |c, x| self.redact_json(x) | c)
            }
            serde_json::Value::Number(n) if self.found_in(&n.to_string()) => {
                *v = serde_json::Value::String("***".into());
                true
            }
            _ => false,
        }
    }
}

/// Splits one CSV record (RFC 4180 quoting) into its fields.
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => out.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    out.push(field);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> Needle {
        Needle::Phone {
            national: national_digits(raw).unwrap(),
        }
    }

    #[test]
    fn national_digits_drop_the_country_code_and_international_prefix() {
        assert_eq!(
            national_digits("+56 9 8765 1234").as_deref(),
            Some("987651234")
        );
        assert_eq!(
            national_digits("0056987651234").as_deref(),
            Some("987651234")
        );
        assert_eq!(national_digits("987651234").as_deref(), Some("987651234"));
        assert_eq!(national_digits("12-34"), None);
    }

    #[test]
    fn a_number_is_found_in_any_layout_and_redacted_without_touching_other_text() {
        let n = phone("+56 9 8765 1234");
        for text in [
            "caller +56 9 8765 1234 not plausible",
            "bad caller id \"Ana\" <56987651234>",
            "line 12: 9-8765-1234",
        ] {
            assert!(n.found_in(text), "{text}");
            let r = n.redact(text);
            assert!(!r.contains("8765"), "{r}");
        }
        assert_eq!(
            n.redact("line 7: caller +56 9 8765 1234 is odd"),
            "line 7: caller *** is odd"
        );
        assert!(!n.found_in("caller +56 9 8765 4321"));
        assert!(!n.found_in("1234 calls"));
    }

    #[test]
    fn an_email_and_a_name_are_found_case_insensitively() {
        let e = Needle::Email("ana@example.cl".into());
        assert!(e.found_in("{\"email\":\"Ana@Example.cl\"}"));
        assert_eq!(e.redact("to ANA@example.cl."), "to ***.");
        let n = Needle::Name("ana rojas".into());
        assert!(n.found_in("Agent Ana Rojas left"));
        assert!(!n.found_in("Ana Pérez"));
    }

    #[test]
    fn a_rut_is_found_dotted_plain_or_bare() {
        let r = Needle::Rut(Rut::parse("12.345.678-5").unwrap());
        for t in ["rut 12.345.678-5", "12345678-5", "x123456785y"] {
            assert!(r.found_in(t), "{t}");
        }
        assert!(!r.found_in("12.345.679-3"));
    }

    #[test]
    fn json_values_are_redacted_in_place_wherever_they_mention_the_person() {
        let n = Needle::Email("ana@example.cl".into());
        let mut v = serde_json::json!({"name": "Ana", "email": "ana@example.cl", "list": ["x", "ana@example.cl"]});
        assert!(n.redact_json(&mut v));
        assert!(!v.to_string().contains("ana@"));
        assert_eq!(v["name"], "Ana");
        let mut w = serde_json::json!({"x": 1});
        assert!(!n.redact_json(&mut w));
    }

    #[test]
    fn csv_fields_are_split_with_quotes_and_doubled_quotes() {
        assert_eq!(
            split_csv("a,\"b,c\",\"d\"\"e\","),
            vec!["a", "b,c", "d\"e", ""]
        );
        assert_eq!(split_csv("one"), vec!["one"]);
    }
}
