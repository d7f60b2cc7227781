//! What a run is planned with: each task with its suite and agent settings, what lets agent
//! calls run (the servers, the safety policy, the result cap, the cache), and the dry run that
//! shows it without asking a model. Plain data that both kinds of trial (`exec.rs`, `agent.rs`)
//! read.

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::{Mocks, Task};
use crate::mcp::{Effect, LiveServers, ToolInfo, ToolSet};
use crate::model::{CacheSettings, Model};
use crate::record::DryRunTask;

/// One task of the run, with the suite it came from.
#[derive(Debug, Clone)]
pub(crate) struct PlannedTask {
    pub suite: Arc<str>,
    pub task: Arc<Task>,
    /// Set when the task runs in agent mode.
    pub agent: Option<Arc<AgentTask>>,
}

/// The agent settings of one task: its turn limit, its repeat limit and the mocks that apply
/// to it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AgentTask {
    pub max_turns: u32,
    /// The loop ends when one call (tool and arguments) has been made this many times; 0: never.
    pub max_repeats: u32,
    /// The eval's, the suite's and the task's mocks, by tool: the nearest wins.
    pub mocks: Mocks,
}

impl AgentTask {
    /// The limits as given, and the mocks of the eval, overridden tool by tool by the suite's,
    /// then by the task's.
    pub(crate) fn merged(max_turns: u32, max_repeats: u32, layers: [&Mocks; 3]) -> AgentTask {
        let mut mocks = Mocks::new();
        for layer in layers {
            for (tool, spec) in layer {
                mocks.insert(tool.clone(), spec.clone());
            }
        }
        AgentTask {
            max_turns,
            max_repeats,
            mocks,
        }
    }
}

/// What lets calls run: the servers, kept open, and what may run on them.
pub(crate) struct AgentRun {
    /// `None` in a replay that took the tool listing from the cache: no server is started.
    pub servers: Option<Arc<LiveServers>>,
    /// The eval's servers by name (tools of a tool list or the distractor pool have none).
    pub server_names: HashSet<String>,
    pub policy: Policy,
    /// The most bytes of one result fed back to the model.
    pub max_result_bytes: usize,
    /// Results of executed calls are recorded here (`readwrite`), and a replay reads them back
    /// instead of calling the server.
    pub cache: CacheSettings,
    /// The model that grades final answers against rubrics (`judge_model`).
    pub judge: Option<Arc<dyn Model>>,
    /// The models that play simulated users: the eval's `user_model` under `""`, and each
    /// task's `user.model` under its name.
    pub users: std::collections::HashMap<String, Arc<dyn Model>>,
}

impl AgentRun {
    /// The model that plays a task's user: the one it names, else the eval's.
    pub(crate) fn user_model(&self, named: Option<&str>) -> Option<&Arc<dyn Model>> {
        self.users.get(named.unwrap_or(""))
    }
}

/// Which tools may run besides the read-only ones.
#[derive(Debug, Clone, Default)]
pub(crate) struct Policy {
    /// The eval's `allow_tools`, by the suites' names of the tools.
    pub allow: HashSet<String>,
    /// `--allow-destructive`: tools annotated destructive may run when also listed in `allow`.
    pub allow_destructive: bool,
}

impl Policy {
    /// `Ok` when `tool` may run; else why not, and how to mock or allow it.
    pub(crate) fn permits(&self, tool: &ToolInfo) -> Result<(), String> {
        let name = &tool.name;
        let listed = self.allow.contains(name);
        let mock = format!("mock it (`mocks: {{ {name}: {{ result: ... }} }}`)");
        match tool.effect() {
            Effect::ReadOnly => Ok(()),
            Effect::Destructive if listed && self.allow_destructive => Ok(()),
            Effect::Destructive if listed => Err(format!(
                "`{name}` is annotated destructive: besides `allow_tools` it needs `--allow-destructive` on the command line; or {mock}"
            )),
            Effect::Destructive => Err(format!(
                "`{name}` is annotated destructive: {mock}, or list it in the eval's `allow_tools` and pass `--allow-destructive`"
            )),
            _ if listed => Ok(()),
            effect => {
                let what = if effect == Effect::Unannotated {
                    "has no annotations, so it is taken to write"
                } else {
                    "is not annotated read-only"
                };
                Err(format!(
                    "`{name}` {what}: {mock}, or allow it (`allow_tools: [{name}]` in the eval)"
                ))
            }
        }
    }
}

/// For each agent task, which tools could run, which are mocked and which would stop the loop.
/// `user_model` names the eval's model that plays simulated users.
pub(crate) fn dry_run(
    tasks: &[PlannedTask],
    run: &AgentRun,
    tools: &ToolSet,
    user_model: Option<&str>,
) -> Vec<DryRunTask> {
    tasks
        .iter()
        .filter_map(|t| {
            let settings = t.agent.as_ref()?;
            let mut d = DryRunTask {
                task: t.task.id.clone(),
                suite: t.suite.to_string(),
                runs: vec![],
                mocked: vec![],
                stops: vec![],
                conversation: conversation_plan(&t.task, user_model),
            };
            for tool in &tools.tools {
                if settings.mocks.contains_key(&tool.name) {
                    d.mocked.push(tool.name.clone());
                } else if !run.server_names.contains(&tool.server) {
                    d.stops
                        .push((tool.name.clone(), "from a tool list, not a server".into()));
                } else {
                    match run.policy.permits(tool) {
                        Ok(()) => d.runs.push(tool.name.clone()),
                        Err(why) => d.stops.push((tool.name.clone(), why)),
                    }
                }
            }
            Some(d)
        })
        .collect()
}

/// How a conversation's user side would be played: its scripted turns, or its simulated
/// user's model and limits.
fn conversation_plan(task: &Task, user_model: Option<&str>) -> Option<String> {
    if let Some(u) = &task.user {
        let model = u
            .model
            .as_deref()
            .or(user_model)
            .unwrap_or("the eval's `user_model`");
        return Some(format!(
            "a simulated user played by {model}: up to {} user messages, done at `{}`; knows {} fact(s)",
            u.max_turns(),
            u.done_marker(),
            u.knows.len()
        ));
    }
    let turns = task.turns();
    (!turns.is_empty()).then(|| {
        format!(
            "{} scripted user messages, each turn checked; fails at the first failing turn",
            turns.len() + 1
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::{Annotations, ServerTool};

    fn tool(name: &str, a: Option<Annotations>) -> ServerTool {
        ServerTool {
            name: name.into(),
            description: Some("d".into()),
            input_schema: serde_json::json!({"type": "object"}),
            annotations: a,
        }
    }

    #[test]
    fn only_read_only_or_allowed_tools_run_and_destructive_ones_need_the_flag_too() {
        let ro = Annotations {
            read_only_hint: Some(true),
            ..Default::default()
        };
        let writes = Annotations {
            read_only_hint: Some(false),
            destructive_hint: Some(false),
            ..Default::default()
        };
        let destroys = Annotations {
            destructive_hint: Some(true),
            ..Default::default()
        };
        let set = ToolSet::new(vec![(
            "s".into(),
            vec![
                tool("read", Some(ro)),
                tool("write", Some(writes)),
                tool("destroy", Some(destroys)),
                tool("bare", None),
            ],
        )]);
        let t = |n: &str| set.by_name(n).unwrap();
        let none = Policy::default();
        assert!(none.permits(t("read")).is_ok());
        for n in ["write", "destroy", "bare"] {
            let why = none.permits(t(n)).unwrap_err();
            assert!(why.contains("mock it"), "{why}");
        }
        assert!(
            none.permits(t("bare"))
                .unwrap_err()
                .contains("no annotations")
        );
        // Each refusal says what would let the call run.
        assert!(
            none.permits(t("destroy"))
                .unwrap_err()
                .contains("list it in the eval's `allow_tools` and pass `--allow-destructive`")
        );
        assert!(
            none.permits(t("write"))
                .unwrap_err()
                .contains("is not annotated read-only")
        );
        let listed = Policy {
            allow: ["write", "destroy", "bare"].map(String::from).into(),
            allow_destructive: false,
        };
        assert!(listed.permits(t("write")).is_ok());
        assert!(listed.permits(t("bare")).is_ok());
        assert!(
            listed
                .permits(t("destroy"))
                .unwrap_err()
                .contains("besides `allow_tools` it needs `--allow-destructive`")
        );
        let flagged = Policy {
            allow_destructive: true,
            ..listed
        };
        assert!(flagged.permits(t("destroy")).is_ok());
        let flag_alone = Policy {
            allow_destructive: true,
            ..Policy::default()
        };
        assert!(flag_alone.permits(t("destroy")).is_err());
    }
}
