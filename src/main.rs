//! The `docklab` binary: hands the command line to `docklab::cli` and exits with its status.

fn main() -> std::process::ExitCode {
    docklab::cli::main()
}
