//! `pipe init`: start a pipeline in a folder, never overwriting anything.

use crate::cli::Global;
use crate::error::{Exit, conflict};
use anyhow::{Context, Result};
use std::path::PathBuf;

const PIPELINE: &str = include_str!("init/pipeline.toml");
const REGISTER: &str = "id;stage;stage_since;name;company;owner;amount;probability;expected_close;next_action;products;lost_reason;created\r\n";

/// Write a starter pipeline.toml, an empty register, journal and activity log.
///
/// The starter follows the French method (stages, criteria, horizons); edit it
/// to fit your company. Nothing is overwritten: if a file exists, nothing is written.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The folder (created if needed).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn run(_g: &Global, a: Args) -> Result<Exit> {
    let files = [
        (a.dir.join("pipeline.toml"), PIPELINE.to_string()),
        (a.dir.join("prospects.csv"), format!("\u{feff}{REGISTER}")),
        (
            a.dir.join("journal.csv"),
            format!("{}\n", crate::journal::HEADER.join(",")),
        ),
        (
            a.dir.join("activities.csv"),
            format!("{}\n", crate::activity::HEADER.join(",")),
        ),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(conflict(format!(
            "{} already exist{}; nothing was written\n  hint: `pipe init` never overwrites; choose an empty folder with `pipe init DIR`",
            crate::text::and_list(&existing),
            if existing.len() == 1 { "s" } else { "" }
        )));
    }
    std::fs::create_dir_all(&a.dir)
        .with_context(|| format!("cannot create {}", a.dir.display()))?;
    for (path, text) in &files {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, text.as_bytes()).and_then(|()| f.sync_all())
            })
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    eprintln!(
        "next: edit pipeline.toml, then `pipe add --company …` or open prospects.csv in your spreadsheet"
    );
    Ok(Exit::Ok)
}
