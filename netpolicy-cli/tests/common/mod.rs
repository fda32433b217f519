#![expect(clippy::panic, reason = "a binary that cannot start fails the test")]

//! What the binary's tests share.

use std::process::Command;

/// Runs the built `netpolicy` from the repository root without colour:
/// (exit code, stdout, stderr).
pub fn netpolicy(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_netpolicy"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run netpolicy: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
