//! A KPI target of an objective: indicator, value, direction, tolerance and period.

use rumbo_domain::plan::objectives::{KpiTarget, KpiTargetInput};
use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{number, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct TargetDoc {
    pub objective_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub indicator: String,
    #[serde(default, deserialize_with = "text")]
    pub target: String,
    #[serde(default, deserialize_with = "text")]
    pub direction: String,
    #[serde(default, deserialize_with = "text")]
    pub tolerance: String,
    #[serde(default, deserialize_with = "text")]
    pub granularity: String,
    #[serde(default, deserialize_with = "text")]
    pub period_start: String,
    #[serde(default, deserialize_with = "text")]
    pub period_end: String,
    pub owner_id: Option<i64>,
}

impl TargetDoc {
    pub fn parse(self, cx: &Check) -> Result<(Option<i64>, KpiTarget), Invalids> {
        let mut errors = Vec::new();
        match self.objective_id {
            Some(id) => cx.objectives(&[id], &mut errors),
            None => errors.push(Invalid::new("objective_id", "error.objective.required")),
        }
        cx.person("owner_id", self.owner_id, &mut errors);
        let indicators: Vec<&str> = cx.indicators.iter().map(String::as_str).collect();
        let t = KpiTarget::parse(
            &KpiTargetInput {
                indicator: self.indicator,
                target: self.target,
                direction: self.direction,
                tolerance: self.tolerance,
                granularity: self.granularity,
                period_start: self.period_start,
                period_end: self.period_end,
                owner_id: self.owner_id,
            },
            &indicators,
            cx.programme,
        );
        match t {
            Ok(t) if errors.is_empty() => Ok((self.objective_id, t)),
            Ok(_) => Err(Invalids(errors)),
            Err(Invalids(mut e)) => {
                e.extend(errors);
                Err(Invalids(e))
            }
        }
    }
}

impl Doc for TargetDoc {
    const KIND: &'static str = "target";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let (objective_id, t) = self.parse(cx)?;
        Ok((None, target_json(objective_id, &t)))
    }
}

pub fn target_json(objective_id: Option<i64>, t: &KpiTarget) -> Value {
    json!({
        "objective_id": objective_id,
        "indicator": t.indicator,
        "target": number(t.target),
        "direction": t.direction.as_str(),
        "tolerance": number(t.tolerance),
        "granularity": t.granularity.as_str(),
        "period_start": t.period_start.to_string(),
        "period_end": t.period_end.to_string(),
        "owner_id": t.owner_id,
    })
}
