//! The demo installation: on first start of an empty database, a realistic Chilean BPO with two
//! clients, their programmes, one account per role and the complete plan of `VIDA-2026`, so a
//! newcomer sees a working app.
//!
//! The content is data (`demo.toml` beside this file, embedded): master data goes
//! straight to the store as the system, the plan goes through the same plan documents and use
//! cases as the API, written by the demo manager. Demo accounts share [`DEMO_PASSWORD`];
//! `rumbo serve` prints it when it seeds.

mod calls;

pub use calls::demo_call_csv;

use std::collections::HashMap;

use rumbo_domain::access::{Action, Role};
use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::users::NewUser;
use rumbo_store::Actor;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::plan::docs::{
    ActivityDoc, AdoptionDoc, AmountDoc, AssignmentDoc, BudgetLineDoc, ChangeRequestDoc,
    CommunicationDoc, ContactsDoc, CostRateDoc, DecisionDoc, DiffusionDoc, Doc, MeetingDoc,
    MethodologyDoc, MilestoneDoc, ObjectiveDoc, PracticeDoc, ProfileDoc, RaciBody, RateDoc,
    RequirementDoc, RiskDoc, RoleDoc, ScopeDoc, StaffingBody, StageDoc, SupplyDoc, TargetDoc,
};
use crate::plan::PlanCx;
use crate::{App, Error, Principal, Result};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "rumbo-demo-2026";

/// The demo content.
const DEMO: &str = include_str!("demo.toml");

#[derive(Deserialize)]
struct Demo {
    clients: Vec<ClientData>,
    products: Vec<ProductData>,
    users: Vec<UserData>,
    programmes: Vec<ProgrammeData>,
    people: Vec<PersonData>,
    plan: PlanData,
    practices: Vec<Value>,
    adoptions: Vec<Value>,
}

#[derive(Deserialize)]
struct ClientData {
    key: String,
    name: String,
    rut: String,
}

#[derive(Deserialize)]
struct ProductData {
    key: String,
    client: String,
    name: String,
    description: String,
}

#[derive(Deserialize)]
struct UserData {
    email: String,
    name: String,
    role: String,
    client: Option<String>,
}

#[derive(Deserialize)]
struct ProgrammeData {
    code: String,
    name: String,
    client: String,
    product: String,
    channels: Vec<String>,
    start_date: String,
    end_date: Option<String>,
    status: String,
    description: String,
    created_by: String,
    team: Vec<String>,
}

#[derive(Deserialize)]
struct PersonData {
    name: String,
    email: String,
    org_role: String,
}

#[derive(Deserialize)]
struct PlanData {
    programme: String,
    author: String,
    methodology: String,
    objectives: Vec<Value>,
    targets: Vec<Value>,
    milestones: Vec<Value>,
    requirements: Vec<Value>,
    scope: Vec<Value>,
    stages: Vec<Value>,
    risks: Vec<Value>,
    cost_rates: Vec<Value>,
    supplies: Vec<Value>,
    rates: Vec<Value>,
    roles: Vec<Value>,
    profiles: Vec<Value>,
    assignments: Vec<Value>,
    communications: Vec<Value>,
    decisions: Vec<Value>,
    diffusion: Vec<Value>,
    budget_lines: Vec<Value>,
    budget: BudgetData,
    work: WorkData,
    staffing: Value,
    meetings: Vec<Value>,
    change_requests: Vec<Value>,
}

#[derive(Deserialize)]
struct BudgetData {
    amounts: Vec<Value>,
    contacts: Vec<Value>,
}

#[derive(Deserialize)]
struct WorkData {
    activities: Vec<Value>,
    raci: Vec<Value>,
}

/// Broken demo data is a bug in Rumbo, never a user error.
fn bad(what: impl std::fmt::Display) -> Error {
    Error::internal_msg(format!("demo data: {what}"))
}

/// Ids of what was created, by `"<kind>:<key>"` (`person:jefa@demo.rumbo.cl`, `objective:sales`).
#[derive(Default)]
struct Refs(HashMap<String, i64>);

impl Refs {
    fn insert(&mut self, kind: &str, key: &str, id: i64) {
        self.0.insert(format!("{kind}:{key}"), id);
    }

    fn get(&self, kind: &str, key: &str) -> Result<i64> {
        self.0
            .get(&format!("{kind}:{key}"))
            .copied()
            .ok_or_else(|| bad(format!("unknown {kind} {key}")))
    }

    /// Replaces every `"@<kind>:<key>"` string in `v` by the id it names.
    fn resolve(&self, v: &mut Value) -> Result<()> {
        match v {
            Value::String(s) => {
                if let Some((kind, key)) = s.strip_prefix('@').and_then(|r| r.split_once(':')) {
                    *v = Value::from(self.get(kind, key)?);
                }
            }
            Value::Array(items) => {
                for i in items {
                    self.resolve(i)?;
                }
            }
            Value::Object(fields) => {
                for f in fields.values_mut() {
                    self.resolve(f)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The bodies of `items` as documents `T`, references resolved, and each item's `key`.
    fn bodies<T: DeserializeOwned>(
        &self,
        items: Vec<Value>,
    ) -> Result<(Vec<Option<String>>, Vec<T>)> {
        let mut keys = Vec::new();
        let mut bodies = Vec::new();
        for mut item in items {
            let key = item
                .as_object_mut()
                .and_then(|o| o.remove("key"))
                .and_then(|k| k.as_str().map(str::to_string));
            self.resolve(&mut item)?;
            keys.push(key);
            bodies.push(serde_json::from_value(item).map_err(bad)?);
        }
        Ok((keys, bodies))
    }

    fn body<T: DeserializeOwned>(&self, mut item: Value) -> Result<T> {
        self.resolve(&mut item)?;
        serde_json::from_value(item).map_err(bad)
    }
}

impl App {
    /// The demo accounts that still exist, are active and still accept the published
    /// [`DEMO_PASSWORD`]: while there is one, the installation must not listen beyond this
    /// machine.
    pub async fn accounts_with_demo_password(&self) -> Result<Vec<String>> {
        let demo: Demo = toml::from_str(DEMO).map_err(bad)?;
        let mut out = Vec::new();
        for u in &demo.users {
            if let Ok(found) = self.store.user_by_email(&u.email).await {
                if found.user.active
                    && crate::credentials::verify_password(DEMO_PASSWORD, &found.password_hash)
                {
                    out.push(u.email.clone());
                }
            }
        }
        Ok(out)
    }

    /// Seeds the demo installation if the database has no programme and no user yet. Returns
    /// whether it did.
    pub async fn seed_demo_if_empty(&self) -> Result<bool> {
        if !self.store.users().await?.is_empty()
            || !self.store.programmes_for(None).await?.is_empty()
        {
            return Ok(false);
        }
        let demo: Demo = toml::from_str(DEMO).map_err(bad)?;
        let mut refs = Refs::default();
        self.seed_master_data(&demo, &mut refs).await?;
        let author = self
            .store
            .users()
            .await?
            .into_iter()
            .find(|u| u.email == demo.plan.author)
            .ok_or_else(|| bad("the plan's author is not a demo user"))?;
        let who = Principal {
            user_id: author.id,
            email: author.email.clone(),
            role: author.role,
            client_id: author.client_id,
        };
        let cx = self
            .plan(&who, &demo.plan.programme, Action::Update)
            .await?;
        self.seed_plan(&who, &cx, demo.plan, &mut refs).await?;
        self.seed_library(&who, demo.practices, demo.adoptions, &mut refs)
            .await?;
        tracing::info!("seeded the demo installation");
        Ok(true)
    }

    /// Clients, products, users, programmes and their teams, and people, as the system.
    async fn seed_master_data(&self, demo: &Demo, refs: &mut Refs) -> Result<()> {
        let sys = Actor::system("demo");
        for c in &demo.clients {
            let rut = Rut::parse(&c.rut).map_err(|e| bad(e.key))?;
            let client = self.store.create_client(&sys, &c.name, rut).await?;
            refs.insert("client", &c.key, client.id);
        }
        for p in &demo.products {
            let client = refs.get("client", &p.client)?;
            let product = self
                .store
                .create_product(&sys, client, &p.name, &p.description)
                .await?;
            refs.insert("product", &p.key, product.id);
        }
        let hash = crate::credentials::hash_password(DEMO_PASSWORD).map_err(bad)?;
        let mut users = HashMap::new();
        for u in &demo.users {
            let client_id = u
                .client
                .as_deref()
                .map(|c| refs.get("client", c))
                .transpose()?;
            let user = self
                .store
                .create_user(
                    &sys,
                    NewUser {
                        email: &u.email,
                        name: &u.name,
                        password_hash: &hash,
                        role: Role::parse(&u.role).map_err(|_| bad("a demo user's role"))?,
                        client_id,
                        lang: "es",
                    },
                )
                .await?;
            users.insert(u.email.clone(), user);
        }
        let user = |email: &str| {
            users
                .get(email)
                .ok_or_else(|| bad(format!("unknown user {email}")))
        };
        for p in &demo.programmes {
            let input = ProgrammeInput {
                code: p.code.clone(),
                name: p.name.clone(),
                client_id: Some(refs.get("client", &p.client)?),
                product_id: Some(refs.get("product", &p.product)?),
                channels: p.channels.clone(),
                start_date: p.start_date.clone(),
                end_date: p.end_date.clone(),
                status: Some(p.status.clone()),
                time_zone: None,
                description: Some(p.description.clone()),
            };
            let new = NewProgramme::try_from(input).map_err(|e| bad(format!("{e:?}")))?;
            let creator = user(&p.created_by)?;
            let by = Actor::user(creator.id, &creator.email);
            let created = self.store.create_programme(&by, &new).await?;
            for member in &p.team {
                self.store
                    .add_member(&by, created.id, user(member)?.id)
                    .await?;
            }
        }
        for p in &demo.people {
            let person = self
                .store
                .create_person(&sys, &p.name, Some(&p.email), &p.org_role)
                .await?;
            refs.insert("person", &p.email, person.id);
        }
        Ok(())
    }

    /// Adds documents of kind `T`, remembering the ids of those with a key as `<kind>:<key>`.
    async fn seed_items<T: Doc>(
        &self,
        who: &Principal,
        cx: &PlanCx,
        refs: &mut Refs,
        kind: &str,
        items: Vec<Value>,
    ) -> Result<()> {
        let (keys, bodies) = refs.bodies::<T>(items)?;
        let saved = self.create_plan_items(who, cx, bodies).await?;
        for (key, item) in keys.into_iter().zip(saved) {
            if let Some(key) = key {
                refs.insert(kind, &key, item.id);
            }
        }
        Ok(())
    }

    async fn seed_plan(
        &self,
        who: &Principal,
        cx: &PlanCx,
        plan: PlanData,
        refs: &mut Refs,
    ) -> Result<()> {
        self.seed_items::<ObjectiveDoc>(who, cx, refs, "objective", plan.objectives)
            .await?;
        self.seed_items::<TargetDoc>(who, cx, refs, "target", plan.targets)
            .await?;
        self.seed_items::<MilestoneDoc>(who, cx, refs, "milestone", plan.milestones)
            .await?;
        self.seed_items::<RequirementDoc>(who, cx, refs, "requirement", plan.requirements)
            .await?;
        self.seed_items::<ScopeDoc>(who, cx, refs, "scope", plan.scope)
            .await?;
        self.seed_items::<StageDoc>(who, cx, refs, "stage", plan.stages)
            .await?;
        self.seed_items::<RiskDoc>(who, cx, refs, "risk", plan.risks)
            .await?;
        self.seed_items::<CostRateDoc>(who, cx, refs, "cost_rate", plan.cost_rates)
            .await?;
        self.seed_items::<SupplyDoc>(who, cx, refs, "supply", plan.supplies)
            .await?;
        self.seed_items::<RateDoc>(who, cx, refs, "rate", plan.rates)
            .await?;
        self.seed_items::<RoleDoc>(who, cx, refs, "role", plan.roles)
            .await?;
        self.seed_items::<ProfileDoc>(who, cx, refs, "profile", plan.profiles)
            .await?;
        for a in plan.assignments {
            let body: AssignmentDoc = refs.body(a)?;
            self.assign(who, cx, body).await?;
        }
        self.seed_items::<CommunicationDoc>(who, cx, refs, "communication", plan.communications)
            .await?;
        self.seed_items::<DecisionDoc>(who, cx, refs, "decision", plan.decisions)
            .await?;
        self.seed_items::<DiffusionDoc>(who, cx, refs, "diffusion", plan.diffusion)
            .await?;
        let text = MethodologyDoc {
            text: plan.methodology,
        };
        self.set_methodology(who, cx, text).await?;
        self.seed_items::<BudgetLineDoc>(who, cx, refs, "line", plan.budget_lines)
            .await?;
        let (_, amounts) = refs.bodies::<AmountDoc>(plan.budget.amounts)?;
        self.upsert_plan_items(who, cx, amounts).await?;
        let (_, contacts) = refs.bodies::<ContactsDoc>(plan.budget.contacts)?;
        self.upsert_plan_items(who, cx, contacts).await?;
        let (_, activities) = refs.bodies::<ActivityDoc>(plan.work.activities)?;
        self.replace_activities(who, cx, activities).await?;
        for m in plan.meetings {
            let body: MeetingDoc = refs.body(m)?;
            self.create_meeting(who, cx, body).await?;
        }
        let raci: RaciBody = refs.body(serde_json::json!({ "entries": plan.work.raci }))?;
        self.set_raci(who, cx, raci).await?;
        let staffing: StaffingBody = refs.body(plan.staffing)?;
        self.plan_staffing(who, cx, staffing).await?;
        for mut cr in plan.change_requests {
            let approve = cr
                .as_object_mut()
                .and_then(|o| o.remove("approve"))
                .and_then(|a| a.as_bool())
                .unwrap_or(false);
            let body: ChangeRequestDoc = refs.body(cr)?;
            let item = self.create_plan_item(who, cx, body).await?;
            if approve {
                self.approve_change(who, cx, item.id).await?;
            }
        }
        Ok(())
    }

    /// The best-practice library: practices, then their adoptions.
    async fn seed_library(
        &self,
        who: &Principal,
        practices: Vec<Value>,
        adoptions: Vec<Value>,
        refs: &mut Refs,
    ) -> Result<()> {
        let (keys, bodies) = refs.bodies::<PracticeDoc>(practices)?;
        for (key, body) in keys.into_iter().zip(bodies) {
            let item = self.create_practice(who, body).await?;
            if let Some(key) = key {
                refs.insert("practice", &key, item.id);
            }
        }
        let (_, bodies) = refs.bodies::<AdoptionDoc>(adoptions)?;
        for body in bodies {
            let practice = body
                .practice_id
                .ok_or_else(|| bad("an adoption names no practice"))?;
            self.create_adoption(who, practice, body).await?;
        }
        Ok(())
    }
}
