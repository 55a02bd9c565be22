//! The hourly cost of a role, with employer charges.

use rumbo_domain::plan::budget::{CostRate, CostRateInput};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{plain, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct CostRateDoc {
    #[serde(default, deserialize_with = "text")]
    pub role: String,
    #[serde(default, deserialize_with = "text")]
    pub hourly_cost: String,
    #[serde(default, deserialize_with = "text")]
    pub currency: String,
    #[serde(default, deserialize_with = "text")]
    pub employer_charges: String,
}

impl CostRateDoc {
    pub fn parse(self) -> Result<CostRate, Invalids> {
        CostRate::try_from(CostRateInput {
            role: self.role,
            hourly_cost: self.hourly_cost,
            currency: if self.currency.trim().is_empty() {
                "CLP".into()
            } else {
                self.currency
            },
            employer_charges: self.employer_charges,
        })
    }
}

impl Doc for CostRateDoc {
    const KIND: &'static str = "cost_rate";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let r = self.parse()?;
        let bp = r.employer_charges.basis_points();
        Ok((
            None,
            json!({
                "role": r.role,
                "hourly_cost": plain(r.hourly_cost),
                "currency": r.hourly_cost.currency().code(),
                "employer_charges": format!("{}.{:02}", bp / 100, bp % 100),
            }),
        ))
    }
    fn enrich(data: &mut Value) {
        if let Ok(Ok(r)) =
            serde_json::from_value::<CostRateDoc>(data.clone()).map(CostRateDoc::parse)
        {
            if let Ok(m) = r.loaded_hourly(rumbo_domain::plan::budget::Rounding::HalfAwayFromZero) {
                data["loaded_hourly_cost"] = json!(plain(m));
            }
        }
    }
}
