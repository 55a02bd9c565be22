//! A best practice of the library (belongs to no programme): what to do, where it applies,
//! and whose it is (the client it came from, shared with that client's viewers or not).

use rumbo_domain::plan::diffusion::{BestPractice, PracticeInput};
use rumbo_domain::plan::lessons::tags;
use rumbo_domain::programme::Channel;
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct PracticeDoc {
    #[serde(default, deserialize_with = "text")]
    pub title: String,
    #[serde(default, deserialize_with = "text")]
    pub context: String,
    #[serde(default, deserialize_with = "text")]
    pub practice: String,
    #[serde(default, deserialize_with = "opt_text")]
    pub evidence: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub source_programme: Option<String>,
    /// The client the practice came from (`None`: the BPO's own).
    #[serde(default)]
    pub client_id: Option<i64>,
    /// Whether the client's viewers may see it.
    #[serde(default)]
    pub shared: bool,
    #[serde(default, deserialize_with = "opt_text")]
    pub channel: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub product: Option<String>,
    /// The lesson it was promoted from.
    #[serde(default)]
    pub lesson_id: Option<i64>,
}

impl Doc for PracticeDoc {
    const KIND: &'static str = "practice";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let channel = match self.channel.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(c) => c
                .parse::<Channel>()
                .map(Some)
                .map_err(|_| Invalids::from(Invalid::new("channel", "error.lesson.channel"))),
        };
        let product = self.product.unwrap_or_default().trim().to_string();
        let tag_list = tags(&self.tags).map_err(Invalids::from);
        let p = BestPractice::try_from(PracticeInput {
            title: self.title,
            context: self.context,
            practice: self.practice,
            evidence: self.evidence,
            tags: tag_list.clone().unwrap_or_default(),
            source_programme: self.source_programme,
        });
        let (p, channel, tag_list) = match (p, channel, tag_list) {
            (Ok(p), Ok(c), Ok(t)) if product.chars().count() <= 100 => (p, c, t),
            (p, c, t) => {
                let mut e = Vec::new();
                for r in [p.err(), c.err(), t.err()].into_iter().flatten() {
                    e.extend(r.0);
                }
                if product.chars().count() > 100 {
                    e.push(Invalid::new("product", "error.lesson.too_long"));
                }
                return Err(Invalids(e));
            }
        };
        Ok((
            None,
            json!({
                "title": p.title, "context": p.context, "practice": p.practice, "evidence": p.evidence,
                "tags": tag_list, "source_programme": p.source_programme.map(|c| c.to_string()),
                "client_id": self.client_id, "shared": self.shared,
                "channel": channel.map(|c: Channel| c.as_str()), "product": product,
                "lesson_id": self.lesson_id,
            }),
        ))
    }
}
