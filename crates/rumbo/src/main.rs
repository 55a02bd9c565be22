//! The `rumbo` command line: a thin layer over the library crates.
//!
//! Parsing happens here (clap); every command calls into a library crate and maps
//! its error to an exit code. `anyhow` is used only at this edge.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "rumbo", version, about = "Plan, coordinate and control contact-centre programmes")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Workforce-management calculations (Erlang C/A, staffing, forecast, schedule).
    #[command(subcommand)]
    Wfm(cmd::wfm::WfmCmd),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Wfm(c) => cmd::wfm::run(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
