//! What the command line lays over an eval file once it is read: `--model`, `--trials`,
//! `--host`, `--concurrency`, `--allow-destructive`.

use super::{Eval, ModelConfig};

/// The command line's overrides, as plain values.
#[derive(Debug, Clone, Default)]
pub(crate) struct Overrides {
    /// `--model`, in order: a name, or `PROVIDER:NAME`. Several make a model matrix.
    pub models: Vec<String>,
    /// `--host`, in order: a built-in profile's name or a profile file (relative to the
    /// working folder). Several make a host matrix.
    pub hosts: Vec<String>,
    pub trials: Option<u32>,
    pub concurrency: Option<u32>,
    pub allow_destructive: bool,
    /// `--prices FILE`: prices by model name, over the shipped table.
    pub prices: Option<std::path::PathBuf>,
    /// `--max-cost DOLLARS`.
    pub max_cost: Option<f64>,
}

impl Overrides {
    /// Lays the overrides over the eval file's values; a `--host` that names no profile fails.
    pub(crate) fn apply(&self, eval: &mut Eval) -> crate::error::Result<()> {
        if !self.hosts.is_empty() {
            eval.hosts = self
                .hosts
                .iter()
                .map(|h| super::HostProfile::resolve(h, std::path::Path::new(".")))
                .collect::<crate::error::Result<_>>()?;
        }
        if !self.models.is_empty() {
            let models: Vec<ModelConfig> = self
                .models
                .iter()
                .map(|m| model_named(&eval.model_defaults, m))
                .collect();
            eval.model = models[0].clone();
            eval.models = if models.len() > 1 { models } else { Vec::new() };
        }
        if let Some(t) = self.trials {
            eval.trials = t;
        }
        if let Some(c) = self.concurrency {
            eval.concurrency = c as usize;
        }
        eval.allow_destructive = self.allow_destructive;
        if self.max_cost.is_some() {
            eval.max_cost = self.max_cost;
        }
        if let Some(path) = &self.prices {
            eval.prices = Some((path.clone(), super::load_prices(path)?));
        }
        Ok(())
    }
}

/// The eval's `model` renamed by `--model` (not a `models` entry): see [`ModelConfig::named`].
pub(crate) fn model_named(model: &ModelConfig, arg: &str) -> ModelConfig {
    model.named(arg)
}
