//! The `mbdrisk` command: parse flags, call the library, map errors to exit codes.

/// `eprintln!` that ignores a closed or full stderr: messages are for a reader, and a run must
/// not stop (or panic) because nobody reads them.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod cli;

use clap::Parser;

fn main() {
    quiet_dependency_panics();
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        if let mbdrisk::Error::Io { source, .. } = &e {
            if source.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
        // stderr may be closed too: the exit code still tells
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "error: {e}");
        std::process::exit(e.exit_code());
    }
}

/// A panic inside polars (its Parquet decoder on a damaged file, its SQL engine on a strange
/// rule) is caught by the library and reported as an input error naming the file or rule; the
/// engine's own panic message would only bury that message, so it is not printed. Any other
/// panic is a bug of mbdrisk and is printed as usual.
fn quiet_dependency_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // print!/println! panic when stdout is gone: a closed pipe (`| head`) is a normal end,
        // a full disk an I/O error; neither is a crash
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stderr") {
            // nobody reads the messages (stderr closed): the run goes on without them where
            // it can; here it ends, as a closed output ends it
            std::process::exit(if message.contains("Broken pipe") {
                0
            } else {
                2
            });
        }
        if message.starts_with("failed printing to stdout") {
            if message.contains("Broken pipe") {
                std::process::exit(0);
            }
            note!("error: cannot write to standard output ({message})");
            std::process::exit(2);
        }
        let in_polars = info
            .location()
            .is_some_and(|l| l.file().contains("/polars-"));
        if !in_polars {
            default(info);
        }
    }));
}
