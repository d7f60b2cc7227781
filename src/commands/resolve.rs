//! The boundary: the command line's values (`cli`) turned into the plain ones of the layers
//! below, which never see a clap type. An enum clap needs is mirrored in `cli.rs` and mapped
//! here with `From`; the environment the flags default from (`CI`) is read here too.

use crate::cli;
use crate::config::{Overrides, Split};
use crate::gate::{FailOn, GateSettings};
use crate::mcp::demo::DemoPart;
#[cfg(feature = "testing")]
use crate::mcp::demo::Fault;
use crate::model::{CacheMode, CacheSettings};
use crate::session::Show;
use crate::sweep::Strategy;
use crate::tokens::Encoding;

impl From<&cli::RunSettings> for Overrides {
    fn from(s: &cli::RunSettings) -> Self {
        Overrides {
            models: s.model.clone(),
            hosts: s.host.clone(),
            trials: s.trials,
            concurrency: s.concurrency,
            allow_destructive: s.allow_destructive,
            prices: s.prices.clone(),
            max_cost: s.max_cost,
        }
    }
}

/// The response cache as asked: `--cache` is off by default under CI (a CI job measures the
/// model, never a recording left on the runner).
pub(crate) fn cache_settings(args: &cli::CacheArgs) -> CacheSettings {
    CacheSettings::resolve(
        args.cache.map(CacheMode::from),
        args.replay,
        args.cache_dir.clone(),
        std::env::var_os("CI").is_some(),
    )
}

impl From<&cli::GateArgs> for GateSettings {
    fn from(g: &cli::GateArgs) -> Self {
        GateSettings {
            baseline: g.baseline.clone(),
            baseline_ref: g.baseline_ref.clone(),
            update_baseline: g.update_baseline,
            fail_on: g.fail_on.iter().copied().map(FailOn::from).collect(),
            tool_floor: g.tool_floor,
            min_search_hit_rate: g.min_search_hit_rate,
            junit: g.junit.clone(),
            common_tasks: g.common_tasks,
            alpha: g.alpha,
            allow_incomplete: g.allow_incomplete,
        }
    }
}

/// What the terminal shows of a report: JSON whenever asked (even with `--quiet`), else the
/// table unless `--quiet`, every task with `--verbose`.
pub(crate) fn show(format: cli::Format, quiet: bool, verbose: bool) -> Show {
    match format {
        cli::Format::Json => Show::Json,
        cli::Format::Table if quiet => Show::Nothing,
        cli::Format::Table if verbose => Show::Every,
        cli::Format::Table => Show::Failing,
    }
}

impl From<cli::FailOn> for FailOn {
    fn from(c: cli::FailOn) -> Self {
        match c {
            cli::FailOn::SignificantRegression => FailOn::SignificantRegression,
            cli::FailOn::Regression => FailOn::Regression,
            cli::FailOn::MinAccuracy => FailOn::MinAccuracy,
            cli::FailOn::ToolFloor => FailOn::ToolFloor,
            cli::FailOn::Critical => FailOn::Critical,
            cli::FailOn::TokenBudget => FailOn::TokenBudget,
            cli::FailOn::SearchHitRate => FailOn::SearchHitRate,
            cli::FailOn::ToolsChanged => FailOn::ToolsChanged,
        }
    }
}

impl From<cli::CacheMode> for CacheMode {
    fn from(m: cli::CacheMode) -> Self {
        match m {
            cli::CacheMode::Readwrite => CacheMode::Readwrite,
            cli::CacheMode::Read => CacheMode::Read,
            cli::CacheMode::Off => CacheMode::Off,
        }
    }
}

impl From<cli::Split> for Split {
    fn from(s: cli::Split) -> Self {
        match s {
            cli::Split::Tune => Split::Tune,
            cli::Split::Holdout => Split::Holdout,
        }
    }
}

impl From<cli::Encoding> for Encoding {
    fn from(e: cli::Encoding) -> Self {
        match e {
            cli::Encoding::O200kBase => Encoding::O200kBase,
            cli::Encoding::Cl100kBase => Encoding::Cl100kBase,
        }
    }
}

impl From<cli::DemoPart> for DemoPart {
    fn from(p: cli::DemoPart) -> Self {
        match p {
            cli::DemoPart::All => DemoPart::All,
            cli::DemoPart::Logs => DemoPart::Logs,
            cli::DemoPart::Ops => DemoPart::Ops,
        }
    }
}

impl From<cli::SweepStrategy> for Strategy {
    fn from(s: cli::SweepStrategy) -> Self {
        match s {
            cli::SweepStrategy::Random => Strategy::Random,
            cli::SweepStrategy::Similar => Strategy::Similar,
        }
    }
}

#[cfg(feature = "testing")]
impl From<cli::Fault> for Fault {
    fn from(f: cli::Fault) -> Self {
        match f {
            cli::Fault::Crash => Fault::Crash,
            cli::Fault::Hang => Fault::Hang,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    /// Each mirrored value maps to the plain value of the same name: the command line's word
    /// is the one the layers below print and read.
    #[test]
    fn every_mirrored_value_maps_to_its_namesake() {
        let name = |v: &dyn std::fmt::Debug| format!("{v:?}");
        for v in cli::FailOn::value_variants() {
            let plain = FailOn::from(*v);
            assert_eq!(name(v), name(&plain));
            assert_eq!(
                v.to_possible_value().unwrap().get_name(),
                plain.name(),
                "{v:?}"
            );
        }
        for v in cli::CacheMode::value_variants() {
            assert_eq!(name(v), name(&CacheMode::from(*v)));
        }
        for v in cli::Split::value_variants() {
            let plain = Split::from(*v);
            assert_eq!(v.to_possible_value().unwrap().get_name(), plain.as_str());
        }
        for v in cli::Encoding::value_variants() {
            let plain = Encoding::from(*v);
            assert_eq!(v.to_possible_value().unwrap().get_name(), plain.as_str());
        }
        for v in cli::SweepStrategy::value_variants() {
            let plain = Strategy::from(*v);
            assert_eq!(v.to_possible_value().unwrap().get_name(), plain.name());
        }
        for v in cli::DemoPart::value_variants() {
            assert_eq!(name(v), name(&DemoPart::from(*v)));
        }
        #[cfg(feature = "testing")]
        for v in cli::Fault::value_variants() {
            assert_eq!(name(v), name(&Fault::from(*v)));
        }
    }

    #[test]
    fn json_shows_even_when_quiet_and_a_table_only_when_not() {
        use cli::Format::{Json, Table};
        assert_eq!(show(Json, true, false), Show::Json);
        assert_eq!(show(Json, false, true), Show::Json);
        assert_eq!(show(Table, true, false), Show::Nothing);
        assert_eq!(show(Table, false, false), Show::Failing);
        assert_eq!(show(Table, false, true), Show::Every);
    }

    #[test]
    fn the_gate_keeps_every_flag() {
        let args = cli::GateArgs {
            baseline: Some("b.json".into()),
            baseline_ref: Some("main".into()),
            update_baseline: true,
            fail_on: vec![cli::FailOn::Critical, cli::FailOn::ToolFloor],
            tool_floor: Some(0.7),
            min_search_hit_rate: Some(0.8),
            junit: Some("j.xml".into()),
            common_tasks: true,
            alpha: 0.1,
            allow_incomplete: true,
        };
        let g = GateSettings::from(&args);
        assert_eq!(
            format!("{g:?}"),
            r#"GateSettings { baseline: Some("b.json"), baseline_ref: Some("main"), update_baseline: true, fail_on: [Critical, ToolFloor], tool_floor: Some(0.7), min_search_hit_rate: Some(0.8), junit: Some("j.xml"), common_tasks: true, alpha: 0.1, allow_incomplete: true }"#
        );
    }
}
