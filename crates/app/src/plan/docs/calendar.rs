//! How the programme counts activity durations: working days on the Chilean calendar, or
//! calendar days (one per programme).

use rumbo_domain::plan::workplan::DayCount;
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct CalendarDoc {
    #[serde(default, deserialize_with = "text")]
    pub day_count: String,
}

impl CalendarDoc {
    pub fn parse(&self) -> Result<DayCount, Invalids> {
        Ok(DayCount::parse(&self.day_count)?)
    }
}

impl Doc for CalendarDoc {
    const KIND: &'static str = "calendar";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let d = self.parse()?;
        Ok((Some(Self::KIND.into()), json!({ "day_count": d.as_str() })))
    }
}
