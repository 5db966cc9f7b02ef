//! Stable topological order: a node comes after everything it depends on; among nodes ready
//! at the same time the one declared first goes first. A cycle is returned as its path.

use std::collections::BTreeSet;

/// `deps[i]`: the nodes `i` depends on. The order, or one cycle (first node repeated at the end).
pub fn order(deps: &[BTreeSet<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let n = deps.len();
    let mut waiting: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            dependants[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut out = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        out.push(i);
        for &k in &dependants[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.insert(k);
            }
        }
    }
    if out.len() == n {
        return Ok(out);
    }
    Err(find_cycle(deps, &waiting))
}

/// A cycle among the nodes still waiting: follow dependencies until one repeats.
fn find_cycle(deps: &[BTreeSet<usize>], waiting: &[usize]) -> Vec<usize> {
    let Some(start) = (0..deps.len()).find(|&i| waiting[i] > 0) else {
        return Vec::new();
    };
    let mut path = vec![start];
    let mut at = start;
    loop {
        let Some(&next) = deps[at].iter().find(|&&j| waiting[j] > 0) else {
            return path;
        };
        if let Some(pos) = path.iter().position(|&p| p == next) {
            let mut cycle = path[pos..].to_vec();
            cycle.push(next);
            return cycle;
        }
        path.push(next);
        at = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[usize]) -> BTreeSet<usize> {
        v.iter().copied().collect()
    }

    #[test]
    fn ties_keep_declaration_order() {
        let deps = vec![set(&[2]), set(&[]), set(&[]), set(&[0])];
        assert_eq!(order(&deps), Ok(vec![1, 2, 0, 3]));
    }

    #[test]
    fn cycles_are_named() {
        let deps = vec![set(&[]), set(&[2]), set(&[3]), set(&[1])];
        assert_eq!(order(&deps), Err(vec![1, 2, 3, 1]));
        assert_eq!(order(&[set(&[0])]), Err(vec![0, 0]));
    }
}
