//! A risk: cause, event, effect, probability × impact, owner and responses.

use rumbo_domain::plan::strategy::{Risk, RiskInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, opt_text, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct RiskDoc {
    #[serde(default, deserialize_with = "text")]
    pub cause: String,
    #[serde(default, deserialize_with = "text")]
    pub event: String,
    #[serde(default, deserialize_with = "text")]
    pub effect: String,
    #[serde(default, deserialize_with = "text")]
    pub probability: String,
    #[serde(default, deserialize_with = "text")]
    pub impact: String,
    pub owner_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_text")]
    pub mitigation: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub contingency: Option<String>,
    #[serde(default, deserialize_with = "opt_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub review_date: String,
}

impl RiskDoc {
    pub fn parse(self) -> Result<Risk, Invalids> {
        Risk::try_from(RiskInput {
            cause: self.cause,
            event: self.event,
            effect: self.effect,
            probability: self.probability,
            impact: self.impact,
            owner_id: self.owner_id,
            mitigation: self.mitigation,
            contingency: self.contingency,
            status: self.status,
            review_date: self.review_date,
        })
    }
}

impl Doc for RiskDoc {
    const KIND: &'static str = "risk";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("owner_id", self.owner_id, &mut errors);
        let r = self.parse().map(|r| risk_json(&r));
        finish(errors, r).map(|v| (None, v))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(r)) = serde_json::from_value::<RiskDoc>(data.clone()).map(RiskDoc::parse) {
            data["score"] = json!(r.score());
            data["level"] = json!(r.level().as_str());
        }
    }
}

pub fn risk_json(r: &Risk) -> Value {
    json!({
        "cause": r.cause, "event": r.event, "effect": r.effect,
        "probability": r.probability.get(), "impact": r.impact.get(),
        "owner_id": r.owner_id, "mitigation": r.mitigation, "contingency": r.contingency,
        "status": r.status.as_str(), "review_date": r.review_date.to_string(),
    })
}
