//! The `mbdrisk` command: parse flags, call the library, map errors to exit codes.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        if let mbdrisk::Error::Io { source, .. } = &e {
            if source.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
