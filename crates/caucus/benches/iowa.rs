//! `cargo bench -p votebase-caucus`: times recomputing every Iowa 2020 precinct (delegates
//! by the rules, compared with what was published) 1,000 times, next to a naive version of
//! the same check written the straightforward way with `f64` arithmetic (no tie handling,
//! no coin tosses, no findings), and a Python one-liner doing that naive check when
//! `python3` is on the machine.

use std::hint::black_box;
use std::time::Instant;

use votebase_caucus::{Rules, allocate, iowa, read_precinct_sizes, read_results};

const REPS: usize = 1_000;

/// The naive check: f64 shares, round, fix the total by largest/smallest fraction.
fn naive(d: u32, fin: &[u32], attendees: u32) -> Vec<u32> {
    let a = f64::from(attendees);
    let thr = match d {
        1 => a * 0.5,
        2 => a * 0.25,
        3 => a / 6.0,
        _ => a * 0.15,
    };
    let exact: Vec<f64> = fin
        .iter()
        .map(|&v| {
            if f64::from(v) >= thr && v > 0 {
                f64::from(v) * f64::from(d) / a
            } else {
                0.0
            }
        })
        .collect();
    let mut r: Vec<u32> = exact.iter().map(|x| x.round() as u32).collect();
    let mut total: u32 = r.iter().sum();
    while total > d && total > 0 {
        let i = (0..r.len())
            .filter(|&i| r[i] > 1)
            .min_by(|&i, &j| exact[i].fract().total_cmp(&exact[j].fract()))
            .unwrap_or(0);
        r[i] = r[i].saturating_sub(1);
        total -= 1;
    }
    while total < d && exact.iter().any(|&x| x > 0.0) {
        let i = (0..r.len())
            .filter(|&i| exact[i] > 0.0)
            .max_by(|&i, &j| exact[i].fract().total_cmp(&exact[j].fract()))
            .unwrap();
        r[i] += 1;
        total += 1;
    }
    r
}

fn main() {
    let dir = std::env::var_os("IOWA2020_DIR").map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/data/results/iowa2020")
        },
        std::path::PathBuf::from,
    );
    let results = read_results(&dir.join(iowa::RELEASE_100)).expect("results file");
    let sizes = read_precinct_sizes(&dir.join(iowa::PRECINCT_DELEGATES)).expect("sizes");
    // (delegates, attendees, final alignment, published delegates)
    let work: Vec<(u32, u32, Vec<u32>, Vec<u32>)> = results
        .precincts
        .iter()
        .filter_map(|p| {
            let s = sizes.get(&(p.county.clone(), p.precinct.clone()))?;
            (s.delegates > 0 && s.sde > 0.0).then(|| {
                let per = s.sde / f64::from(s.delegates);
                let attendees = p
                    .first
                    .iter()
                    .sum::<u32>()
                    .max(p.final_alignment.iter().sum());
                let published = p.sde.iter().map(|x| (x / per).round() as u32).collect();
                (s.delegates, attendees, p.final_alignment.clone(), published)
            })
        })
        .collect();
    let n = work.len();
    let rules = Rules::default();

    let start = Instant::now();
    let mut mismatched = 0;
    for _ in 0..REPS {
        mismatched = 0;
        for (d, a, fin, published) in &work {
            let alloc = allocate(*d, *a, black_box(fin), &rules);
            if !alloc.admits(published) {
                mismatched += 1;
            }
        }
    }
    let exact = start.elapsed();

    let start = Instant::now();
    let mut naive_mismatched = 0;
    for _ in 0..REPS {
        naive_mismatched = 0;
        for (d, a, fin, published) in &work {
            if naive(*d, black_box(fin), *a) != *published {
                naive_mismatched += 1;
            }
        }
    }
    let plain = start.elapsed();

    let rate = |t: std::time::Duration| (n * REPS) as f64 / t.as_secs_f64() / 1e6;
    println!("{n} precincts × {REPS} repetitions");
    println!(
        "  votebase-caucus (exact, coin tosses):  {:>8.1} ms  {:>6.2} M precincts/s  ({mismatched} differ from published)",
        exact.as_secs_f64() * 1e3,
        rate(exact)
    );
    println!(
        "  naive f64 (no ties, no tosses):        {:>8.1} ms  {:>6.2} M precincts/s  ({naive_mismatched} differ from published)",
        plain.as_secs_f64() * 1e3,
        rate(plain)
    );

    // The same naive check in Python, once over the precincts (×REPS extrapolated).
    let data: String = work
        .iter()
        .map(|(d, a, fin, p)| {
            let f: Vec<String> = fin.iter().map(u32::to_string).collect();
            let q: Vec<String> = p.iter().map(u32::to_string).collect();
            format!("{d} {a} {} {}\n", f.join(","), q.join(","))
        })
        .collect();
    let script = r#"
import sys,time
rows=[l.split() for l in sys.stdin.read().splitlines()]
rows=[(int(d),int(a),[int(x) for x in f.split(',')],[int(x) for x in p.split(',')]) for d,a,f,p in rows]
def naive(d,fin,a):
    t={1:a*.5,2:a*.25,3:a/6}.get(d,a*.15)
    ex=[v*d/a if v>=t and v>0 else 0.0 for v in fin]
    r=[int(x+.5) for x in ex]; s=sum(r)
    while s>d and s>0:
        c=[i for i in range(len(r)) if r[i]>1] or [0]
        i=min(c,key=lambda i:ex[i]%1); r[i]=max(r[i]-1,0); s-=1
    while s<d and any(ex):
        i=max((i for i in range(len(r)) if ex[i]>0),key=lambda i:ex[i]%1); r[i]+=1; s+=1
    return r
reps=20; t=time.perf_counter()
for _ in range(reps): m=sum(naive(d,f,a)!=p for d,a,f,p in rows)
print(f"{(time.perf_counter()-t)/reps*1e3:.3f} {m}")
"#;
    let python = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(data.as_bytes())?;
            child.wait_with_output()
        });
    match python {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut it = text.split_whitespace();
            let ms: f64 = it.next().and_then(|x| x.parse().ok()).unwrap_or(f64::NAN);
            let m = it.next().unwrap_or("?");
            println!(
                "  python3 naive (one pass {ms:.1} ms):    {:>8.1} ms  {:>6.2} M precincts/s  ({m} differ from published)",
                ms * REPS as f64,
                n as f64 / (ms / 1e3) / 1e6
            );
        }
        _ => println!("  python3 not available: skipped"),
    }
}
