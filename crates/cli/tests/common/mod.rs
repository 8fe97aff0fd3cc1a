//! What the CLI's test binaries share: the fuzz and soak report.

use std::io::Write;
use std::path::Path;

/// Appends "fuzz TARGET: N inputs, 0 panics" to `fuzz-report.txt` in cargo's test scratch
/// directory; scripts/test.sh prints the file after the run. Called once a target has tried
/// all its inputs without a panic or a server error.
pub fn report(target: &str, inputs: usize) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-report.txt");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).expect("fuzz report opens");
    writeln!(file, "fuzz {target}: {inputs} inputs, 0 panics").expect("fuzz report written");
}
