//! A binary heap that moves elements exactly as Go's `container/heap` does.
//!
//! Prometheus merges overlapping blocks with Go heaps whose order among equal keys is an
//! accident of sift order. Which of two different values at one timestamp wins depends on
//! it, so to print what promtool prints we reproduce the same swaps, not just a valid heap.

/// A min-heap under `less`, with Go's push/pop/init sift rules.
pub(crate) struct GoHeap<T> {
    items: Vec<T>,
}

impl<T> GoHeap<T> {
    pub(crate) fn new() -> Self {
        GoHeap { items: Vec::new() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn peek(&self) -> Option<&T> {
        self.items.first()
    }

    /// Go `heap.Push`: append, then sift up.
    pub(crate) fn push(&mut self, x: T, less: impl Fn(&T, &T) -> bool) {
        self.items.push(x);
        let mut j = self.items.len() - 1;
        while j > 0 {
            let i = (j - 1) / 2;
            if !less(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            j = i;
        }
    }

    /// Go `heap.Pop`: swap first and last, sift down over the rest, remove the last.
    pub(crate) fn pop(&mut self, less: impl Fn(&T, &T) -> bool) -> Option<T> {
        let n = self.items.len().checked_sub(1)?;
        self.items.swap(0, n);
        self.down(0, n, &less);
        self.items.pop()
    }

    fn down(&mut self, i0: usize, n: usize, less: &impl Fn(&T, &T) -> bool) {
        let mut i = i0;
        loop {
            let j1 = 2 * i + 1;
            if j1 >= n {
                break;
            }
            let mut j = j1;
            let j2 = j1 + 1;
            if j2 < n && less(&self.items[j2], &self.items[j1]) {
                j = j2;
            }
            if !less(&self.items[j], &self.items[i]) {
                break;
            }
            self.items.swap(i, j);
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_order_and_keeps_go_tie_order() {
        let less = |a: &(u32, char), b: &(u32, char)| a.0 < b.0;
        let mut h = GoHeap::new();
        for x in [(3, 'a'), (1, 'b'), (1, 'c'), (2, 'd'), (1, 'e')] {
            h.push(x, less);
        }
        let mut out = vec![];
        while let Some(x) = h.pop(less) {
            out.push(x);
        }
        // Go's container/heap on the same pushes yields b, e, c for the three ties.
        assert_eq!(out, [(1, 'b'), (1, 'e'), (1, 'c'), (2, 'd'), (3, 'a')]);
    }
}
