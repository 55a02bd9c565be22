//! The programme's methodology text (one per programme).

use rumbo_domain::{Invalid, Invalids};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{text, Check, Doc};

/// The programme's methodology text (one per programme).
#[derive(Deserialize, Default)]
pub struct MethodologyDoc {
    #[serde(default, deserialize_with = "text")]
    pub text: String,
}

impl Doc for MethodologyDoc {
    const KIND: &'static str = "methodology";
    fn check(self, _cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let t = self.text.trim();
        if t.chars().count() > 20_000 {
            return Err(Invalid::new("text", "error.text.too_long").into());
        }
        Ok((Some("methodology".into()), json!({ "text": t })))
    }
}
