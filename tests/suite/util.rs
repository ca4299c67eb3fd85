//! Helpers every command-line suite shares: run the binary, read its streams.

use std::process::{Command, Output};

/// Run the `mbdrisk` binary built for these tests with `args`.
pub fn mbdrisk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mbdrisk"))
        .args(args)
        .output()
        .expect("run mbdrisk")
}

/// What a run wrote to stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What a run wrote to stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
