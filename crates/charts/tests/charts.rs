//! Output checks for every chart: well-formed XML, escaped caller text, accessible name, key
//! elements present, and byte-identical output for identical input.

use rumbo_charts::*;

/// A small XML checker: tags balance, attribute values are quoted, and text contains no raw `<`
/// or bare `&`. Returns the element names in document order.
fn check_well_formed(svg: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = svg;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
        } else {
            let self_closing = tag.ends_with('/');
            let body = tag.trim_end_matches('/');
            let name = body
                .split_whitespace()
                .next()
                .expect("empty tag")
                .to_string();
            assert_eq!(
                body.matches('"').count() % 2,
                0,
                "unbalanced quotes in <{body}>"
            );
            check_text(&body.replace("\"", ""));
            names.push(name.clone());
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    assert!(rest.trim().is_empty(), "text after the root element");
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    names
}

fn check_text(t: &str) {
    assert!(!t.contains('<'), "raw < in {t:?}");
    for (i, _) in t.match_indices('&') {
        let entity = &t[i..t[i..].find(';').map_or(t.len(), |e| i + e + 1)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].contains(&entity),
            "bare & in {t:?}"
        );
    }
}

const NASTY: &str = "Nivel <de> servicio & \"metas\" 'SLA'";

fn frame(title: &str) -> Frame {
    Frame {
        title: title.to_string(),
        description: "Descripción".to_string(),
        x_label: "Agentes".to_string(),
        y_label: "Nivel de servicio (%)".to_string(),
        decimal_separator: ',',
        ..Frame::default()
    }
}

fn line() -> LineChart {
    LineChart {
        frame: frame(NASTY),
        series: vec![
            Series {
                name: "Lunes <09:00>".into(),
                points: (10..=20)
                    .map(|n| (n as f64, 40.0 + 5.5 * (n - 10) as f64))
                    .collect(),
            },
            Series {
                name: "Martes".into(),
                points: vec![(10.0, 30.0), (11.0, f64::NAN), (12.0, 50.0), (13.0, 60.0)],
            },
        ],
        target: Some(Target {
            value: 80.0,
            label: "Meta 80/20".into(),
        }),
        x_ticks: vec![],
        y_from_zero: true,
    }
}

#[test]
fn line_chart_is_well_formed_escaped_and_accessible() {
    let svg = line_chart(&line());
    let names = check_well_formed(&svg);
    assert_eq!(names[0], "svg");
    assert_eq!(names[1], "title");
    assert!(svg.contains("role=\"img\""));
    assert!(svg.contains(
        "aria-label=\"Nivel &lt;de&gt; servicio &amp; &quot;metas&quot; &#39;SLA&#39;\""
    ));
    assert!(svg.contains(
        "<title>Nivel &lt;de&gt; servicio &amp; &quot;metas&quot; &#39;SLA&#39;</title>"
    ));
    assert!(svg.contains("Lunes &lt;09:00&gt;"));
    assert!(!svg.contains("<de>"));
}

#[test]
fn line_chart_draws_each_series_a_target_line_and_axes() {
    let svg = line_chart(&line());
    // One polyline for Monday, two for Tuesday because its NaN breaks the line.
    assert_eq!(svg.matches("<polyline").count(), 3);
    assert_eq!(svg.matches("class=\"target\"").count(), 1);
    assert!(svg.contains("Meta 80/20"));
    assert!(svg.contains("class=\"x-axis\""));
    assert!(svg.contains("class=\"y-axis\""));
    // Ticks print with the caller's decimal separator and start at zero.
    assert!(svg.contains(">0</text>"));
    assert!(svg.contains(">100</text>"));
}

#[test]
fn line_chart_uses_caller_tick_labels_for_intervals() {
    let mut c = line();
    c.x_ticks = vec![
        (10.0, "08:00".into()),
        (15.0, "08:30".into()),
        (20.0, "09:00".into()),
    ];
    let svg = line_chart(&c);
    check_well_formed(&svg);
    for t in ["08:00", "08:30", "09:00"] {
        assert!(svg.contains(&format!(">{t}</text>")), "{t}");
    }
}

#[test]
fn decimal_ticks_use_the_callers_separator() {
    let c = LineChart {
        frame: frame("x"),
        series: vec![Series {
            name: "s".into(),
            points: vec![(0.0, 0.1), (1.0, 0.9)],
        }],
        ..LineChart::default()
    };
    let svg = line_chart(&c);
    assert!(svg.contains(">0,2</text>"), "{svg}");
    assert!(!svg.contains(">0.2</text>"));
}

#[test]
fn every_chart_is_deterministic() {
    assert_eq!(line_chart(&line()), line_chart(&line()));
    assert_eq!(bar_chart(&bars()), bar_chart(&bars()));
    assert_eq!(gantt_chart(&gantt()), gantt_chart(&gantt()));
    let counts = [[1, 0, 0, 0, 0]; 5];
    assert_eq!(risk_heat_map(&heat(counts)), risk_heat_map(&heat(counts)));
}

#[test]
fn empty_charts_still_render_well_formed() {
    check_well_formed(&line_chart(&LineChart::default()));
    check_well_formed(&bar_chart(&BarChart::default()));
    check_well_formed(&gantt_chart(&Gantt::default()));
}

fn bars() -> BarChart {
    BarChart {
        frame: frame("Variación presupuestaria"),
        categories: vec![
            "Personal".into(),
            "Telefonía & datos".into(),
            "Otros".into(),
        ],
        series: vec![
            BarSeries {
                name: "Plan".into(),
                values: vec![22_000_000.0, 1_000_000.0, 500_000.0],
            },
            BarSeries {
                name: "Real".into(),
                values: vec![21_000_000.0, 1_250_000.0, -100_000.0],
            },
        ],
        target: None,
        value_labels: true,
    }
}

#[test]
fn bar_chart_draws_one_bar_per_value_with_escaped_categories() {
    let svg = bar_chart(&bars());
    check_well_formed(&svg);
    assert_eq!(svg.matches("class=\"bar-rect\"").count(), 6);
    assert!(svg.contains("Telefonía &amp; datos"));
    assert!(svg.contains(">-100000</text>"));
}

fn heat(counts: [[u32; 5]; 5]) -> HeatMap<'static> {
    HeatMap {
        frame: Frame {
            title: "Mapa de calor de riesgos".into(),
            x_label: "Probabilidad".into(),
            y_label: "Impacto".into(),
            width: 360,
            height: 380,
            ..Frame::default()
        },
        counts,
        tone: &|score| match score {
            0..=4 => Tone::Low,
            5..=9 => Tone::Medium,
            10..=16 => Tone::High,
            _ => Tone::Critical,
        },
        tone_labels: [
            "Bajo".into(),
            "Medio".into(),
            "Alto".into(),
            "Crítico".into(),
        ],
        cell_label: &|p, i, n| format!("P{p} × I{i}: {n}"),
    }
}

#[test]
fn heat_map_has_25_cells_coloured_by_level_with_counts() {
    let mut counts = [[0u32; 5]; 5];
    counts[4][1] = 2; // impact 5, probability 2 → score 10, high
    counts[0][4] = 1; // impact 1, probability 5 → score 5, medium
    counts[4][4] = 3; // 25, critical
    let svg = risk_heat_map(&heat(counts));
    check_well_formed(&svg);
    assert_eq!(svg.matches("<rect").count(), 25 + 4); // cells + legend swatches
    assert!(svg.contains("<title>P2 × I5: 2</title>"));
    assert!(svg.contains("<title>P5 × I5: 3</title>"));
    let count_texts = svg.matches("class=\"count\"").count();
    assert_eq!(count_texts, 3);
    // Low, medium, high and critical cells: 1–4 → 8 cells, 5–9 → 7, 10–16 → 7, 20–25 → 3.
    assert_eq!(svg.matches("class=\"cell tone-low\"").count(), 8 + 1);
    assert_eq!(svg.matches("class=\"cell tone-medium\"").count(), 7 + 1);
    assert_eq!(svg.matches("class=\"cell tone-high\"").count(), 7 + 1);
    assert_eq!(svg.matches("class=\"cell tone-critical\"").count(), 3 + 1);
    assert!(svg.contains("Crítico"));
}

fn gantt() -> Gantt {
    let bar = |label: &str, start, days, progress, critical, milestone| GanttBar {
        label: label.into(),
        description: format!("{label} <detalle>"),
        start,
        days,
        progress,
        critical,
        milestone,
    };
    Gantt {
        frame: frame("Carta Gantt"),
        bars: vec![
            bar("A Reclutamiento", 0, 10, 100, true, false),
            bar("B Licencias & equipos", 0, 5, 40, false, false),
            bar("C Capacitación", 10, 8, 0, true, false),
            bar("M Salida a producción", 18, 0, 0, true, true),
        ],
        dependencies: vec![(0, 2), (2, 3), (1, 2)],
        today: Some(7),
        axis: vec![
            (0, "02-03".into()),
            (7, "09-03".into()),
            (14, "16-03".into()),
        ],
        labels: GanttLabels {
            critical: "Ruta crítica".into(),
            normal: "Actividad".into(),
            milestone: "Hito".into(),
            today: "Hoy".into(),
        },
    }
}

#[test]
fn gantt_marks_critical_activities_milestones_today_and_dependencies() {
    let svg = gantt_chart(&gantt());
    check_well_formed(&svg);
    assert_eq!(svg.matches("class=\"activity critical\"").count(), 2);
    assert_eq!(
        svg.matches("class=\"activity milestone critical\"").count(),
        1
    );
    assert_eq!(svg.matches("<polygon").count(), 1);
    assert_eq!(svg.matches("class=\"progress\"").count(), 3);
    assert_eq!(svg.matches("marker-end=").count(), 3);
    assert!(svg.contains("class=\"today\""));
    assert!(svg.contains(">Hoy</text>"));
    assert!(svg.contains("Licencias &amp; equipos"));
    assert!(svg.contains("<title>A Reclutamiento &lt;detalle&gt;</title>"));
}

#[test]
fn gantt_progress_fill_is_proportional_to_progress() {
    let mut g = gantt();
    g.bars.truncate(1);
    g.dependencies.clear();
    g.axis.clear();
    g.today = None;
    g.bars[0].progress = 50;
    let width_of = |svg: &str, class: &str| -> f64 {
        let at = svg.find(&format!("class=\"{class}\"")).unwrap();
        let start = svg[..at].rfind("width=\"").unwrap() + 7;
        svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    let svg = gantt_chart(&g);
    let full = width_of(&svg, "bar");
    let done = width_of(&svg, "progress");
    assert!((done - full / 2.0).abs() < 0.02, "{done} vs {full}");
    assert!(!svg.contains("class=\"today\""));
}

#[test]
fn gantt_label_column_grows_with_the_longest_label() {
    let x_of_first_bar = |label: &str| -> f64 {
        let mut g = gantt();
        g.bars[0].label = label.to_string();
        let svg = gantt_chart(&g);
        let at = svg.find("class=\"bar\"").unwrap();
        let start = svg[..at].rfind("x=\"").unwrap() + 3;
        svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    let short = x_of_first_bar("A");
    let long = x_of_first_bar("A Reclutamiento y selección de ejecutivos bilingües");
    assert!(long > short + 100.0, "{short} → {long}");
}
