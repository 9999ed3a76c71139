//! Phase timings: the `--time` table on stderr and the key=value file `compare` reads back.

use nyash_mir::Timings;
use std::path::Path;
use std::time::Duration;

/// Which phases a command actually went through (the others print as `-`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Phases {
    pub codegen: bool,
    pub link: bool,
    pub run: bool,
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `--time` table. Front-end time is `parse` + `lower` + `passes`.
pub(crate) fn table(t: &Timings, phases: Phases) -> String {
    let rows: [(&str, Duration, bool); 5] = [
        ("parse", t.parse, true),
        ("lower+passes", t.lower + t.passes, true),
        ("codegen", t.codegen, phases.codegen),
        ("link", t.link, phases.link),
        ("run", t.run, phases.run),
    ];
    let mut out = String::from("phase              ms\n");
    let mut total = Duration::ZERO;
    for (name, d, present) in rows {
        if present {
            total += d;
            out.push_str(&format!("{name:<13}{:>9.2}\n", ms(d)));
        } else {
            out.push_str(&format!("{name:<13}{:>9}\n", "-"));
        }
    }
    out.push_str(&format!("{:<13}{:>9.2}\n", "total", ms(total)));
    out
}

/// Writes `parse=…`, `lower=…`, … in milliseconds, leaving out phases that did not happen.
/// Failures are ignored: the file is a side channel for `compare`, where a missing value
/// only shows as `-`.
pub(crate) fn write_file(path: &Path, t: &Timings, phases: Phases) {
    let mut text =
        format!("parse={:.3}\nlower={:.3}\npasses={:.3}\n", ms(t.parse), ms(t.lower), ms(t.passes));
    for (key, d, present) in [
        ("codegen", t.codegen, phases.codegen),
        ("link", t.link, phases.link),
        ("run", t.run, phases.run),
    ] {
        if present {
            text.push_str(&format!("{key}={:.3}\n", ms(d)));
        }
    }
    let _ = std::fs::write(path, text);
}

/// Reads a file written by [`write_file`]; `None` if there is none. A child that exited
/// from a runtime error wrote only its front-end times, so the later phases read as absent.
pub(crate) fn read_file(path: &Path) -> Option<(Timings, Phases)> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut t = Timings::default();
    let mut phases = Phases::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let Ok(v) = value.trim().parse::<f64>() else { continue };
        if !v.is_finite() || v < 0.0 {
            continue;
        }
        let d = Duration::from_secs_f64(v / 1000.0);
        match key.trim() {
            "parse" => t.parse = d,
            "lower" => t.lower = d,
            "passes" => t.passes = d,
            "codegen" => (t.codegen, phases.codegen) = (d, true),
            "link" => (t.link, phases.link) = (d, true),
            "run" => (t.run, phases.run) = (d, true),
            _ => {}
        }
    }
    Some((t, phases))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_round_trip() {
        let dir = std::env::temp_dir().join(format!("nyash-timings-{}", std::process::id()));
        let t = Timings {
            parse: Duration::from_micros(1500),
            codegen: Duration::from_millis(20),
            run: Duration::from_millis(7),
            ..Timings::default()
        };
        write_file(&dir, &t, Phases { codegen: true, link: false, run: true });
        let (back, phases) = read_file(&dir).expect("written");
        let _ = std::fs::remove_file(&dir);
        assert_eq!(back.parse, Duration::from_micros(1500));
        assert_eq!(back.codegen, Duration::from_millis(20));
        assert_eq!(back.run, Duration::from_millis(7));
        assert_eq!(back.link, Duration::ZERO);
        assert!(phases.codegen && phases.run && !phases.link);
    }

    #[test]
    fn table_marks_skipped_phases() {
        let text = table(&Timings::default(), Phases { codegen: true, link: false, run: true });
        assert!(text.lines().any(|l| l.starts_with("link") && l.ends_with('-')), "{text}");
        assert!(text.lines().any(|l| l.starts_with("total")), "{text}");
    }
}
