//! The one filter table of every snapshot, the end-to-end tests' and the renderers' unit tests'
//! alike (`src/report/tests.rs` includes this file).

/// The one filter table of every snapshot: what changes from run to run or machine to machine
/// (temporary paths, ports, times, versions, hashes) is replaced by a name in brackets.
pub fn snapshot_filters() -> Vec<(String, String)> {
    vec![
        (
            regex::escape(&std::env::temp_dir().to_string_lossy()),
            "[TMP]".to_owned(),
        ),
        (r"\.tmp[A-Za-z0-9]{6}".to_owned(), "[TMPNAME]".to_owned()),
        // Ephemeral ports; fixed ports that files name stay.
        (
            r"127\.0\.0\.1:[1-6]\d{4}\b".to_owned(),
            "127.0.0.1:[PORT]".to_owned(),
        ),
        (
            r"\btooleval \d+\.\d+\.\d+(-[0-9A-Za-z.]+)?".to_owned(),
            "tooleval [VERSION]".to_owned(),
        ),
        (r#"time="[0-9.]+""#.to_owned(), r#"time="[t]""#.to_owned()),
        (
            r#"timestamp="[^"]+""#.to_owned(),
            r#"timestamp="[ts]""#.to_owned(),
        ),
        (r"(?m)^report: .*".to_owned(), "report: [path]".to_owned()),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)".to_owned(),
            "[time]".to_owned(),
        ),
        (
            r#""version": "\d+\.\d+\.\d+[^"]*""#.to_owned(),
            r#""version": "[version]""#.to_owned(),
        ),
    ]
}
