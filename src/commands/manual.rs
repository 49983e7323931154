//! `pipe manual`: the staff manual, generated from `pipeline.toml`.

use crate::cli::Global;
use crate::context::Context;
use crate::error::Exit;
use crate::manual;
use crate::output::{Format, OutputArgs};
use anyhow::Result;

/// Write the staff manual from the pipeline: stages, criteria, lost reasons, products and alerts.
///
/// In the pipeline's locale, as Markdown (the default) or a self-contained
/// HTML page. It comes from the same file as the checks and the alerts, so
/// it always says what they do; regenerate it when the pipeline changes.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    output: OutputArgs,
}

pub fn run(g: &Global, a: Args) -> Result<Exit> {
    let ctx = Context::load(g)?;
    let format = a
        .output
        .resolve_or(Format::Md, &[Format::Md, Format::Html])?;
    let doc = manual::build(&ctx.pipeline);
    let text = match format {
        Format::Html => doc.to_html(),
        _ => doc.to_markdown(),
    };
    a.output.emit(text.as_bytes())?;
    Ok(Exit::Ok)
}
