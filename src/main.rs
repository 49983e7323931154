//! `pipe`: parse the command line, run the command, print errors and map them to exit codes.

mod activity;
mod alerts;
mod batch;
mod cachefile;
mod calendar;
mod calibration;
mod cli;
mod commands;
mod context;
mod csvlog;
mod csvscan;
mod dates;
mod diag;
mod digest;
mod effort;
mod error;
mod field;
mod filter;
mod grouped;
mod hours;
mod ids;
mod journal;
mod manual;
mod money;
mod moves;
mod output;
mod par;
mod pipeline;
mod prospect;
mod register;
mod render;
mod report;
mod store;
mod summary;
mod term;
mod text;
mod triage;
mod validation;
mod words;
mod workset;

use clap::Parser;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let color = context::color(cli.global.color, std::io::stderr().is_terminal());
    match commands::run(cli) {
        Ok(code) => code.code(),
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let prefix = if color {
                "\x1b[1;31merror\x1b[0m"
            } else {
                "error"
            };
            let _ = writeln!(std::io::stderr(), "pipe: {prefix}: {err:#}");
            error::exit_of(&err).code()
        }
    }
}
