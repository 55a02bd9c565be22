//! An item of the communication plan: audience, content, frequency, channel.

use rumbo_domain::plan::coordination::{CommunicationInput, CommunicationItem};
use rumbo_domain::Invalids;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{finish, text, Check, Doc};

#[derive(Deserialize, Default)]
pub struct CommunicationDoc {
    #[serde(default, deserialize_with = "text")]
    pub audience: String,
    #[serde(default, deserialize_with = "text")]
    pub content: String,
    #[serde(default, deserialize_with = "text")]
    pub frequency: String,
    #[serde(default, deserialize_with = "text")]
    pub channel: String,
    pub owner_id: Option<i64>,
}

impl Doc for CommunicationDoc {
    const KIND: &'static str = "communication";
    fn check(self, cx: &Check) -> Result<(Option<String>, Value), Invalids> {
        let mut errors = Vec::new();
        cx.person("owner_id", self.owner_id, &mut errors);
        let c = CommunicationItem::try_from(CommunicationInput {
            audience: self.audience,
            content: self.content,
            frequency: self.frequency,
            channel: self.channel,
            owner_id: self.owner_id,
        })
        .map(|c| communication_json(&c));
        finish(errors, c).map(|v| (None, v))
    }
}

pub fn communication_json(c: &CommunicationItem) -> Value {
    json!({
        "audience": c.audience, "content": c.content, "frequency": c.frequency.as_str(),
        "channel": c.channel.as_str(), "owner_id": c.owner_id,
    })
}
