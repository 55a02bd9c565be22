//! The RACI matrix of the work plan: who is responsible, accountable, consulted or informed.

use serde::Deserialize;

use super::text;

#[derive(Deserialize, Default)]
pub struct RaciEntryBody {
    #[serde(default, deserialize_with = "text")]
    pub activity: String,
    pub person_id: Option<i64>,
    #[serde(default, deserialize_with = "text")]
    pub role: String,
}

#[derive(Deserialize, Default)]
pub struct RaciBody {
    #[serde(default)]
    pub entries: Vec<RaciEntryBody>,
}
