//! One resampling engine for every internal validation (the idea of rms `predab.resample`):
//! it takes a `fit` closure (rows -> fitted pipeline) and a `measure` closure (fitted
//! pipeline, rows -> named indices) and knows nothing about models.
//!
//! Reproducibility: replicate `b` draws its rows from its own ChaCha stream
//! (`seed`, stream `b + 1`), replicates run in parallel and are collected in order, and the
//! averages are summed in replicate order, so results are identical at any thread count.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Result of bootstrap optimism estimation (rms `validate`, method "boot").
#[derive(Debug, Clone, serde::Serialize)]
pub struct Optimism {
    /// Index names, in the order of the vectors below.
    pub names: Vec<String>,
    /// Indices of the fit on all rows, measured on all rows.
    pub apparent: Vec<f64>,
    /// Mean over replicates of (index on the bootstrap sample - index on the original rows).
    pub optimism: Vec<f64>,
    /// `apparent - optimism`.
    pub corrected: Vec<f64>,
    /// Replicates asked for.
    pub requested: usize,
    /// Replicates whose refit succeeded (failed refits are skipped, as rms does).
    pub used: usize,
    /// Per index, the replicates in which it was measured on both the training and the
    /// test rows (a NaN index in a replicate is left out of its mean, as rms does).
    pub measured: Vec<usize>,
}

/// Mean test-fold indices of repeated K-fold cross-validation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CrossValidated {
    /// Index names.
    pub names: Vec<String>,
    /// Mean over all folds of all repeats of the index on the held-out fold.
    pub mean: Vec<f64>,
    /// Folds.
    pub folds: usize,
    /// Repeats.
    pub repeats: usize,
    /// Folds whose fit succeeded.
    pub used: usize,
    /// Per repeat, the out-of-fold prediction of every row (NaN where its fold's fit
    /// failed): the pooled predictions that calibration is judged on.
    pub pooled: Vec<Vec<f64>>,
}

/// Bootstrap optimism correction.
///
/// `fit(rows)` refits the model on the given row indices (repeats allowed; `validate_model`
/// refits the coefficients on the model's fixed design, as `rms::validate` does); `measure(fitted, rows)` returns the indices named `names` for those rows.
/// `progress` is called once per finished replicate (for a progress bar).
///
/// Replicate `b` (0-based) draws `n` rows with `gen_range(0..n)` from
/// `ChaCha8Rng::seed_from_u64(seed)` on stream `b + 1`; the rest is
/// [`optimism_from_indices`] (one code path).
///
/// # Errors
/// When the fit on all rows fails, or fewer than half of the replicates could be refitted.
pub fn bootstrap_optimism<T, F, M>(
    n: usize,
    names: &[&str],
    replicates: usize,
    seed: u64,
    fit: F,
    measure: M,
    progress: &(dyn Fn() + Sync),
) -> Result<Optimism>
where
    T: Send,
    F: Fn(&[usize]) -> Result<T> + Sync,
    M: Fn(&T, &[usize]) -> Result<Vec<f64>> + Sync,
{
    crate::limits::check_count(
        "--bootstrap",
        replicates,
        crate::limits::MAX_BOOTSTRAP,
        true,
    )?;
    let draw = |b: usize| crate::stats::resample_indices(n, seed, b as u64 + 1);
    optimism_over(n, names, replicates, draw, fit, measure, progress)
}

/// Bootstrap optimism over given resamples: `indices[b]` are the rows (0-based, `< n`,
/// repeats allowed) of replicate `b`. For replaying another implementation's resamples
/// (e.g. the `sample(n, replace = TRUE)` draws of rms `predab.resample`, minus 1); see
/// [`bootstrap_optimism`] for `fit` and `measure`.
///
/// # Errors
/// A row index `>= n`; the fit on all rows fails; fewer than half of the replicates could be
/// refitted.
pub fn optimism_from_indices<T, F, M>(
    n: usize,
    names: &[&str],
    indices: &[Vec<usize>],
    fit: F,
    measure: M,
) -> Result<Optimism>
where
    T: Send,
    F: Fn(&[usize]) -> Result<T> + Sync,
    M: Fn(&T, &[usize]) -> Result<Vec<f64>> + Sync,
{
    if let Some((b, i)) = indices
        .iter()
        .enumerate()
        .find_map(|(b, v)| v.iter().find(|&&i| i >= n).map(|&i| (b, i)))
    {
        return Err(Error::Usage(format!(
            "bootstrap replicate {}: row index {i} is out of range for {n} rows (indices are 0-based)",
            b + 1
        )));
    }
    optimism_over(
        n,
        names,
        indices.len(),
        |b| indices[b].clone(),
        fit,
        measure,
        &|| {},
    )
}

/// The one replicate loop: `draw(b)` gives the rows of replicate `b`. Replicates run in
/// parallel, are collected in order and averaged in replicate order (thread-count invariant).
///
/// # Errors
/// When the fit on all rows fails, or fewer than half of the replicates could be refitted.
pub fn optimism_over<T, D, F, M>(
    n: usize,
    names: &[&str],
    replicates: usize,
    draw: D,
    fit: F,
    measure: M,
    progress: &(dyn Fn() + Sync),
) -> Result<Optimism>
where
    T: Send,
    D: Fn(usize) -> Vec<usize> + Sync,
    F: Fn(&[usize]) -> Result<T> + Sync,
    M: Fn(&T, &[usize]) -> Result<Vec<f64>> + Sync,
{
    let all: Vec<usize> = (0..n).collect();
    let full = fit(&all)?;
    let apparent = measure(&full, &all)?;
    let diffs: Vec<Option<Vec<f64>>> = (0..replicates)
        .into_par_iter()
        .map(|b| {
            let idx = draw(b);
            let out = fit(&idx).ok().and_then(|f| {
                let train = measure(&f, &idx).ok()?;
                let test = measure(&f, &all).ok()?;
                Some(train.iter().zip(&test).map(|(a, b)| a - b).collect())
            });
            progress();
            out
        })
        .collect();
    let ok: Vec<&Vec<f64>> = diffs.iter().flatten().collect();
    if replicates > 0 && ok.len() * 2 < replicates {
        return Err(Error::Analysis(format!(
            "bootstrap validation: only {} of {replicates} refits succeeded; the model is unstable on resamples (try a penalty or fewer terms)",
            ok.len()
        )));
    }
    // per index, the mean over the replicates where it could be measured on both the
    // training and the test rows (rms predab.resample: NA differences are left out)
    let k = apparent.len();
    let (optimism, measured): (Vec<f64>, Vec<usize>) = (0..k)
        .map(|j| {
            let (sum, count) = ok
                .iter()
                .map(|d| d[j])
                .filter(|v| !v.is_nan())
                .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            if ok.is_empty() {
                (0.0, 0)
            } else if count == 0 {
                (f64::NAN, 0)
            } else {
                (sum / count as f64, count)
            }
        })
        .unzip();
    let corrected = apparent.iter().zip(&optimism).map(|(a, o)| a - o).collect();
    Ok(Optimism {
        names: names.iter().map(|s| s.to_string()).collect(),
        apparent,
        optimism,
        corrected,
        requested: replicates,
        used: ok.len(),
        measured,
    })
}

/// Stratified fold assignment: rows of each outcome class are shuffled and dealt round-robin
/// into `k` folds, so every fold has (nearly) the same event rate.
pub fn stratified_folds(y: &[bool], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut fold = vec![0; y.len()];
    let mut offset = 0;
    for class in [true, false] {
        let mut rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == class).collect();
        rows.shuffle(rng);
        for (j, &i) in rows.iter().enumerate() {
            fold[i] = (j + offset) % k;
        }
        offset += rows.len();
    }
    fold
}

/// How to cross-validate: `folds` x `repeats`, seeded.
#[derive(Debug, Clone, Copy)]
pub struct CvPlan {
    /// Number of folds K.
    pub folds: usize,
    /// Number of repeats R (each with a new fold assignment).
    pub repeats: usize,
    /// Seed: repeat r uses ChaCha stream r + 1.
    pub seed: u64,
}

/// Repeated stratified K-fold cross-validation.
///
/// # Errors
/// When `k < 2`, there are fewer rows of a class than folds, or no fold could be fitted.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate<T, F, M, P>(
    y: &[bool],
    names: &[&str],
    plan: CvPlan,
    fit: F,
    measure: M,
    predict: P,
    progress: &(dyn Fn() + Sync),
) -> Result<CrossValidated>
where
    T: Send,
    F: Fn(&[usize]) -> Result<T> + Sync,
    M: Fn(&T, &[usize]) -> Result<Vec<f64>> + Sync,
    P: Fn(&T, &[usize]) -> Vec<f64> + Sync,
{
    let CvPlan {
        folds,
        repeats,
        seed,
    } = plan;
    use crate::limits::{check_count, MAX_CV_FITS, MAX_CV_FOLDS, MAX_CV_REPEATS};
    check_count("--cv folds", folds, MAX_CV_FOLDS, false)?;
    check_count("--cv repeats", repeats, MAX_CV_REPEATS, false)?;
    check_count("--cv folds x repeats", folds * repeats, MAX_CV_FITS, false)?;
    let events = y.iter().filter(|v| **v).count();
    let minority = events.min(y.len() - events);
    if folds < 2 || minority < folds {
        return Err(Error::Usage(format!(
            "--cv {folds}: need at least 2 folds and at least one event and non-event per fold (smaller class has {minority} rows)"
        )));
    }
    let jobs: Vec<(usize, usize)> = (0..repeats)
        .flat_map(|r| (0..folds).map(move |f| (r, f)))
        .collect();
    let assignments: Vec<Vec<usize>> = (0..repeats)
        .map(|r| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(r as u64 + 1);
            stratified_folds(y, folds, &mut rng)
        })
        .collect();
    type FoldResult = Option<(Vec<f64>, Vec<usize>, Vec<f64>)>;
    let results: Vec<FoldResult> = jobs
        .par_iter()
        .map(|&(r, f)| {
            let a = &assignments[r];
            let train: Vec<usize> = (0..y.len()).filter(|&i| a[i] != f).collect();
            let test: Vec<usize> = (0..y.len()).filter(|&i| a[i] == f).collect();
            let out = fit(&train).ok().and_then(|m| {
                let metrics = measure(&m, &test).ok()?;
                let held_out = predict(&m, &test);
                Some((metrics, test, held_out))
            });
            progress();
            out
        })
        .collect();
    let mut pooled = vec![vec![f64::NAN; y.len()]; repeats];
    for (&(r, _), res) in jobs.iter().zip(&results) {
        if let Some((_, test, p)) = res {
            for (&i, &v) in test.iter().zip(p) {
                pooled[r][i] = v;
            }
        }
    }
    let ok: Vec<&Vec<f64>> = results.iter().flatten().map(|(m, _, _)| m).collect();
    if ok.is_empty() {
        return Err(Error::Analysis(
            "cross-validation: no fold could be fitted".into(),
        ));
    }
    let k = ok[0].len();
    let mean = (0..k)
        .map(|j| ok.iter().map(|v| v[j]).sum::<f64>() / ok.len() as f64)
        .collect();
    Ok(CrossValidated {
        names: names.iter().map(|s| s.to_string()).collect(),
        mean,
        folds,
        repeats,
        used: ok.len(),
        pooled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A "model" that predicts the training mean: optimism of the mean squared error is known
    /// to be positive-free of bias in expectation, and the engine must be deterministic.
    #[test]
    fn bootstrap_is_deterministic_and_counts_replicates() {
        let y: Vec<f64> = (0..50).map(|i| ((i * 37) % 11) as f64).collect();
        let fit = |rows: &[usize]| -> Result<f64> {
            Ok(rows.iter().map(|&i| y[i]).sum::<f64>() / rows.len() as f64)
        };
        let measure = |m: &f64, rows: &[usize]| -> Result<Vec<f64>> {
            Ok(vec![
                rows.iter().map(|&i| (y[i] - m).powi(2)).sum::<f64>() / rows.len() as f64,
            ])
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool")
                .install(|| bootstrap_optimism(50, &["mse"], 40, 3, fit, measure, &|| {}))
                .expect("boot")
        };
        let a = run(1);
        let b = run(2);
        assert_eq!(a.optimism, b.optimism);
        assert_eq!(a.used, 40);
        // Training MSE is below test MSE on average: optimism (train - test) is negative.
        assert!(a.optimism[0] < 0.0);
        assert!(a.corrected[0] > a.apparent[0]);
    }

    /// `optimism_from_indices` with the engine's own draws gives bit-identical results, and
    /// rejects an out-of-range row.
    #[test]
    fn explicit_indices_replay_the_bootstrap() {
        let y: Vec<f64> = (0..30).map(|i| ((i * 13) % 7) as f64).collect();
        let fit = |rows: &[usize]| -> Result<f64> {
            Ok(rows.iter().map(|&i| y[i]).sum::<f64>() / rows.len() as f64)
        };
        let measure = |m: &f64, rows: &[usize]| -> Result<Vec<f64>> {
            Ok(vec![
                rows.iter().map(|&i| (y[i] - m).powi(2)).sum::<f64>() / rows.len() as f64,
            ])
        };
        let boot = bootstrap_optimism(30, &["mse"], 25, 11, fit, measure, &|| {}).expect("boot");
        let indices: Vec<Vec<usize>> = (0..25)
            .map(|b| crate::stats::resample_indices(30, 11, b as u64 + 1))
            .collect();
        let replay = optimism_from_indices(30, &["mse"], &indices, fit, measure).expect("replay");
        assert_eq!(boot.apparent, replay.apparent);
        assert_eq!(boot.optimism, replay.optimism);
        assert_eq!((replay.requested, replay.used), (25, 25));
        let bad = vec![vec![0, 30]];
        let e = optimism_from_indices(30, &["mse"], &bad, fit, measure).expect_err("index 30");
        assert!(e.to_string().contains("row index 30"), "{e}");
    }

    #[test]
    fn folds_are_stratified() {
        let y: Vec<bool> = (0..100).map(|i| i % 5 == 0).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let f = stratified_folds(&y, 5, &mut rng);
        for k in 0..5 {
            let ev = (0..100).filter(|&i| f[i] == k && y[i]).count();
            let n = (0..100).filter(|&i| f[i] == k).count();
            assert_eq!((ev, n), (4, 20));
        }
    }

    #[test]
    fn pooled_predictions_come_from_each_rows_own_held_out_fold() {
        let y: Vec<bool> = (0..40).map(|i| i % 4 == 0).collect();
        // the "model" is its training rows; it predicts, for a held-out row, how many
        // training rows share its parity: a value only the right fold's model gives
        let cv = cross_validate(
            &y,
            &["x"],
            CvPlan {
                folds: 5,
                repeats: 2,
                seed: 3,
            },
            |train: &[usize]| -> Result<Vec<usize>> { Ok(train.to_vec()) },
            |_m: &Vec<usize>, _r: &[usize]| -> Result<Vec<f64>> { Ok(vec![0.0]) },
            |m: &Vec<usize>, test: &[usize]| {
                test.iter()
                    .map(|&i| {
                        assert!(
                            !m.contains(&i),
                            "row {i} predicted by a model trained on it"
                        );
                        m.iter().filter(|&&j| j % 2 == i % 2).count() as f64
                    })
                    .collect()
            },
            &|| {},
        )
        .expect("cv");
        assert_eq!(cv.pooled.len(), 2);
        for pooled in &cv.pooled {
            assert!(
                pooled.iter().all(|p| p.is_finite() && *p > 0.0),
                "{pooled:?}"
            );
        }
    }

    #[test]
    fn rejects_too_many_folds() {
        let y = [true, false, false, false];
        let e = cross_validate(
            &y,
            &["x"],
            CvPlan {
                folds: 2,
                repeats: 1,
                seed: 1,
            },
            |_r: &[usize]| -> Result<()> { Ok(()) },
            |_m: &(), _r: &[usize]| -> Result<Vec<f64>> { Ok(vec![0.0]) },
            |_m: &(), r: &[usize]| vec![0.0; r.len()],
            &|| {},
        )
        .expect_err("one event for two folds");
        assert!(e.to_string().contains("--cv 2"), "{e}");
    }
}
