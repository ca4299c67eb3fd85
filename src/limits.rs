//! Upper bounds on every count a user types, and on the size of what mbdrisk reads whole.
//!
//! Each bound is far above what a study needs and far below what would exhaust a workstation,
//! and it is checked before anything is allocated, so `--bootstrap 18446744073709551615` is a
//! usage error (exit 2), not an allocation abort. The bounds are documented in `docs/limits.md`
//! and in each flag's `--help`.

use crate::error::{Error, Result};

/// Bootstrap replicates (`--bootstrap`): rms users take 200-1,000.
pub const MAX_BOOTSTRAP: usize = 100_000;
/// `--calibrate-m`: largest average group size of the corrected calibration.
pub const MAX_GROUP_SIZE: usize = 10_000_000;
/// Folds of cross-validation (`--cv K`).
pub const MAX_CV_FOLDS: usize = 1_000;
/// Repeats of cross-validation (`--cv KxR`).
pub const MAX_CV_REPEATS: usize = 1_000;
/// Refits of cross-validation in all (`K x R`).
pub const MAX_CV_FITS: usize = 100_000;
/// Patients a simulation writes (`simulate --patients`).
pub const MAX_SIM_PATIENTS: usize = 10_000_000;
/// Landmark times (`--landmarks start:end:step`).
pub const MAX_LANDMARKS: usize = 1_000;
/// Rows per scoring batch (`score --batch-size`).
pub const MAX_BATCH_ROWS: usize = 10_000_000;
/// Size of a model file read whole (`--model`): a model holds aggregates only, a few kB.
pub const MAX_MODEL_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// Rows of a Parquet file read whole, and of one row group (`score` streams larger files one
/// row group at a time).
pub const MAX_PARQUET_ROWS: usize = 100_000_000;
/// Bytes of one decompressed Parquet page.
pub const MAX_PARQUET_PAGE_BYTES: usize = 1 << 30;
/// Characters of one SQL rule or trigger (`--rule`).
pub const MAX_RULE_CHARS: usize = 4_000;
/// `AND`/`OR` connectives in one rule: deeper expressions overflow the SQL engine's stack.
pub const MAX_RULE_CONNECTIVES: usize = 200;
/// Operator characters (`< > = + - * / % ! | &`) in one rule: each one nests the expression.
pub const MAX_RULE_OPERATORS: usize = 400;
/// Parenthesis depth of one rule.
pub const MAX_RULE_DEPTH: usize = 32;
/// Characters of a formula (`--formula`).
pub const MAX_FORMULA_CHARS: usize = 20_000;

/// Check `value` of the option `flag` against `1..=max` (or `0..=max` when `zero_ok`).
///
/// # Errors
/// [`Error::Usage`] naming the flag, the value and the bound.
pub fn check_count(flag: &str, value: usize, max: usize, zero_ok: bool) -> Result<()> {
    if value > max {
        return Err(Error::Usage(format!(
            "{flag} {value}: at most {max} (an upper bound that protects memory; see docs/limits.md)"
        )));
    }
    if value == 0 && !zero_ok {
        return Err(Error::Usage(format!("{flag} 0: expected at least 1")));
    }
    Ok(())
}

/// Parse a count typed on the command line (`flag` names it in messages), bounded by `max`.
///
/// # Errors
/// [`Error::Usage`] for text that is not a whole number, or one outside `0..=max`
/// (`1..=max` unless `zero_ok`).
pub fn parse_count(flag: &str, text: &str, max: usize, zero_ok: bool) -> Result<usize> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        match t.parse::<usize>() {
            Ok(v) => {
                check_count(flag, v, max, zero_ok)?;
                Ok(v)
            }
            Err(_) => Err(Error::Usage(format!(
                "{flag} {t}: at most {max} (an upper bound that protects memory; see docs/limits.md)"
            ))),
        }
    } else {
        Err(Error::Usage(format!(
            "{flag} '{text}': expected a whole number from {} to {max}",
            usize::from(!zero_ok)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_bounded_before_use() {
        assert_eq!(
            parse_count("--bootstrap", "200", MAX_BOOTSTRAP, true).ok(),
            Some(200)
        );
        for bad in [
            "18446744073709551615",
            "99999999999999999999999",
            "100001",
            "-1",
            "1e3",
            "",
        ] {
            let e = parse_count("--bootstrap", bad, MAX_BOOTSTRAP, true).expect_err(bad);
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().contains("--bootstrap"), "{e}");
        }
        assert!(parse_count("--patients", "0", MAX_SIM_PATIENTS, false).is_err());
    }
}
