//! The `regdoc` binary: everything lives in the library.

use clap::Parser;

fn main() {
    let cli = regdoc::cli::Cli::parse();
    std::process::exit(regdoc::cli::run(cli));
}
