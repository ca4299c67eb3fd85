//! The number format of `scores.csv`: the shortest representation that reads back to the
//! same `f64` (as Rust's `{}`), in exponent form outside `[1e-5, 1e15)`; digits from `ryu`,
//! laid out as `std::fmt` lays them out, byte for byte.

use std::io::Write;

/// Write `v` with the shortest round-trip representation, in exponent form outside
/// `[1e-5, 1e15)` so tiny probabilities stay short.
///
/// The digits come from `ryu` (shortest round trip, closest to the exact value, as Rust's own
/// formatting) and are laid out the way `{}` / `{:e}` lay them out; zero and non-finite
/// values go through `std::fmt`.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 || !v.is_finite() {
        write_f64_std(out, v);
        return;
    }
    if may_be_a_tie(v) {
        write_f64_std(out, v);
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v).as_bytes();
    let a = v.abs();
    // Ryu writes [1e-5, 1e16) as std's `{}` does, save a ".0" after integers, and below
    // 1e-5 or from 1e16 on as std's `{:e}` does ("1.5e-7", "1e20").
    if (1e-5..1e15).contains(&a) {
        out.extend_from_slice(s.strip_suffix(b".0").unwrap_or(s));
        return;
    }
    if s.contains(&b'e') {
        out.extend_from_slice(s);
        return;
    }
    // [1e15, 1e16): ryu writes "dddddddddddddddd[.d]", std `{:e}` wants "d.ddd…e15"
    let mut ds = [0u8; 24];
    let mut n = 0usize;
    let mut int_len = 0i32;
    let mut seen_point = false;
    for &b in s {
        if b.is_ascii_digit() && n < ds.len() {
            ds[n] = b;
            n += 1;
            int_len += i32::from(!seen_point);
        } else if b == b'.' {
            seen_point = true;
        }
    }
    while n > 1 && ds[n - 1] == b'0' {
        n -= 1;
    }
    match ds[..n].split_first() {
        Some((first, rest)) if *first != b'0' => {
            if v < 0.0 {
                out.push(b'-');
            }
            out.push(*first);
            if !rest.is_empty() {
                out.push(b'.');
                out.extend_from_slice(rest);
            }
            out.push(b'e');
            out.extend_from_slice(itoa::Buffer::new().format(int_len - 1).as_bytes());
        }
        _ => write_f64_std(out, v),
    }
}

/// `write_f64` through `std::fmt` (the reference layout).
fn write_f64_std(out: &mut Vec<u8>, v: f64) {
    let a = v.abs();
    // write! to a Vec<u8> cannot fail
    let _ = if a == 0.0 || (1e-5..1e15).contains(&a) {
        write!(out, "{v}")
    } else {
        write!(out, "{v:e}")
    };
}

/// Whether `v` could lie exactly halfway between two shortest-length decimals. Ryu then
/// rounds half to even and `std::fmt` rounds half up, so such values go through `std::fmt`.
///
/// A tie between two `n`-digit decimals (`n <= 17`) needs the exact decimal expansion of `v`
/// to have `n + 1 <= 18` significant digits. With `v = m * 2^b` (`m` odd), a negative `b`
/// gives exactly `-b` fraction digits, so `e - b` significant digits where `10^(e-1) <= |v|
/// < 10^e`; a non-negative `b` makes `v` an integer, printed exactly below `2^53`. Computed
/// scores (mantissas with more than ~21 significant bits) never come close.
#[inline]
fn may_be_a_tie(v: f64) -> bool {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, b) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    let b = b + m.trailing_zeros() as i32;
    if b >= 0 {
        v.abs() >= 9_007_199_254_740_992.0
    } else {
        // e from the binary exponent: within one of the truth (log10(2) < 0.30103)
        let e = ((biased.max(1) - 1023) as f64 * std::f64::consts::LOG10_2).floor() as i32 + 1;
        e - b <= 21
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A small deterministic generator of test bits (the score module's tests share it).
    pub(in crate::score) struct XorShift(pub(in crate::score) u64);
    impl XorShift {
        pub(in crate::score) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn floats_round_trip_and_stay_short() {
        for v in [
            0.0,
            0.5,
            1.0,
            1e-300,
            0.123456789012345,
            -3.25,
            1e20,
            2.2250738585072014e-308,
        ] {
            let mut b = Vec::new();
            write_f64(&mut b, v);
            let s = String::from_utf8(b).expect("utf8");
            assert_eq!(s.parse::<f64>().expect("parse"), v, "{s}");
            assert!(s.len() < 26, "{s}");
        }
    }

    #[test]
    fn fast_float_output_is_byte_identical_to_std_fmt() {
        let mut specials = vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            5e-324,
            1e-5,
            0.99999e-5,
            1e15,
            999_999_999_999_999.9,
            1e16,
            0.1,
            0.3,
            1.0,
            10.0,
            100.0,
            123_456.0,
            1e14,
            0.5,
            1.0 / 3.0,
            2.0 / 3.0,
            // an exact tie between two shortest candidates (ryu and std round it differently)
            1727756845721204.3,
        ];
        for t in [1e-5, 1e15, 1e16, 1e-4, 1.0] {
            for d in [-2i64, -1, 1, 2] {
                let bits = (f64::to_bits(t) as i64 + d) as u64;
                specials.push(f64::from_bits(bits));
            }
        }
        for k in -320..=308 {
            specials.push(10f64.powi(k));
            specials.push(-1.5 * 10f64.powi(k));
        }
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        let check = |v: f64| {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            write_f64(&mut a, v);
            write_f64_std(&mut b, v);
            assert_eq!(
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b),
                "{v:?}"
            );
        };
        for v in specials {
            check(v);
        }
        for _ in 0..300_000 {
            // arbitrary bit patterns
            check(f64::from_bits(rng.next()));
            // scores: linear predictors and probabilities
            let lp = (rng.unit() - 0.5) * 80.0;
            check(lp);
            check(crate::stats::expit(lp));
            // short decimals
            check((rng.next() % 100_000) as f64 / 1000.0);
            // few-bit dyadic values, where ties between shortest candidates live
            let m = (rng.next() >> (11 + rng.next() % 40)) as f64;
            check(m / 2f64.powi((rng.next() % 70) as i32));
            check(m * 2f64.powi((rng.next() % 40) as i32));
        }
    }
}
