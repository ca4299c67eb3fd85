//! What a shared file may say about the patients behind it. A model file and a report travel
//! between centres: they hold aggregates only, and no count, mean, SD or quantile of fewer than
//! [`MIN_CELL`] patients (small-cell suppression, as registries publish tables).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Smallest number of patients a written count or summary may describe.
pub const MIN_CELL: usize = 5;

/// A count of patients as a shared file may show it: exact, or "fewer than [`MIN_CELL`]"
/// (written `"<5"`) for 1 to 4. Zero is shown: it describes no one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Zero, or at least [`MIN_CELL`].
    Exact(usize),
    /// 1 to `MIN_CELL - 1`, suppressed.
    FewerThanMin,
}

impl Count {
    /// The count of `n` patients, suppressed when it is 1 to 4.
    pub fn of(n: usize) -> Count {
        if n > 0 && n < MIN_CELL {
            Count::FewerThanMin
        } else {
            Count::Exact(n)
        }
    }

    /// The exact value, when it is shown.
    pub fn exact(self) -> Option<usize> {
        match self {
            Count::Exact(n) => Some(n),
            Count::FewerThanMin => None,
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::FewerThanMin => write!(f, "<{MIN_CELL}"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => s.serialize_u64(*n as u64),
            Count::FewerThanMin => s.serialize_str(&format!("<{MIN_CELL}")),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => {
                let n = usize::try_from(n).map_err(serde::de::Error::custom)?;
                // a file written by an older build may hold a small exact count: read it
                // suppressed, so it is never written back
                Ok(Count::of(n))
            }
            Raw::S(s) if s == format!("<{MIN_CELL}") => Ok(Count::FewerThanMin),
            Raw::S(s) => Err(serde::de::Error::custom(format!(
                "a count or \"<{MIN_CELL}\", found \"{s}\""
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_never_written() {
        for n in 1..MIN_CELL {
            let c = Count::of(n);
            assert_eq!(serde_json::to_string(&c).expect("json"), "\"<5\"");
            assert_eq!(c.to_string(), "<5");
        }
        assert_eq!(serde_json::to_string(&Count::of(0)).expect("json"), "0");
        assert_eq!(serde_json::to_string(&Count::of(5)).expect("json"), "5");
        let back: Count = serde_json::from_str("3").expect("old file");
        assert_eq!(back, Count::FewerThanMin);
        let back: Count = serde_json::from_str("\"<5\"").expect("new file");
        assert_eq!(back, Count::FewerThanMin);
        assert!(serde_json::from_str::<Count>("\"many\"").is_err());
    }
}
