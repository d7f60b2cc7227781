use std::path::Path;

use serde_json::json;

use super::*;
use crate::config::HostProfile;
use crate::mcp::ServerTool;

fn tool(name: &str, description: &str) -> ServerTool {
    ServerTool {
        name: name.into(),
        description: Some(description.into()),
        input_schema: json!({"type": "object", "properties": {"service": {"type": "string", "description": "The service."}}}),
        ..Default::default()
    }
}

fn server(name: &str, instructions: Option<&str>) -> ServerInfo {
    ServerInfo {
        name: name.into(),
        transport: "stdio".into(),
        target: "x".into(),
        server_name: None,
        server_version: None,
        protocol_version: None,
        tool_count: 0,
        instructions: instructions.map(str::to_owned),
        instructions_tokens: None,
        instructions_overridden: false,
        tool_tokens: None,
        restarts: 0,
    }
}

fn builtin(name: &str) -> HostProfile {
    HostProfile::resolve(name, Path::new(".")).unwrap()
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

fn demo() -> (ToolSet, Vec<ServerInfo>) {
    let set = ToolSet::new(vec![
        (
            "incident.io".into(),
            vec![
                tool("search_logs", "Search log lines of a service."),
                tool("admin.tools.list", "List the admin tools."),
            ],
        ),
        (
            "metrics".into(),
            vec![tool("get_metric", "Read one metric of a service.")],
        ),
    ]);
    let servers = vec![
        server("incident.io", Some("Use `search_logs` first.")),
        server("metrics", None),
    ];
    (set, servers)
}

fn names(p: &Presented) -> Vec<&str> {
    p.tools.tools.iter().map(|t| t.api_name.as_str()).collect()
}

#[test]
fn claude_code_names_tools_mcp_server_tool_and_defers_them_behind_tool_search() {
    let (set, servers) = demo();
    let p = present(&builtin("claude-code"), &set, &servers, &words);
    assert_eq!(
        names(&p),
        [
            "mcp__incident_io__search_logs",
            "mcp__incident_io__admin_tools_list",
            "mcp__metrics__get_metric"
        ]
    );
    // Scoring still knows each tool by the suite's name.
    assert_eq!(
        p.tools
            .by_api_name("mcp__metrics__get_metric")
            .unwrap()
            .name,
        "get_metric"
    );
    let search = p.search.as_ref().expect("deferred");
    assert_eq!(search.tool.api_name, "ToolSearch");
    let system = p.system.as_deref().unwrap();
    assert!(system.starts_with("# MCP Server Instructions"), "{system}");
    assert!(
        system.contains("## incident.io\nUse `search_logs` first."),
        "{system}"
    );
    assert!(
        system.contains("ToolSearch:\nmcp__incident_io__search_logs\n"),
        "{system}"
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
}

#[test]
fn copilot_cli_refuses_a_name_that_breaks_its_pattern_and_says_which() {
    let (set, servers) = demo();
    let p = present(&builtin("copilot-cli"), &set, &servers, &words);
    let refused: Vec<&str> = p.refusals().map(|f| f.message.as_str()).collect();
    // The server's name is passed through too: its dot breaks every name of it.
    assert_eq!(
        refused,
        [
            "`tools.0` would be refused by copilot-cli: name `incident.io-search_logs` does not match `^[a-zA-Z0-9_-]{1,128}$`",
            "`tools.1` would be refused by copilot-cli: name `incident.io-admin.tools.list` does not match `^[a-zA-Z0-9_-]{1,128}$`"
        ]
    );
    assert_eq!(names(&p), ["metrics-get_metric"]);
}

#[test]
fn vscode_cuts_long_names_at_64_and_lower_cases_a_short_server_prefix() {
    let set = ToolSet::new(vec![(
        "GitHub-Enterprise-Server".into(),
        vec![
            tool(&format!("list_{}", "x".repeat(80)), "d"),
            tool("get.me", "d"),
        ],
    )]);
    let p = present(&builtin("vscode"), &set, &[], &words);
    assert_eq!(p.tools.tools[1].api_name, "mcp_github-enterp_get_me");
    assert_eq!(p.tools.tools[0].api_name.len(), 64);
    assert_eq!(p.findings[0].effect, Effect::Truncated);
    assert_eq!(p.tools.tools.len(), 2);
}

#[test]
fn cursor_keeps_the_first_40_tools_and_drops_long_names() {
    let tools: Vec<ServerTool> = (0..45).map(|i| tool(&format!("tool_{i}"), "d")).collect();
    let mut long = tools.clone();
    long.insert(0, tool(&"y".repeat(60), "d"));
    let set = ToolSet::new(vec![("s".into(), long)]);
    let p = present(&builtin("cursor"), &set, &[], &words);
    assert_eq!(p.tools.tools.len(), 40);
    assert_eq!(p.tools.tools[0].api_name, "mcp_s_tool_0");
    let dropped: Vec<&str> = p
        .findings
        .iter()
        .filter(|f| f.effect == Effect::Dropped)
        .filter_map(|f| f.tool.as_deref())
        .collect();
    assert_eq!(dropped.len(), 6);
    assert_eq!(dropped[0], "y".repeat(60));
    assert_eq!(dropped[1], "tool_40");
    assert!(
        p.findings[0].message.contains("past its limit of 64"),
        "{:?}",
        p.findings[0]
    );
}

#[test]
fn instructions_go_where_the_profile_puts_them_cut_to_its_limit() {
    let (set, servers) = demo();
    let profile = HostProfile::parse(
        Path::new("ours.yaml"),
        "name: ours\ninstructions: {place: tool_description, template: '[{server}] {instructions}', max_chars: 10}\n",
    )
    .unwrap();
    let p = present(&profile, &set, &servers, &words);
    assert_eq!(
        p.tools.tools[0].description,
        "Search log lines of a service.\n\n[incident.io] Use `searc"
    );
    assert_eq!(
        p.tools.tools[2].description,
        "Read one metric of a service."
    );
    assert!(p.system.is_none());
    assert_eq!(p.findings[0].effect, Effect::InstructionsCut);
}

#[test]
fn auto_deferral_starts_at_the_share_of_the_context() {
    let (set, servers) = demo();
    let text = |share: f64| {
        format!(
            "name: auto\ndeferral:\n  mode: auto\n  auto_share: {share}\n  context_tokens: 1000\n  search: {{name: find, description: Find tools., input_schema: {{type: object}}, results: 2, ranking: bm25}}\n"
        )
    };
    let count = |t: &str| t.len();
    let total: usize = set.tools.iter().map(|t| t.definition().len()).sum();
    let below = (total as f64 - 1.0) / 1000.0;
    let at = total as f64 / 1000.0;
    let p = |share| {
        present(
            &HostProfile::parse(Path::new("a.yaml"), &text(share)).unwrap(),
            &set,
            &servers,
            &count,
        )
    };
    assert!(p(below).search.is_some());
    assert!(p(at).search.is_some());
    assert!(p(at + 0.01).search.is_none());
}

#[test]
fn searches_rank_select_and_say_what_they_loaded() {
    let (set, servers) = demo();
    let p = present(&builtin("claude-code"), &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    let a = s.answer(r#"{"query": "logs"}"#, &p.tools);
    assert_eq!(a.returned, [0]);
    assert_eq!(
        a.text,
        "Loaded 1 tool(s), callable from now on:\nmcp__incident_io__search_logs"
    );
    // A name part scores above a description word.
    let a = s.answer(r#"{"query": "metric service"}"#, &p.tools);
    assert_eq!(a.returned, [2, 0]);
    let a = s.answer(r#"{"query": "metric service", "max_results": 1}"#, &p.tools);
    assert_eq!(a.returned, [2]);
    let a = s.answer(r#"{"query": "+admin list"}"#, &p.tools);
    assert_eq!(a.returned, [1]);
    let a = s.answer(
        r#"{"query": "select:mcp__metrics__get_metric,search_logs,nope"}"#,
        &p.tools,
    );
    assert_eq!(a.returned, [2, 0]);
    let a = s.answer(r#"{"query": "weather"}"#, &p.tools);
    assert_eq!(a.text, "No matching deferred tools found");
    let a = s.answer(r#"{"q": "x"}"#, &p.tools);
    assert_eq!(
        a.error.as_deref(),
        Some("`ToolSearch` needs a `query` text")
    );
}

#[test]
fn a_regex_search_matches_names_and_descriptions_and_refuses_a_bad_pattern() {
    let (set, servers) = demo();
    let profile = HostProfile::parse(
        Path::new("r.yaml"),
        "name: r\ndeferral:\n  mode: always\n  search: {name: tool_search_tool_regex, description: Find tools., input_schema: {type: object}, query: pattern, results: 5, ranking: regex}\n",
    )
    .unwrap();
    let p = present(&profile, &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    assert_eq!(
        s.answer(r#"{"pattern": "METRIC|admin"}"#, &p.tools)
            .returned,
        [1, 2]
    );
    let bad = s.answer(r#"{"pattern": "("}"#, &p.tools);
    assert!(bad.returned.is_empty());
    assert!(
        bad.text
            .starts_with("Error: the query is not a valid regex"),
        "{}",
        bad.text
    );
}

#[test]
fn a_description_is_cut_only_past_the_limit_and_ends_with_the_suffix() {
    let at = "d".repeat(2048);
    let past = "e".repeat(2049);
    let set = ToolSet::new(vec![("s".into(), vec![tool("a", &at), tool("b", &past)])]);
    let p = present(&builtin("claude-code"), &set, &[], &words);
    assert_eq!(p.tools.tools[0].description, at);
    assert_eq!(
        p.tools.tools[1].description,
        format!("{}… [truncated]", "e".repeat(2048))
    );
    let cut: Vec<&str> = p
        .findings
        .iter()
        .filter(|f| f.effect == Effect::DescriptionCut)
        .filter_map(|f| f.tool.as_deref())
        .collect();
    assert_eq!(cut, ["b"]);
    assert_eq!(
        p.findings[0].message,
        "claude-code cuts the description of `b` from 2049 to 2048 characters"
    );
}

#[test]
fn each_effect_reads_as_a_verb_before_a_count_of_tools() {
    let verbs: Vec<&str> = [
        Effect::Dropped,
        Effect::Truncated,
        Effect::DescriptionCut,
        Effect::InstructionsCut,
        Effect::Refused,
    ]
    .iter()
    .map(|e| e.verb())
    .collect();
    assert_eq!(
        verbs,
        [
            "leaves out",
            "cuts the names of",
            "cuts the descriptions of",
            "cuts the instructions of the servers of",
            "would refuse the requests for"
        ]
    );
}

#[test]
fn a_name_at_the_length_limit_is_kept_as_it_is() {
    // `mcp_s_` and 58 characters: exactly VS Code's 64.
    let at = "t".repeat(58);
    let past = "u".repeat(59);
    let set = ToolSet::new(vec![("s".into(), vec![tool(&at, "d"), tool(&past, "d")])]);
    let p = present(&builtin("vscode"), &set, &[], &words);
    assert_eq!(p.tools.tools[0].api_name, format!("mcp_s_{at}"));
    assert_eq!(
        p.tools.tools[1].api_name,
        format!("mcp_s_{}", "u".repeat(58))
    );
    let cut: Vec<&str> = p
        .findings
        .iter()
        .filter_map(|f| f.tool.as_deref())
        .collect();
    assert_eq!(cut, [past.as_str()]);
}

#[test]
fn names_made_alike_by_a_host_are_told_apart_in_order() {
    // Cut at 64, three long names come out the same.
    let long = |c: char| tool(&format!("{}{c}", "x".repeat(70)), "d");
    let set = ToolSet::new(vec![("s".into(), vec![long('a'), long('b'), long('c')])]);
    let p = present(&builtin("vscode"), &set, &[], &words);
    // Each stays within the 64 characters, the suffix taking the name's last ones.
    let base = format!("mcp_s_{}", "x".repeat(58));
    let cut = format!("mcp_s_{}", "x".repeat(56));
    assert_eq!(names(&p), [base, format!("{cut}_2"), format!("{cut}_3")]);
}

#[test]
fn instructions_at_the_limit_are_kept_whole() {
    let set = ToolSet::new(vec![("s".into(), vec![tool("a", "d")])]);
    let text = "i".repeat(2048);
    let p = present(
        &builtin("claude-code"),
        &set,
        &[server("s", Some(&text))],
        &words,
    );
    assert!(
        p.system
            .as_deref()
            .unwrap()
            .contains(&format!("## s\n{text}\n"))
    );
    assert!(p.findings.is_empty(), "{:?}", p.findings);
    let p = present(
        &builtin("claude-code"),
        &set,
        &[server("s", Some(&format!("{text}j")))],
        &words,
    );
    assert!(!p.system.as_deref().unwrap().contains('j'));
    assert_eq!(p.findings[0].effect, Effect::InstructionsCut);
}

#[test]
fn only_the_search_tools_own_name_is_a_search() {
    let (set, servers) = demo();
    let p = present(&builtin("claude-code"), &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    assert!(s.is_search("ToolSearch"));
    assert!(!s.is_search("toolsearch"));
    assert!(!s.is_search("mcp__incident_io__search_logs"));
}

#[test]
fn keyword_scores_put_a_word_inside_a_name_above_one_in_a_description() {
    let set = ToolSet::new(vec![(
        "s".into(),
        vec![
            tool("fetch_tools", "Fetch."),
            tool("other", "A tool for tool things."),
        ],
    )]);
    let p = present(&builtin("claude-code"), &set, &[], &words);
    let s = p.search.as_ref().unwrap();
    // "tool" is inside the name part "tools" (6) of the first, in the second's description (2).
    assert_eq!(s.answer(r#"{"query": "tool"}"#, &p.tools).returned, [0, 1]);
    let (set, servers) = demo();
    let p = present(&builtin("claude-code"), &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    // `+word` keeps only names holding the word; a bare `+` is a word that matches nothing.
    assert_eq!(
        s.answer(r#"{"query": "+metric service"}"#, &p.tools)
            .returned,
        [2]
    );
    assert_eq!(s.answer(r#"{"query": "+ metric"}"#, &p.tools).returned, [2]);
}

#[test]
fn bm25_returns_only_tools_that_match_and_summaries_say_the_first_sentence() {
    let (set, servers) = demo();
    let profile = HostProfile::parse(
        Path::new("b.yaml"),
        "name: b\ndeferral:\n  mode: always\n  search: {name: find, description: Find tools., input_schema: {type: object}, results: 5, ranking: bm25, returns: summaries}\n",
    )
    .unwrap();
    let p = present(&profile, &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    let a = s.answer(r#"{"query": "metric"}"#, &p.tools);
    assert_eq!(a.returned, [2]);
    assert_eq!(
        a.text,
        "Loaded 1 tool(s), callable from now on:\nget_metric: Read one metric of a service."
    );
    let long = ToolSet::new(vec![(
        "s".into(),
        vec![tool(
            "get_metric",
            "Read one metric. Then more.\nAnd a second line.",
        )],
    )]);
    let p = present(&profile, &long, &[], &words);
    let a = p
        .search
        .as_ref()
        .unwrap()
        .answer(r#"{"query": "metric"}"#, &p.tools);
    assert_eq!(
        a.text,
        "Loaded 1 tool(s), callable from now on:\nget_metric: Read one metric."
    );
}

#[test]
fn a_regex_search_matches_a_description_alone_too() {
    let (set, servers) = demo();
    let profile = HostProfile::parse(
        Path::new("r.yaml"),
        "name: r\ndeferral:\n  mode: always\n  search: {name: find, description: Find tools., input_schema: {type: object}, results: 5, ranking: regex}\n",
    )
    .unwrap();
    let p = present(&profile, &set, &servers, &words);
    let s = p.search.as_ref().unwrap();
    assert_eq!(
        s.answer(r#"{"query": "log lines"}"#, &p.tools).returned,
        [0]
    );
}
