//! Spanish (es-CL, default) and English message catalogues.
//!
//! Every user-visible string comes from `i18n/es.toml` or `i18n/en.toml`, embedded at build time.
//! A test checks that both catalogues have the same keys and that every `t("…")` key used in
//! this crate exists in both.

use std::collections::HashMap;
use std::sync::OnceLock;

rumbo_domain::string_enum! {
    /// A user-interface language; its wire name is the stored and cookie code.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub enum Lang {
        #[default]
        Es = "es",
        En = "en",
    }
}

impl Lang {
    pub fn code(self) -> &'static str {
        self.as_str()
    }

    /// The `lang` attribute of pages.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::Es => "es-CL",
            Lang::En => "en",
        }
    }

    /// A language tag's language (`es-CL` is Spanish), in any case.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("es") {
            Some(Lang::Es)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// Picks the first supported language of an `Accept-Language` header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
            .next()
    }

    /// The message for `key`. A missing key (tests prevent it for every key family) is
    /// logged and shows the catalogue's neutral "text not available", never the raw key.
    pub fn t(self, key: &str) -> &'static str {
        let cat = catalogue(self);
        match cat.get(key) {
            Some(v) => v.as_str(),
            None => {
                tracing::warn!(key, lang = self.code(), "missing message");
                cat.get(MISSING).map(|v| v.as_str()).unwrap_or("…")
            }
        }
    }

    /// The message for `key`, if the catalogue has it.
    pub fn t_opt(self, key: &str) -> Option<&'static str> {
        catalogue(self).get(key).map(|v| v.as_str())
    }

    /// The message for `key` with `{name}` placeholders replaced.
    pub fn tf(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut s = self.t(key).to_string();
        for (k, v) in args {
            s = s.replace(&format!("{{{k}}}"), v);
        }
        s
    }
}

/// The catalogue key shown in place of a missing message.
const MISSING: &str = "i18n.missing";

const ES: &str = concat!(
    include_str!("../../i18n/es.toml"),
    "\n",
    include_str!("../../i18n/plan.es.toml"),
    "\n",
    include_str!("../../i18n/formats.es.toml"),
    "\n",
    include_str!("../../i18n/qlog.es.toml"),
    "\n",
    include_str!("../../i18n/harden.es.toml"),
    "\n",
    include_str!("../../i18n/control.es.toml"),
    "\n",
    include_str!("../../i18n/privacy.es.toml"),
    "\n",
    include_str!("../../i18n/safety.es.toml"),
    "\n",
    include_str!("../../i18n/totp.es.toml"),
    "\n",
    include_str!("../../i18n/control2.es.toml"),
    "\n",
    include_str!("../../i18n/control3.es.toml"),
    "\n",
    include_str!("../../i18n/planforms.es.toml"),
    "\n",
    include_str!("../../i18n/closeout.es.toml"),
    "\n",
    include_str!("../../i18n/reports.es.toml"),
    "\n",
    include_str!("../../i18n/live.es.toml"),
    "\n",
    include_str!("../../i18n/roles.es.toml"),
    "\n",
    include_str!("../../i18n/speed.es.toml"),
    "\n",
);
const EN: &str = concat!(
    include_str!("../../i18n/en.toml"),
    "\n",
    include_str!("../../i18n/plan.en.toml"),
    "\n",
    include_str!("../../i18n/formats.en.toml"),
    "\n",
    include_str!("../../i18n/qlog.en.toml"),
    "\n",
    include_str!("../../i18n/harden.en.toml"),
    "\n",
    include_str!("../../i18n/control.en.toml"),
    "\n",
    include_str!("../../i18n/privacy.en.toml"),
    "\n",
    include_str!("../../i18n/safety.en.toml"),
    "\n",
    include_str!("../../i18n/totp.en.toml"),
    "\n",
    include_str!("../../i18n/control2.en.toml"),
    "\n",
    include_str!("../../i18n/control3.en.toml"),
    "\n",
    include_str!("../../i18n/planforms.en.toml"),
    "\n",
    include_str!("../../i18n/closeout.en.toml"),
    "\n",
    include_str!("../../i18n/reports.en.toml"),
    "\n",
    include_str!("../../i18n/live.en.toml"),
    "\n",
    include_str!("../../i18n/roles.en.toml"),
    "\n",
    include_str!("../../i18n/speed.en.toml"),
    "\n",
);

fn load(src: &str) -> HashMap<String, String> {
    let table: toml::Table = src.parse().unwrap_or_default();
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static ES_CAT: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN_CAT: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::Es => ES_CAT.get_or_init(|| load(ES)),
        Lang::En => EN_CAT.get_or_init(|| load(EN)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn languages_round_trip_through_their_codes_and_tags() {
        rumbo_domain::assert_round_trips::<Lang>();
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.as_str()), Some(l));
        }
        assert_eq!(Lang::parse("es-CL"), Some(Lang::Es));
        assert_eq!(Lang::parse("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    #[test]
    fn both_catalogues_parse_and_have_the_same_keys() {
        assert!(ES.parse::<toml::Table>().is_ok(), "es.toml does not parse");
        assert!(EN.parse::<toml::Table>().is_ok(), "en.toml does not parse");
        let es: BTreeSet<_> = catalogue(Lang::Es).keys().collect();
        let en: BTreeSet<_> = catalogue(Lang::En).keys().collect();
        let only_es: Vec<_> = es.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&es).collect();
        assert!(
            only_es.is_empty() && only_en.is_empty(),
            "only es: {only_es:?}; only en: {only_en:?}"
        );
        assert!(es.len() > 50);
    }

    /// Failed jobs store a key; the job page and the API show its message.
    #[test]
    fn every_job_failure_key_has_a_message_in_both_languages() {
        for key in rumbo_app::jobs::ERROR_KEYS {
            for lang in [Lang::Es, Lang::En] {
                assert!(lang.t_opt(key).is_some(), "{key} missing in {lang:?}");
            }
        }
    }

    /// Issue rows show a catalogued reason per kind and a word per severity.
    #[test]
    fn every_issue_kind_and_severity_has_a_message_in_both_languages() {
        use rumbo_app::model::{IssueKind, Severity};
        let keys = IssueKind::ALL
            .iter()
            .map(|k| format!("import.issue.{}", k.code()))
            .chain(
                Severity::ALL
                    .iter()
                    .map(|s| format!("import.severity.{}", s.as_str())),
            );
        assert_keys(keys);
    }

    /// The Control page names and describes every built-in KPI definition from the catalogues.
    #[test]
    fn every_kpi_definition_has_a_name_and_a_service_level_rule_in_both_languages() {
        let defs = rumbo_kpi::Registry::builtin();
        assert_keys(defs.all().iter().flat_map(|d| {
            [
                format!("kpi.definition.{}", d.id()),
                format!("kpi.definition.{}.sl", d.id()),
            ]
        }));
    }

    /// Every key family built at run time, enumerated from the values that build it.
    #[test]
    fn every_dynamic_key_family_has_every_member_in_both_languages() {
        use rumbo_domain::access::Role;
        use rumbo_domain::plan::budget::Category;
        use rumbo_domain::plan::coordination::{ChangeKind, ChangeStatus};
        use rumbo_domain::plan::objectives::{Direction, Rag};
        use rumbo_domain::plan::strategy::{RiskLevel, RiskStatus};
        use rumbo_domain::programme::{Channel, Status};
        fn family<T: std::fmt::Display>(
            prefix: &str,
            all: impl IntoIterator<Item = T>,
        ) -> Vec<String> {
            all.into_iter().map(|v| format!("{prefix}.{v}")).collect()
        }
        let mut keys = Vec::new();
        keys.extend(family("status", Status::ALL));
        keys.extend(family("channel", Channel::ALL));
        keys.extend(family("role", Role::ALL));
        keys.extend(family("lang", Lang::ALL));
        keys.extend(family("kpi", rumbo_app::plan::INDICATORS.iter()));
        keys.extend(family("control.rag", Rag::ALL));
        keys.extend(family("control2.weekday", 1..=7));
        keys.extend(family(
            "live.state",
            rumbo_kpi::live::AgentState::ALL.map(|s| s.as_str()),
        ));
        keys.extend(family("live.rag", ["green", "amber", "red", "none"]));
        let kinds = rumbo_kpi::control::Kind::ALL.map(|k| k.as_str());
        keys.extend(family("alarm.kind", kinds));
        keys.extend(family("alarm.what", kinds));
        keys.extend(family("alarm.status", rumbo_app::control::Status::ALL));
        keys.extend(family("action.priority", rumbo_app::control::PRIORITIES));
        keys.extend(family("action.status", rumbo_app::control::STATUSES));
        keys.extend(family("control3.feas", rumbo_app::control::FEASIBILITY));
        keys.extend(family(
            "action.verdict",
            [
                rumbo_kpi::control::Verdict::Effective,
                rumbo_kpi::control::Verdict::NotEffective,
                rumbo_kpi::control::Verdict::Inconclusive,
            ]
            .map(|v| v.as_str()),
        ));
        keys.extend(family("plan.rag", Rag::ALL));
        keys.extend(family("plan.direction", Direction::ALL));
        keys.extend(family("plan.risk.level", RiskLevel::ALL));
        keys.extend(family("plan.risk.status", RiskStatus::ALL));
        keys.extend(family("plan.change.kind", ChangeKind::ALL));
        keys.extend(family("plan.change.status", ChangeStatus::ALL));
        keys.extend(family("plan.category", Category::ALL));
        keys.extend(family(
            "control.outcome",
            rumbo_kpi::Outcome::ALL.map(|o| o.as_str()),
        ));
        keys.extend(family(
            "kpi.system_exits",
            [
                "abandons_in_sl",
                "abandons_out_of_sl",
                "apart_in_sl",
                "apart_out_of_sl",
            ],
        ));
        keys.extend(family(
            "audit.action",
            ["create", "update", "delete", "raise"],
        ));
        for (kind, name) in rumbo_app::mappings::KINDS {
            keys.push(format!("mapping.kind.{name}"));
            let (required, optional) = kind.fields();
            keys.extend(family("mapping.field", required.iter().chain(optional)));
        }
        keys.extend(rumbo_app::jobs::ERROR_KEYS.iter().map(|k| k.to_string()));
        keys.extend(family(
            "import.layout",
            rumbo_app::imports::LAYOUT_NAMES
                .iter()
                .chain(&["mapping", "other"]),
        ));
        keys.extend(
            rumbo_app::imports::Found::ALL
                .iter()
                .map(|f| rumbo_app::imports::unrecognised_key(*f).to_string()),
        );
        keys.extend(
            rumbo_app::imports::RECOGNITION_KEYS
                .iter()
                .map(|k| k.to_string()),
        );
        {
            use rumbo_domain::privacy::*;
            keys.extend(family("privacy.kind", RequestKind::ALL));
            keys.extend(family("privacy.status", RequestStatus::ALL));
            keys.extend(family("privacy.urgency", Urgency::ALL));
            keys.extend(family("privacy.class", DataClass::ALL));
            keys.extend(family("privacy.basis", LegalBasis::ALL));
            keys.extend(family("privacy.role", ProcessingRole::ALL));
            keys.extend(family("privacy.suppression", SuppressionReason::ALL));
            keys.extend(family("privacy.by", rumbo_app::privacy::IdKind::ALL));
        }
        {
            use rumbo_domain::plan::closeout::{Verdict, AREAS};
            use rumbo_domain::plan::diffusion::AdoptionStatus;
            use rumbo_domain::plan::lessons::{EvidenceKind, LessonKind};
            keys.extend(family("closeout.area", AREAS.iter()));
            keys.extend(family("closeout.comment", AREAS.iter()));
            keys.extend(family("closeout.verdict", Verdict::ALL));
            keys.extend(family("closeout.milestone", ["met", "late", "pending"]));
            keys.extend(family("closeout.item", ["lesson", "practice"]));
            keys.extend(family("lesson.kind", LessonKind::ALL));
            keys.extend(family("lesson.evidence", EvidenceKind::ALL));
            keys.extend(family("practice.adoption", AdoptionStatus::ALL));
            keys.extend(family(
                "audit.action",
                ["close", "reopen", "sign", "promote"],
            ));
            keys.extend(family("entity", ["closeout", "lesson"]));
            keys.extend(family("closeout.download", ["closeout", "lessons"]));
            keys.extend(family("closeout.format", ["pdf", "xlsx", "csv"]));
        }
        assert_keys(keys);
    }

    /// Fails naming every key of `keys` that one of the catalogues lacks.
    fn assert_keys(keys: impl IntoIterator<Item = String>) {
        let mut missing = Vec::new();
        for k in keys {
            for l in Lang::ALL {
                if l.t_opt(&k).is_none() {
                    missing.push(format!("{k} ({})", l.code()));
                }
            }
        }
        assert!(missing.is_empty(), "missing messages: {missing:#?}");
    }

    /// Every literal key passed to `t("…")`/`tf("…"` in this crate's sources exists.
    #[test]
    fn every_key_used_in_the_sources_exists() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(root)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                for pat in ["t(\"", "tf(\""] {
                    for (i, _) in src.match_indices(pat) {
                        let rest = &src[i + pat.len()..];
                        let Some(end) = rest.find('"') else { continue };
                        let key = &rest[..end];
                        if key.contains('.')
                            && !key.contains(' ')
                            && !catalogue(Lang::Es).contains_key(key)
                        {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:#?}"
        );
    }

    #[test]
    fn a_missing_key_shows_a_neutral_text_not_the_key() {
        for lang in [Lang::Es, Lang::En] {
            let shown = lang.t(&format!("no.such.{}", "key"));
            assert!(!shown.contains("no.such"));
            assert_eq!(shown, lang.t(MISSING));
        }
    }

    #[test]
    fn accept_language_picks_the_first_supported() {
        assert_eq!(
            Lang::from_accept_language("fr-FR, en-US;q=0.8, es;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
