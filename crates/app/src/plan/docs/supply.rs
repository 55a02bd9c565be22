//! A supply (headsets, licences, seats, minutes) with its unit cost.

use rumbo_domain::plan::budget::{Supply, SupplyInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{plain, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct SupplyDoc {
    #[serde(default, deserialize_with = "text")]
    pub kind: String,
    #[serde(default, deserialize_with = "text")]
    pub description: String,
    #[serde(default, deserialize_with = "text")]
    pub quantity: String,
    #[serde(default, deserialize_with = "text")]
    pub unit_cost: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
}

impl SupplyDoc {
    pub fn parse(self) -> Result<Supply, Invalids> {
        Supply::try_from(SupplyInput {
            kind: self.kind,
            description: self.description,
            quantity: self.quantity,
            unit_cost: self.unit_cost,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
        })
    }
}

impl Doc for SupplyDoc {
    const KIND: &'static str = "supply";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let s = self.parse()?;
        Ok((
            None,
            json!({
                "kind": s.kind.as_str(), "description": s.description, "quantity": s.quantity,
                "unit_cost": plain(s.unit_cost), "currency": s.unit_cost.currency().code(),
            }),
        ))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(s)) = serde_json::from_value::<SupplyDoc>(data.clone()).map(SupplyDoc::parse) {
            if let Ok(t) = s.total() {
                data["total"] = json!(plain(t));
            }
        }
    }
}
