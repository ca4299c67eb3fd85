//! Small dense symmetric algebra for the q x q information matrix (q = columns + 1 <= ~200).
//!
//! Everything works on the *diagonally scaled* matrix `S A S` with `S = diag(1 / sqrt(A_jj))`
//! (unit diagonal): the pivots of its Cholesky factor are then `1 - R^2_j`, the share of column
//! `j` (in the information metric) not explained by the columns before it, which makes one
//! tolerance meaningful for every column scale, and the factorisation as accurate as the
//! problem allows.

// Dense triangular algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

/// Scaled pivot below which a column counts as a linear combination of the columns before it
/// (`1 - R^2 <= 1e-10`, i.e. a variance inflation factor above 1e10). Exact dependencies in
/// double precision give pivots around 1e-15; real designs, once centred (the engine centres
/// every column), stay far above 1e-10.
pub(crate) const PIVOT_TOL: f64 = 1e-10;

/// Full symmetric q x q matrix, row-major, built from an accumulator that filled the upper
/// triangle of a `stride` x `stride` buffer.
pub(crate) fn symmetric_from_upper(upper: &[f64], stride: usize, q: usize) -> Vec<f64> {
    let mut a = vec![0.0; q * q];
    for j in 0..q {
        for k in j..q {
            let v = upper[j * stride + k];
            a[j * q + k] = v;
            a[k * q + j] = v;
        }
    }
    a
}

/// Cholesky factor `S A S = L L'` of a symmetric positive definite matrix.
#[derive(Debug, Clone)]
pub(crate) struct Cholesky {
    q: usize,
    /// Lower triangle, row-major q x q.
    l: Vec<f64>,
    /// `1 / sqrt(A_jj)`.
    scale: Vec<f64>,
    /// `sum(log A_jj)`, to undo the scaling in the log-determinant.
    log_diag: f64,
}

/// Why a factorisation failed: the first column whose scaled pivot fell below the tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NotPositiveDefinite {
    pub column: usize,
}

impl Cholesky {
    /// Factorise `a` (full symmetric q x q, row-major); fails at the first column whose scaled
    /// pivot is `<= PIVOT_TOL` (or that has a zero or non-finite diagonal).
    pub(crate) fn new(a: &[f64], q: usize) -> Result<Cholesky, NotPositiveDefinite> {
        let scale = diagonal_scale(a, q).map_err(|column| NotPositiveDefinite { column })?;
        let log_diag = (0..q).map(|j| a[j * q + j].ln()).sum();
        let mut l = vec![0.0; q * q];
        for j in 0..q {
            for i in j..q {
                let mut s = a[i * q + j] * scale[i] * scale[j];
                for k in 0..j {
                    s -= l[i * q + k] * l[j * q + k];
                }
                if i == j {
                    if s.is_nan() || s <= PIVOT_TOL {
                        return Err(NotPositiveDefinite { column: j });
                    }
                    l[j * q + j] = s.sqrt();
                } else {
                    l[i * q + j] = s / l[j * q + j];
                }
            }
        }
        Ok(Cholesky {
            q,
            l,
            scale,
            log_diag,
        })
    }

    /// Dimension q.
    pub(crate) fn dim(&self) -> usize {
        self.q
    }

    /// Solve `A x = b`.
    pub(crate) fn solve(&self, b: &[f64]) -> Vec<f64> {
        let mut z: Vec<f64> = b.iter().zip(&self.scale).map(|(v, s)| v * s).collect();
        self.forward(&mut z);
        self.backward(&mut z);
        z.iter_mut().zip(&self.scale).for_each(|(v, s)| *v *= s);
        z
    }

    /// `A^-1` as a full symmetric q x q row-major matrix.
    pub(crate) fn inverse(&self) -> Vec<f64> {
        let q = self.q;
        let mut inv = vec![0.0; q * q];
        let mut e = vec![0.0; q];
        for c in 0..q {
            e.iter_mut().for_each(|v| *v = 0.0);
            e[c] = 1.0;
            self.forward(&mut e);
            self.backward(&mut e);
            for r in 0..q {
                inv[r * q + c] = e[r] * self.scale[r] * self.scale[c];
            }
        }
        // Symmetrise exactly (the two triangles differ in the last bits).
        for r in 0..q {
            for c in r + 1..q {
                let v = 0.5 * (inv[r * q + c] + inv[c * q + r]);
                inv[r * q + c] = v;
                inv[c * q + r] = v;
            }
        }
        inv
    }

    /// `log det A`.
    pub(crate) fn log_det(&self) -> f64 {
        let q = self.q;
        2.0 * (0..q).map(|j| self.l[j * q + j].ln()).sum::<f64>() + self.log_diag
    }

    /// The factor `L` of the scaled matrix (lower, row-major) and the scale `S`, for kernels
    /// that need `L^-1 S x` per row (hat values).
    pub(crate) fn parts(&self) -> (&[f64], &[f64]) {
        (&self.l, &self.scale)
    }

    fn forward(&self, z: &mut [f64]) {
        let q = self.q;
        for i in 0..q {
            let mut s = z[i];
            for k in 0..i {
                s -= self.l[i * q + k] * z[k];
            }
            z[i] = s / self.l[i * q + i];
        }
    }

    fn backward(&self, z: &mut [f64]) {
        let q = self.q;
        for i in (0..q).rev() {
            let mut s = z[i];
            for k in i + 1..q {
                s -= self.l[k * q + i] * z[k];
            }
            z[i] = s / self.l[i * q + i];
        }
    }
}

/// `1 / sqrt(A_jj)`, or the first column with a zero / non-finite diagonal.
fn diagonal_scale(a: &[f64], q: usize) -> Result<Vec<f64>, usize> {
    (0..q)
        .map(|j| {
            let d = a[j * q + j];
            if d > 0.0 && d.is_finite() {
                Ok(1.0 / d.sqrt())
            } else {
                Err(j)
            }
        })
        .collect()
}

/// One linear dependency among the columns of a symmetric positive semi-definite matrix.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Dependency {
    /// The column found to be (numerically) a combination of earlier columns.
    pub dependent: usize,
    /// The earlier columns with a non-negligible weight in that combination.
    pub on: Vec<usize>,
}

/// Find every column of `a` that is a linear combination of earlier columns: a Cholesky in the
/// natural column order that skips (and records) columns whose scaled pivot is `<= PIVOT_TOL`,
/// then, for each such column `k`, solves `A[S,S] c = A[S,k]` over the kept columns `S` to name
/// the columns it depends on (weights `|c_j| sqrt(A_jj / A_kk) > 1e-6`). Like R's `lm`, the
/// *later* column of a dependent set is the one reported as redundant. Empty when `a` is
/// positive definite.
pub(crate) fn dependencies(a: &[f64], q: usize) -> Vec<Dependency> {
    let d: Vec<f64> = (0..q).map(|j| a[j * q + j]).collect();
    let scale: Vec<f64> = d
        .iter()
        .map(|&v| {
            if v > 0.0 && v.is_finite() {
                1.0 / v.sqrt()
            } else {
                0.0
            }
        })
        .collect();
    let s = |i: usize, j: usize| a[i * q + j] * scale[i] * scale[j];
    let mut l = vec![0.0; q * q];
    let mut kept: Vec<usize> = Vec::new();
    let mut deps = Vec::new();
    for j in 0..q {
        if scale[j] == 0.0 {
            deps.push(Dependency {
                dependent: j,
                on: Vec::new(),
            });
            continue;
        }
        // Row j of L restricted to the kept columns: forward substitution.
        let mut row = vec![0.0; kept.len()];
        for (ki, &k) in kept.iter().enumerate() {
            let mut v = s(j, k);
            for m in 0..ki {
                v -= row[m] * l[ki * q + m];
            }
            row[ki] = v / l[ki * q + ki];
        }
        let pivot = s(j, j) - row.iter().map(|v| v * v).sum::<f64>();
        if pivot > PIVOT_TOL {
            let ki = kept.len();
            l[ki * q..ki * q + ki].copy_from_slice(&row);
            l[ki * q + ki] = pivot.sqrt();
            kept.push(j);
        } else {
            // Back-substitute L' c = row for the weights in the scaled metric.
            let m = kept.len();
            let mut c = row;
            for i in (0..m).rev() {
                let mut v = c[i];
                for r in i + 1..m {
                    v -= l[r * q + i] * c[r];
                }
                c[i] = v / l[i * q + i];
            }
            let on = kept
                .iter()
                .zip(&c)
                .filter(|(_, w)| w.abs() > 1e-6)
                .map(|(&k, _)| k)
                .collect();
            deps.push(Dependency { dependent: j, on });
        }
    }
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gram(cols: &[Vec<f64>]) -> Vec<f64> {
        let q = cols.len();
        let mut a = vec![0.0; q * q];
        for i in 0..q {
            for j in 0..q {
                a[i * q + j] = cols[i].iter().zip(&cols[j]).map(|(x, y)| x * y).sum();
            }
        }
        a
    }

    #[test]
    fn solves_and_inverts() {
        let a = vec![4.0, 2.0, 0.6, 2.0, 5.0, 1.0, 0.6, 1.0, 3.0];
        let ch = Cholesky::new(&a, 3).unwrap();
        let x = ch.solve(&[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let r: f64 = (0..3).map(|k| a[i * 3 + k] * x[k]).sum();
            assert!((r - [1.0, 2.0, 3.0][i]).abs() < 1e-14);
        }
        let inv = ch.inverse();
        for i in 0..3 {
            for j in 0..3 {
                let r: f64 = (0..3).map(|k| a[i * 3 + k] * inv[k * 3 + j]).sum();
                assert!((r - if i == j { 1.0 } else { 0.0 }).abs() < 1e-14);
            }
        }
        // det = 4(15-1) - 2(6-0.6) + 0.6(2-3) = 44.6
        assert!((ch.log_det() - 44.6f64.ln()).abs() < 1e-13);
    }

    #[test]
    fn names_dependent_columns() {
        let x1: Vec<f64> = (0..20).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let x2: Vec<f64> = (0..20).map(|i| ((i * 5) % 13) as f64 * 0.3).collect();
        let x3: Vec<f64> = x1.iter().zip(&x2).map(|(a, b)| a + b).collect();
        let x4: Vec<f64> = (0..20).map(|i| (i as f64).sin()).collect();
        let one = vec![1.0; 20];
        let a = gram(&[one, x1, x2, x3, x4]);
        assert!(Cholesky::new(&a, 5).is_err());
        let deps = dependencies(&a, 5);
        assert_eq!(deps.len(), 1);
        assert_eq!(deps[0].dependent, 3);
        assert!(deps[0].on.contains(&1) && deps[0].on.contains(&2));
        assert!(!deps[0].on.contains(&4));
    }
}
