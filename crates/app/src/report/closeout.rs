//! The close-out and lessons reports: the evaluation (its latest version, or the figures
//! computed now when none is saved) and the lessons of a programme with the library practices
//! that came from it and their adoption per team, as report sections for every format.

use jiff::civil::Date;
use serde_json::Value;

use super::{Block, Cell, Figure, Lang, Section, Table};
use crate::model::Programme;
use crate::{App, Result};

fn text(v: &Value) -> Cell {
    match v.as_str().filter(|s| !s.is_empty()) {
        Some(s) => Cell::text(s.to_string()),
        None => Cell::Empty,
    }
}

fn num(v: &Value, decimals: u8) -> Cell {
    v.as_f64()
        .map_or(Cell::Empty, |value| Cell::Num { value, decimals })
}

fn date(v: &Value) -> Cell {
    v.as_str()
        .and_then(|s| s.parse::<Date>().ok())
        .map_or(Cell::Empty, Cell::Date)
}

fn table(title: String, columns: Vec<String>, rows: Vec<Vec<Cell>>, none: &str) -> Block {
    if rows.is_empty() {
        Block::Paragraph(none.to_string())
    } else {
        Block::Table(Table {
            title,
            columns,
            rows,
        })
    }
}

impl App {
    /// The close-out evaluation of `p` as report sections.
    pub(super) async fn closeout_sections(
        &self,
        p: &Programme,
        lang: Lang,
    ) -> Result<Vec<Section>> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let versions = self.store().closeouts(p.id).await?;
        let latest = versions
            .iter()
            .rev()
            .find(|v| v.data.get("assessment").is_some());
        let f = match latest {
            Some(v) => v.data["facts"].clone(),
            None => self.closeout_facts(p).await?,
        };
        let a = latest.map(|v| v.data["assessment"].clone());
        let yes_no = |v: &Value| match v.as_bool() {
            Some(true) => t("closeout.met"),
            Some(false) => t("closeout.not_met"),
            None => t("closeout.no_data"),
        };
        let none = t("closeout.none");
        let mut figures = vec![Figure {
            label: t("closeout.verdict"),
            value: a
                .as_ref()
                .and_then(|a| a["verdict"].as_str())
                .map_or(Cell::Empty, |v| {
                    Cell::text(t(&format!("closeout.verdict.{v}")))
                }),
            note: match latest {
                Some(v) if v.signed => t("closeout.signed"),
                Some(_) => t("closeout.draft"),
                None => String::new(),
            },
        }];
        let targets = f["targets"].as_array().cloned().unwrap_or_default();
        figures.push(Figure {
            label: t("closeout.targets_met"),
            value: Cell::text(format!(
                "{} / {}",
                targets.iter().filter(|x| x["met"] == true).count(),
                targets.len()
            )),
            note: String::new(),
        });
        let objectives = f["objectives"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                vec![
                    text(&o["title"]),
                    Cell::text(format!("{} / {}", o["targets_met"], o["targets"])),
                    Cell::text(yes_no(&o["met"])),
                ]
            })
            .collect();
        let target_rows = targets
            .iter()
            .map(|x| {
                vec![
                    Cell::text(t(&format!(
                        "kpi.{}",
                        x["indicator"].as_str().unwrap_or_default()
                    ))),
                    num(&x["target"], 1),
                    num(&x["actual"], 1),
                    Cell::text(yes_no(&x["met"])),
                ]
            })
            .collect();
        let quality = f["quality"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|q| {
                vec![
                    Cell::text(t(&format!(
                        "kpi.{}",
                        q["indicator"].as_str().unwrap_or_default()
                    ))),
                    num(&q["total"], 1),
                ]
            })
            .collect();
        let milestones = f["time"]["milestones"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                vec![
                    text(&m["name"]),
                    date(&m["planned"]),
                    date(&m["actual"]),
                    Cell::text(t(&format!(
                        "closeout.milestone.{}",
                        m["status"].as_str().unwrap_or("pending")
                    ))),
                ]
            })
            .collect();
        let money = |v: &Value, c: &str| -> Cell {
            let exponent = rumbo_domain::plan::budget::Currency::parse(c)
                .map(|c| c.decimals() as u8)
                .unwrap_or(0);
            v.as_i64().map_or(Cell::Empty, |minor| Cell::Money {
                minor,
                currency: c.to_string(),
                exponent,
            })
        };
        let resources = f["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let c = r["currency"].as_str().unwrap_or("CLP");
                vec![
                    money(&r["planned"], c),
                    money(&r["actual"], c),
                    money(&r["variance"], c),
                    r["contacts"].as_i64().map_or(Cell::Empty, Cell::Int),
                    money(&r["cost_per_contact"], c),
                ]
            })
            .collect();
        let actions = f["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                vec![
                    text(&x["action"]),
                    Cell::text(t(&format!(
                        "action.status.{}",
                        x["status"].as_str().unwrap_or("proposed")
                    ))),
                    match x["verdict"].as_str() {
                        Some(v) => Cell::text(t(&format!("action.verdict.{v}"))),
                        None => Cell::text(t("closeout.effect_pending")),
                    },
                ]
            })
            .collect();
        let mut assessment = Vec::new();
        if let Some(a) = &a {
            for k in rumbo_domain::plan::closeout::AREAS {
                if let Some(c) = a["comments"][*k].as_str().filter(|c| !c.is_empty()) {
                    assessment.push(Block::Paragraph(format!(
                        "{}: {c}",
                        t(&format!("closeout.comment.{k}"))
                    )));
                }
            }
            assessment.push(Block::Paragraph(format!(
                "{}: {}",
                t("closeout.overall"),
                a["overall"].as_str().unwrap_or_default()
            )));
        } else {
            assessment.push(Block::Paragraph(none.clone()));
        }
        Ok(vec![
            Section {
                heading: t("report.section.summary"),
                blocks: vec![Block::Figures(figures)],
            },
            Section {
                heading: t("closeout.area.objectives"),
                blocks: vec![
                    table(
                        t("closeout.area.objectives"),
                        vec![
                            t("closeout.objective"),
                            t("closeout.targets_met"),
                            t("closeout.result"),
                        ],
                        objectives,
                        &none,
                    ),
                    table(
                        t("closeout.target"),
                        vec![
                            t("closeout.indicator"),
                            t("closeout.target"),
                            t("closeout.actual"),
                            t("closeout.result"),
                        ],
                        target_rows,
                        &none,
                    ),
                ],
            },
            Section {
                heading: t("closeout.area.quality"),
                blocks: vec![table(
                    t("closeout.area.quality"),
                    vec![t("closeout.indicator"), t("closeout.whole_period")],
                    quality,
                    &none,
                )],
            },
            Section {
                heading: t("closeout.area.time"),
                blocks: vec![table(
                    t("closeout.area.time"),
                    vec![
                        t("closeout.milestone"),
                        t("closeout.planned"),
                        t("closeout.actual_date"),
                        t("closeout.status"),
                    ],
                    milestones,
                    &none,
                )],
            },
            Section {
                heading: t("closeout.area.resources"),
                blocks: vec![table(
                    t("closeout.area.resources"),
                    vec![
                        t("closeout.planned"),
                        t("closeout.spent"),
                        t("closeout.variance"),
                        t("closeout.contacts"),
                        t("closeout.cost_per_contact"),
                    ],
                    resources,
                    &none,
                )],
            },
            Section {
                heading: t("closeout.area.actions"),
                blocks: vec![table(
                    t("closeout.area.actions"),
                    vec![
                        t("closeout.action"),
                        t("closeout.status"),
                        t("closeout.effect"),
                    ],
                    actions,
                    &none,
                )],
            },
            Section {
                heading: t("closeout.assessment"),
                blocks: assessment,
            },
        ])
    }

    /// The lessons of `p` and the library practices that came from it, with their adoption
    /// per team, as report sections.
    pub(super) async fn lessons_sections(&self, p: &Programme, lang: Lang) -> Result<Vec<Section>> {
        let w = self.words();
        let t = |k: &str| w.t(lang, k);
        let none = t("lesson.none");
        let strings = |v: &Value| -> String {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default()
        };
        let lessons = self.store().lessons(Some(p.id)).await?;
        let rows = lessons
            .iter()
            .map(|l| {
                let d = &l.data;
                let evidence = d["evidence"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    text(&d["title"]),
                    Cell::text(t(&format!(
                        "lesson.kind.{}",
                        d["kind"].as_str().unwrap_or("success")
                    ))),
                    Cell::text(strings(&d["factors"])),
                    text(&d["recommendation"]),
                    Cell::text(evidence),
                    Cell::text(strings(&d["tags"])),
                ]
            })
            .collect();
        let practices: Vec<_> = self
            .store()
            .plan_items(None, "practice")
            .await?
            .into_iter()
            .filter(|x| x.data["source_programme"].as_str() == Some(p.code.as_str()))
            .collect();
        let adoptions = self.store().plan_items(None, "adoption").await?;
        let mut practice_rows = Vec::new();
        let mut adoption_rows = Vec::new();
        for x in &practices {
            practice_rows.push(vec![
                text(&x.data["title"]),
                text(&x.data["practice"]),
                text(&x.data["evidence"]),
            ]);
            for a in adoptions
                .iter()
                .filter(|a| a.data["practice_id"].as_i64() == Some(x.id))
            {
                adoption_rows.push(vec![
                    text(&x.data["title"]),
                    text(&a.data["team"]),
                    Cell::text(t(&format!(
                        "practice.adoption.{}",
                        a.data["status"].as_str().unwrap_or("planned")
                    ))),
                    date(&a.data["since"]),
                    text(&a.data["result"]),
                ]);
            }
        }
        Ok(vec![
            Section {
                heading: t("report.section.summary"),
                blocks: vec![Block::Figures(vec![
                    Figure {
                        label: t("lesson.title"),
                        value: Cell::Int(lessons.len() as i64),
                        note: String::new(),
                    },
                    Figure {
                        label: t("practice.library"),
                        value: Cell::Int(practices.len() as i64),
                        note: String::new(),
                    },
                ])],
            },
            Section {
                heading: t("lesson.title"),
                blocks: vec![table(
                    t("lesson.title"),
                    vec![
                        t("lesson.title_field"),
                        t("lesson.kind"),
                        t("lesson.factors"),
                        t("lesson.recommendation"),
                        t("practice.evidence"),
                        t("lesson.tags"),
                    ],
                    rows,
                    &none,
                )],
            },
            Section {
                heading: t("practice.library"),
                blocks: vec![
                    table(
                        t("practice.library"),
                        vec![
                            t("practice.title_field"),
                            t("practice.practice"),
                            t("practice.evidence"),
                        ],
                        practice_rows,
                        &t("practice.none"),
                    ),
                    table(
                        t("practice.adoptions"),
                        vec![
                            t("practice.title_field"),
                            t("practice.team"),
                            t("practice.adoption_status"),
                            t("practice.since"),
                            t("practice.result"),
                        ],
                        adoption_rows,
                        &t("practice.no_adoptions"),
                    ),
                ],
            },
        ])
    }
}
