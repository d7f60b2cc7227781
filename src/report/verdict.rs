//! What the gate decided, in the form the CI outputs show it: the job summary leads with it and
//! the annotations point at what it failed on.

/// One condition the run failed on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct GateFailure {
    /// What failed, for an annotation's title: `regressed`, `critical`, `tool floor`...
    pub kind: &'static str,
    /// The sentence shown in the terminal and the job summary.
    pub message: String,
    /// The tasks it names (regressed or critical tasks), each annotated at its line.
    pub tasks: Vec<String>,
}

/// The gate's decision and what the run was compared with.
#[derive(Debug, Clone, Default)]
pub(crate) struct Verdict {
    /// Whether the gate decided: not for a shard (gated after the merge), a variant beside the
    /// servers' own texts, an interrupted run or one with infrastructure errors.
    pub checked: bool,
    pub failures: Vec<GateFailure>,
    /// Where the baseline came from: `origin/main:reports/baseline.json`, or the file.
    pub baseline: Option<String>,
}

impl Verdict {}
