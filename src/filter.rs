//! Which prospects a listing or a report looks at: `--stage`, `--owner`,
//! `--product` and `--phase`, resolved once against the pipeline.

use crate::error::usage;
use crate::pipeline::{Phase, Pipeline};
use crate::prospect::Prospect;
use anyhow::Result;

/// The filter options of the listing and reporting commands, as typed.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct FilterArgs {
    /// Only prospects in these stages (repeatable; id or label).
    #[arg(long, value_name = "STAGE")]
    pub stage: Vec<String>,
    /// Only this salesperson's prospects (case and accents do not matter).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// Only prospects tagged with this product family (id or label).
    #[arg(long, value_name = "FAMILY")]
    pub product: Option<String>,
    /// Only this phase: suspect, prospect or client.
    #[arg(long, value_name = "PHASE")]
    pub phase: Option<String>,
}

impl FilterArgs {
    /// Resolves the names against the pipeline, refusing unknown ones.
    pub fn resolve(&self, p: &Pipeline) -> Result<Filter> {
        Filter::new(
            p,
            &self.stage,
            self.owner.as_deref(),
            self.product.as_deref(),
            self.phase.as_deref(),
        )
    }
}

/// Prospect filters shared by the listing and reporting commands.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    stages: Vec<usize>,
    owner: Option<String>,
    product: Option<usize>,
    phase: Option<Phase>,
}

impl Filter {
    pub fn new(
        p: &Pipeline,
        stages: &[String],
        owner: Option<&str>,
        product: Option<&str>,
        phase: Option<&str>,
    ) -> Result<Filter> {
        let stages = stages
            .iter()
            .map(|s| p.find_stage(s).ok_or_else(|| usage(p.unknown_stage(s))))
            .collect::<Result<_>>()?;
        let product = product
            .map(|s| p.find_product(s).ok_or_else(|| usage(p.unknown_product(s))))
            .transpose()?;
        let phase = phase
            .map(|s| {
                Phase::parse(s).ok_or_else(|| {
                    usage(format!(
                        "unknown phase `{s}`; the phases are `suspect`, `prospect` and `client`"
                    ))
                })
            })
            .transpose()?;
        Ok(Filter {
            stages,
            owner: owner.map(crate::text::fold),
            product,
            phase,
        })
    }

    pub fn accepts(&self, p: &Pipeline, x: &Prospect) -> bool {
        (self.stages.is_empty() || self.stages.contains(&x.stage))
            && self
                .owner
                .as_ref()
                .is_none_or(|o| crate::text::fold(&x.owner) == *o)
            && self.product.is_none_or(|i| x.products.contains(&i))
            && self.phase.is_none_or(|ph| p.stages[x.stage].phase == ph)
    }
}
