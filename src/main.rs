use clap::Parser;
use hostctl::error::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hostctl::cli::Cli::parse();
    init_diagnostics(cli.verbose);
    // As typed, to check what follows `run`'s command (clap has already read it).
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into())
        .collect();
    let checked = hostctl::cli::refuse_misplaced_options(&cli, &argv).map_err(Error::from);
    match checked.and_then(|()| hostctl::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.code())
        }
    }
}

/// Diagnostics (not the audit log) go to stderr; `-v`/`-vv` or RUST_LOG choose how much.
fn init_diagnostics(verbose: u8) {
    let default = ["warn", "info", "debug"][usize::from(verbose.min(2))];
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("hostctl={default}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a terminal: logs captured by scripts and CI stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}
