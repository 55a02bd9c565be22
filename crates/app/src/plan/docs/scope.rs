//! What is in and out of the programme's scope.

use rumbo_domain::plan::strategy::ScopeItem;
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct ScopeDoc {
    #[serde(default, deserialize_with = "text")]
    pub side: String,
    #[serde(default, deserialize_with = "text")]
    pub text: String,
}

impl Doc for ScopeDoc {
    const KIND: &'static str = "scope";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let s = ScopeItem::parse(&self.side, &self.text)?;
        Ok((None, scope_json(&s)))
    }
}

pub fn scope_json(s: &ScopeItem) -> Value {
    json!({ "side": s.side.as_str(), "text": s.text })
}
