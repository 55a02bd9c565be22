//! Live operations: the state of a programme's queues now, fed by a watcher that follows a
//! growing `queue_log` ([`follow`]) or Asterisk's manager interface ([`ami`]), stored for the
//! servers, and read back as a wallboard ([`LiveBoard`]) judged against the programme's targets.
//!
//! How the state travels: the watcher (the CLI `rumbo watch …` or a server's follow job) keeps
//! the pure `rumbo_kpi::live::LiveState` in memory and writes it to the store (`live_state`, one
//! JSON document per programme with a growing version) at most a few times a second. Servers
//! hold nothing: a wallboard's event stream polls the version and sends the board again when
//! it moves, so any number of servers and one watcher meet only in the database.
//!
//! The day's abandoned callers keep their number in the stored state for the callback list,
//! sealed under the installation's caller key (kept outside the database, see [`crate::keys`]),
//! so a copy of the database gives back no number: it is shown in full only to the roles the
//! programme's record of processing allows (masked to everyone else), and it is gone when the
//! programme's day changes (the list is the day's).
//! Live breaches (service level under target for the last N minutes, too many calls waiting)
//! are stored as alarms of the control loop.

pub mod ami;
pub mod follow;

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::Timestamp;
use rumbo_domain::access::{Action, Role};
use rumbo_domain::plan::objectives::{Direction, Rag};
use rumbo_kpi::live::{AgentState, BreachWatch, LiveEvent, LiveState, QueueCounters};
use rumbo_kpi::KpiDefinition;
use rumbo_store::control::NewAlarm;
use rumbo_store::live::FollowPos;
use rumbo_store::Actor;
use serde::{Deserialize, Serialize};

use crate::keys::CallerKeys;
use crate::model::Programme;
use crate::plan::PlanCx;
use crate::{App, Error, Principal, Result};

pub use rumbo_kpi::live::AgentState as LiveAgentState;

/// Roles that see the per-agent table (supervisors and above).
pub const AGENT_VIEWERS: &[Role] = &[Role::Admin, Role::Manager, Role::Supervisor];

/// A programme's live settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// The `queue_log` a server follows for this programme (absolute path), if any.
    pub queue_log: Option<String>,
    /// A service level under target for this many minutes raises an alarm.
    pub sl_breach_minutes: u32,
    /// More calls waiting than this in a queue raises an alarm.
    pub waiting_limit: u32,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings {
            queue_log: None,
            sl_breach_minutes: 15,
            waiting_limit: 10,
        }
    }
}

impl LiveSettings {
    /// Checks the fields; all the problems at once.
    pub fn checked(mut self) -> Result<LiveSettings> {
        let mut bad = Vec::new();
        self.queue_log = self
            .queue_log
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        if let Some(p) = &self.queue_log {
            if !std::path::Path::new(p).is_absolute() || p.chars().count() > 1000 {
                bad.push(rumbo_domain::Invalid::new(
                    "queue_log",
                    "error.live.queue_log",
                ));
            }
        }
        if !(1..=240).contains(&self.sl_breach_minutes) {
            bad.push(rumbo_domain::Invalid::new(
                "sl_breach_minutes",
                "error.live.minutes",
            ));
        }
        if !(1..=10_000).contains(&self.waiting_limit) {
            bad.push(rumbo_domain::Invalid::new(
                "waiting_limit",
                "error.live.waiting_limit",
            ));
        }
        if bad.is_empty() {
            Ok(self)
        } else {
            Err(rumbo_domain::Invalids(bad).into())
        }
    }
}

/// A target judged on the live view.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveTarget {
    pub target: f64,
    pub tolerance: f64,
    pub higher_is_better: bool,
}

/// One queue (or the total over every queue) on the wallboard.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveQueue {
    /// The queue's name; `None` for the total.
    pub queue: Option<String>,
    pub waiting: u64,
    pub longest_wait_s: i64,
    /// Agents in each state, in [`AgentState::ALL`] order.
    pub agents: Vec<(AgentState, u64)>,
    pub counters: QueueCounters,
    /// Percentages (0–100).
    pub service_level: Option<f64>,
    pub abandon_rate: Option<f64>,
    pub asa_s: Option<f64>,
    pub aht_s: Option<f64>,
    pub sl_rag: Option<Rag>,
    pub abandon_rag: Option<Rag>,
    /// Calls waiting at or over the programme's limit.
    pub waiting_over_limit: bool,
}

/// One agent on the wallboard (supervisors only).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAgent {
    pub name: String,
    pub state: AgentState,
    pub pause_reason: Option<String>,
    pub in_state_s: i64,
    pub queues: Vec<String>,
    pub answered: u64,
    pub missed: u64,
    pub talk_s: i64,
}

/// A call abandoned today, for callback.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveAbandoned {
    pub at: i64,
    pub queue: String,
    pub wait_s: i64,
    /// The number: in full when `full`, else masked (at most the last four digits).
    pub number: Option<String>,
    pub full: bool,
}

/// The wallboard of a programme at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveBoard {
    pub code: String,
    pub name: String,
    pub time_zone: String,
    /// The stored state's version (0: no watcher has written yet).
    pub version: i64,
    /// `queue-log` or `ami`, when a watcher has written.
    pub source: Option<String>,
    /// When the state was last written, and the last event in it.
    pub updated_at: Option<i64>,
    pub last_event_at: Option<i64>,
    pub now: i64,
    /// The local day the counters belong to.
    pub day: Option<String>,
    pub sl_threshold_s: i64,
    pub sl_target: Option<LiveTarget>,
    pub abandon_target: Option<LiveTarget>,
    pub queues: Vec<LiveQueue>,
    pub total: LiveQueue,
    /// `None` when the reader may not see agents.
    pub agents: Option<Vec<LiveAgent>>,
    pub abandoned: Vec<LiveAbandoned>,
    pub settings: LiveSettings,
}

fn judge(t: &LiveTarget, actual: f64) -> Rag {
    let shortfall = if t.higher_is_better {
        t.target - actual
    } else {
        actual - t.target
    };
    if shortfall <= 0.0 {
        Rag::Green
    } else if shortfall <= t.tolerance {
        Rag::Amber
    } else {
        Rag::Red
    }
}

/// The local day (ISO date) of `at` in `tz`.
pub fn local_day(at: i64, tz: &TimeZone) -> String {
    Timestamp::from_second(at)
        .map(|t| t.to_zoned(tz.clone()).date().to_string())
        .unwrap_or_default()
}

/// Reads a stored state; a state that does not parse starts empty (it is rebuilt by events).
fn parse_state(json: &str, threshold: i64) -> LiveState {
    match serde_json::from_str::<LiveState>(json) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "stored live state unreadable; starting empty");
            LiveState::new(threshold)
        }
    }
}

/// The key stream that hides a caller's number: HMAC-SHA256 of a label and a nonce under the
/// caller key.
fn caller_pad(key: &[u8], nonce: &str) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(b"rumbo live caller\0");
    mac.update(nonce.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Seals a caller's number (at most 32 bytes kept) as `v{version}:{nonce}:{hex}`.
fn seal_caller(keys: &CallerKeys, raw: &str) -> String {
    let nonce = crate::credentials::new_token();
    let pad = caller_pad(keys.current(), &nonce[..16]);
    let ct: Vec<u8> = raw.bytes().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
    format!(
        "v{}:{}:{}",
        keys.current_version(),
        &nonce[..16],
        hex::encode(ct)
    )
}

/// Opens a sealed number; `None` when its key is gone (rotated out) or it is not sealed.
fn open_caller(keys: &CallerKeys, sealed: &str) -> Option<String> {
    let mut parts = sealed.splitn(3, ':');
    let version: u32 = parts.next()?.strip_prefix('v')?.parse().ok()?;
    let nonce = parts.next()?;
    let ct = hex::decode(parts.next()?).ok()?;
    let pad = caller_pad(keys.key(version)?, nonce);
    let raw: Vec<u8> = ct.iter().zip(pad.iter()).map(|(a, b)| a ^ b).collect();
    String::from_utf8(raw).ok()
}

fn sl_threshold() -> i64 {
    KpiDefinition::standard().sl_threshold_s.round() as i64
}

impl App {
    /// A programme's live settings (defaults when never set), for anyone who may read it.
    pub async fn live_settings(&self, who: &Principal, code: &str) -> Result<LiveSettings> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        self.stored_live_settings(p.id).await
    }

    pub(crate) async fn stored_live_settings(&self, programme_id: i64) -> Result<LiveSettings> {
        Ok(match self.store.live_settings(programme_id).await? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => LiveSettings::default(),
        })
    }

    /// Changes a programme's live settings (who may change the programme); a `queue_log`
    /// path makes the servers follow that file for the programme.
    pub async fn save_live_settings(
        &self,
        who: &Principal,
        code: &str,
        settings: LiveSettings,
    ) -> Result<LiveSettings> {
        let p = self
            .programme_for(who, code, Action::Update)
            .await?
            .programme;
        let settings = settings.checked()?;
        let v = serde_json::to_value(&settings).map_err(Error::internal)?;
        self.store.set_live_settings(&who.actor(), p.id, &v).await?;
        if settings.queue_log.is_some() {
            self.ensure_follow_job(p.id).await?;
        }
        Ok(settings)
    }

    /// The version of a programme's stored live state (0: none yet); event streams poll it.
    pub async fn live_version(&self, programme: &Programme) -> Result<i64> {
        Ok(self.store.live_version(programme.id).await?.unwrap_or(0))
    }

    /// The wallboard of programme `code` at `now` for `who`.
    pub async fn live_board(&self, who: &Principal, code: &str, now: i64) -> Result<LiveBoard> {
        let p = self.programme_for(who, code, Action::Read).await?.programme;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let threshold = sl_threshold();
        let row = self.store.live_state(p.id).await?;
        let mut state = row
            .as_ref()
            .map(|r| parse_state(&r.state_json, threshold))
            .unwrap_or_else(|| LiveState::new(threshold));
        // Yesterday's counters are not today's: a board read after midnight with no event
        // yet shows an empty day.
        let today = local_day(now, &tz);
        if state.day.as_deref().is_some_and(|d| d < today.as_str()) {
            let mut fresh = LiveState::new(state.sl_threshold_s);
            fresh.waiting = std::mem::take(&mut state.waiting);
            fresh.agents = std::mem::take(&mut state.agents);
            for a in fresh.agents.values_mut() {
                a.answered = 0;
                a.missed = 0;
                a.talk_s = 0;
            }
            fresh.day = Some(today.clone());
            state = fresh;
        }
        let settings = self.stored_live_settings(p.id).await?;
        let (sl_target, abandon_target) = self.live_targets(&p, &today).await?;
        let full_numbers = self.may_see_full_numbers(who, &p).await?;
        let keys = if state.abandoned.iter().any(|a| a.caller.is_some()) {
            Some(self.caller_keys().await?)
        } else {
            None
        };
        let queue = |name: Option<String>,
                     waiting: u64,
                     longest: i64,
                     agents: [u64; 6],
                     c: QueueCounters| {
            let sl = c.service_level().map(|x| x * 100.0);
            let ab = c.abandon_rate().map(|x| x * 100.0);
            LiveQueue {
                queue: name,
                waiting,
                longest_wait_s: longest,
                agents: AgentState::ALL.iter().copied().zip(agents).collect(),
                service_level: sl,
                abandon_rate: ab,
                asa_s: c.asa_s(),
                aht_s: c.aht_s(),
                sl_rag: sl.zip(sl_target.as_ref()).map(|(v, t)| judge(t, v)),
                abandon_rag: ab.zip(abandon_target.as_ref()).map(|(v, t)| judge(t, v)),
                waiting_over_limit: waiting >= u64::from(settings.waiting_limit),
                counters: c,
            }
        };
        let views = state.queues(now);
        let mut all_agents = [0u64; 6];
        for a in state.agents.values().filter(|a| !a.queues.is_empty()) {
            if let Some(i) = AgentState::ALL.iter().position(|s| *s == a.state) {
                all_agents[i] += 1;
            }
        }
        let total = queue(
            None,
            state.waiting.len() as u64,
            views.iter().map(|v| v.longest_wait_s).max().unwrap_or(0),
            all_agents,
            state.totals(),
        );
        let queues = views
            .into_iter()
            .map(|v| {
                queue(
                    Some(v.queue),
                    v.waiting,
                    v.longest_wait_s,
                    v.agents,
                    v.counters,
                )
            })
            .collect();
        let agents = AGENT_VIEWERS.contains(&who.role).then(|| {
            state
                .agents
                .iter()
                .map(|(name, a)| LiveAgent {
                    name: name.clone(),
                    state: a.state,
                    pause_reason: a.pause_reason.clone(),
                    in_state_s: (now - a.since).max(0),
                    queues: a.queues.iter().cloned().collect(),
                    answered: a.answered,
                    missed: a.missed,
                    talk_s: a.talk_s,
                })
                .collect()
        });
        let abandoned = state
            .abandoned
            .iter()
            .rev()
            .map(|a| LiveAbandoned {
                at: a.at,
                queue: a.queue.clone(),
                wait_s: a.wait_s,
                number: a.caller.as_deref().and_then(|sealed| {
                    let c = open_caller(keys.as_ref()?, sealed)?;
                    if full_numbers {
                        Some(c)
                    } else {
                        rumbo_ingest::privacy::mask(&c)
                    }
                }),
                full: full_numbers,
            })
            .collect();
        Ok(LiveBoard {
            code: p.code.clone(),
            name: p.name.clone(),
            time_zone: p.time_zone.clone(),
            version: row.as_ref().map(|r| r.version).unwrap_or(0),
            source: row.as_ref().map(|r| r.source.clone()),
            updated_at: row.as_ref().map(|r| r.updated_at),
            last_event_at: (state.last_event_at > 0).then_some(state.last_event_at),
            now,
            day: state.day.clone(),
            sl_threshold_s: state.sl_threshold_s,
            sl_target,
            abandon_target,
            queues,
            total,
            agents,
            abandoned,
            settings,
        })
    }

    /// The service-level and abandon-rate targets of the programme's plan in force on `day`.
    async fn live_targets(
        &self,
        p: &Programme,
        day: &str,
    ) -> Result<(Option<LiveTarget>, Option<LiveTarget>)> {
        let Ok(day) = day.parse::<jiff::civil::Date>() else {
            return Ok((None, None));
        };
        let cx = PlanCx::system(p.clone())?;
        let mut sl = None;
        let mut ab = None;
        for (_, t) in self.kpi_targets(&cx).await? {
            if t.period_start > day || t.period_end < day {
                continue;
            }
            let lt = LiveTarget {
                target: t.target,
                tolerance: t.tolerance,
                higher_is_better: t.direction == Direction::HigherIsBetter,
            };
            match t.indicator.as_str() {
                "service_level" if sl.is_none() => sl = Some(lt),
                "abandon_rate" if ab.is_none() => ab = Some(lt),
                _ => {}
            }
        }
        Ok((sl, ab))
    }

    /// Whether `who` sees callers' full numbers on the live board: only the roles the
    /// programme's record of processing names for callbacks (no record: nobody).
    async fn may_see_full_numbers(&self, who: &Principal, p: &Programme) -> Result<bool> {
        let Some(record) = self.store.processing_record(p.id).await? else {
            return Ok(false);
        };
        let record: crate::privacy::ProcessingRecord =
            serde_json::from_value(record.data).unwrap_or_default();
        Ok(record.callback_roles.iter().any(|r| r == who.role.as_str()))
    }

    /// Opens the live feed of the programme `code` for a watcher (the operator's authority).
    pub async fn live_feed(&self, code: &str, source: &'static str) -> Result<LiveFeed> {
        let p = self.programme_for_operator(code).await?;
        let tz = TimeZone::get(&p.time_zone).unwrap_or(TimeZone::UTC);
        let threshold = sl_threshold();
        let state = match self.store.live_state(p.id).await? {
            Some(r) => parse_state(&r.state_json, threshold),
            None => LiveState::new(threshold),
        };
        let settings = self.stored_live_settings(p.id).await?;
        let keys = self.caller_keys().await?;
        Ok(LiveFeed {
            keys,
            app: self.clone(),
            programme: p,
            tz,
            source,
            state,
            dirty: false,
            settings,
            sl_watch: BTreeMap::new(),
            wait_watch: BTreeMap::new(),
            version: 0,
        })
    }
}

/// A watcher's live state of one programme: events in, the state written to the store, live
/// breaches raised as alarms.
pub struct LiveFeed {
    app: App,
    keys: CallerKeys,
    programme: Programme,
    tz: TimeZone,
    source: &'static str,
    state: LiveState,
    dirty: bool,
    settings: LiveSettings,
    sl_watch: BTreeMap<String, BreachWatch>,
    wait_watch: BTreeMap<String, BreachWatch>,
    version: i64,
}

impl LiveFeed {
    /// Applies an event of instant `at`.
    pub fn apply(&mut self, at: i64, mut event: LiveEvent) {
        // Numbers are sealed before they reach the state (and the database).
        if let LiveEvent::CallerJoin { caller, .. } | LiveEvent::StatusEntry { caller, .. } =
            &mut event
        {
            *caller = caller.take().map(|c| seal_caller(&self.keys, &c));
        }
        let day = local_day(at, &self.tz);
        self.state.apply(at, &day, event);
        self.dirty = true;
    }

    /// The state as it is now.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// The programme fed.
    pub fn programme(&self) -> &Programme {
        &self.programme
    }

    /// Whether events were applied since the last write.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// The version last written.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Writes the state (and the position of a followed file) to the store.
    pub async fn publish(&mut self, follow: Option<&FollowPos>) -> Result<i64> {
        let json = serde_json::to_string(&self.state).map_err(Error::internal)?;
        self.version = self
            .app
            .store
            .save_live_state(self.programme.id, self.source, &json, follow)
            .await?;
        self.dirty = false;
        Ok(self.version)
    }

    /// Judges the live state at `now`: a queue whose service level has been under its target
    /// for the configured minutes, or with calls waiting over the limit for a minute, raises
    /// (or updates) an alarm of the control loop. Returns how many alarms were found.
    pub async fn check_breaches(&mut self, now: i64) -> Result<usize> {
        self.settings = self.app.stored_live_settings(self.programme.id).await?;
        let today = local_day(now, &self.tz);
        let (sl_target, _) = self.app.live_targets(&self.programme, &today).await?;
        let mut found = Vec::new();
        for q in self.state.queues(now) {
            let sl = q.counters.service_level().map(|x| x * 100.0);
            let wrong = match (sl, &sl_target) {
                (Some(v), Some(t)) => judge(t, v) == Rag::Red,
                _ => false,
            };
            let minutes = i64::from(self.settings.sl_breach_minutes);
            if let Some(since) = self
                .sl_watch
                .entry(q.queue.clone())
                .or_default()
                .observe(now, wrong, minutes)
            {
                let t = sl_target.as_ref().map(|t| t.target).unwrap_or(0.0);
                let v = sl.unwrap_or(0.0);
                found.push(NewAlarm {
                    fingerprint: format!("live_service_level|{}|{since}", q.queue),
                    kind: "live_service_level".into(),
                    metric: "service_level".into(),
                    subject: q.queue.clone(),
                    period_start: since,
                    period_end: now,
                    expected: t,
                    observed: v,
                    magnitude: t - v,
                    score: (now - since) as f64 / 60.0,
                    rules_version: 0,
                });
            }
            let limit = u64::from(self.settings.waiting_limit);
            if let Some(since) = self.wait_watch.entry(q.queue.clone()).or_default().observe(
                now,
                q.waiting >= limit,
                1,
            ) {
                found.push(NewAlarm {
                    fingerprint: format!("live_waiting|{}|{since}", q.queue),
                    kind: "live_waiting".into(),
                    metric: "waiting".into(),
                    subject: q.queue.clone(),
                    period_start: since,
                    period_end: now,
                    expected: limit as f64,
                    observed: q.waiting as f64,
                    magnitude: q.waiting as f64 - limit as f64,
                    score: q.longest_wait_s as f64,
                    rules_version: 0,
                });
            }
        }
        if !found.is_empty() {
            self.app
                .store
                .record_alarms(&Actor::system("live"), self.programme.id, &found)
                .await?;
        }
        Ok(found.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_number_opens_with_its_key_and_shows_nothing_of_the_number() {
        let keys = CallerKeys::parse("1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n").unwrap();
        let sealed = seal_caller(&keys, "+56987651234");
        assert!(!sealed.contains("1234"), "{sealed}");
        assert_eq!(open_caller(&keys, &sealed).as_deref(), Some("+56987651234"));
        let other = CallerKeys::parse("1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n").unwrap();
        assert_ne!(
            open_caller(&other, &sealed).as_deref(),
            Some("+56987651234")
        );
    }
}
