//! Writes one of each chart to the directory given as first argument, to look at them:
//! `cargo run -p rumbo-charts --example gallery -- /tmp/charts`.

use std::{env, fs, path::PathBuf};

use rumbo_charts::*;

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(env::args().nth(1).unwrap_or_else(|| ".".into()));
    fs::create_dir_all(&dir)?;
    let frame = |title: &str, x: &str, y: &str| Frame {
        title: title.into(),
        x_label: x.into(),
        y_label: y.into(),
        decimal_separator: ',',
        thousands_separator: Some('.'),
        ..Frame::default()
    };
    let sl = |agents: f64, shift: f64| (100.0 * (1.0 - (-(agents - shift) / 3.0).exp())).max(0.0);
    let line = LineChart {
        frame: frame("Nivel de servicio vs agentes", "Agentes", "NS (%)"),
        series: vec![
            Series {
                name: "Lunes 10:00".into(),
                points: (20..=32)
                    .map(|a| (f64::from(a), sl(f64::from(a), 20.0)))
                    .collect(),
            },
            Series {
                name: "Lunes 15:00".into(),
                points: (20..=32)
                    .map(|a| (f64::from(a), sl(f64::from(a), 23.0)))
                    .collect(),
            },
        ],
        target: Some(Target {
            value: 80.0,
            label: "Meta 80/20".into(),
        }),
        x_ticks: vec![],
        y_from_zero: true,
    };
    fs::write(dir.join("line.svg"), line_chart(&line))?;
    let bars = BarChart {
        frame: frame("Presupuesto por categoría", "", "CLP"),
        categories: vec!["Personal".into(), "Telefonía".into(), "Licencias".into()],
        series: vec![
            BarSeries {
                name: "Plan".into(),
                values: vec![22.0e6, 1.0e6, 0.6e6],
            },
            BarSeries {
                name: "Real".into(),
                values: vec![21.4e6, 1.25e6, 0.55e6],
            },
        ],
        target: None,
        value_labels: false,
    };
    fs::write(dir.join("bar.svg"), bar_chart(&bars))?;
    let mut counts = [[0u32; 5]; 5];
    counts[3][2] = 2;
    counts[4][1] = 1;
    counts[1][4] = 1;
    counts[0][0] = 1;
    let heat = HeatMap {
        frame: Frame {
            width: 380,
            height: 400,
            ..frame("Riesgos", "Probabilidad", "Impacto")
        },
        counts,
        tone: &|s| match s {
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
    };
    fs::write(dir.join("heat.svg"), risk_heat_map(&heat))?;
    let bar = |label: &str, start, days, progress, critical, milestone| GanttBar {
        label: label.into(),
        description: label.into(),
        start,
        days,
        progress,
        critical,
        milestone,
    };
    let gantt = Gantt {
        frame: Frame {
            width: 720,
            ..frame("Plan de trabajo", "", "")
        },
        bars: vec![
            bar("A Reclutamiento", 0, 10, 100, true, false),
            bar("B Licencias", 0, 5, 40, false, false),
            bar("C Capacitación", 10, 8, 20, true, false),
            bar("D Piloto", 18, 10, 0, true, false),
            bar("M Salida", 28, 0, 0, true, true),
        ],
        dependencies: vec![(0, 2), (1, 2), (2, 3), (3, 4)],
        today: Some(12),
        axis: (0..=4)
            .map(|w| (w * 7, format!("{:02}-03", 2 + w * 7)))
            .collect(),
        labels: GanttLabels {
            critical: "Ruta crítica".into(),
            normal: "Actividad".into(),
            milestone: "Hito".into(),
            today: "Hoy".into(),
        },
    };
    fs::write(dir.join("gantt.svg"), gantt_chart(&gantt))?;
    Ok(())
}
