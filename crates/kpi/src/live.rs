//! The live state of a programme's queues: a pure state machine fed by queue and agent events
//! (from a followed `queue_log` or from Asterisk's manager interface), answering what a
//! wallboard shows — calls waiting with their join times, the longest current wait, agents by
//! state, and today's offered, answered, abandoned and service level per queue, per-agent
//! counts and the day's abandoned callers.
//!
//! The day's counters are Rumbo's own: they change only with the events applied here and reset
//! only when the programme's local day changes (the caller passes the local date of each
//! event), never because Asterisk reloaded and its own counters went back to zero. A full status
//! read after a reconnect ([`LiveEvent::StatusBegin`], then entries and members) replaces who
//! is waiting and each agent's state, and keeps the counters.
//!
//! Nothing here does IO or reads the clock: "now" is an argument. The state serialises (serde)
//! so a watcher can store it and a server can read it back.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

/// Most abandoned calls kept for the day's callback list.
pub const ABANDONED_KEPT: usize = 500;
/// Most calls remembered after they left the waiting list without a closing event (an AMI
/// `QueueCallerLeave` comes before the `AgentConnect` of the same call).
const LEFT_KEPT: usize = 2_000;

/// What an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Logged in, free.
    Available,
    /// A queue call is ringing at the agent.
    Ringing,
    /// On a call.
    OnCall,
    /// After a call, before being free again (not reported by every source).
    WrapUp,
    /// Paused (with a reason when the source gives one).
    Paused,
    /// Logged in but the device is unreachable or logged out.
    LoggedOut,
}

impl AgentState {
    /// Every state, in wallboard order.
    pub const ALL: [AgentState; 6] = [
        AgentState::Available,
        AgentState::Ringing,
        AgentState::OnCall,
        AgentState::WrapUp,
        AgentState::Paused,
        AgentState::LoggedOut,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::Available => "available",
            AgentState::Ringing => "ringing",
            AgentState::OnCall => "on_call",
            AgentState::WrapUp => "wrap_up",
            AgentState::Paused => "paused",
            AgentState::LoggedOut => "logged_out",
        }
    }
}

/// One event that changes the live state. Names are queue and agent names as the platform
/// gives them; `call` is the platform's call id (uniqueid).
#[derive(Debug, Clone, PartialEq)]
pub enum LiveEvent {
    /// A caller joined a queue.
    CallerJoin {
        queue: String,
        call: String,
        caller: Option<String>,
    },
    /// A caller left the waiting list (answered, abandoned or sent elsewhere); counts nothing.
    CallerLeave { queue: String, call: String },
    /// A caller hung up while waiting, after `wait_s` seconds when the source says.
    CallerAbandon {
        queue: String,
        call: String,
        wait_s: Option<i64>,
    },
    /// The platform took the caller out of the queue (timeout, empty queue, exit key).
    CallerExit { queue: String, call: String },
    /// The queue rang an agent for a call.
    AgentCalled {
        queue: String,
        agent: String,
        call: String,
    },
    /// The agent did not answer a ringing call (RONA).
    AgentRingNoAnswer { queue: String, agent: String },
    /// The agent answered; `wait_s` is the caller's wait when the source says.
    AgentConnect {
        queue: String,
        agent: String,
        call: String,
        wait_s: Option<i64>,
    },
    /// The call ended after `talk_s` seconds of talk when the source says.
    AgentComplete {
        queue: String,
        agent: String,
        call: String,
        talk_s: Option<i64>,
    },
    /// An agent was added to a queue.
    MemberAdded { queue: String, agent: String },
    /// An agent was removed from a queue.
    MemberRemoved { queue: String, agent: String },
    /// An agent paused or resumed (in one queue or, with `queue: None`, in all).
    MemberPause {
        queue: Option<String>,
        agent: String,
        paused: bool,
        reason: Option<String>,
    },
    /// The platform reported an agent's state (device status, pause).
    MemberStatus {
        queue: String,
        agent: String,
        state: AgentState,
    },
    /// A full status read begins: who waits and the agents' states are read again.
    StatusBegin,
    /// A caller waiting, from a full status read, waiting for `wait_s` seconds.
    StatusEntry {
        queue: String,
        call: String,
        caller: Option<String>,
        wait_s: i64,
    },
    /// An agent of a queue, from a full status read.
    StatusMember {
        queue: String,
        agent: String,
        state: AgentState,
        reason: Option<String>,
    },
}

/// A caller waiting now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    pub queue: String,
    pub joined_at: i64,
    pub caller: Option<String>,
}

/// Today's counters of a queue (Rumbo's own, in the programme's local day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounters {
    /// Callers who joined the queue.
    pub offered: u64,
    /// Calls answered by an agent.
    pub answered: u64,
    /// Answered within the service-level threshold.
    pub answered_in_sl: u64,
    /// Callers who hung up while waiting.
    pub abandoned: u64,
    /// Callers the platform took out (timeout, empty queue, exit key).
    pub exits: u64,
    /// Sum of the waits of answered calls, seconds.
    pub answered_wait_s: i64,
    /// Completed calls and their talk time, seconds.
    pub completed: u64,
    pub talk_s: i64,
}

impl QueueCounters {
    /// Service level: answered within the threshold over answered, abandoned and system
    /// exits (exits count in the denominator, as in the standard definition's version 2).
    pub fn service_level(&self) -> Option<f64> {
        let den = self.answered + self.abandoned + self.exits;
        (den > 0).then(|| self.answered_in_sl as f64 / den as f64)
    }

    /// Abandoned over answered and abandoned (system exits left out).
    pub fn abandon_rate(&self) -> Option<f64> {
        let den = self.answered + self.abandoned;
        (den > 0).then(|| self.abandoned as f64 / den as f64)
    }

    /// Average speed of answer, seconds.
    pub fn asa_s(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answered_wait_s as f64 / self.answered as f64)
    }

    /// Average talk time of completed calls, seconds.
    pub fn aht_s(&self) -> Option<f64> {
        (self.completed > 0).then(|| self.talk_s as f64 / self.completed as f64)
    }
}

/// An agent now, with today's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub state: AgentState,
    /// Since when (epoch seconds) the agent is in `state`.
    pub since: i64,
    pub pause_reason: Option<String>,
    pub queues: BTreeSet<String>,
    /// The call the agent is ringing for or talking on.
    pub call: Option<String>,
    /// Calls answered today.
    pub answered: u64,
    /// Calls rung and not answered today (RONA).
    pub missed: u64,
    /// Talk time today, seconds.
    pub talk_s: i64,
}

/// A call abandoned today, kept for the callback list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Abandoned {
    pub at: i64,
    pub queue: String,
    pub call: String,
    pub caller: Option<String>,
    pub wait_s: i64,
}

/// The live state of one programme.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveState {
    /// The local day (ISO date) the counters belong to.
    pub day: Option<String>,
    /// Service-level threshold, seconds (wait ≤ threshold is in time).
    pub sl_threshold_s: i64,
    pub waiting: BTreeMap<String, Waiting>,
    /// Calls that left the waiting list without a closing event yet (call → queue, joined).
    left: VecDeque<(String, String, i64)>,
    /// Calls waiting when a full status read began: an entry not among them joined while the
    /// connection was down, and is offered today.
    #[serde(default)]
    before_status: BTreeSet<String>,
    pub counters: BTreeMap<String, QueueCounters>,
    pub agents: BTreeMap<String, Agent>,
    pub abandoned: VecDeque<Abandoned>,
    /// Events applied (all time), for change detection.
    pub events: u64,
    /// The instant of the last event applied.
    pub last_event_at: i64,
}

/// One queue as a wallboard shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueView {
    pub queue: String,
    pub waiting: u64,
    /// Longest current wait, seconds.
    pub longest_wait_s: i64,
    /// Agents of the queue in each state, in [`AgentState::ALL`] order.
    pub agents: [u64; 6],
    pub counters: QueueCounters,
}

impl LiveState {
    /// An empty state with the service-level threshold `sl_threshold_s`.
    pub fn new(sl_threshold_s: i64) -> LiveState {
        LiveState {
            sl_threshold_s,
            ..LiveState::default()
        }
    }

    /// Applies `event`, which happened at `at` (epoch seconds) on local day `day` (ISO date in
    /// the programme's time zone). A new day starts the day's counters again.
    pub fn apply(&mut self, at: i64, day: &str, event: LiveEvent) {
        if self.day.as_deref() != Some(day) {
            if self.day.as_deref().is_some_and(|d| d > day) {
                // An event of an earlier day (a late line): it changes no counter of today.
                return;
            }
            self.day = Some(day.to_string());
            self.counters.clear();
            self.abandoned.clear();
            for a in self.agents.values_mut() {
                a.answered = 0;
                a.missed = 0;
                a.talk_s = 0;
            }
        }
        self.events += 1;
        self.last_event_at = self.last_event_at.max(at);
        match event {
            LiveEvent::CallerJoin {
                queue,
                call,
                caller,
            } => {
                self.counter(&queue).offered += 1;
                self.waiting.insert(
                    call,
                    Waiting {
                        queue,
                        joined_at: at,
                        caller,
                    },
                );
            }
            LiveEvent::CallerLeave { call, .. } => {
                if let Some(w) = self.waiting.remove(&call) {
                    self.left.push_back((call, w.queue, w.joined_at));
                    while self.left.len() > LEFT_KEPT {
                        self.left.pop_front();
                    }
                }
            }
            LiveEvent::CallerAbandon {
                queue,
                call,
                wait_s,
            } => {
                let (joined, caller) = self.take_call(&call);
                let wait_s = wait_s.or(joined.map(|j| at - j)).unwrap_or(0).max(0);
                self.counter(&queue).abandoned += 1;
                self.abandoned.push_back(Abandoned {
                    at,
                    queue,
                    call,
                    caller,
                    wait_s,
                });
                while self.abandoned.len() > ABANDONED_KEPT {
                    self.abandoned.pop_front();
                }
            }
            LiveEvent::CallerExit { queue, call } => {
                self.take_call(&call);
                self.counter(&queue).exits += 1;
            }
            LiveEvent::AgentCalled { queue, agent, call } => {
                let a = self.agent(&agent, at);
                a.queues.insert(queue);
                if matches!(a.state, AgentState::Available | AgentState::WrapUp) {
                    set_state(a, AgentState::Ringing, at);
                    a.call = Some(call);
                }
            }
            LiveEvent::AgentRingNoAnswer { agent, .. } => {
                let a = self.agent(&agent, at);
                a.missed += 1;
                if a.state == AgentState::Ringing {
                    set_state(a, AgentState::Available, at);
                    a.call = None;
                }
            }
            LiveEvent::AgentConnect {
                queue,
                agent,
                call,
                wait_s,
            } => {
                let (joined, _) = self.take_call(&call);
                let wait_s = wait_s.or(joined.map(|j| at - j)).unwrap_or(0).max(0);
                let threshold = self.sl_threshold_s;
                let c = self.counter(&queue);
                c.answered += 1;
                c.answered_wait_s += wait_s;
                if wait_s <= threshold {
                    c.answered_in_sl += 1;
                }
                let a = self.agent(&agent, at);
                a.queues.insert(queue);
                a.answered += 1;
                set_state(a, AgentState::OnCall, at);
                a.call = Some(call);
            }
            LiveEvent::AgentComplete {
                queue,
                agent,
                call,
                talk_s,
            } => {
                let a = self.agent(&agent, at);
                let talk = talk_s.unwrap_or(if a.state == AgentState::OnCall {
                    at - a.since
                } else {
                    0
                });
                let talk = talk.max(0);
                a.talk_s += talk;
                if a.call.as_deref() == Some(call.as_str()) || a.state == AgentState::OnCall {
                    a.call = None;
                    if a.state != AgentState::Paused {
                        set_state(a, AgentState::Available, at);
                    }
                }
                let c = self.counter(&queue);
                c.completed += 1;
                c.talk_s += talk;
            }
            LiveEvent::MemberAdded { queue, agent } => {
                let a = self.agent(&agent, at);
                a.queues.insert(queue);
                if a.state == AgentState::LoggedOut {
                    set_state(a, AgentState::Available, at);
                }
            }
            LiveEvent::MemberRemoved { queue, agent } => {
                if let Some(a) = self.agents.get_mut(&agent) {
                    a.queues.remove(&queue);
                    if a.queues.is_empty() {
                        set_state(a, AgentState::LoggedOut, at);
                        a.call = None;
                    }
                }
            }
            LiveEvent::MemberPause {
                queue,
                agent,
                paused,
                reason,
            } => {
                let a = self.agent(&agent, at);
                if let Some(q) = queue {
                    a.queues.insert(q);
                }
                if paused {
                    if a.state != AgentState::OnCall {
                        set_state(a, AgentState::Paused, at);
                    }
                    a.pause_reason = reason.filter(|r| !r.is_empty());
                } else {
                    a.pause_reason = None;
                    if a.state == AgentState::Paused {
                        set_state(a, AgentState::Available, at);
                    }
                }
            }
            LiveEvent::MemberStatus {
                queue,
                agent,
                state,
            } => {
                let a = self.agent(&agent, at);
                a.queues.insert(queue);
                // A device report does not end a pause; a call or ring does show over it.
                if a.state != AgentState::Paused || state != AgentState::Available {
                    set_state(a, state, at);
                }
                if !matches!(state, AgentState::OnCall | AgentState::Ringing) {
                    a.call = None;
                }
            }
            LiveEvent::StatusBegin => {
                self.before_status = std::mem::take(&mut self.waiting).into_keys().collect();
                self.left.clear();
                for a in self.agents.values_mut() {
                    a.queues.clear();
                    a.call = None;
                    set_state(a, AgentState::LoggedOut, at);
                }
            }
            LiveEvent::StatusEntry {
                queue,
                call,
                caller,
                wait_s,
            } => {
                if !self.before_status.contains(&call) {
                    self.counter(&queue).offered += 1;
                }
                self.waiting.insert(
                    call,
                    Waiting {
                        queue,
                        joined_at: at - wait_s.max(0),
                        caller,
                    },
                );
            }
            LiveEvent::StatusMember {
                queue,
                agent,
                state,
                reason,
            } => {
                let a = self.agent(&agent, at);
                a.queues.insert(queue);
                set_state(a, state, at);
                a.pause_reason = if state == AgentState::Paused {
                    reason.filter(|r| !r.is_empty())
                } else {
                    None
                };
            }
        }
    }

    fn counter(&mut self, queue: &str) -> &mut QueueCounters {
        self.counters.entry(queue.to_string()).or_default()
    }

    fn agent(&mut self, name: &str, at: i64) -> &mut Agent {
        self.agents
            .entry(name.to_string())
            .or_insert_with(|| Agent {
                state: AgentState::Available,
                since: at,
                pause_reason: None,
                queues: BTreeSet::new(),
                call: None,
                answered: 0,
                missed: 0,
                talk_s: 0,
            })
    }

    /// Takes a call out of the waiting list (or of the calls that just left it): its join
    /// time and caller.
    fn take_call(&mut self, call: &str) -> (Option<i64>, Option<String>) {
        if let Some(w) = self.waiting.remove(call) {
            return (Some(w.joined_at), w.caller);
        }
        if let Some(i) = self.left.iter().position(|(c, _, _)| c == call) {
            let (_, _, joined) = self.left.remove(i).unwrap_or_default();
            return (Some(joined), None);
        }
        (None, None)
    }

    /// Every queue known (with counters today, callers waiting or agents), at `now`.
    pub fn queues(&self, now: i64) -> Vec<QueueView> {
        let mut names: BTreeSet<&str> = self.counters.keys().map(String::as_str).collect();
        names.extend(self.waiting.values().map(|w| w.queue.as_str()));
        for a in self.agents.values() {
            names.extend(a.queues.iter().map(String::as_str));
        }
        names
            .into_iter()
            .map(|q| {
                let waits: Vec<i64> = self
                    .waiting
                    .values()
                    .filter(|w| w.queue == q)
                    .map(|w| (now - w.joined_at).max(0))
                    .collect();
                let mut agents = [0u64; 6];
                for a in self.agents.values().filter(|a| a.queues.contains(q)) {
                    if let Some(i) = AgentState::ALL.iter().position(|s| *s == a.state) {
                        agents[i] += 1;
                    }
                }
                QueueView {
                    queue: q.to_string(),
                    waiting: waits.len() as u64,
                    longest_wait_s: waits.iter().copied().max().unwrap_or(0),
                    agents,
                    counters: self.counters.get(q).cloned().unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Today's counters over every queue.
    pub fn totals(&self) -> QueueCounters {
        let mut t = QueueCounters::default();
        for c in self.counters.values() {
            t.offered += c.offered;
            t.answered += c.answered;
            t.answered_in_sl += c.answered_in_sl;
            t.abandoned += c.abandoned;
            t.exits += c.exits;
            t.answered_wait_s += c.answered_wait_s;
            t.completed += c.completed;
            t.talk_s += c.talk_s;
        }
        t
    }
}

fn set_state(a: &mut Agent, state: AgentState, at: i64) {
    if a.state != state {
        a.state = state;
        a.since = at;
    }
    if state != AgentState::Paused {
        a.pause_reason = None;
    }
}

/// Watches one indicator against a limit over time: a breach is reported once the value has
/// been on the wrong side for at least `minutes` (the live alarms of the control loop).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachWatch {
    /// Since when the value is on the wrong side.
    pub since: Option<i64>,
}

impl BreachWatch {
    /// Records whether the value is on the wrong side at `now`; returns the start of the
    /// breach when it has lasted at least `minutes`.
    pub fn observe(&mut self, now: i64, wrong: bool, minutes: i64) -> Option<i64> {
        if !wrong {
            self.since = None;
            return None;
        }
        let since = *self.since.get_or_insert(now);
        (now - since >= minutes * 60).then_some(since)
    }
}

/// Reads one `queue_log` line (`time|callid|queue|agent|event|data1|…`) as a live event with
/// its instant; `None` for lines that change nothing live (or cannot be read).
pub fn queue_log_event(line: &str) -> Option<(i64, LiveEvent)> {
    let line = line.trim_end_matches(['\r', '\n']);
    let f: Vec<&str> = line.split('|').collect();
    if f.len() < 5 {
        return None;
    }
    let at: i64 = f[0].trim().split('.').next()?.parse().ok()?;
    let call = f[1].to_string();
    let queue = f[2].to_string();
    let agent = f[3].to_string();
    let d = |i: usize| f.get(5 + i).copied().unwrap_or("");
    let num = |i: usize| d(i).trim().parse::<i64>().ok();
    let q = || queue.clone();
    let real_queue = !queue.is_empty() && queue != "NONE";
    let ev = match f[4] {
        "ENTERQUEUE" if real_queue => LiveEvent::CallerJoin {
            queue: q(),
            call,
            caller: Some(d(1).to_string()).filter(|c| !c.is_empty()),
        },
        "ABANDON" if real_queue => LiveEvent::CallerAbandon {
            queue: q(),
            call,
            wait_s: num(2),
        },
        "EXITWITHTIMEOUT" | "EXITEMPTY" | "EXITWITHKEY" if real_queue => {
            LiveEvent::CallerExit { queue: q(), call }
        }
        "CONNECT" if real_queue => LiveEvent::AgentConnect {
            queue: q(),
            agent,
            call,
            wait_s: num(0),
        },
        "COMPLETECALLER" | "COMPLETEAGENT" if real_queue => LiveEvent::AgentComplete {
            queue: q(),
            agent,
            call,
            talk_s: num(1),
        },
        "TRANSFER" if real_queue => LiveEvent::AgentComplete {
            queue: q(),
            agent,
            call,
            talk_s: num(3),
        },
        "RINGNOANSWER" if real_queue => LiveEvent::AgentRingNoAnswer { queue: q(), agent },
        "ADDMEMBER" | "AGENTLOGIN" if real_queue => LiveEvent::MemberAdded { queue: q(), agent },
        "REMOVEMEMBER" | "AGENTLOGOFF" if real_queue => {
            LiveEvent::MemberRemoved { queue: q(), agent }
        }
        "PAUSE" | "PAUSEALL" => LiveEvent::MemberPause {
            queue: real_queue.then(q),
            agent,
            paused: true,
            reason: Some(d(0).to_string()),
        },
        "UNPAUSE" | "UNPAUSEALL" => LiveEvent::MemberPause {
            queue: real_queue.then(q),
            agent,
            paused: false,
            reason: None,
        },
        _ => return None,
    };
    Some((at, ev))
}

/// Reads one AMI event (its `Key: Value` fields, keys as sent) as a live event; `None` for
/// events that change nothing live. `StatusBegin` is not an AMI event: the client sends it
/// before the answer to its `QueueStatus` action.
pub fn ami_event(fields: &[(String, String)]) -> Option<LiveEvent> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim().to_string())
    };
    let name = get("Event")?;
    let queue = || get("Queue").unwrap_or_default();
    let call = || {
        get("Uniqueid")
            .or_else(|| get("UniqueID"))
            .unwrap_or_default()
    };
    let member = || {
        get("MemberName")
            .or_else(|| get("Name"))
            .or_else(|| get("Interface"))
            .or_else(|| get("Location"))
            .unwrap_or_default()
    };
    let num = |k: &str| get(k).and_then(|v| v.parse::<i64>().ok());
    let member_state = || -> AgentState {
        if get("Paused").as_deref() == Some("1") {
            return AgentState::Paused;
        }
        if get("InCall").as_deref() == Some("1") {
            return AgentState::OnCall;
        }
        // Device states of app_queue: 1 not in use, 2 in use, 3 busy, 4 invalid,
        // 5 unavailable, 6 ringing, 7 ring in use, 8 on hold.
        match num("Status").unwrap_or(1) {
            1 => AgentState::Available,
            2 | 3 | 7 | 8 => AgentState::OnCall,
            6 => AgentState::Ringing,
            _ => AgentState::LoggedOut,
        }
    };
    let caller =
        || get("CallerIDNum").filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("<unknown>"));
    Some(match name.as_str() {
        "QueueCallerJoin" | "Join" => LiveEvent::CallerJoin {
            queue: queue(),
            call: call(),
            caller: caller(),
        },
        "QueueCallerLeave" | "Leave" => LiveEvent::CallerLeave {
            queue: queue(),
            call: call(),
        },
        "QueueCallerAbandon" => LiveEvent::CallerAbandon {
            queue: queue(),
            call: call(),
            wait_s: num("HoldTime"),
        },
        "AgentCalled" => LiveEvent::AgentCalled {
            queue: queue(),
            agent: member(),
            call: call(),
        },
        "AgentRingNoAnswer" => LiveEvent::AgentRingNoAnswer {
            queue: queue(),
            agent: member(),
        },
        "AgentConnect" => LiveEvent::AgentConnect {
            queue: queue(),
            agent: member(),
            call: call(),
            wait_s: num("HoldTime"),
        },
        "AgentComplete" => LiveEvent::AgentComplete {
            queue: queue(),
            agent: member(),
            call: call(),
            talk_s: num("TalkTime"),
        },
        "QueueMemberAdded" => LiveEvent::MemberAdded {
            queue: queue(),
            agent: member(),
        },
        "QueueMemberRemoved" => LiveEvent::MemberRemoved {
            queue: queue(),
            agent: member(),
        },
        "QueueMemberPause" | "QueueMemberPaused" => LiveEvent::MemberPause {
            queue: get("Queue").filter(|q| !q.is_empty()),
            agent: member(),
            paused: get("Paused").as_deref() == Some("1"),
            reason: get("PausedReason").or_else(|| get("Reason")),
        },
        "QueueMemberStatus" => LiveEvent::MemberStatus {
            queue: queue(),
            agent: member(),
            state: member_state(),
        },
        "QueueEntry" => LiveEvent::StatusEntry {
            queue: queue(),
            call: call(),
            caller: caller(),
            wait_s: num("Wait").unwrap_or(0),
        },
        "QueueMember" => LiveEvent::StatusMember {
            queue: queue(),
            agent: member(),
            state: member_state(),
            reason: get("PausedReason"),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: &str = "2026-03-02";

    fn join(s: &mut LiveState, at: i64, q: &str, call: &str) {
        s.apply(
            at,
            DAY,
            LiveEvent::CallerJoin {
                queue: q.into(),
                call: call.into(),
                caller: Some("+56911112222".into()),
            },
        );
    }

    #[test]
    fn waiting_calls_and_longest_wait_follow_joins_and_answers() {
        let mut s = LiveState::new(20);
        join(&mut s, 100, "ventas", "c1");
        join(&mut s, 110, "ventas", "c2");
        let q = &s.queues(130)[0];
        assert_eq!(
            (q.waiting, q.longest_wait_s, q.counters.offered),
            (2, 30, 2)
        );
        s.apply(
            135,
            DAY,
            LiveEvent::AgentConnect {
                queue: "ventas".into(),
                agent: "Ana".into(),
                call: "c1".into(),
                wait_s: None,
            },
        );
        let q = &s.queues(140)[0];
        assert_eq!((q.waiting, q.longest_wait_s), (1, 30));
        assert_eq!(q.counters.answered, 1);
        assert_eq!(
            q.counters.answered_in_sl, 0,
            "35 s is over the 20 s threshold"
        );
        assert_eq!(q.agents[2], 1, "Ana is on a call");
    }

    #[test]
    fn abandons_go_to_the_callback_list_and_count_against_service_level() {
        let mut s = LiveState::new(20);
        join(&mut s, 100, "ventas", "c1");
        join(&mut s, 100, "ventas", "c2");
        s.apply(
            105,
            DAY,
            LiveEvent::AgentConnect {
                queue: "ventas".into(),
                agent: "Ana".into(),
                call: "c1".into(),
                wait_s: Some(5),
            },
        );
        s.apply(
            160,
            DAY,
            LiveEvent::CallerAbandon {
                queue: "ventas".into(),
                call: "c2".into(),
                wait_s: None,
            },
        );
        let c = &s.counters["ventas"];
        assert_eq!(c.service_level(), Some(0.5));
        assert_eq!(c.abandon_rate(), Some(0.5));
        assert_eq!(s.abandoned.len(), 1);
        assert_eq!(s.abandoned[0].wait_s, 60);
        assert_eq!(s.abandoned[0].caller.as_deref(), Some("+56911112222"));
    }

    #[test]
    fn a_full_status_read_replaces_who_waits_but_keeps_the_days_counters() {
        let mut s = LiveState::new(20);
        join(&mut s, 100, "ventas", "c1");
        s.apply(
            101,
            DAY,
            LiveEvent::MemberAdded {
                queue: "ventas".into(),
                agent: "Ana".into(),
            },
        );
        s.apply(200, DAY, LiveEvent::StatusBegin);
        s.apply(
            200,
            DAY,
            LiveEvent::StatusEntry {
                queue: "ventas".into(),
                call: "c9".into(),
                caller: None,
                wait_s: 15,
            },
        );
        assert_eq!(
            s.counters["ventas"].offered, 2,
            "counters survive a reload; a caller who joined meanwhile is offered"
        );
        assert_eq!(s.waiting.len(), 1);
        assert_eq!(s.waiting["c9"].joined_at, 185);
        assert_eq!(s.agents["Ana"].state, AgentState::LoggedOut);
    }

    #[test]
    fn a_new_local_day_starts_the_counters_again_and_late_lines_change_nothing() {
        let mut s = LiveState::new(20);
        join(&mut s, 100, "ventas", "c1");
        s.apply(
            90_000,
            "2026-03-03",
            LiveEvent::CallerJoin {
                queue: "ventas".into(),
                call: "c2".into(),
                caller: None,
            },
        );
        assert_eq!(s.counters["ventas"].offered, 1);
        join(&mut s, 120, "ventas", "c3");
        assert_eq!(
            s.counters["ventas"].offered, 1,
            "a line of yesterday is ignored"
        );
    }

    #[test]
    fn pauses_keep_their_reason_and_rona_counts_as_missed() {
        let mut s = LiveState::new(20);
        s.apply(
            1,
            DAY,
            LiveEvent::MemberPause {
                queue: Some("ventas".into()),
                agent: "Ana".into(),
                paused: true,
                reason: Some("colación".into()),
            },
        );
        assert_eq!(s.agents["Ana"].state, AgentState::Paused);
        assert_eq!(s.agents["Ana"].pause_reason.as_deref(), Some("colación"));
        s.apply(
            2,
            DAY,
            LiveEvent::AgentRingNoAnswer {
                queue: "ventas".into(),
                agent: "Ana".into(),
            },
        );
        assert_eq!(s.agents["Ana"].missed, 1);
        assert_eq!(s.agents["Ana"].state, AgentState::Paused);
    }

    #[test]
    fn queue_log_lines_map_to_live_events() {
        let (at, ev) =
            queue_log_event("1700000000|c1|ventas|NONE|ENTERQUEUE||+56911112222|1").unwrap();
        assert_eq!(at, 1_700_000_000);
        assert!(matches!(
            ev,
            LiveEvent::CallerJoin {
                caller: Some(_),
                ..
            }
        ));
        let (_, ev) = queue_log_event("1700000010|c1|ventas|Ana|CONNECT|10|c1.1|2").unwrap();
        assert_eq!(
            ev,
            LiveEvent::AgentConnect {
                queue: "ventas".into(),
                agent: "Ana".into(),
                call: "c1".into(),
                wait_s: Some(10)
            }
        );
        assert!(queue_log_event("1700000000|NONE|NONE|NONE|QUEUESTART|").is_none());
        assert!(queue_log_event("garbage").is_none());
    }

    #[test]
    fn breach_watch_reports_only_after_the_window() {
        let mut w = BreachWatch::default();
        assert_eq!(w.observe(0, true, 5), None);
        assert_eq!(w.observe(299, true, 5), None);
        assert_eq!(w.observe(300, true, 5), Some(0));
        assert_eq!(w.observe(301, false, 5), None);
        assert_eq!(w.observe(400, true, 5), None);
    }
}
