//! `votebase bench match`: the matching engine beside the same ranking written as SQL on
//! the sqlite3 command-line shell, on one generated pool (default 14,000 volunteers and
//! 700 projects, loaded through the store): every project re-ranked (top N each), and one
//! project's top N. Both sides' top-N lists are compared id by id, and the check printed.

use crate::options::Global;
use anyhow::{Context, bail};
use clap::Args;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};
use votebase_store::PeopleStore;
use votebase_store_sqlite::SqliteStore;

/// `votebase bench match` options.
#[derive(Args, Debug)]
pub struct BenchMatchArgs {
    /// Volunteers to generate.
    #[arg(long, default_value_t = 14_000)]
    pub volunteers: usize,
    /// Projects to generate.
    #[arg(long, default_value_t = 700)]
    pub projects: usize,
    /// Candidates kept per project.
    #[arg(long, default_value_t = 50)]
    pub top: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 16)]
    pub seed: u64,
    /// Work directory (default: a fresh folder under the system temp directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The ranking of `crates/matching` as one SQLite query over the stored tables: `{filter}`
/// selects the projects, `{top}` the candidates kept per project. Output:
/// `project|volunteer|rank`.
const RANKING_SQL: &str = r#"
WITH RECURSIVE
proj AS (SELECT * FROM projects WHERE {filter}),
split(project_id, kind, rest, item) AS (
  SELECT id, 'i', issues || ';', NULL FROM proj
  UNION ALL SELECT id, 'l', languages || ';', NULL FROM proj
  UNION ALL SELECT project_id, kind, substr(rest, instr(rest, ';') + 1),
    substr(rest, 1, instr(rest, ';') - 1) FROM split WHERE rest <> ''),
tags AS (SELECT project_id, kind, item FROM split WHERE item IS NOT NULL AND item <> ''),
ntags AS (SELECT project_id, kind, COUNT(*) AS n FROM tags GROUP BY project_id, kind),
nreq AS (SELECT project_id, COUNT(*) AS n FROM project_skills
  WHERE required AND project_id IN (SELECT id FROM proj) GROUP BY project_id),
nnice AS (SELECT project_id, COUNT(*) AS n FROM project_skills
  WHERE NOT required AND project_id IN (SELECT id FROM proj) GROUP BY project_id),
cand AS (
  SELECT ps.project_id, vs.person_id,
    SUM(CASE WHEN ps.min_level = 3 THEN 1.0
        ELSE 0.5 + 0.5 * (vs.level - ps.min_level) / (3.0 - ps.min_level) END) AS fit,
    COUNT(*) AS met
  FROM project_skills ps JOIN volunteer_skills vs
    ON vs.skill = ps.skill AND vs.level >= ps.min_level
  WHERE ps.required AND ps.project_id IN (SELECT id FROM proj)
  GROUP BY ps.project_id, vs.person_id),
qual AS (
  SELECT c.project_id, c.person_id, c.fit / r.n AS req_fit
  FROM cand c JOIN nreq r ON r.project_id = c.project_id AND c.met = r.n),
scored AS (
  SELECT q.project_id, q.person_id, pr.external_id AS project, pe.external_id AS volunteer,
    (SELECT COUNT(*) FROM project_skills ps JOIN volunteer_skills vs
       ON vs.person_id = q.person_id AND vs.skill = ps.skill AND vs.level >= ps.min_level
     WHERE ps.project_id = q.project_id AND NOT ps.required) AS nice_met,
    COALESCE((SELECT n FROM nnice WHERE project_id = q.project_id), 0) AS nice_n,
    q.req_fit,
    (pr.state <> '' AND v.home_state = pr.state) AS home,
    CASE WHEN pr.remote AND v.remote THEN 1.0
      WHEN pr.lat IS NULL OR v.lat IS NULL THEN 0.0
      ELSE (SELECT CASE WHEN d <= 25 THEN 1.0 WHEN d >= 250 THEN 0.0
                        ELSE (250 - d) / 225.0 END
            FROM (SELECT 2 * 3958.8 * asin(min(1.0, sqrt(
                    pow(sin((radians(v.lat) - radians(pr.lat)) / 2), 2)
                    + cos(radians(pr.lat)) * cos(radians(v.lat))
                      * pow(sin((radians(v.lon) - radians(pr.lon)) / 2), 2)))) AS d))
    END AS near,
    COALESCE((SELECT COUNT(*) * 1.0 / MAX(nt.n) FROM tags t JOIN ntags nt
       ON nt.project_id = t.project_id AND nt.kind = t.kind
     WHERE t.project_id = q.project_id AND t.kind = 'i'
       AND instr(';' || v.issues || ';', ';' || t.item || ';') > 0), 0) AS issues,
    COALESCE((SELECT COUNT(*) * 1.0 / MAX(nt.n) FROM tags t JOIN ntags nt
       ON nt.project_id = t.project_id AND nt.kind = t.kind
     WHERE t.project_id = q.project_id AND t.kind = 'l'
       AND instr(';' || v.languages || ';', ';' || t.item || ';') > 0), 0) AS langs,
    (SELECT MIN(COUNT(*), 3) / 3.0 FROM project_matches m
     WHERE m.person_id = q.person_id AND m.state = 'accepted') AS engaged
  FROM qual q JOIN proj pr ON pr.id = q.project_id
  JOIN people pe ON pe.id = q.person_id
  JOIN volunteer_profiles v ON v.person_id = q.person_id),
keyed AS (
  SELECT project, volunteer, CAST((0.75 * (CASE WHEN nice_n = 0 THEN req_fit
      ELSE 0.7 * req_fit + 0.3 * nice_met * 1.0 / nice_n END)
    + 0.25 * (0.35 * home + 0.25 * near + 0.15 * issues + 0.15 * langs + 0.10 * engaged))
    * 10000 + 0.5 AS INTEGER) AS score_key
  FROM scored),
ranked AS (
  SELECT project, volunteer, ROW_NUMBER() OVER (PARTITION BY project
    ORDER BY score_key DESC, volunteer) AS rank FROM keyed)
SELECT project, volunteer, rank FROM ranked WHERE rank <= {top} ORDER BY project, rank;
"#;

fn sql(filter: &str, top: usize) -> String {
    RANKING_SQL
        .replace("{filter}", filter)
        .replace("{top}", &top.to_string())
}

/// Runs the query on the sqlite3 shell: (project → ranked volunteer ids, wall time).
fn sqlite3(
    db: &std::path::Path,
    query: &str,
) -> anyhow::Result<(HashMap<String, Vec<String>>, Duration)> {
    let started = Instant::now();
    let out = Command::new("sqlite3")
        .arg("-readonly")
        .arg(db)
        .arg(query)
        .output()
        .context("cannot run sqlite3 (Debian: apt-get install sqlite3)")?;
    let took = started.elapsed();
    if !out.status.success() {
        bail!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mut lists: HashMap<String, Vec<String>> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut f = line.split('|');
        if let (Some(p), Some(v)) = (f.next(), f.next()) {
            lists.entry(p.to_string()).or_default().push(v.to_string());
        }
    }
    Ok((lists, took))
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

pub async fn bench(_global: &Global, args: BenchMatchArgs) -> anyhow::Result<()> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("votebase-bench-match-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("bench.sqlite3");
    let _ = std::fs::remove_file(&db);
    let store = SqliteStore::open_file(&db)?;
    println!(
        "generating {} volunteers and {} projects (seed {})",
        args.volunteers, args.projects, args.seed
    );
    let volunteers = votebase_demo::people::volunteers(args.volunteers, args.seed);
    let projects = votebase_demo::people::projects(args.projects, args.seed);
    votebase_app::people::taxonomy(&store).await?;
    let started = Instant::now();
    store.upsert_volunteers(&volunteers).await?;
    store.upsert_projects(&projects).await?;
    println!("loaded into SQLite in {:.2?}", started.elapsed());

    // votebase: read from the store, index, re-rank every project.
    let started = Instant::now();
    let stored = store.volunteers().await?;
    let stored_projects = store.projects().await?;
    let read = started.elapsed();
    let plist: Vec<_> = stored_projects.iter().map(|p| p.project.clone()).collect();
    let started = Instant::now();
    let all = votebase_app::people::rank_every_project(&stored, &plist, args.top);
    let engine_all = started.elapsed();
    let one = &plist[0];
    let mut times = Vec::new();
    let mut one_ids = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        one_ids = votebase_app::people::rank_one_project(&stored, one, args.top);
        times.push(started.elapsed());
    }
    let engine_one = median(times);
    let engine_lists: HashMap<String, Vec<String>> = plist
        .iter()
        .zip(all)
        .filter(|(_, r)| !r.is_empty())
        .map(|(p, r)| (p.external_id.clone(), r))
        .collect();
    drop(store);

    // sqlite3: the same ranking as SQL.
    let (sql_all, sql_all_time) = sqlite3(&db, &sql("1 = 1", args.top))?;
    let filter = format!("external_id = '{}'", one.external_id.replace('\'', "''"));
    let mut times = Vec::new();
    let mut sql_one = HashMap::new();
    for _ in 0..5 {
        let (lists, took) = sqlite3(&db, &sql(&filter, args.top))?;
        sql_one = lists;
        times.push(took);
    }
    let sql_one_time = median(times);

    let pairs: usize = engine_lists.values().map(Vec::len).sum();
    let differing: Vec<&String> = engine_lists
        .iter()
        .filter(|(p, list)| sql_all.get(*p) != Some(*list))
        .map(|(p, _)| p)
        .chain(sql_all.keys().filter(|p| !engine_lists.contains_key(*p)))
        .collect();
    let one_same = sql_one.get(&one.external_id).cloned().unwrap_or_default() == one_ids;

    println!();
    println!("{:<44} {:>12} {:>12}", "", "votebase", "sqlite3 SQL");
    println!(
        "{:<44} {:>12.2?} {:>12.2?}",
        format!("re-rank {} projects (top {} each)", plist.len(), args.top),
        engine_all,
        sql_all_time
    );
    println!(
        "{:<44} {:>12.2?} {:>12.2?}",
        format!("one project ({}) top {}", one.external_id, args.top),
        engine_one,
        sql_one_time
    );
    println!(
        "(votebase read {} volunteers and {} projects from the store in {:.2?}, not counted above; sqlite3 times include starting the shell)",
        stored.len(),
        plist.len(),
        read
    );
    println!(
        "check: {} projects with candidates, {} ranked pairs; top-{} lists equal on both sides for {} of {} projects; one project equal: {}",
        engine_lists.len(),
        pairs,
        args.top,
        engine_lists.len() - differing.len().min(engine_lists.len()),
        engine_lists.len().max(sql_all.len()),
        one_same
    );
    if !differing.is_empty() || !one_same {
        bail!(
            "the two rankings differ (e.g. project {:?})",
            differing.first()
        );
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
