//! Clusters: connected components of the pairs at or above the threshold (union-find over all
//! records of both datasets), each with a stable id: the source and record id of its smallest
//! member, so the same input gives the same ids run after run and adding unrelated records does
//! not renumber existing clusters.

use crate::dataset::Dataset;
use crate::error::LinkError;
use std::io::Write;

/// Union-find over record indices.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub(crate) fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }
    pub(crate) fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    pub(crate) fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }
}

/// Which record belongs to which cluster. Records are numbered globally: dataset a's records
/// first, then dataset b's (when linking).
#[derive(Debug, Clone)]
pub struct Clusters {
    root: Vec<u32>,
    n_a: usize,
}

/// One member of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// 0 for the first dataset, 1 for the second.
    pub source: u8,
    /// Index of the record in its dataset.
    pub index: u32,
}

impl Clusters {
    pub(crate) fn from_union_find(mut uf: UnionFind, n_a: usize) -> Self {
        let n = uf.parent.len();
        let root = (0..n as u32).map(|i| uf.find(i)).collect();
        Clusters { root, n_a }
    }

    /// Total number of records.
    pub fn len(&self) -> usize {
        self.root.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.root.is_empty()
    }

    /// Whether two global record indices are in one cluster.
    pub fn same(&self, x: usize, y: usize) -> bool {
        self.root[x] == self.root[y]
    }

    /// The clusters with at least `min_size` members, each as its members.
    pub fn groups(&self, min_size: usize) -> Vec<Vec<Member>> {
        let mut by_root: ahash::AHashMap<u32, Vec<Member>> = ahash::AHashMap::new();
        for (g, &r) in self.root.iter().enumerate() {
            let m = if g < self.n_a {
                Member {
                    source: 0,
                    index: g as u32,
                }
            } else {
                Member {
                    source: 1,
                    index: (g - self.n_a) as u32,
                }
            };
            by_root.entry(r).or_default().push(m);
        }
        let mut out: Vec<Vec<Member>> = by_root
            .into_values()
            .filter(|v| v.len() >= min_size)
            .collect();
        out.sort_by_key(|v| (v[0].source, v[0].index));
        out
    }

    /// Writes `cluster_id,source,record_id,cluster_size` for every record in a cluster of at
    /// least `min_size` records (1 = all records). The cluster id is `source:record_id` of the
    /// member whose (source, record id) sorts first.
    pub fn write_csv<W: Write>(
        &self,
        out: W,
        a: &Dataset,
        b: Option<&Dataset>,
        min_size: usize,
    ) -> Result<(), LinkError> {
        let mut w = votebase_domain::csv_safe::SafeWriter::from_writer(out);
        w.write_record(["cluster_id", "source", "record_id", "cluster_size"])
            .map_err(crate::error::InternalError::from)?;
        let ds = |m: &Member| if m.source == 0 { a } else { b.unwrap_or(a) };
        let mut rows: Vec<(String, Vec<Member>)> = self
            .groups(min_size)
            .into_iter()
            .map(|mut g| {
                g.sort_by(|x, y| {
                    (x.source, ds(x).record_id(x.index as usize))
                        .cmp(&(y.source, ds(y).record_id(y.index as usize)))
                });
                let first = &g[0];
                let id = format!(
                    "{}:{}",
                    ds(first).name(),
                    ds(first).record_id(first.index as usize)
                );
                (id, g)
            })
            .collect();
        rows.sort_by(|x, y| x.0.cmp(&y.0));
        for (id, g) in rows {
            let size = g.len().to_string();
            for m in &g {
                let d = ds(m);
                w.write_record([id.as_str(), d.name(), d.record_id(m.index as usize), &size])
                    .map_err(crate::error::InternalError::from)?;
            }
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::PersonRecord;

    #[test]
    fn components_and_stable_ids() {
        let mut uf = UnionFind::new(5);
        uf.union(3, 1);
        uf.union(1, 4);
        let c = Clusters::from_union_find(uf, 3);
        assert!(c.same(1, 4) && c.same(3, 4) && !c.same(0, 1));
        assert_eq!(c.groups(2).len(), 1);
        assert_eq!(c.groups(1).len(), 3);
        let mk = |ids: &[&str]| {
            Dataset::from_records(
                "x",
                ids.iter().map(|i| PersonRecord {
                    record_id: i.to_string(),
                    ..Default::default()
                }),
            )
            .unwrap()
        };
        let a = mk(&["a0", "a1", "a2"]);
        let mut b = mk(&["b0", "b1"]);
        b = Dataset::from_records("y", (0..b.len()).map(|i| b.normalised(i))).unwrap();
        let mut buf = Vec::new();
        c.write_csv(&mut buf, &a, Some(&b), 2).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "cluster_id,source,record_id,cluster_size\nx:a1,x,a1,3\nx:a1,y,b0,3\nx:a1,y,b1,3\n"
        );
    }
}
