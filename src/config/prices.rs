//! What a model's tokens cost: a price given in the eval (`price:` on a model), a file given
//! with `--prices`, or the snapshot of LiteLLM's price table shipped in `prices/litellm.json`
//! (its source and date inside; `scripts/refresh-prices.py` refreshes it). A model found in none
//! has no price: its tokens are shown and its cost is said to be unknown, never guessed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::record::Price;

/// A price as an eval or a `--prices` file writes it, in US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceSpec {
    /// Dollars per million input tokens.
    #[schemars(range(min = 0.0))]
    pub input: f64,
    /// Dollars per million output tokens.
    #[schemars(range(min = 0.0))]
    pub output: f64,
    /// Dollars per million input tokens read from the provider's prompt cache (default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub cached_input: Option<f64>,
    /// Dollars per million input tokens written to the provider's prompt cache (Anthropic;
    /// default: `input`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub cache_write: Option<f64>,
}

impl PriceSpec {
    pub(crate) fn priced(&self, source: &str) -> Price {
        Price {
            input: self.input,
            output: self.output,
            cached_input: self.cached_input,
            cache_write: self.cache_write,
            source: source.to_owned(),
        }
    }
}

/// The shipped snapshot, as `scripts/refresh-prices.py` writes it.
#[derive(Deserialize)]
struct Snapshot {
    taken: String,
    models: HashMap<String, SnapshotRow>,
}

/// One row of the snapshot: dollars per token, as LiteLLM writes them.
#[derive(Deserialize)]
struct SnapshotRow {
    input_cost_per_token: f64,
    output_cost_per_token: f64,
    #[serde(default)]
    cache_read_input_token_cost: Option<f64>,
    #[serde(default)]
    cache_creation_input_token_cost: Option<f64>,
}

static SNAPSHOT: LazyLock<Option<Snapshot>> =
    LazyLock::new(|| serde_json::from_str(include_str!("../../prices/litellm.json")).ok());

/// The snapshot's price of `name` asked through `provider` (`openai`, `anthropic`, `gemini`): the name as it is, then as LiteLLM
/// keys it for the provider (`gemini/NAME`, `anthropic/NAME`).
pub(crate) fn snapshot_price(name: &str, provider: &str) -> Option<Price> {
    let s = SNAPSHOT.as_ref()?;
    let keyed = format!("{provider}/{name}");
    let row = s.models.get(&keyed).or_else(|| s.models.get(name))?;
    let per_million = |x: f64| x * 1e6;
    Some(Price {
        input: per_million(row.input_cost_per_token),
        output: per_million(row.output_cost_per_token),
        cached_input: row.cache_read_input_token_cost.map(per_million),
        cache_write: row.cache_creation_input_token_cost.map(per_million),
        source: format!("LiteLLM's price table, as of {}", s.taken),
    })
}

/// A `--prices` file: model names to prices, in YAML or JSON.
pub(crate) fn load_prices(path: &Path) -> Result<HashMap<String, PriceSpec>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("read", path, e))?;
    super::parse_yaml::<HashMap<String, PriceSpec>>(path, &text)
}

/// The price of a model: its own `price`, else the `--prices` file's, else the snapshot's.
pub(crate) fn price_of(
    name: &str,
    provider: &str,
    own: Option<&PriceSpec>,
    file: Option<(&Path, &HashMap<String, PriceSpec>)>,
) -> Option<Price> {
    if let Some(p) = own {
        return Some(p.priced("the eval's `price`"));
    }
    if let Some((path, prices)) = file
        && let Some(p) = prices.get(name)
    {
        return Some(p.priced(&format!("--prices {}", path.display())));
    }
    snapshot_price(name, provider)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_prices_the_three_apis_models_and_knows_its_date() {
        let p = snapshot_price("claude-sonnet-4-5", "anthropic").unwrap();
        assert_eq!((p.input, p.output), (3.0, 15.0));
        assert_eq!(p.cached_input, Some(0.3));
        assert!(
            p.source.starts_with("LiteLLM's price table, as of 20"),
            "{}",
            p.source
        );
        let p = snapshot_price("gpt-4o-mini", "openai").unwrap();
        assert!((p.input - 0.15).abs() < 1e-9, "{}", p.input);
        assert!(snapshot_price("gemini-2.5-flash", "gemini").is_some());
        assert!(snapshot_price("scripted-model", "openai").is_none());
    }

    #[test]
    fn the_eval_wins_over_the_file_and_the_file_over_the_snapshot() {
        let own = PriceSpec {
            input: 1.0,
            output: 2.0,
            cached_input: None,
            cache_write: None,
        };
        let file: HashMap<String, PriceSpec> =
            [("gpt-4o-mini".to_owned(), PriceSpec { input: 9.0, ..own })].into();
        let at = Path::new("p.yaml");
        let p = price_of("gpt-4o-mini", "openai", Some(&own), Some((at, &file)));
        assert_eq!(p.unwrap().input, 1.0);
        let p = price_of("gpt-4o-mini", "openai", None, Some((at, &file))).unwrap();
        assert_eq!((p.input, p.source.as_str()), (9.0, "--prices p.yaml"));
        let p = price_of("gpt-4o-mini", "openai", None, None).unwrap();
        assert!(p.source.starts_with("LiteLLM"));
    }
}
