//! docs/deploy.md against what it documents: its table lists every setting as the binary
//! reads it, and its nginx config and systemd unit are the files under deploy/, byte for
//! byte, so an operator who copies from the page runs what the tests ran.

use std::path::Path;

use clap::CommandFactory;

use concierge::cli::Cli;

fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

/// One row of the settings table: the cells without their backquotes, and the flag and
/// variable without what follows them (`--listen ADDR` → `listen`, `…=true` → `…`).
struct Row {
    flag: String,
    env: String,
    toml: String,
    default: String,
    meaning: String,
}

fn settings_table() -> Vec<Row> {
    let doc = repo_file("docs/deploy.md");
    let section = doc.split_once("\n## Every setting\n").expect("docs/deploy.md has a section \"Every setting\"").1;
    let section = section.split("\n## ").next().unwrap_or(section);
    let bare = |cell: &str| cell.trim().trim_matches('`').to_owned();
    section
        .lines()
        .filter(|line| line.starts_with("| `--"))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
            assert_eq!(cells.len(), 5, "a row of five cells: {line}");
            let flag = bare(cells[0]);
            let flag = flag.trim_start_matches("--").split(' ').next().unwrap_or_default().to_owned();
            let env = bare(cells[1]).split('=').next().unwrap_or_default().to_owned();
            Row { flag, env, toml: bare(cells[2]), default: bare(cells[3]), meaning: bare(cells[4]) }
        })
        .collect()
}

#[test]
fn every_setting_is_in_the_table_with_its_flag_variable_and_key() {
    let keys = concierge::config::keys();
    assert!(keys.iter().any(|k| k == "listen"), "the keys are read: {keys:?}");
    let rows = settings_table();
    for key in &keys {
        let row = rows.iter().find(|r| &r.toml == key).unwrap_or_else(|| panic!("docs/deploy.md lists no `{key}`"));
        assert_eq!(row.flag, key.replace('_', "-"), "the flag of `{key}`");
        assert_eq!(row.env, format!("CONCIERGE_{}", key.to_ascii_uppercase()), "the variable of `{key}`");
        assert!(!row.default.is_empty() && !row.meaning.is_empty(), "`{key}` has a default and a meaning");
    }
    for row in &rows {
        assert!(
            row.toml == "—" || keys.contains(&row.toml),
            "docs/deploy.md lists `{}`, which is not a setting (keys: {keys:?})",
            row.toml
        );
    }
}

#[test]
fn every_flag_in_the_table_is_a_flag_of_serve() {
    let mut cli = Cli::command();
    cli.build();
    let serve = cli.find_subcommand("serve").expect("a serve command");
    for row in settings_table() {
        assert!(
            serve.get_arguments().any(|a| a.get_long() == Some(row.flag.as_str())),
            "docs/deploy.md lists --{}, which `concierge serve` does not take",
            row.flag
        );
    }
}

/// The fenced block right after the HTML comment that names `file`.
fn block_after_marker(doc: &str, file: &str) -> String {
    let marker = format!("<!-- {file}:");
    let after = doc.split_once(&marker).unwrap_or_else(|| panic!("docs/deploy.md has no {marker} comment")).1;
    let (_, fenced) = after.split_once("\n```").expect("a fenced block after the comment");
    let (_, body) = fenced.split_once('\n').expect("the fence's first line");
    let end = body.find("\n```\n").expect("the closing fence");
    body[..=end].to_owned()
}

#[test]
fn the_nginx_config_and_the_systemd_unit_on_the_page_are_the_files() {
    let doc = repo_file("docs/deploy.md");
    for file in ["deploy/nginx/concierge.conf", "deploy/systemd/concierge.service"] {
        let on_page = block_after_marker(&doc, file);
        let committed = repo_file(file);
        assert!(
            on_page == committed,
            "docs/deploy.md's copy of {file} differs from the file; first differing line: {:?}",
            on_page.lines().zip(committed.lines()).find(|(a, b)| a != b)
        );
    }
}
