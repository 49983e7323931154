//! The command line: global options and one variant per command, each wrapping
//! the args struct that lives in the command's own file.

use crate::commands;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// A sales pipeline kept in plain files.
///
/// `pipeline.toml` defines the stages, their criteria, horizons and rules; the
/// register is a CSV file people also open in a spreadsheet; every change is
/// appended to a journal.
#[derive(Parser, Debug)]
#[command(name = "pipe", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct Global {
    /// The pipeline definition.
    #[arg(
        short = 'c',
        long,
        global = true,
        env = "PIPE_CONFIG",
        default_value = "pipeline.toml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
    /// The date to use as today, for reproducible output (ISO or the register's format).
    #[arg(long, global = true, env = "PIPE_TODAY", value_name = "DATE")]
    pub today: Option<String>,
    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(commands::init::Args),
    Check(commands::check::Args),
    Add(commands::add::Args),
    Move(commands::moves::Args),
    Set(commands::set::Args),
    List(commands::list::Args),
    Show(commands::show::Args),
    Undo(commands::undo::Args),
    Sync(commands::sync::Args),
    Report(commands::report::Args),
    Alerts(commands::alerts::Args),
    Triage(commands::triage::Args),
    Manual(commands::manual::Args),
    Log(commands::log::Args),
    Effort(commands::effort::Args),
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
