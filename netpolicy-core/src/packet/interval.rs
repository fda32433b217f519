//! Sets of integers as sorted, disjoint, non-adjacent inclusive intervals.
//!
//! One type serves every packet dimension (addresses, protocol numbers, ports):
//! all fit in a `u32`. The representation is canonical, so two equal sets have
//! equal vectors and `==` is set equality.

use serde::Serialize;
use smallvec::{SmallVec, smallvec};
use std::fmt;

/// The intervals of a set. Most sets of a packet dimension are one or two
/// intervals (a port, a CIDR, "all but one range"), held inline: the packet
/// algebra builds and drops millions of them on a large estate.
type Ranges = SmallVec<[(u32, u32); 2]>;

/// A set of `u32` values, kept as sorted disjoint intervals `[first, last]`.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize)]
pub struct IntervalSet {
    ranges: Ranges,
}

impl IntervalSet {
    /// The empty set.
    pub const fn empty() -> Self {
        IntervalSet {
            ranges: SmallVec::new_const(),
        }
    }

    /// The single interval `[first, last]`; empty when `first > last`.
    pub fn range(first: u32, last: u32) -> Self {
        if first > last {
            return Self::empty();
        }
        IntervalSet {
            ranges: smallvec![(first, last)],
        }
    }

    /// The set holding one value.
    pub fn single(value: u32) -> Self {
        Self::range(value, value)
    }

    /// Builds a set from arbitrary (possibly overlapping, unsorted) intervals.
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Self {
        let mut raw: Vec<(u32, u32)> = ranges.into_iter().filter(|(a, b)| a <= b).collect();
        raw.sort_unstable();
        let mut ranges: Ranges = SmallVec::with_capacity(raw.len());
        for (first, last) in raw {
            match ranges.last_mut() {
                // Adjacent intervals merge too, which keeps the form canonical.
                Some(prev) if first <= prev.1.saturating_add(1) => prev.1 = prev.1.max(last),
                _ => ranges.push((first, last)),
            }
        }
        IntervalSet { ranges }
    }

    /// The intervals, sorted and disjoint.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Whether the set holds no value.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The smallest value, if any.
    pub fn first(&self) -> Option<u32> {
        self.ranges.first().map(|r| r.0)
    }

    /// How many values the set holds.
    pub fn len(&self) -> u64 {
        self.ranges
            .iter()
            .map(|(a, b)| u64::from(*b) - u64::from(*a) + 1)
            .sum()
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: u32) -> bool {
        // Binary search on interval starts: the candidate is the last start <= value.
        let idx = self.ranges.partition_point(|r| r.0 <= value);
        idx > 0 && self.ranges.get(idx - 1).is_some_and(|r| value <= r.1)
    }

    /// Union of two sets.
    pub fn union(&self, other: &Self) -> Self {
        Self::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    /// Intersection of two sets, by a linear merge of both interval lists.
    pub fn intersect(&self, other: &Self) -> Self {
        let mut out = Ranges::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (self.ranges.get(i), other.ranges.get(j)) {
            let lo = a0.max(b0);
            let hi = a1.min(b1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    /// Whether the two sets share a value.
    pub fn intersects(&self, other: &Self) -> bool {
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (self.ranges.get(i), other.ranges.get(j)) {
            if a0.max(b0) <= a1.min(b1) {
                return true;
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    /// The values of `self` that are not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        let mut out = Ranges::new();
        let mut j = 0;
        for &(a0, a1) in &self.ranges {
            let mut start = a0;
            let mut open = true;
            // Skip the intervals of `other` that end before this one starts.
            while other.ranges.get(j).is_some_and(|b| b.1 < start) {
                j += 1;
            }
            let mut k = j;
            while let Some(&(b0, b1)) = other.ranges.get(k) {
                if b0 > a1 {
                    break;
                }
                if b0 > start {
                    out.push((start, b0 - 1));
                }
                if b1 >= a1 {
                    open = false;
                    break;
                }
                start = b1 + 1;
                k += 1;
            }
            if open {
                out.push((start, a1));
            }
        }
        IntervalSet { ranges: out }
    }

    /// Whether every value of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.difference(other).is_empty()
    }
}

impl fmt::Debug for IntervalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// A small universe keeps the naive reference (a `BTreeSet`) cheap.
    const MAX: u32 = 64;

    fn naive(s: &IntervalSet) -> BTreeSet<u32> {
        (0..=MAX).filter(|v| s.contains(*v)).collect()
    }

    fn arb_set() -> impl Strategy<Value = IntervalSet> {
        prop::collection::vec((0..=MAX, 0..=8u32), 0..6).prop_map(|v| {
            IntervalSet::from_ranges(v.into_iter().map(|(a, l)| (a, (a + l).min(MAX))))
        })
    }

    proptest! {
        #[test]
        fn operations_match_naive_sets(a in arb_set(), b in arb_set()) {
            let (na, nb) = (naive(&a), naive(&b));
            prop_assert_eq!(naive(&a.union(&b)), &na | &nb);
            prop_assert_eq!(naive(&a.intersect(&b)), &na & &nb);
            prop_assert_eq!(naive(&a.difference(&b)), &na - &nb);
            prop_assert_eq!(a.intersects(&b), !(&na & &nb).is_empty());
            prop_assert_eq!(a.is_subset(&b), na.is_subset(&nb));
            prop_assert_eq!(a.len(), na.len() as u64);
        }

        #[test]
        fn representation_is_canonical(a in arb_set(), b in arb_set()) {
            // Equal sets built two ways have equal representations.
            prop_assert_eq!(a.union(&b), b.union(&a));
            let rebuilt = IntervalSet::from_ranges(naive(&a).into_iter().map(|v| (v, v)));
            prop_assert_eq!(rebuilt, a);
        }
    }

    #[test]
    fn extremes_do_not_overflow() {
        let all = IntervalSet::range(0, u32::MAX);
        let mid = IntervalSet::single(u32::MAX);
        assert_eq!(all.difference(&mid), IntervalSet::range(0, u32::MAX - 1));
        assert_eq!(all.len(), 1u64 << 32);
        assert!(IntervalSet::range(5, 4).is_empty());
        assert_eq!(IntervalSet::from_ranges([(0, 3), (4, u32::MAX)]), all);
    }
}
