//! Judging an outcome against an expectation, and the failure report a reader needs:
//! expected vs actual stdout (as a line diff), exit code and stderr.

use crate::corpus::{normalize_stderr, Expectation};
use crate::exec::Outcome;

/// `Ok` when `actual` meets `expected`; otherwise a multi-line report.
pub fn judge(expected: &Expectation, actual: &Outcome) -> Result<(), String> {
    let stdout_ok = actual.stdout == expected.stdout;
    let exit_ok = actual.exit == Ok(expected.exit);
    let actual_stderr = normalize_stderr(&actual.stderr);
    let stderr_ok = expected.stderr.as_ref().is_none_or(|e| *e == actual_stderr);
    if stdout_ok && exit_ok && stderr_ok {
        return Ok(());
    }

    let mut report = String::new();
    if !exit_ok {
        let got = match &actual.exit {
            Ok(c) => c.to_string(),
            Err(e) => e.clone(),
        };
        report.push_str(&format!("exit code: expected {}, got {got}\n", expected.exit));
    }
    if !stdout_ok {
        report.push_str("stdout differs (- expected, + actual):\n");
        report.push_str(&line_diff(
            &String::from_utf8_lossy(&expected.stdout),
            &String::from_utf8_lossy(&actual.stdout),
        ));
    }
    match &expected.stderr {
        Some(e) if !stderr_ok => {
            report.push_str("stderr differs (- expected, + actual):\n");
            report.push_str(&line_diff(e, &actual_stderr));
        }
        // Not compared, but usually the explanation (a runtime error, an ICE).
        _ if !actual_stderr.is_empty() => {
            report.push_str("stderr (not compared):\n");
            for line in actual_stderr.lines().take(40) {
                report.push_str(&format!("  | {line}\n"));
            }
        }
        _ => {}
    }
    Err(report)
}

/// A compact diff: the common prefix is skipped (with two lines of context), then the rest of
/// each side is shown, capped so a runaway program does not flood the log.
pub fn line_diff(expected: &str, actual: &str) -> String {
    const CAP: usize = 30;
    let e: Vec<&str> = expected.split_inclusive('\n').collect();
    let a: Vec<&str> = actual.split_inclusive('\n').collect();
    let common = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut out = String::new();
    if common > 0 {
        out.push_str(&format!("  @@ first difference at line {} @@\n", common + 1));
    }
    for l in &e[common.saturating_sub(2)..common] {
        out.push_str(&format!("   {}\n", show(l)));
    }
    for (sign, side) in [('-', &e), ('+', &a)] {
        let rest = &side[common..];
        for l in rest.iter().take(CAP) {
            out.push_str(&format!("  {sign}{}\n", show(l)));
        }
        if rest.len() > CAP {
            out.push_str(&format!("  {sign}… ({} more lines)\n", rest.len() - CAP));
        }
    }
    out
}

/// One line without its newline; a missing final newline is marked.
fn show(line: &str) -> String {
    match line.strip_suffix('\n') {
        Some(l) => l.to_string(),
        None => format!("{line}\\ (no newline at end)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(stdout: &str, exit: i32, stderr: &str) -> Outcome {
        Outcome { stdout: stdout.into(), stderr: stderr.into(), exit: Ok(exit) }
    }

    #[test]
    fn stderr_is_ignored_unless_expected() {
        let e = Expectation { stdout: b"1\n".to_vec(), exit: 0, stderr: None };
        assert!(judge(&e, &outcome("1\n", 0, "warning: x\n")).is_ok());
        let e = Expectation { stderr: Some("boom\n".into()), ..e };
        assert!(judge(&e, &outcome("1\n", 0, "boom\r\n")).is_ok(), "\\r is ignored");
        assert!(judge(&e, &outcome("1\n", 0, "bang\n")).is_err());
    }

    #[test]
    fn report_names_what_differs() {
        let e = Expectation { stdout: b"a\nb\nc\n".to_vec(), exit: 0, stderr: None };
        let r = judge(&e, &outcome("a\nb\nX\n", 1, "error: oops\n")).unwrap_err();
        assert!(r.contains("exit code: expected 0, got 1"), "{r}");
        assert!(r.contains("-c") && r.contains("+X"), "{r}");
        assert!(r.contains("error: oops"), "{r}");
    }
}
