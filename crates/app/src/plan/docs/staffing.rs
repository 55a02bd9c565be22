//! The staffing request: volumes per interval and the service policy, from which the staffing
//! plan (positions → FTE per week → hires and training starts) is computed.

use serde::Deserialize;

use super::text;

/// Volumes for one local day: contacts per interval from the first interval of the day.
#[derive(Deserialize)]
pub struct DayVolumes {
    #[serde(default, deserialize_with = "text")]
    pub date: String,
    pub contacts: Vec<f64>,
}

#[derive(Deserialize)]
pub struct StaffingBody {
    #[serde(default, deserialize_with = "text")]
    pub interval_minutes: String,
    #[serde(default, deserialize_with = "text")]
    pub weekly_hours: String,
    #[serde(default, deserialize_with = "text")]
    pub starting_headcount: String,
    #[serde(default, deserialize_with = "text")]
    pub weekly_attrition: String,
    #[serde(default, deserialize_with = "text")]
    pub training_days: String,
    pub aht_s: f64,
    /// Service-level target as a fraction (0.8 for 80 %).
    pub service_level: f64,
    pub answer_s: f64,
    #[serde(default = "one")]
    pub max_occupancy: f64,
    #[serde(default)]
    pub shrinkage: f64,
    pub volumes: Vec<DayVolumes>,
}

fn one() -> f64 {
    1.0
}
