//! One file per command: its arguments (whose doc comments are the help) and a short `run`.

pub mod add;
pub mod alerts;
pub mod calibration;
pub mod check;
pub mod effort;
pub mod init;
pub mod list;
pub mod log;
pub mod manual;
pub mod moves;
pub mod report;
pub mod set;
pub mod show;
pub mod sync;
pub mod triage;
pub mod undo;

use crate::cli::{Cli, Command};
use crate::error::Exit;
use anyhow::Result;

pub fn run(cli: Cli) -> Result<Exit> {
    let g = &cli.global;
    match cli.command {
        Command::Init(a) => init::run(g, a),
        Command::Check(a) => check::run(g, a),
        Command::Add(a) => add::run(g, a),
        Command::Move(a) => moves::run(g, a),
        Command::Set(a) => set::run(g, a),
        Command::List(a) => list::run(g, a),
        Command::Show(a) => show::run(g, a),
        Command::Undo(a) => undo::run(g, a),
        Command::Sync(a) => sync::run(g, a),
        Command::Report(a) => report::run(g, a),
        Command::Alerts(a) => alerts::run(g, a),
        Command::Triage(a) => triage::run(g, a),
        Command::Manual(a) => manual::run(g, a),
        Command::Log(a) => log::run(g, a),
        Command::Effort(a) => effort::run(g, a),
    }
}

/// Splits `FIELD=VALUE`.
pub fn parse_assignment(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{s}` is not FIELD=VALUE (such as `amount=12500`)"))
}
