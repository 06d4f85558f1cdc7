//! The `regdoc` binary: the command line. Everything it does is the
//! library's; this crate only parses arguments, prints and picks the exit
//! status.

mod cli;

use clap::Parser;

fn main() {
    #[cfg(feature = "pdf")]
    regdoc::render::pdf::trace("process started");
    let cli = cli::Cli::parse();
    std::process::exit(cli::run(cli));
}
