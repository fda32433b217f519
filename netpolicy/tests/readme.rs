//! The README's Rust example runs as written: it is
//! `examples/readme/code.rs`, and this test runs that file's `main` in a
//! folder holding a `network.json`.

mod example {
    include!("../examples/readme/code.rs");

    pub(crate) fn run() -> miette::Result<()> {
        main()
    }
}

#[test]
fn the_readme_shows_the_example_file() {
    let readme = include_str!("../../README.md");
    let code = include_str!("../examples/readme/code.rs");
    let block = format!("```rust,no_run\n{code}```");
    assert!(
        readme.contains(&block),
        "README.md's Rust example must be examples/readme/code.rs as written:\n{block}"
    );
}

#[test]
fn the_readme_example_runs() {
    let dir = std::env::temp_dir().join(format!("netpolicy-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/cloudformation/inspector-reachability-workshop.json"
    );
    std::fs::copy(template, dir.join("network.json")).unwrap();
    // No other test of this binary reads files at run time.
    std::env::set_current_dir(&dir).unwrap();
    example::run().unwrap();
}
