//! `rumbo lessons search WORDS`: full-text search of the lessons learnt and the best-practice
//! library (accents and case ignored), for scripts and the console.

use std::path::Path;

use clap::{Args, Subcommand};

/// Lessons learnt and best practices.
#[derive(Subcommand, Debug)]
pub enum LessonsCmd {
    /// Lessons and practices holding every word, best first.
    Search(SearchArgs),
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The words to look for (Spanish or English; accents and case do not matter).
    #[arg(required = true)]
    words: Vec<String>,
    /// Output as JSON lines instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(db: &str, data_dir: &Path, c: LessonsCmd) -> anyhow::Result<()> {
    let LessonsCmd::Search(a) = c;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let app = rumbo_app::App::open(
            db,
            rumbo_app::Settings {
                data_dir: data_dir.to_path_buf(),
                ..rumbo_app::Settings::default()
            },
        )
        .await
        .map_err(super::app_error)?;
        let items = app
            .search_library_as_operator(&a.words.join(" "))
            .await
            .map_err(super::app_error)?;
        if !a.json {
            out!("type\tid\ttitle\tsource");
        }
        for i in &items {
            let d = i.data();
            if a.json {
                let mut v = d.clone();
                v["id"] = i.id().into();
                v["type"] = i.kind().into();
                out!("{v}");
            } else {
                out!(
                    "{}\t{}\t{}\t{}",
                    i.kind(),
                    i.id(),
                    d["title"].as_str().unwrap_or_default(),
                    d["source_programme"].as_str().unwrap_or_default()
                );
            }
        }
        app.close().await;
        Ok(())
    })
}
