use clap::Parser as _;

fn main() {
    let cli = tooleval::cli::Cli::parse();
    std::process::exit(tooleval::main_with(cli));
}
