//! The three vector primitives of the hot loop, in two implementations with the same summation
//! order: AVX2 + FMA intrinsics (chosen at run time when the CPU has them) and portable scalar
//! code. Every sum is split into 4 lanes (lane `l` takes elements `i = l mod 4`) reduced as
//! `(l0 + l1) + (l2 + l3)`, so the order never depends on threads or block placement. The two
//! implementations differ only in fused vs separate multiply-add rounding: results are
//! bit-identical on a given machine, and may differ in the last bits between a machine with
//! AVX2/FMA and one without.
//!
//! Slices passed in have lengths that are multiples of 4 (the kernels pad blocks to that).

// Lane and tile loops read best with explicit indices.
#![allow(clippy::needless_range_loop)]

/// Which implementation to use; detected once per fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Isa {
    /// AVX2 + FMA intrinsics.
    Avx2Fma,
    /// Portable scalar code.
    Scalar,
}

impl Isa {
    /// The best implementation this CPU supports.
    pub(crate) fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Isa::Avx2Fma;
            }
        }
        Isa::Scalar
    }

    /// `y += a * x`.
    #[inline]
    pub(crate) fn axpy(self, y: &mut [f64], a: f64, x: &[f64]) {
        assert!(x.len() >= y.len() && y.len() % 4 == 0);
        #[cfg(target_arch = "x86_64")]
        if self == Isa::Avx2Fma {
            // SAFETY: `Avx2Fma` is only chosen when the CPU has AVX2 and FMA; lengths checked.
            unsafe { avx2::axpy(y, a, x) };
            return;
        }
        y.iter_mut().zip(x).for_each(|(y, &x)| *y += a * x);
    }

    /// `sum_i a_i b_i` in 4 lanes.
    #[inline]
    pub(crate) fn dot(self, a: &[f64], b: &[f64]) -> f64 {
        assert!(b.len() >= a.len() && a.len() % 4 == 0);
        #[cfg(target_arch = "x86_64")]
        if self == Isa::Avx2Fma {
            // SAFETY: as in `axpy`.
            return unsafe { avx2::dot(a, b) };
        }
        let mut s = [0.0f64; 4];
        for (ca, cb) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
            for l in 0..4 {
                s[l] += ca[l] * cb[l];
            }
        }
        (s[0] + s[1]) + (s[2] + s[3])
    }

    /// Weighted cross-products of a column-major block: for `j` in `0..qpad` step 2 and `k` in
    /// `j..qpad` step 4, `acc[(j+r)*stride + k+c] += sum_i w_i x_{j+r}[i] x_{k+c}[i]` for
    /// `r < 2`, `c < 4` (2 x 4 register tiles covering the upper triangle; a few entries below
    /// the diagonal and up to 2 columns past `qpad` are also written and must be ignored).
    /// `xs` holds `stride` columns of `b` rows; `qpad` is even and `qpad + 2 <= stride`.
    pub(crate) fn syrk_upper(
        self,
        xs: &[f64],
        w: &[f64],
        qpad: usize,
        stride: usize,
        acc: &mut [f64],
    ) {
        let b = w.len();
        assert!(b % 4 == 0 && qpad % 2 == 0 && qpad + 2 <= stride);
        assert!(xs.len() >= stride * b && acc.len() >= stride * stride);
        #[cfg(target_arch = "x86_64")]
        if self == Isa::Avx2Fma {
            // SAFETY: as in `axpy`; every column read (< qpad + 2 <= stride) lies in `xs`,
            // every entry written (< stride * stride) lies in `acc`.
            unsafe { avx2::syrk_upper(xs, w, qpad, stride, acc) };
            return;
        }
        let col = |j: usize| &xs[j * b..(j + 1) * b];
        for j in (0..qpad).step_by(2) {
            for k in (j..qpad).step_by(4) {
                let mut s = [[[0.0f64; 4]; 4]; 2];
                for i in (0..b).step_by(4) {
                    for l in 0..4 {
                        let u0 = w[i + l] * col(j)[i + l];
                        let u1 = w[i + l] * col(j + 1)[i + l];
                        for c in 0..4 {
                            let x = col(k + c)[i + l];
                            s[0][c][l] += u0 * x;
                            s[1][c][l] += u1 * x;
                        }
                    }
                }
                for (r, rows) in s.iter().enumerate() {
                    for (c, v) in rows.iter().enumerate() {
                        acc[(j + r) * stride + k + c] += (v[0] + v[1]) + (v[2] + v[3]);
                    }
                }
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    #[inline(always)]
    unsafe fn hsum(v: __m256d) -> f64 {
        let mut l = [0.0f64; 4];
        _mm256_storeu_pd(l.as_mut_ptr(), v);
        (l[0] + l[1]) + (l[2] + l[3])
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
        let av = _mm256_set1_pd(a);
        let (yp, xp) = (y.as_mut_ptr(), x.as_ptr());
        for i in (0..y.len()).step_by(4) {
            let r = _mm256_fmadd_pd(av, _mm256_loadu_pd(xp.add(i)), _mm256_loadu_pd(yp.add(i)));
            _mm256_storeu_pd(yp.add(i), r);
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn dot(a: &[f64], b: &[f64]) -> f64 {
        let mut s = _mm256_setzero_pd();
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        for i in (0..a.len()).step_by(4) {
            s = _mm256_fmadd_pd(_mm256_loadu_pd(ap.add(i)), _mm256_loadu_pd(bp.add(i)), s);
        }
        hsum(s)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn syrk_upper(
        xs: &[f64],
        w: &[f64],
        qpad: usize,
        stride: usize,
        acc: &mut [f64],
    ) {
        let b = w.len();
        let base = xs.as_ptr();
        let wp = w.as_ptr();
        let out = acc.as_mut_ptr();
        for j in (0..qpad).step_by(2) {
            let a0 = base.add(j * b);
            let a1 = base.add((j + 1) * b);
            for k in (j..qpad).step_by(4) {
                let b0 = base.add(k * b);
                let b1 = base.add((k + 1) * b);
                let b2 = base.add((k + 2) * b);
                let b3 = base.add((k + 3) * b);
                let z = _mm256_setzero_pd();
                let (mut s00, mut s01, mut s02, mut s03) = (z, z, z, z);
                let (mut s10, mut s11, mut s12, mut s13) = (z, z, z, z);
                for i in (0..b).step_by(4) {
                    let wv = _mm256_loadu_pd(wp.add(i));
                    let u0 = _mm256_mul_pd(wv, _mm256_loadu_pd(a0.add(i)));
                    let u1 = _mm256_mul_pd(wv, _mm256_loadu_pd(a1.add(i)));
                    let x0 = _mm256_loadu_pd(b0.add(i));
                    let x1 = _mm256_loadu_pd(b1.add(i));
                    let x2 = _mm256_loadu_pd(b2.add(i));
                    let x3 = _mm256_loadu_pd(b3.add(i));
                    s00 = _mm256_fmadd_pd(u0, x0, s00);
                    s01 = _mm256_fmadd_pd(u0, x1, s01);
                    s02 = _mm256_fmadd_pd(u0, x2, s02);
                    s03 = _mm256_fmadd_pd(u0, x3, s03);
                    s10 = _mm256_fmadd_pd(u1, x0, s10);
                    s11 = _mm256_fmadd_pd(u1, x1, s11);
                    s12 = _mm256_fmadd_pd(u1, x2, s12);
                    s13 = _mm256_fmadd_pd(u1, x3, s13);
                }
                let r0 = out.add(j * stride + k);
                let r1 = out.add((j + 1) * stride + k);
                for (c, v) in [s00, s01, s02, s03].into_iter().enumerate() {
                    *r0.add(c) += hsum(v);
                }
                for (c, v) in [s10, s11, s12, s13].into_iter().enumerate() {
                    *r1.add(c) += hsum(v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both implementations agree (to rounding: fused vs separate multiply-add).
    #[test]
    fn implementations_agree() {
        let b = 16;
        let stride = 8;
        let xs: Vec<f64> = (0..stride * b)
            .map(|i| ((i * 37) % 17) as f64 * 0.25 - 2.0)
            .collect();
        let w: Vec<f64> = (0..b).map(|i| 0.1 + (i % 5) as f64 * 0.2).collect();
        let mut a = vec![0.0; stride * stride];
        let mut s = vec![0.0; stride * stride];
        Isa::detect().syrk_upper(&xs, &w, 6, stride, &mut a);
        Isa::Scalar.syrk_upper(&xs, &w, 6, stride, &mut s);
        for j in 0..6 {
            for k in j..6 {
                let exact: f64 = (0..b).map(|i| w[i] * xs[j * b + i] * xs[k * b + i]).sum();
                assert!((a[j * stride + k] - exact).abs() < 1e-12);
                assert!((s[j * stride + k] - exact).abs() < 1e-12);
            }
        }
        let d1 = Isa::detect().dot(&xs[..b], &w);
        let d2 = Isa::Scalar.dot(&xs[..b], &w);
        assert!((d1 - d2).abs() < 1e-12);
    }
}
