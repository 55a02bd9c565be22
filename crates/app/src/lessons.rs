//! Lessons learnt and the best-practice library as a searchable, shared body of knowledge:
//! lessons recorded in a programme (at any time, closed or not), promoted to library practices,
//! full-text search across programmes in Spanish and English, and the practices and lessons
//! suggested for a programme being planned.
//!
//! Who sees what: the BPO's staff see every lesson and practice (knowledge is meant to travel
//! between programmes); a client viewer sees only the items of their own client that were
//! marked as shared, never another client's. Search text is folded here
//! (`rumbo_domain::plan::lessons::fold`) and indexed by the store on both databases.

use rumbo_domain::access::{Action, Role};
use rumbo_domain::plan::lessons::{fold, relevance, search_words, Facets, Lesson, LessonInput};
pub use rumbo_store::closeout::LessonRow;
use rumbo_store::closeout::SearchEntry;
use rumbo_store::plan::PlanItem;
use serde_json::{json, Value};

use crate::access::{MANAGERS, STAFF};
use crate::model::Programme;
use crate::plan::docs::{Doc, PracticeDoc};
use crate::{App, Error, Principal, Result};

/// At most this many search hits or suggestions.
pub const LIMIT: usize = 50;

/// A lesson or a practice, as found by a search or a suggestion.
#[derive(Debug, Clone)]
pub enum LibraryItem {
    Lesson(LessonRow),
    Practice(PlanItem),
}

impl LibraryItem {
    pub fn kind(&self) -> &'static str {
        match self {
            LibraryItem::Lesson(_) => "lesson",
            LibraryItem::Practice(_) => "practice",
        }
    }

    pub fn id(&self) -> i64 {
        match self {
            LibraryItem::Lesson(l) => l.id,
            LibraryItem::Practice(p) => p.id,
        }
    }

    pub fn data(&self) -> &Value {
        match self {
            LibraryItem::Lesson(l) => &l.data,
            LibraryItem::Practice(p) => &p.data,
        }
    }

    fn client_id(&self) -> Option<i64> {
        match self {
            LibraryItem::Lesson(l) => l.client_id,
            LibraryItem::Practice(p) => p.data["client_id"].as_i64(),
        }
    }

    fn facets(&self) -> Facets {
        let d = self.data();
        Facets {
            client_id: self.client_id(),
            product: d["product"].as_str().unwrap_or_default().to_string(),
            channels: d["channel"]
                .as_str()
                .map(String::from)
                .into_iter()
                .collect(),
            tags: strings(&d["tags"]),
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `who` may see an item of `client_id`, shared or not.
fn visible(who: &Principal, client_id: Option<i64>, shared: bool) -> bool {
    match who.role {
        Role::ClientViewer => shared && client_id.is_some() && client_id == who.client_id,
        _ => true,
    }
}

/// The folded text a lesson or practice is found by.
fn search_body(d: &Value, programme: Option<&Programme>) -> String {
    let mut text = String::new();
    for key in [
        "title",
        "summary",
        "recommendation",
        "context",
        "practice",
        "evidence",
        "product",
        "channel",
    ] {
        if let Some(s) = d[key].as_str() {
            text.push_str(s);
            text.push(' ');
        }
    }
    for key in ["factors", "tags"] {
        for s in strings(&d[key]) {
            text.push_str(&s);
            text.push(' ');
        }
    }
    if let Some(ev) = d["evidence"].as_array() {
        for e in ev {
            if let Some(s) = e["text"].as_str() {
                text.push_str(s);
                text.push(' ');
            }
        }
    }
    if let Some(p) = programme {
        text.push_str(&format!("{} {} {}", p.code, p.name, p.client_name));
    }
    fold(&text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn lesson_json(l: &Lesson) -> Value {
    json!({
        "title": l.title, "kind": l.kind.as_str(), "summary": l.summary, "factors": l.factors,
        "recommendation": l.recommendation,
        "evidence": l.evidence.iter().map(|e| json!({ "kind": e.kind.as_str(), "text": e.text })).collect::<Vec<_>>(),
        "tags": l.tags, "channel": l.channel.map(|c| c.as_str()), "product": l.product,
        "shared": l.shared,
    })
}

impl App {
    /// Records a lesson in programme `code` (its team's staff, or anyone of the BPO's staff who
    /// may read it; also once the programme is closed).
    pub async fn create_lesson(
        &self,
        who: &Principal,
        code: &str,
        mut input: LessonInput,
    ) -> Result<LessonRow> {
        who.require_role(STAFF)?;
        let p = self
            .programme_unguarded(who, code, Action::Read)
            .await?
            .programme;
        if input.product.as_deref().is_none_or(|s| s.trim().is_empty()) {
            input.product = p.product_name.clone();
        }
        if input.channel.as_deref().is_none_or(|s| s.trim().is_empty()) && p.channels.len() == 1 {
            input.channel = Some(p.channels[0].as_str().to_string());
        }
        let lesson = Lesson::try_from(input)?;
        let data = lesson_json(&lesson);
        let entry = SearchEntry {
            kind: "lesson",
            item_id: 0,
            client_id: Some(p.client_id),
            shared: lesson.shared,
            body: search_body(&data, Some(&p)),
        };
        Ok(self
            .store
            .create_lesson(&who.actor(), Some(p.id), Some(p.client_id), &data, &entry)
            .await?)
    }

    /// The lessons of programme `code` that `who` may see, newest first.
    pub async fn programme_lessons(&self, who: &Principal, code: &str) -> Result<Vec<LessonRow>> {
        let p = self
            .programme_unguarded(who, code, Action::Read)
            .await?
            .programme;
        Ok(self
            .store
            .lessons(Some(p.id))
            .await?
            .into_iter()
            .filter(|l| visible(who, l.client_id, l.data["shared"].as_bool() == Some(true)))
            .collect())
    }

    /// One lesson, if `who` may see it.
    pub async fn lesson(&self, who: &Principal, id: i64) -> Result<LessonRow> {
        let l = self.store.lesson(id).await?;
        if !visible(who, l.client_id, l.data["shared"].as_bool() == Some(true)) {
            return Err(Error::NotFound);
        }
        Ok(l)
    }

    /// Promotes lesson `id` to a library practice (managers): the practice keeps the lesson's
    /// client, channel, product, tags and evidence, and names its programme as the source.
    pub async fn promote_lesson(&self, who: &Principal, id: i64) -> Result<PlanItem> {
        who.require_role(MANAGERS)?;
        let l = self.store.lesson(id).await?;
        if l.practice_id.is_some() {
            return Err(Error::Conflict(
                rumbo_domain::Invalid::new("lesson", "error.lesson.promoted").into(),
            ));
        }
        let source = match l.programme_id {
            Some(pid) => self
                .store
                .programmes_for(None)
                .await?
                .into_iter()
                .find(|p| p.programme.id == pid)
                .map(|p| p.programme.code),
            None => None,
        };
        let d = &l.data;
        let factors = strings(&d["factors"]);
        let recommendation = d["recommendation"].as_str().unwrap_or_default();
        let practice = if recommendation.trim().is_empty() {
            factors.join("; ")
        } else {
            recommendation.to_string()
        };
        let evidence: Vec<String> = d["evidence"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["text"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let body = PracticeDoc {
            title: d["title"].as_str().unwrap_or_default().to_string(),
            context: d["summary"].as_str().unwrap_or_default().to_string(),
            practice,
            evidence: (!evidence.is_empty()).then(|| evidence.join("; ")),
            tags: strings(&d["tags"]),
            source_programme: source,
            client_id: l.client_id,
            shared: d["shared"].as_bool().unwrap_or(false),
            channel: d["channel"].as_str().map(String::from),
            product: d["product"].as_str().map(String::from),
            lesson_id: Some(l.id),
        };
        let item = self.create_practice(who, body).await?;
        self.store
            .set_lesson_practice(&who.actor(), l.id, item.id)
            .await
            .map_err(|e| match e {
                rumbo_store::StoreError::Conflict(_) => Error::Conflict(
                    rumbo_domain::Invalid::new("lesson", "error.lesson.promoted").into(),
                ),
                other => other.into(),
            })?;
        Ok(item)
    }

    /// Puts a practice in the search index (after it is created).
    pub(crate) async fn index_practice(&self, item: &PlanItem) -> Result<()> {
        let entry = SearchEntry {
            kind: PracticeDoc::KIND,
            item_id: item.id,
            client_id: item.data["client_id"].as_i64(),
            shared: item.data["shared"].as_bool().unwrap_or(false),
            body: search_body(&item.data, None),
        };
        Ok(self.store.index_library_item(&entry).await?)
    }

    /// Whether `who` may see practice `item`.
    pub(crate) fn practice_visible(who: &Principal, item: &PlanItem) -> bool {
        visible(
            who,
            item.data["client_id"].as_i64(),
            item.data["shared"].as_bool().unwrap_or(false),
        )
    }

    /// Lessons and practices holding every word of `q` (folded, so accents and case do not
    /// matter; a word also finds longer words it starts), best first, that `who` may see.
    pub async fn search_library(&self, who: &Principal, q: &str) -> Result<Vec<LibraryItem>> {
        let words = search_words(q);
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let hits = self.store.search_library(&words, 200).await?;
        let mut out = Vec::new();
        for h in hits {
            if !visible(who, h.client_id, h.shared) {
                continue;
            }
            let item = match h.kind.as_str() {
                "lesson" => match self.store.lesson(h.item_id).await {
                    Ok(l) => LibraryItem::Lesson(l),
                    Err(rumbo_store::StoreError::NotFound) => continue,
                    Err(e) => return Err(e.into()),
                },
                _ => match self
                    .store
                    .plan_item(None, PracticeDoc::KIND, h.item_id)
                    .await
                {
                    Ok(p) => LibraryItem::Practice(p),
                    Err(rumbo_store::StoreError::NotFound) => continue,
                    Err(e) => return Err(e.into()),
                },
            };
            out.push(item);
            if out.len() >= LIMIT {
                break;
            }
        }
        Ok(out)
    }

    /// Practices and lessons of other programmes relevant to programme `code` (same client,
    /// product, channel or tags), most relevant first, with their score.
    pub async fn suggestions(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Vec<(u32, LibraryItem)>> {
        let p = self
            .programme_unguarded(who, code, Action::Read)
            .await?
            .programme;
        let target = Facets {
            client_id: Some(p.client_id),
            product: p.product_name.clone().unwrap_or_default(),
            channels: p.channels.iter().map(|c| c.as_str().to_string()).collect(),
            tags: Vec::new(),
        };
        let mut items: Vec<LibraryItem> = self
            .practices(who)
            .await?
            .into_iter()
            .map(LibraryItem::Practice)
            .collect();
        items.extend(
            self.store
                .lessons(None)
                .await?
                .into_iter()
                .filter(|l| l.programme_id != Some(p.id) && l.practice_id.is_none())
                .filter(|l| visible(who, l.client_id, l.data["shared"].as_bool() == Some(true)))
                .map(LibraryItem::Lesson),
        );
        let mut scored: Vec<(u32, LibraryItem)> = items
            .into_iter()
            .map(|i| (relevance(&i.facets(), &target), i))
            .filter(|(s, _)| *s > 0)
            .collect();
        scored.sort_by(|a, b| {
            b.0.cmp(&a.0)
                .then(a.1.kind().cmp(b.1.kind()).reverse())
                .then(b.1.id().cmp(&a.1.id()))
        });
        scored.truncate(LIMIT);
        Ok(scored)
    }
}

impl App {
    /// [`App::search_library`] for the operator at the console (`rumbo lessons search`), who
    /// sees every lesson and practice.
    pub async fn search_library_as_operator(&self, q: &str) -> Result<Vec<LibraryItem>> {
        let operator = Principal {
            user_id: 0,
            email: "operator".into(),
            role: Role::Admin,
            client_id: None,
        };
        self.search_library(&operator, q).await
    }
}
