//! What generation works with: the jobs the writer is given, the kinds of task, a task that
//! passed the guards, and the tasks that exist already.

use super::ground::Observation;
use crate::config::{Call, Split};
use crate::error::Error;

/// One request's worth of work for the writer.
#[derive(Debug, Clone)]
pub(crate) enum Job {
    /// Tasks that each need `tool`.
    Positive { tool: String, count: usize },
    /// Two tasks that tell two alike tools apart.
    NearMiss { a: String, b: String, why: String },
    /// Tasks that should call no tool.
    Negatives {
        out_of_domain: usize,
        missing: usize,
    },
    /// Calls to read more data with (agent mode).
    Explore { max: usize, allowed: Vec<String> },
    /// Multi-step tasks whose answers come from the data read (agent mode).
    Grounded { count: usize },
}

impl Job {
    /// The words that name the job in the writer's messages (a script may match on them).
    pub(crate) fn marker(&self) -> String {
        match self {
            Job::Positive { tool, .. } => format!("for `{tool}`"),
            Job::NearMiss { a, b, .. } => format!("for the pair `{a}` / `{b}`"),
            Job::Negatives { .. } => "that call no tool".into(),
            Job::Explore { .. } => "to explore".into(),
            Job::Grounded { .. } => "of several steps".into(),
        }
    }

    pub(crate) fn label(&self) -> String {
        format!("tasks {}", self.marker())
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Job::Positive { .. } => Kind::Positive,
            Job::NearMiss { .. } => Kind::NearMiss,
            Job::Negatives { .. } => Kind::OutOfDomain,
            Job::Explore { .. } | Job::Grounded { .. } => Kind::MultiStep,
        }
    }

    pub(crate) fn wanted(&self) -> usize {
        match self {
            Job::Positive { count, .. } => *count,
            Job::NearMiss { .. } => 2,
            Job::Negatives {
                out_of_domain,
                missing,
            } => out_of_domain + missing,
            Job::Explore { .. } => 0,
            Job::Grounded { count } => *count,
        }
    }
}

/// What a generated task is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Kind {
    Positive,
    NearMiss,
    OutOfDomain,
    MissingArgument,
    MultiStep,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Positive => "positive",
            Kind::NearMiss => "near-miss",
            Kind::OutOfDomain => "out-of-domain",
            Kind::MissingArgument => "missing-argument",
            Kind::MultiStep => "multi-step",
        }
    }
}

/// A task that passed the guards.
#[derive(Debug, Clone)]
pub(crate) struct Generated {
    pub id: String,
    pub prompt: String,
    pub kind: Kind,
    /// The tool it is for (its stratum for the holdout); `None` for an out-of-domain task.
    pub tool: Option<String>,
    /// A near-miss task: the two tools it tells apart.
    pub pair: Option<(String, String)>,
    /// A missing-argument task: the argument the prompt leaves out.
    pub missing: Option<String>,
    pub expect: Option<Call>,
    pub trajectory: Vec<Call>,
    /// Values the final answer must contain.
    pub answer: Vec<String>,
    /// Agent mode, a missing argument: the answer must ask the user.
    pub asks: bool,
    /// Written in a retry, after the writer saw its earlier prompts and why they were
    /// rejected: never held out.
    pub retried: bool,
    pub split: Option<Split>,
    pub review: Option<String>,
}

impl Generated {
    pub(crate) fn new(prompt: &str, kind: Kind) -> Generated {
        Generated {
            id: String::new(),
            prompt: prompt.to_owned(),
            kind,
            tool: None,
            pair: None,
            missing: None,
            expect: None,
            trajectory: Vec::new(),
            answer: Vec::new(),
            asks: false,
            retried: false,
            split: None,
            review: None,
        }
    }

    /// The tools its expectation names.
    pub(crate) fn tools(&self) -> Vec<String> {
        self.expect
            .iter()
            .chain(&self.trajectory)
            .map(|c| c.tool.clone())
            .collect()
    }
}

/// A task of the eval's suites: its id, the tool it expects first, its prompt.
pub(crate) struct Existing {
    pub id: String,
    pub tool: Option<String>,
    pub prompt: String,
}

/// A task the guards rejected, and why.
#[derive(Debug, Clone)]
pub(crate) struct Rejected {
    pub job: String,
    pub prompt: String,
    pub why: String,
}

/// What one `generate` did, for the summary and the file's header.
#[derive(Default)]
pub(crate) struct Outcome {
    pub tasks: Vec<Generated>,
    pub rejected: Vec<Rejected>,
    /// Jobs that ended with fewer tasks than asked: (job, kept, wanted).
    pub short: Vec<(String, usize, usize)>,
    pub observed: Vec<Observation>,
    pub requests: u64,
    pub interrupted: bool,
    /// What stopped the writing early (the tasks so far are kept).
    pub stopped: Option<Error>,
    pub checked_with: Option<String>,
    pub writer: String,
}
