//! Lessons learnt and how the library finds them: a lesson's parts (what happened, the success
//! or failure factors, the recommendation, evidence links, tags), the folding that makes a
//! search for "capacitación" find "CAPACITACION", and the relevance of a lesson or practice to
//! a programme being planned (same client, product, channel, shared tags).
//!
//! Folding is done here, once, for both databases: the store indexes folded text and receives
//! folded words, so SQLite and PostgreSQL agree without relying on an `unaccent` extension.

use super::{optional_text, required_text, Problems};
use crate::{Invalid, Invalids};

crate::string_enum! {
    /// Whether a lesson records what made things go well or badly.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum LessonKind {
        Success = "success",
        Failure = "failure",
    }
    invalid("kind", "error.lesson.kind")
}

crate::string_enum! {
    /// What an evidence link points at.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum EvidenceKind {
        Figure = "figure",
        Action = "action",
        Document = "document",
    }
    invalid("evidence", "error.lesson.evidence")
}

/// Raw lesson input (form or API).
#[derive(Debug, Clone, Default)]
pub struct LessonInput {
    pub title: String,
    pub kind: String,
    /// What happened.
    pub summary: String,
    /// The success or failure factors, one per entry.
    pub factors: Vec<String>,
    pub recommendation: Option<String>,
    /// (kind, text) pairs: a figure, a corrective action, a document or link.
    pub evidence: Vec<(String, String)>,
    pub tags: Vec<String>,
    pub channel: Option<String>,
    pub product: Option<String>,
    /// Whether the client's viewers may see it.
    pub shared: bool,
}

/// One evidence link of a lesson.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub text: String,
}

/// A lesson learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lesson {
    pub title: String,
    pub kind: LessonKind,
    pub summary: String,
    pub factors: Vec<String>,
    pub recommendation: String,
    pub evidence: Vec<Evidence>,
    /// Lower-case, unique, sorted.
    pub tags: Vec<String>,
    pub channel: Option<crate::programme::Channel>,
    pub product: String,
    pub shared: bool,
}

impl TryFrom<LessonInput> for Lesson {
    type Error = Invalids;

    fn try_from(i: LessonInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let title = p.take(required_text("title", "error.lesson.title", &i.title, 200));
        let kind = p.take(LessonKind::parse(&i.kind));
        let summary = p.take(required_text(
            "summary",
            "error.lesson.summary",
            &i.summary,
            4000,
        ));
        let factors: Vec<String> = i
            .factors
            .iter()
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .collect();
        p.check(!factors.is_empty(), "factors", "error.lesson.factors");
        p.check(
            factors.len() <= 20 && factors.iter().all(|f| f.chars().count() <= 500),
            "factors",
            "error.lesson.factor_long",
        );
        let recommendation = p.take(optional_text(
            "recommendation",
            "error.lesson.too_long",
            i.recommendation.as_deref(),
            4000,
        ));
        let mut evidence = Vec::new();
        for (kind, text) in &i.evidence {
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match EvidenceKind::parse(kind.trim()) {
                Ok(kind) if text.chars().count() <= 500 => evidence.push(Evidence {
                    kind,
                    text: text.to_string(),
                }),
                _ => p.push("evidence", "error.lesson.evidence"),
            }
        }
        let tags = p.take(tags(&i.tags));
        let channel = match i.channel.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(c) => p.take(
                c.parse::<crate::programme::Channel>()
                    .map(Some)
                    .map_err(|_| Invalid::new("channel", "error.lesson.channel")),
            ),
        };
        let product = p.take(optional_text(
            "product",
            "error.lesson.too_long",
            i.product.as_deref(),
            100,
        ));
        p.finish(|| {
            Some(Lesson {
                title: title?,
                kind: kind?,
                summary: summary?,
                factors,
                recommendation: recommendation?,
                evidence,
                tags: tags?,
                channel: channel?,
                product: product?,
                shared: i.shared,
            })
        })
    }
}

/// Tags: trimmed, lower case, at most 40 characters each and 20 in all, unique, sorted.
pub fn tags(raw: &[String]) -> Result<Vec<String>, Invalid> {
    let mut tags: Vec<String> = raw
        .iter()
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.len() > 20 || tags.iter().any(|t| t.chars().count() > 40) {
        return Err(Invalid::new("tags", "error.lesson.tag"));
    }
    tags.sort();
    tags.dedup();
    Ok(tags)
}

/// Lower case without diacritics ("Capacitación ÑANDÚ" → "capacitacion nandu"); every
/// character that is not a letter or a digit becomes a space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let base = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ý' | 'ÿ' => 'y',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        out.push(base);
    }
    out
}

/// The words of a search: folded, at least two characters, at most eight of them.
pub fn search_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = fold(q)
        .split_whitespace()
        .filter(|w| w.chars().count() >= 2)
        .map(|w| w.chars().take(40).collect())
        .collect();
    words.dedup();
    words.truncate(8);
    words
}

/// What a lesson or practice, or a programme being planned, is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub client_id: Option<i64>,
    /// Folded product name.
    pub product: String,
    pub channels: Vec<String>,
    /// Folded tags.
    pub tags: Vec<String>,
}

/// How relevant `item` is to `programme`: 3 for the same client, 2 for the same product, 2 for
/// a shared channel, 1 per shared tag; 0 means unrelated.
pub fn relevance(item: &Facets, programme: &Facets) -> u32 {
    let mut score = 0;
    if item.client_id.is_some() && item.client_id == programme.client_id {
        score += 3;
    }
    if !item.product.is_empty() && fold(&item.product).trim() == fold(&programme.product).trim() {
        score += 2;
    }
    if item.channels.iter().any(|c| programme.channels.contains(c)) {
        score += 2;
    }
    let tags = item
        .tags
        .iter()
        .filter(|t| programme.tags.iter().any(|p| fold(p) == fold(t)))
        .count() as u32;
    score + tags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> LessonInput {
        LessonInput {
            title: "Capacitación previa al lanzamiento".into(),
            kind: "success".into(),
            summary: "El equipo llegó al NS meta desde la primera semana.".into(),
            factors: vec!["Capacitación de 3 días".into(), " ".into()],
            recommendation: None,
            evidence: vec![("figure".into(), "NS 84,2 % en marzo".into())],
            tags: vec!["Lanzamiento, Capacitación".into()],
            channel: Some("voice_inbound".into()),
            product: Some("Seguro Vida".into()),
            shared: false,
        }
    }

    #[test]
    fn folding_removes_case_and_spanish_diacritics() {
        assert_eq!(
            fold("Capacitación ÑANDÚ pingüino"),
            "capacitacion nandu pinguino"
        );
        assert_eq!(fold("NS: 80,5%"), "ns  80 5 ");
        assert_eq!(
            search_words("  Capacitación de   ÉXITO x "),
            vec!["capacitacion", "de", "exito"]
        );
    }

    #[test]
    fn a_lesson_needs_a_title_a_summary_and_a_factor() {
        let l = Lesson::try_from(input()).unwrap();
        assert_eq!(l.factors, vec!["Capacitación de 3 días"]);
        assert_eq!(l.tags, vec!["capacitación", "lanzamiento"]);
        assert_eq!(l.evidence[0].kind, EvidenceKind::Figure);
        let bad = LessonInput {
            title: " ".into(),
            kind: "meh".into(),
            factors: vec![],
            evidence: vec![("rumour".into(), "x".into())],
            channel: Some("pigeon".into()),
            ..input()
        };
        let keys: Vec<_> = Lesson::try_from(bad)
            .unwrap_err()
            .0
            .iter()
            .map(|i| i.key)
            .collect();
        assert_eq!(
            keys,
            vec![
                "error.lesson.title",
                "error.lesson.kind",
                "error.lesson.factors",
                "error.lesson.evidence",
                "error.lesson.channel"
            ]
        );
    }

    #[test]
    fn relevance_weighs_client_product_channel_and_tags() {
        let programme = Facets {
            client_id: Some(1),
            product: "Seguro Vida".into(),
            channels: vec!["voice_inbound".into()],
            tags: vec!["capacitacion".into()],
        };
        let same = Facets {
            client_id: Some(1),
            product: "SEGURO VIDA".into(),
            channels: vec!["voice_inbound".into()],
            tags: vec!["capacitación".into(), "otro".into()],
        };
        assert_eq!(relevance(&same, &programme), 8);
        let other = Facets {
            client_id: Some(2),
            channels: vec!["email".into()],
            ..Facets::default()
        };
        assert_eq!(relevance(&other, &programme), 0);
    }
}
