//! Named, versioned KPI definitions and their registry.
//!
//! Vendors disagree on almost every KPI (see `docs/domain/kpi-definitions.md`).
//! A [`KpiDefinition`] is explicit about every choice; every computed figure
//! carries the [`DefinitionId`] (name + version) that produced it, and the
//! [`Registry`] never lets a published version change: a changed definition is
//! registered as a new version, so old reports keep theirs.

use std::fmt;

use crate::KpiError;

/// Which calls count as "met" in the service-level numerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlNumerator {
    /// Answered calls with wait ≤ T (most vendors).
    AnsweredWithin,
    /// Answered calls with wait ≤ T plus abandons with wait ≤ T (Talkdesk).
    AnsweredOrAbandonedWithin,
}

/// The service-level denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlDenominator {
    /// Answered calls only ("Ans in SLA %", VICIdial default).
    Answered,
    /// Offered = answered + abandoned (Genesys default, Erlang C's SL).
    Offered,
    /// Offered minus short abandons (abandoned with wait ≤ S).
    OfferedMinusShortAbandons,
}

/// Which moment of a call decides the interval it is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribution {
    /// The interval in which the call entered the queue (default).
    Enter,
    /// The interval in which the call was answered or abandoned (enter + wait).
    Answer,
    /// The interval in which the call ended (enter + wait + talk + hold).
    End,
}

/// Name and version of a definition; recorded with every figure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefinitionId {
    /// Definition name, e.g. `rumbo-standard`.
    pub name: String,
    /// Version, starting at 1; increases whenever any parameter changes.
    pub version: u32,
}

impl fmt::Display for DefinitionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@v{}", self.name, self.version)
    }
}

/// Every choice that changes a KPI figure, made explicit.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiDefinition {
    id: DefinitionId,
    /// Service-level threshold T in seconds; inclusive (wait ≤ T).
    pub sl_threshold_s: f64,
    /// Service-level numerator variant.
    pub sl_numerator: SlNumerator,
    /// Service-level denominator variant.
    pub sl_denominator: SlDenominator,
    /// Short-abandon threshold S in seconds: abandons with wait ≤ S are short.
    pub short_abandon_s: f64,
    /// Interval attribution.
    pub attribution: Attribution,
    /// Whether hold time is part of handle time (AHT, occupancy).
    pub aht_includes_hold: bool,
    /// FCR window: a call is resolved if the same caller does not call again within it.
    pub fcr_window_s: i64,
    /// CSAT scale maximum (e.g. 5) and lowest top-box answer (e.g. 4 for "top 2 of 5").
    pub csat_scale_max: u8,
    /// Lowest answer counted as satisfied.
    pub csat_top_box_min: u8,
    /// NPS: answers ≥ this are promoters (9).
    pub nps_promoter_min: u8,
    /// NPS: answers ≤ this are detractors (6).
    pub nps_detractor_max: u8,
    /// Occupancy denominator: logged-in minus paused time (true) or handle + idle (false
    /// gives the same number when idle is logged-in − paused − handle).
    pub occupancy_excludes_pause: bool,
    /// Whether system exits (queue timeout, empty queue, exit key) count as abandons: in
    /// the abandon rate, as short abandons and in the "abandoned within T" numerator
    /// variant. Version 1 of the built-in definitions did; later versions keep them apart.
    pub system_exits_as_abandons: bool,
    /// Whether system exits count in the service-level denominator (the queue failed to
    /// serve them within T, so most centres count them).
    pub system_exits_in_sl_denominator: bool,
}

impl KpiDefinition {
    /// The definition used by the KPI fixture (`crates/kpi/tests/data/README.md`):
    /// T = 20 s inclusive, numerator answered ≤ T, denominator offered minus short
    /// abandons with S = 5 s, attribution by queue entry.
    pub fn standard() -> Self {
        KpiDefinition {
            id: DefinitionId {
                name: "rumbo-standard".into(),
                version: 1,
            },
            sl_threshold_s: 20.0,
            sl_numerator: SlNumerator::AnsweredWithin,
            sl_denominator: SlDenominator::OfferedMinusShortAbandons,
            short_abandon_s: 5.0,
            attribution: Attribution::Enter,
            aht_includes_hold: true,
            fcr_window_s: 24 * 3600,
            csat_scale_max: 5,
            csat_top_box_min: 4,
            nps_promoter_min: 9,
            nps_detractor_max: 6,
            occupancy_excludes_pause: true,
            system_exits_as_abandons: true,
            system_exits_in_sl_denominator: true,
        }
    }

    /// The standard definition's next version: system exits are an outcome of their own,
    /// not abandons (out of the abandon rate), and still count in the service-level
    /// denominator. Every other choice is the standard one.
    pub fn standard_v2() -> Self {
        let mut d = Self::standard();
        d.id.version = 2;
        d.system_exits_as_abandons = false;
        d.system_exits_in_sl_denominator = true;
        d
    }

    /// Starts a new definition from the standard one with another name (version 1).
    pub fn named(name: &str) -> Result<Self, KpiError> {
        let mut d = Self::standard();
        d.id = DefinitionId {
            name: name.to_string(),
            version: 1,
        };
        d.validate()?;
        Ok(d)
    }

    /// Name and version.
    pub fn id(&self) -> &DefinitionId {
        &self.id
    }

    /// Checks every parameter; the registry refuses invalid definitions.
    pub fn validate(&self) -> Result<(), KpiError> {
        let bad = |m: &str| Err(KpiError::InvalidDefinition(format!("{}: {m}", self.id)));
        if self.id.name.trim().is_empty() || self.id.name.contains(['@', ',', '\n']) {
            return bad("name must be non-empty without '@', ',' or newlines");
        }
        if self.id.version == 0 {
            return bad("versions start at 1");
        }
        if !(self.sl_threshold_s.is_finite() && self.sl_threshold_s >= 0.0) {
            return bad("SL threshold must be ≥ 0");
        }
        if !(self.short_abandon_s.is_finite() && self.short_abandon_s >= 0.0) {
            return bad("short-abandon threshold must be ≥ 0");
        }
        if self.fcr_window_s <= 0 {
            return bad("FCR window must be positive");
        }
        if self.csat_top_box_min == 0 || self.csat_top_box_min > self.csat_scale_max {
            return bad("CSAT top box must be within 1..=scale max");
        }
        if self.nps_detractor_max >= self.nps_promoter_min || self.nps_promoter_min > 10 {
            return bad("NPS detractor max must be below promoter min (≤ 10)");
        }
        Ok(())
    }

    /// Whether two definitions make the same choices (ignoring name and version).
    pub fn same_choices(&self, other: &KpiDefinition) -> bool {
        let mut o = other.clone();
        o.id = self.id.clone();
        *self == o
    }

    /// Whether aggregates built under `other` equal those built under this definition, so
    /// one can be read for the other: true when the two differ at most in how system exits
    /// count, a choice that only changes the figures computed from the aggregates.
    pub fn same_aggregates(&self, other: &KpiDefinition) -> bool {
        let mut o = other.clone();
        o.system_exits_as_abandons = self.system_exits_as_abandons;
        o.system_exits_in_sl_denominator = self.system_exits_in_sl_denominator;
        self.same_choices(&o)
    }

    /// A one-line human description listing every choice (for reports and `--help`).
    pub fn describe(&self) -> String {
        let num = match self.sl_numerator {
            SlNumerator::AnsweredWithin => "answered<=T",
            SlNumerator::AnsweredOrAbandonedWithin => "answered<=T + abandoned<=T",
        };
        let den = match self.sl_denominator {
            SlDenominator::Answered => "answered",
            SlDenominator::Offered => "offered",
            SlDenominator::OfferedMinusShortAbandons => "offered - abandoned<=S",
        };
        let att = match self.attribution {
            Attribution::Enter => "enter",
            Attribution::Answer => "answer",
            Attribution::End => "end",
        };
        let exits = match (
            self.system_exits_as_abandons,
            self.system_exits_in_sl_denominator,
        ) {
            (true, true) => "system exits as abandons",
            (true, false) => "system exits as abandons, out of the SL denominator",
            (false, true) => "system exits apart, in the SL denominator",
            (false, false) => "system exits apart, out of the SL denominator",
        };
        format!(
            "{}: SL = ({num}) / ({den}), T={}s, S={}s, interval by {att}, AHT {} hold, FCR window {}s, CSAT top box {}..{}, NPS promoters >= {} detractors <= {}, {exits}",
            self.id,
            self.sl_threshold_s,
            self.short_abandon_s,
            if self.aht_includes_hold { "with" } else { "without" },
            self.fcr_window_s,
            self.csat_top_box_min,
            self.csat_scale_max,
            self.nps_promoter_min,
            self.nps_detractor_max
        )
    }
}

/// The set of known definitions, all versions kept.
#[derive(Debug, Clone)]
pub struct Registry {
    defs: Vec<KpiDefinition>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Self {
        Registry { defs: Vec::new() }
    }

    /// The built-in definitions: the fixture's standard one and the common vendor variants,
    /// each in version 1 (system exits counted as abandons) and version 2 (system exits
    /// apart from abandons, still in the service-level denominator).
    pub fn builtin() -> Self {
        let mut r = Registry::empty();
        let std = KpiDefinition::standard();
        let mut answered = std.clone();
        answered.id.name = "answered-sl".into();
        answered.sl_denominator = SlDenominator::Answered;
        let mut offered = std.clone();
        offered.id.name = "offered-sl".into();
        offered.sl_denominator = SlDenominator::Offered;
        let mut talkdesk = std.clone();
        talkdesk.id.name = "met-incl-abandons-sl".into();
        talkdesk.sl_numerator = SlNumerator::AnsweredOrAbandonedWithin;
        let v1 = [std, answered, offered, talkdesk];
        for d in v1.iter().cloned() {
            // Built-ins are valid and distinct by construction.
            let _ = r.register(d);
        }
        for mut d in v1 {
            d.id.version = 2;
            d.system_exits_as_abandons = false;
            d.system_exits_in_sl_denominator = true;
            let _ = r.register(d);
        }
        r
    }

    /// Registers a definition. Re-registering identical content is a no-op; a
    /// different content under an existing name+version is refused.
    pub fn register(&mut self, def: KpiDefinition) -> Result<&KpiDefinition, KpiError> {
        def.validate()?;
        if let Some(i) = self.defs.iter().position(|d| d.id == def.id) {
            if self.defs[i] == def {
                return Ok(&self.defs[i]);
            }
            return Err(KpiError::VersionConflict {
                name: def.id.name,
                version: def.id.version,
            });
        }
        self.defs.push(def);
        Ok(self.defs.last().expect("just pushed"))
    }

    /// Publishes changed choices under `name`: returns the existing latest version if
    /// nothing changed, otherwise registers and returns version latest + 1.
    pub fn publish(&mut self, mut def: KpiDefinition) -> Result<&KpiDefinition, KpiError> {
        let name = def.id.name.clone();
        let latest = self.latest(&name).ok().cloned();
        match latest {
            Some(l) if l.same_choices(&def) => {
                def.id.version = l.id.version;
            }
            Some(l) => def.id.version = l.id.version + 1,
            None => def.id.version = 1,
        }
        self.register(def)
    }

    /// The highest version of a definition.
    pub fn latest(&self, name: &str) -> Result<&KpiDefinition, KpiError> {
        self.defs
            .iter()
            .filter(|d| d.id.name == name)
            .max_by_key(|d| d.id.version)
            .ok_or_else(|| KpiError::UnknownDefinition(name.to_string()))
    }

    /// One exact version.
    pub fn get(&self, name: &str, version: u32) -> Result<&KpiDefinition, KpiError> {
        self.defs
            .iter()
            .find(|d| d.id.name == name && d.id.version == version)
            .ok_or_else(|| KpiError::UnknownDefinition(format!("{name}@v{version}")))
    }

    /// Resolves `name` (latest) or `name@vN` / `name@N` (exact version).
    pub fn resolve(&self, spec: &str) -> Result<&KpiDefinition, KpiError> {
        match spec.split_once('@') {
            Some((name, v)) => {
                let v = v.trim_start_matches('v');
                let version: u32 = v
                    .parse()
                    .map_err(|_| KpiError::UnknownDefinition(spec.to_string()))?;
                self.get(name, version)
            }
            None => self.latest(spec),
        }
    }

    /// All definitions, all versions, in registration order.
    pub fn all(&self) -> &[KpiDefinition] {
        &self.defs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_definition_matches_the_fixture_conventions() {
        let d = KpiDefinition::standard();
        assert_eq!(d.sl_threshold_s, 20.0);
        assert_eq!(d.short_abandon_s, 5.0);
        assert_eq!(d.sl_denominator, SlDenominator::OfferedMinusShortAbandons);
        assert_eq!(d.attribution, Attribution::Enter);
    }

    #[test]
    fn changing_a_choice_publishes_a_new_version_and_keeps_the_old() {
        let mut r = Registry::builtin();
        let mut d = r.latest("rumbo-standard").unwrap().clone();
        d.sl_threshold_s = 30.0;
        assert_eq!(r.publish(d.clone()).unwrap().id().version, 3);
        assert_eq!(r.get("rumbo-standard", 1).unwrap().sl_threshold_s, 20.0);
        assert_eq!(r.resolve("rumbo-standard").unwrap().sl_threshold_s, 30.0);
        assert_eq!(r.resolve("rumbo-standard@v1").unwrap().sl_threshold_s, 20.0);
        // Publishing the same choices again does not create version 4.
        assert_eq!(r.publish(d).unwrap().id().version, 3);
    }

    #[test]
    fn every_builtin_keeps_version_1_with_system_exits_as_abandons_and_adds_version_2_apart() {
        let r = Registry::builtin();
        for name in [
            "rumbo-standard",
            "answered-sl",
            "offered-sl",
            "met-incl-abandons-sl",
        ] {
            let v1 = r.resolve(&format!("{name}@v1")).unwrap();
            let v2 = r.latest(name).unwrap();
            assert_eq!(v2.id().version, 2, "{name}");
            assert!(v1.system_exits_as_abandons && v1.system_exits_in_sl_denominator);
            assert!(!v2.system_exits_as_abandons && v2.system_exits_in_sl_denominator);
            let mut back = v2.clone();
            back.system_exits_as_abandons = true;
            assert!(
                back.same_choices(v1),
                "{name}: only the system-exit choice differs"
            );
        }
        assert_eq!(
            r.latest("rumbo-standard").unwrap(),
            &KpiDefinition::standard_v2()
        );
    }

    #[test]
    fn registering_different_content_under_an_existing_version_is_refused() {
        let mut r = Registry::builtin();
        let mut d = KpiDefinition::standard();
        d.short_abandon_s = 10.0;
        assert!(matches!(
            r.register(d),
            Err(KpiError::VersionConflict { .. })
        ));
    }

    #[test]
    fn invalid_parameters_are_refused() {
        let mut d = KpiDefinition::standard();
        d.sl_threshold_s = -1.0;
        assert!(d.validate().is_err());
        assert!(KpiDefinition::named("").is_err());
    }
}
