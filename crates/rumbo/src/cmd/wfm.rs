//! `rumbo wfm …`: queueing maths and planning from the command line.

#[derive(clap::Subcommand, Debug)]
pub enum WfmCmd {}

pub fn run(cmd: WfmCmd) -> anyhow::Result<()> {
    match cmd {}
}
