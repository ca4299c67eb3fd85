//! The hot loop: one pass over the rows computing the log-likelihood, the score and the
//! information matrix `X'WX` at a coefficient vector.
//!
//! Layout. The design is read in blocks of `block` rows (a power of two, sized so a block of
//! all columns fits in L1). Each block is copied once per pass into a column-major scratch
//! (`xs`, column 0 = intercept, columns centred by a fixed shift, zero columns up to `stride`,
//! zero rows up to `block`) from either a row-major or a column-major input, so the kernels are
//! the same for both. On that scratch: `eta` is an axpy per column, the score one dot product
//! per column, and `X'WX` comes from 2 x 4 register tiles over the upper triangle (`simd.rs`:
//! AVX2 + FMA when the CPU has them). The per-row part (probabilities, weights, residuals,
//! log-likelihood) is branch-free; without weights the `log(1 + e)` terms of a block are summed
//! as the log of their product (one `ln` per block instead of one per row).
//!
//! Determinism. Rows are cut into fixed chunks of `CHUNK_ROWS` (independent of the thread
//! count); rayon processes chunks in parallel, each chunk sums its blocks in order, and the
//! chunk partials are added in chunk order. Every sum therefore has the same order whatever the
//! number of threads: results are bit-identical.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::linalg::Cholesky;
use super::simd::Isa;

/// Rows per parallel work item. Fixed, so results do not depend on the number of threads.
pub(crate) const CHUNK_ROWS: usize = 8192;

/// The design matrix as one contiguous slice.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layout<'a> {
    /// Row `i` is `data[i*p .. (i+1)*p]`.
    RowMajor(&'a [f64]),
    /// Column `j` is `data[j*n .. (j+1)*n]`.
    ColMajor(&'a [f64]),
}

impl<'a> Layout<'a> {
    /// Borrow `x` as a contiguous slice when it is C- or Fortran-contiguous.
    pub(crate) fn of(x: ArrayView2<'a, f64>) -> Option<Layout<'a>> {
        if let Some(s) = x.to_slice() {
            return Some(Layout::RowMajor(s));
        }
        x.reversed_axes().to_slice().map(Layout::ColMajor)
    }
}

/// A validated fitting problem: design, outcome, weights and the column shift.
pub(crate) struct Problem<'a> {
    /// Rows.
    pub n: usize,
    /// Design columns (without intercept).
    pub p: usize,
    /// Coefficients, `p + 1`.
    pub q: usize,
    /// `q` rounded up to even (tile height).
    qpad: usize,
    /// Columns of the scratch and row stride of the `X'WX` accumulator: `qpad + 2` (tiles of
    /// width 4 starting at an even column may run 2 columns past `qpad`).
    stride: usize,
    isa: Isa,
    /// Rows per block (power of two, divides `CHUNK_ROWS`).
    block: usize,
    x: Layout<'a>,
    y: &'a [f64],
    w: Option<&'a [f64]>,
    /// Per-column centring shift (the engine works in centred coordinates).
    pub shift: Vec<f64>,
}

/// Sums over rows at one coefficient vector.
#[derive(Debug, Clone)]
pub(crate) struct Accum {
    /// Weighted log-likelihood (unpenalised).
    pub ll: f64,
    /// Score (or Firth-adjusted score), length q.
    pub grad: Vec<f64>,
    /// Upper triangle of `X'WX` in a `stride` x `stride` buffer (empty when not requested).
    info: Vec<f64>,
    /// Largest `|eta_i|` over rows with positive weight.
    pub max_abs_eta: f64,
}

/// What a pass computes besides the log-likelihood.
#[derive(Clone, Copy)]
pub(crate) enum Pass<'c> {
    /// Score `X'(w (y - mu))` and information `X'WX`.
    Newton,
    /// Firth-adjusted score `X'(w (y - mu) + h (1/2 - mu))`, hat values `h` from this factor
    /// of the information at the same coefficients; no information matrix.
    FirthScore(&'c Cholesky),
}

struct Scratch {
    xs: Vec<f64>,
    eta: Vec<f64>,
    mu: Vec<f64>,
    w: Vec<f64>,
    r: Vec<f64>,
    v: Vec<f64>,
}

impl<'a> Problem<'a> {
    /// Wrap checked inputs. `y` must be 0/1 and `w` (if any) non-negative, both of length `n`.
    pub(crate) fn new(
        x: Layout<'a>,
        n: usize,
        p: usize,
        y: &'a [f64],
        w: Option<&'a [f64]>,
    ) -> Problem<'a> {
        let q = p + 1;
        let qpad = q.div_ceil(2) * 2;
        let stride = qpad + 2;
        // Largest power of two with stride * block * 8 bytes <= 24 KiB (L1), between 64 and
        // 256 (below 64 rows the tile set-up would dominate; wide designs then work from L2).
        let mut block = 256;
        while block > 64 && stride * block * 8 > 24 * 1024 {
            block /= 2;
        }
        let mut prob = Problem {
            n,
            p,
            q,
            qpad,
            stride,
            isa: Isa::detect(),
            block,
            x,
            y,
            w,
            shift: vec![0.0; p],
        };
        prob.shift = prob.sample_means();
        prob
    }

    /// Unweighted means over a fixed stride sample of at most 4096 rows: a shift close to the
    /// column means, which is all centring needs (the estimates are invariant to it).
    fn sample_means(&self) -> Vec<f64> {
        let stride = self.n.div_ceil(4096).max(1);
        let rows: Vec<usize> = (0..self.n).step_by(stride).collect();
        let mut m = vec![0.0; self.p];
        for &i in &rows {
            for (j, mj) in m.iter_mut().enumerate() {
                *mj += self.value(i, j);
            }
        }
        let k = rows.len().max(1) as f64;
        m.iter()
            .map(|s| if s.is_finite() { s / k } else { 0.0 })
            .collect()
    }

    /// `x[i, j]` (slow path, for checks).
    pub(crate) fn value(&self, i: usize, j: usize) -> f64 {
        match self.x {
            Layout::RowMajor(d) => d[i * self.p + j],
            Layout::ColMajor(d) => d[j * self.n + i],
        }
    }

    /// Weight of row `i`.
    #[inline]
    pub(crate) fn weight(&self, i: usize) -> f64 {
        self.w.map_or(1.0, |w| w[i])
    }

    /// First non-finite design cell as (row, column), 0-based.
    pub(crate) fn find_nonfinite(&self) -> Option<(usize, usize)> {
        (0..self.n).find_map(|i| {
            (0..self.p)
                .find(|&j| !self.value(i, j).is_finite())
                .map(|j| (i, j))
        })
    }

    /// Full symmetric q x q information matrix from an accumulator.
    pub(crate) fn info(&self, a: &Accum) -> Vec<f64> {
        super::linalg::symmetric_from_upper(&a.info, self.stride, self.q)
    }

    /// One pass over all rows at `beta` (centred coordinates, intercept first).
    pub(crate) fn pass(&self, beta: &[f64], mode: Pass<'_>) -> Accum {
        debug_assert_eq!(beta.len(), self.q);
        let chunks = self.n.div_ceil(CHUNK_ROWS);
        let partials: Vec<Accum> = if chunks <= 1 {
            vec![self.chunk(0, beta, mode)]
        } else {
            (0..chunks)
                .into_par_iter()
                .map(|c| self.chunk(c, beta, mode))
                .collect()
        };
        let mut it = partials.into_iter();
        let mut total = it.next().expect("at least one chunk");
        for part in it {
            total.ll += part.ll;
            add(&mut total.grad, &part.grad);
            add(&mut total.info, &part.info);
            total.max_abs_eta = total.max_abs_eta.max(part.max_abs_eta);
        }
        total
    }

    /// Per-row signed linear predictor `(2 y_i - 1) * x_i'd` for a direction `d` (centred
    /// coordinates); `NaN` for rows with zero weight.
    pub(crate) fn margins(&self, d: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.n];
        out.par_chunks_mut(CHUNK_ROWS)
            .enumerate()
            .for_each(|(c, dst)| {
                let mut s = self.scratch(Pass::Newton);
                let r0 = c * CHUNK_ROWS;
                for (b, dst) in dst.chunks_mut(self.block).enumerate() {
                    let start = r0 + b * self.block;
                    self.load_block(start, dst.len(), &mut s.xs);
                    self.linear_predictor(d, &s.xs, &mut s.eta);
                    for (i, m) in dst.iter_mut().enumerate() {
                        let row = start + i;
                        *m = if self.weight(row) > 0.0 {
                            (2.0 * self.y[row] - 1.0) * s.eta[i]
                        } else {
                            f64::NAN
                        };
                    }
                }
            });
        out
    }

    fn scratch(&self, mode: Pass<'_>) -> Scratch {
        let b = self.block;
        let mut xs = vec![0.0; self.stride * b];
        xs[..b].iter_mut().for_each(|v| *v = 1.0);
        Scratch {
            xs,
            eta: vec![0.0; b],
            mu: vec![0.0; b],
            w: vec![0.0; b],
            r: vec![0.0; b],
            v: match mode {
                Pass::Newton => Vec::new(),
                Pass::FirthScore(_) => vec![0.0; self.q * b],
            },
        }
    }

    fn chunk(&self, c: usize, beta: &[f64], mode: Pass<'_>) -> Accum {
        let mut acc = Accum {
            ll: 0.0,
            grad: vec![0.0; self.q],
            info: match mode {
                Pass::Newton => vec![0.0; self.stride * self.stride],
                Pass::FirthScore(_) => Vec::new(),
            },
            max_abs_eta: 0.0,
        };
        let mut s = self.scratch(mode);
        let r0 = c * CHUNK_ROWS;
        let r1 = (r0 + CHUNK_ROWS).min(self.n);
        let mut start = r0;
        while start < r1 {
            let len = self.block.min(r1 - start);
            self.block_pass(start, len, beta, mode, &mut s, &mut acc);
            start += len;
        }
        acc
    }

    /// Copy rows `start .. start+len` into the centred column-major scratch; rows past `len`
    /// are zero in every design column.
    fn load_block(&self, start: usize, len: usize, xs: &mut [f64]) {
        let b = self.block;
        match self.x {
            Layout::RowMajor(d) => {
                let p = self.p;
                for (i, row) in d[start * p..(start + len) * p]
                    .chunks_exact(p.max(1))
                    .enumerate()
                {
                    for (j, (&v, &c)) in row.iter().zip(&self.shift).enumerate() {
                        xs[(j + 1) * b + i] = v - c;
                    }
                }
            }
            Layout::ColMajor(d) => {
                let ahead = (start + len + b).min(self.n);
                for (j, &c) in self.shift.iter().enumerate() {
                    let col = &d[j * self.n..(j + 1) * self.n];
                    let dst = &mut xs[(j + 1) * b..(j + 1) * b + len];
                    dst.iter_mut()
                        .zip(&col[start..start + len])
                        .for_each(|(o, &v)| *o = v - c);
                    for line in col[start + len..ahead].chunks(8) {
                        prefetch(line);
                    }
                }
            }
        }
        if len < b {
            for j in 1..=self.p {
                xs[j * b + len..(j + 1) * b]
                    .iter_mut()
                    .for_each(|v| *v = 0.0);
            }
        }
    }

    /// The row-major design rows of the block at `start` (empty for column-major input,
    /// which `load_block` prefetches column by column): the per-row loop of the current block
    /// prefetches them a few cache lines at a time, so memory is read while this block is
    /// computed (the hardware prefetcher stops running ahead during the arithmetic, and a
    /// burst of hints would stall on the CPU's fill buffers).
    fn next_rows(&self, start: usize) -> &[f64] {
        match self.x {
            Layout::RowMajor(d) => {
                let end = (start + self.block).min(self.n);
                &d[start.min(end) * self.p..end * self.p]
            }
            Layout::ColMajor(_) => &[],
        }
    }

    fn linear_predictor(&self, beta: &[f64], xs: &[f64], eta: &mut [f64]) {
        let b = self.block;
        eta.iter_mut().for_each(|e| *e = beta[0]);
        for (j, &bj) in beta.iter().enumerate().skip(1) {
            self.isa.axpy(eta, bj, &xs[j * b..(j + 1) * b]);
        }
    }

    fn block_pass(
        &self,
        start: usize,
        len: usize,
        beta: &[f64],
        mode: Pass<'_>,
        s: &mut Scratch,
        acc: &mut Accum,
    ) {
        self.load_block(start, len, &mut s.xs);
        self.linear_predictor(beta, &s.xs, &mut s.eta);
        let next = self.next_rows(start + len);
        let lines_per_row = next.len().div_ceil(8).div_ceil(len);
        let b = self.block;
        let mut max_eta = acc.max_abs_eta;
        // Log-likelihood of row i: -log(1 + e_i) - lost_i with e = exp(-|eta|) and
        // lost = max(eta, 0) - y eta (the log of the larger of mu, 1 - mu is -log(1 + e)).
        let mut lost = 0.0;
        let mut log1pe = 0.0;
        let mut prod = 1.0;
        let ys = &self.y[start..start + len];
        for i in 0..len {
            for k in i * lines_per_row..(i + 1) * lines_per_row {
                prefetch(next.get(k * 8..).unwrap_or(&[]));
            }
            let wt = self.w.map_or(1.0, |w| w[start + i]);
            let (y, eta) = (ys[i], s.eta[i]);
            let e = (-eta.abs()).exp();
            let one_e = 1.0 + e;
            let inv = 1.0 / one_e;
            let mu = if eta >= 0.0 { inv } else { e * inv };
            s.mu[i] = mu;
            s.w[i] = wt * e * inv * inv;
            s.r[i] = wt * (y - mu);
            lost += wt * (eta.max(0.0) - y * eta);
            if self.w.is_some() {
                log1pe += wt * e.ln_1p();
            } else {
                prod *= one_e;
            }
            max_eta = max_eta.max(if wt > 0.0 { eta.abs() } else { 0.0 });
        }
        for i in len..b {
            s.w[i] = 0.0;
            s.r[i] = 0.0;
            s.mu[i] = 0.0;
        }
        acc.ll -= lost + log1pe + prod.ln();
        acc.max_abs_eta = max_eta;
        if let Pass::FirthScore(chol) = mode {
            self.firth_adjust(chol, s);
        }
        for (k, g) in acc.grad.iter_mut().enumerate() {
            *g += self.isa.dot(&s.r, &s.xs[k * b..(k + 1) * b]);
        }
        if let Pass::Newton = mode {
            self.isa
                .syrk_upper(&s.xs, &s.w, self.qpad, self.stride, &mut acc.info);
        }
    }

    /// Add `h_i (1/2 - mu_i)` to the residuals, `h_i = w_i ||L^-1 S x_i||^2` the hat values.
    fn firth_adjust(&self, chol: &Cholesky, s: &mut Scratch) {
        let b = self.block;
        let q = self.q;
        let (l, scale) = chol.parts();
        debug_assert_eq!(chol.dim(), q);
        for j in 0..q {
            let (done, rest) = s.v.split_at_mut(j * b);
            let vj = &mut rest[..b];
            vj.iter_mut()
                .zip(&s.xs[j * b..(j + 1) * b])
                .for_each(|(v, &x)| *v = x * scale[j]);
            for k in 0..j {
                self.isa.axpy(vj, -l[j * q + k], &done[k * b..(k + 1) * b]);
            }
            let d = 1.0 / l[j * q + j];
            vj.iter_mut().for_each(|v| *v *= d);
        }
        for i in 0..b {
            let mut h = 0.0;
            for j in 0..q {
                let v = s.v[j * b + i];
                h += v * v;
            }
            s.r[i] += s.w[i] * h * (0.5 - s.mu[i]);
        }
    }
}

fn add(total: &mut [f64], part: &[f64]) {
    total.iter_mut().zip(part).for_each(|(t, p)| *t += p);
}

/// Prefetch hint for the cache line holding the start of `data`; nothing when empty. No effect
/// on results.
#[inline(always)]
fn prefetch(data: &[f64]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(v) = data.first() {
        // SAFETY: a prefetch is a hint that never faults; the pointer is in bounds anyway.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (v as *const f64).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, p: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let x: Vec<f64> = (0..n * p)
            .map(|i| ((i * 7919) % 1013) as f64 / 101.3 - 4.0 + (i % p) as f64)
            .collect();
        let y: Vec<f64> = (0..n).map(|i| ((i * 31) % 7 < 3) as u8 as f64).collect();
        let w: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64 * 0.5).collect();
        (x, y, w)
    }

    /// The SIMD and scalar paths compute the same sums (up to fused-multiply-add rounding),
    /// for the Newton and the Firth pass, over several chunks and a ragged last block.
    #[test]
    fn scalar_and_simd_paths_agree() {
        let (n, p) = (2 * CHUNK_ROWS + 77, 5);
        let (x, y, w) = data(n, p);
        let simd = Problem::new(Layout::RowMajor(&x), n, p, &y, Some(&w));
        let mut scalar = Problem::new(Layout::RowMajor(&x), n, p, &y, Some(&w));
        scalar.isa = Isa::Scalar;
        let beta = [-0.3, 0.1, -0.05, 0.2, 0.0, 0.07];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-11 * (1.0 + a.abs().max(b.abs()));
        let a = simd.pass(&beta, Pass::Newton);
        let b = scalar.pass(&beta, Pass::Newton);
        assert!(close(a.ll, b.ll));
        assert!(a.grad.iter().zip(&b.grad).all(|(u, v)| close(*u, *v)));
        let (ia, ib) = (simd.info(&a), scalar.info(&b));
        assert!(ia.iter().zip(&ib).all(|(u, v)| close(*u, *v)));
        let chol = Cholesky::new(&ia, simd.q).expect("positive definite");
        let fa = simd.pass(&beta, Pass::FirthScore(&chol));
        let fb = scalar.pass(&beta, Pass::FirthScore(&chol));
        assert!(fa.grad.iter().zip(&fb.grad).all(|(u, v)| close(*u, *v)));
        // Direct sums for one entry of X'WX and the log-likelihood.
        let (mut x1x2, mut ll) = (0.0, 0.0);
        for i in 0..n {
            let eta = beta[0]
                + (0..p)
                    .map(|j| beta[j + 1] * (x[i * p + j] - simd.shift[j]))
                    .sum::<f64>();
            let mu = crate::stats::expit(eta);
            let wi = w[i] * mu * (1.0 - mu);
            x1x2 += wi * (x[i * p] - simd.shift[0]) * (x[i * p + 1] - simd.shift[1]);
            ll += w[i] * (y[i] * mu.ln() + (1.0 - y[i]) * (1.0 - mu).ln());
        }
        assert!(close(ia[simd.q + 2], x1x2), "{} vs {x1x2}", ia[simd.q + 2]);
        assert!((a.ll - ll).abs() < 1e-9 * ll.abs(), "{} vs {ll}", a.ll);
    }
}
