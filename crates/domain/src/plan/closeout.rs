//! The manager's part of a close-out evaluation: a comment on each area the evaluation covers
//! (objectives and targets, quality of service, time, resources and budget, corrective
//! actions), an overall assessment and a verdict. The figures beside them are computed by the
//! application from the programme's data; this is what a person adds and signs.

use super::{optional_text, required_text, Problems};
use crate::Invalids;

crate::string_enum! {
    /// The overall verdict on a finished programme.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Verdict {
        Met = "met",
        PartlyMet = "partly_met",
        NotMet = "not_met",
    }
    invalid("verdict", "error.closeout.verdict")
}

/// The areas an evaluation comments on, in the order the page shows them.
pub const AREAS: &[&str] = &["objectives", "quality", "time", "resources", "actions"];

/// Raw assessment input: a comment per area (same order as [`AREAS`]), overall text, verdict.
#[derive(Debug, Clone, Default)]
pub struct AssessmentInput {
    pub comments: Vec<String>,
    pub overall: String,
    pub verdict: String,
}

/// A parsed assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// One comment per area of [`AREAS`] (may be empty).
    pub comments: Vec<String>,
    pub overall: String,
    pub verdict: Verdict,
}

impl TryFrom<AssessmentInput> for Assessment {
    type Error = Invalids;

    fn try_from(i: AssessmentInput) -> Result<Self, Invalids> {
        let mut p = Problems::default();
        let mut comments = Vec::new();
        for (n, _) in AREAS.iter().enumerate() {
            let c = i.comments.get(n).map(String::as_str);
            comments.push(
                p.take(optional_text(
                    "comments",
                    "error.closeout.too_long",
                    c,
                    4000,
                ))
                .unwrap_or_default(),
            );
        }
        let overall = p.take(required_text(
            "overall",
            "error.closeout.overall",
            &i.overall,
            8000,
        ));
        let verdict = p.take(Verdict::parse(&i.verdict));
        p.finish(|| {
            Some(Assessment {
                comments,
                overall: overall?,
                verdict: verdict?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assessment_needs_an_overall_text_and_a_verdict() {
        let ok = Assessment::try_from(AssessmentInput {
            comments: vec!["Metas cumplidas".into()],
            overall: "Programa exitoso".into(),
            verdict: "partly_met".into(),
        })
        .unwrap();
        assert_eq!(ok.comments.len(), AREAS.len());
        assert_eq!(ok.verdict, Verdict::PartlyMet);
        let bad = Assessment::try_from(AssessmentInput::default()).unwrap_err();
        let keys: Vec<_> = bad.0.iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            vec!["error.closeout.overall", "error.closeout.verdict"]
        );
    }
}
