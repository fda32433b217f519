//! "Did you mean" for names: one helper for every kind of id.

/// The candidate closest to `wanted` by edit distance, if close enough to be a
/// plausible typo (and not `wanted` itself).
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != wanted)
        .map(|c| (edit_distance(&wanted.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev.get(j).map_or(usize::MAX, |v| v + usize::from(ca != *cb));
            let delete = prev.get(j + 1).map_or(usize::MAX, |v| v + 1);
            let insert = cur.last().map_or(usize::MAX, |v| v + 1);
            cur.push(substitute.min(delete).min(insert));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["web-sg", "db-sg", "bastion-sg"];
        assert_eq!(suggest("wbe-sg", names), Some("web-sg"));
        assert_eq!(suggest("db-sg", names), None);
        assert_eq!(suggest("totally-different", names), None);
    }
}
