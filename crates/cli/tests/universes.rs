//! End-to-end tests of universes and saved lists on both stores. A demo state is
//! imported; the same voters, history and ballot statuses are read back from the store
//! into the brute-force row scan (`votebase_index::scan`), and counts and county
//! breakdowns answered by the server's bitmap index (`GET /api/v1/universes/count`) and
//! by `votebase universe count` are checked against it on expressions drawn by a seeded
//! generator. Then lists are saved (CLI and API) and exported in every format, checking
//! the files' shapes: Spoke rows carry valid, unique cells of list members; the walk
//! list has one row per household, in precinct, street, side and house-number order;
//! the API export equals the CLI export and is audited; roles are enforced; an import
//! while the server runs reaches its counts.

mod common;

use common::Backend;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use votebase_domain::OrgName;
use votebase_index::scan::ScanTable;
use votebase_index::{Dimension, Query, UniverseIndex};
use votebase_ingest::exports::{house_number_value, is_valid_us_cell};
use votebase_store::Store;

const VOTERS: &str = "4000";

fn arg_after<'a>(b: &'a Backend, flag: &str) -> Option<&'a str> {
    b.args
        .iter()
        .position(|a| a == flag)
        .map(|i| b.args[i + 1].as_str())
}

async fn open_store(b: &Backend) -> Arc<dyn Store> {
    let org = OrgName::parse(arg_after(b, "--org").unwrap_or("default")).unwrap();
    match arg_after(b, "--database") {
        Some(url) => Arc::new(
            votebase_store_postgres::PgStore::connect(url, &org)
                .await
                .unwrap(),
        ),
        None => Arc::new(
            votebase_store_sqlite::SqliteStore::open(
                std::path::Path::new(arg_after(b, "--data").unwrap()),
                &org,
            )
            .unwrap(),
        ),
    }
}

/// The brute-force reference: every voter, history row and ballot status of the store
/// in a row table, and an index used only to resolve expression text.
struct Reference {
    scan: ScanTable,
    resolver: UniverseIndex,
}

impl Reference {
    fn query(&self, text: &str) -> Query {
        self.resolver
            .query(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    }
    fn count(&self, text: &str) -> u64 {
        self.scan.count(&self.query(text))
    }
}

async fn reference(store: &dyn Store) -> Reference {
    let resolver = votebase_app::universes::build_index(store)
        .await
        .unwrap()
        .index;
    let mut scan = ScanTable::new();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_voters(5_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for v in &batch {
                scan.add_voter(v);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let export = store.export_vote_history(5_000, tx);
    let consume = async {
        while let Some(batch) = rx.recv().await {
            for h in &batch {
                scan.add_history(h);
            }
        }
    };
    let (exported, ()) = tokio::join!(export, consume);
    exported.unwrap();
    if let Some(e) = store.ballot_elections().await.unwrap().first() {
        for (voter, category) in store.ballot_statuses(*e).await.unwrap() {
            scan.add_keyed("ballot", &voter, category.code());
        }
    }
    Reference { scan, resolver }
}

/// A small seeded generator (SplitMix64).
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn quoted(s: &str) -> String {
    if s.contains([' ', ',', ':']) {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// Random expressions over the values the data holds.
fn expressions(index: &UniverseIndex, seed: u64, n: usize) -> Vec<String> {
    let all = votebase_index::parse("").unwrap();
    let labels = |d: Dimension| -> Vec<String> {
        index
            .breakdown(&all, d)
            .unwrap()
            .into_iter()
            .map(|(l, _)| l)
            .filter(|l| l != "(none)")
            .collect()
    };
    let counties = labels(Dimension::County);
    let precincts = labels(Dimension::Precinct);
    let cds = labels(Dimension::Congressional);
    let zips = labels(Dimension::Zip);
    let elections: Vec<String> = index.elections().map(|d| d.to_string()).collect();
    assert!(counties.len() >= 3 && elections.len() >= 3 && !precincts.is_empty());
    let mut d = Draw(seed);
    let mut out = Vec::new();
    for _ in 0..n {
        let clauses = 1 + d.below(6);
        let mut parts = Vec::new();
        for _ in 0..clauses {
            let body = match d.below(12) {
                0 => format!("county:{}", quoted(d.pick::<String>(&counties))),
                1 => format!(
                    "county:{},{}",
                    quoted(d.pick::<String>(&counties)),
                    quoted(d.pick::<String>(&counties))
                ),
                2 => format!("precinct:{}", quoted(d.pick::<String>(&precincts))),
                3 => format!(
                    "party:{}",
                    d.pick(&["DEM", "REP", "UNA", "DEM,UNA", "LIB,GRE"])
                ),
                4 => format!(
                    "status:{}",
                    d.pick(&["active", "inactive", "A,I", "removed"])
                ),
                5 => format!("gender:{}", d.pick(&["F", "M", "U"])),
                6 => {
                    let lo = 18 + d.below(50);
                    match d.below(3) {
                        0 => format!("age:{lo}..{}", lo + d.below(30)),
                        1 => format!("age:{lo}.."),
                        _ => format!("age:..{lo}"),
                    }
                }
                7 => format!("registered:{}-01-01..", 1990 + d.below(36)),
                8 => {
                    let e = d.pick::<String>(&elections).clone();
                    if d.below(3) == 0 {
                        format!("voted:{}..{e}", d.pick::<String>(&elections))
                    } else {
                        format!("voted:{e}")
                    }
                }
                9 => match d.below(3) {
                    0 => format!("votes:{}..", d.below(6)),
                    1 => format!("votes:..{}", d.below(6)),
                    _ => format!("votes:{}", d.below(6)),
                },
                10 => format!(
                    "ballot:{}",
                    d.pick(&[
                        "requested",
                        "sent",
                        "returned",
                        "accepted",
                        "rejected,curable"
                    ])
                ),
                _ => {
                    if d.below(2) == 0 {
                        format!("cd:{}", d.pick::<String>(&cds))
                    } else {
                        format!("zip:{}", d.pick::<String>(&zips))
                    }
                }
            };
            let negate = d.below(4) == 0;
            parts.push(format!("{}{body}", if negate { "!" } else { "" }));
        }
        out.push(parts.join(" "));
    }
    out
}

/// Percent-encodes a query-string value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

struct Reply {
    status: u16,
    body: String,
    headers: BTreeMap<String, String>,
}

fn headers_of<B>(resp: &http::Response<B>) -> BTreeMap<String, String> {
    resp.headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect()
}

fn get(url: &str, token: &str) -> Reply {
    let mut resp = common::http()
        .get(url)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .expect("request");
    Reply {
        status: resp.status().as_u16(),
        headers: headers_of(&resp),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn post_json(url: &str, token: &str, body: &serde_json::Value) -> Reply {
    let mut resp = common::http()
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .expect("request");
    Reply {
        status: resp.status().as_u16(),
        headers: headers_of(&resp),
        body: resp.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn token_for(b: &Backend, user: &str, role: &str) -> String {
    b.cmd(&["user", "add", user, "--role", role])
        .write_stdin("a long password 1\n")
        .assert()
        .success();
    let out = b
        .cmd(&["token", "create", user])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap().trim().to_string()
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// The walk list: one row per household, households in precinct, street, odd-then-even,
/// house-number order, and every member on exactly one row.
fn check_walk(text: &str, members: &HashSet<String>) {
    let (h, rows) = csv_rows(text);
    let (p, s, side, num, unit, zip, n, ids) = (
        col(&h, "precinct"),
        col(&h, "street"),
        col(&h, "side"),
        col(&h, "house_number"),
        col(&h, "unit"),
        col(&h, "zip"),
        col(&h, "voters"),
        col(&h, "state_voter_ids"),
    );
    let mut households = HashSet::new();
    let mut seen = HashSet::new();
    let mut prev: Option<(String, String, u8, u64)> = None;
    for r in &rows {
        assert!(
            households.insert((
                r[p].clone(),
                r[s].clone(),
                r[num].clone(),
                r[unit].clone(),
                r[zip].clone()
            )),
            "one row per household: {r:?}"
        );
        let side_rank = match r[side].as_str() {
            "odd" => 0,
            "even" => 1,
            _ => 2,
        };
        let key = (
            r[p].clone(),
            r[s].clone(),
            side_rank,
            house_number_value(&r[num]).unwrap_or(0),
        );
        if let Some(k) = &prev {
            assert!(*k <= key, "walk order: {k:?} then {key:?}");
        }
        prev = Some(key);
        let row_ids: Vec<&str> = r[ids].split(';').collect();
        assert_eq!(row_ids.len().to_string(), r[n]);
        for id in row_ids {
            assert!(members.contains(id), "{id} is not a member");
            assert!(seen.insert(id.to_string()), "{id} on two rows");
        }
    }
    assert_eq!(seen.len(), members.len(), "every member on the walk list");
    assert!(
        rows.len() < members.len(),
        "some households hold several voters"
    );
}

/// Spoke: only members, every cell valid and on one row only.
fn check_spoke(text: &str, members: &HashSet<String>) -> usize {
    let (h, rows) = csv_rows(text);
    assert_eq!(&h[..4], ["firstName", "lastName", "cell", "zip"]);
    let (cell, id) = (col(&h, "cell"), col(&h, "external_id"));
    let mut cells = HashSet::new();
    let mut ids = HashSet::new();
    for r in &rows {
        assert!(is_valid_us_cell(&r[cell]), "invalid cell {r:?}");
        assert!(cells.insert(r[cell].clone()), "cell on two rows: {r:?}");
        assert!(members.contains(&r[id]), "not a member: {r:?}");
        assert!(ids.insert(r[id].clone()), "voter on two rows: {r:?}");
    }
    rows.len()
}

#[test]
fn counts_match_a_brute_force_scan_and_lists_export_in_every_format() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for b in Backend::all("universes") {
        b.cmd(&["demo", "--voters", VOTERS, "--seed", "11", "--no-serve"])
            .assert()
            .success();
        let store = rt.block_on(open_store(&b));
        // The row scan knows nothing of the do-not-contact list (tested in exchange.rs):
        // take the demo's texting opt-outs off it, so the index and the scan select alike.
        rt.block_on(async {
            for s in store.suppressions(100_000, false).await.unwrap() {
                assert!(store.remove_suppression(s.id, "test").await.unwrap());
            }
        });
        let reference = rt.block_on(reference(store.as_ref()));
        assert!(reference.scan.len() > 3000, "{}", b.name);

        let admin = token_for(&b, "ada", "admin");
        let organizer = token_for(&b, "ola", "organizer");
        let volunteer = token_for(&b, "val", "volunteer");
        let served = common::serve(&b);
        let count_url = |q: &str, extra: &str| {
            format!("{}/api/v1/universes/count?q={}{extra}", served.base, enc(q))
        };

        // Property: the server's index agrees with the row scan on random expressions,
        // for counts, breakdowns and the voted voters it drops.
        let exprs = expressions(&reference.resolver, 0x5eed, 60);
        let mut nonzero = 0;
        for (k, e) in exprs.iter().enumerate() {
            let expected = reference.count(e);
            let r = get(&count_url(e, "&include_voted=true&by=county"), &organizer);
            assert_eq!(r.status, 200, "{}: {e}: {}", b.name, r.body);
            let got = json(&r.body);
            assert_eq!(got["count"], expected, "{}: {e}", b.name);
            let by_scan: BTreeMap<String, u64> = reference
                .scan
                .count_by_county(&reference.query(e))
                .into_iter()
                .filter(|(_, n)| *n > 0)
                .collect();
            let by_api: BTreeMap<String, u64> = got["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["label"].as_str().unwrap().to_string(),
                        r["count"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(by_api, by_scan, "{}: breakdown of {e}", b.name);
            if expected > 0 {
                nonzero += 1;
            }
            if k % 10 == 0 {
                let voted = reference.count(&format!("{e} ballot:accepted"));
                let dropped = json(&get(&count_url(e, ""), &organizer).body);
                assert_eq!(dropped["count"], expected - voted, "{}: {e}", b.name);
                assert_eq!(dropped["voted_removed"], voted, "{}: {e}", b.name);
            }
        }
        assert!(nonzero >= 20, "{}: the generator selects voters", b.name);

        // The CLI gives the same count on its last line.
        for e in exprs.iter().take(3) {
            let out = b
                .cmd(&["universe", "count", e, "--include-voted"])
                .assert()
                .success()
                .get_output()
                .stdout
                .clone();
            let text = String::from_utf8(out).unwrap();
            assert_eq!(
                text.lines().last().unwrap().parse::<u64>().unwrap(),
                reference.count(e),
                "{}: {e}",
                b.name
            );
        }

        // Bad expressions: 400, a stable code, the offending token's offsets.
        let r = get(&count_url("party:DEM age:", ""), &organizer);
        assert_eq!(r.status, 400, "{}", r.body);
        let err = json(&r.body);
        assert_eq!(
            (err["error"].as_str(), err["offset"].as_u64()),
            (Some("syntax_error"), Some(14))
        );
        let r = get(&count_url("party:DEM colour:red", ""), &organizer);
        let err = json(&r.body);
        assert_eq!(r.status, 400);
        assert_eq!(
            (
                err["error"].as_str(),
                err["offset"].as_u64(),
                err["end"].as_u64()
            ),
            (Some("unknown_family"), Some(10), Some(16))
        );
        b.cmd(&["universe", "count", "party:DEM colour:red"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("unknown family `colour`"))
            .stderr(predicates::str::contains("          ^~~~~~"));
        // Roles: a volunteer may not count.
        assert_eq!(get(&count_url("party:DEM", ""), &volunteer).status, 403);

        // A list saved from the CLI: the "Done when" universe of the issue.
        let counties: Vec<String> = reference
            .resolver
            .breakdown(&votebase_index::parse("").unwrap(), Dimension::County)
            .unwrap()
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let young = format!(
            "county:{},{} party:DEM age:18..40 !ballot:returned",
            quoted(&counties[0]),
            quoted(&counties[1]),
        );
        let saved = json(
            &String::from_utf8(
                b.cmd(&["list", "save", "young dems", &young, "--json"])
                    .assert()
                    .success()
                    .get_output()
                    .stdout
                    .clone(),
            )
            .unwrap(),
        );
        let expected =
            reference.count(&young) - reference.count(&format!("{young} ballot:accepted"));
        assert_eq!(saved["voters"], expected, "{}", b.name);
        assert_eq!(
            saved["voted_removed"],
            reference.count(&format!("{young} ballot:accepted"))
        );
        b.cmd(&["list", "save", "young dems", "party:DEM"])
            .assert()
            .failure()
            .stderr(predicates::str::contains("already exists"));
        let members: HashSet<String> = rt
            .block_on(store.list_members("young dems"))
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(members.len() as u64, expected);
        let scan_members: HashSet<String> = {
            let ids = reference.scan.members(&reference.query(&young));
            let voted: HashSet<u32> = reference
                .scan
                .members(&reference.query(&format!("{young} ballot:accepted")))
                .into_iter()
                .collect();
            ids.into_iter()
                .filter(|o| !voted.contains(o))
                .map(|o| reference.resolver.voter_id(o).unwrap().to_string())
                .collect()
        };
        assert_eq!(members, scan_members, "{}: the frozen members", b.name);

        let mut exports = BTreeMap::new();
        for format in ["csv", "van", "spoke", "nationbuilder", "walk"] {
            let path = b.path(&format!("{format}.csv"));
            b.cmd(&[
                "list",
                "export",
                "young dems",
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ])
            .assert()
            .success();
            exports.insert(format, std::fs::read_to_string(&path).unwrap());
        }
        for format in ["csv", "van", "nationbuilder"] {
            let (h, rows) = csv_rows(&exports[format]);
            assert_eq!(rows.len(), members.len(), "{}: {format}", b.name);
            let ids: HashSet<String> = rows.iter().map(|r| r[0].clone()).collect();
            assert_eq!(ids, members, "{}: {format}", b.name);
            assert!(h.len() >= 13);
        }
        let (van_h, _) = csv_rows(&exports["van"]);
        for c in [
            "Voter File VANID",
            "Home Phone",
            "Cell Phone",
            "PrecinctName",
            "CD",
            "SD",
            "HD",
        ] {
            col(&van_h, c);
        }
        let spoke_rows = check_spoke(&exports["spoke"], &members);
        assert!(
            spoke_rows > 0 && spoke_rows < members.len(),
            "{}: {spoke_rows}",
            b.name
        );
        check_walk(&exports["walk"], &members);

        // The API: save, list, export (the same bytes as the CLI), audited.
        let r = post_json(
            &format!("{}/api/v1/lists", served.base),
            &organizer,
            &serde_json::json!({"name": "api list", "expression": "party:REP status:active"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let expected_rep = reference.count("party:REP status:active")
            - reference.count("party:REP status:active ballot:accepted");
        assert_eq!(json(&r.body)["voters"], expected_rep);
        assert_eq!(json(&r.body)["created_by"], "ola");
        let r = post_json(
            &format!("{}/api/v1/lists", served.base),
            &organizer,
            &serde_json::json!({"name": "bad", "expression": "party:"}),
        );
        assert_eq!(
            (r.status, json(&r.body)["error"].as_str()),
            (400, Some("syntax_error"))
        );
        let lists = json(&get(&format!("{}/api/v1/lists", served.base), &organizer).body);
        let names: Vec<&str> = lists
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "api list",
                "young dems",
                "Young Dems, top two counties (demo)"
            ],
            "newest first, after the demo's own list"
        );
        let url = format!(
            "{}/api/v1/lists/{}/export?format=walk",
            served.base,
            enc("young dems")
        );
        // Bulk exports of personal data need the import/export permission: an
        // organizer may save and count lists but not export them, in any format.
        for format in ["csv", "van", "spoke", "nationbuilder", "walk"] {
            let r = get(
                &format!(
                    "{}/api/v1/lists/{}/export?format={format}",
                    served.base,
                    enc("young dems")
                ),
                &organizer,
            );
            assert_eq!(
                r.status, 403,
                "{}: {format} as organizer: {}",
                b.name, r.body
            );
        }
        let r = get(&url, &admin);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.body, exports["walk"],
            "{}: API and CLI walk lists",
            b.name
        );
        let r = get(
            &format!(
                "{}/api/v1/lists/{}/export?format=spoke",
                served.base,
                enc("api list")
            ),
            &admin,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let left_out: usize = r.headers["x-votebase-without-cell"].parse().unwrap();
        let api_members = rt.block_on(store.list_members("api list")).unwrap().len();
        let spoke_rows = check_spoke(
            &r.body,
            &rt.block_on(store.list_members("api list"))
                .unwrap()
                .into_iter()
                .collect(),
        );
        assert!(
            left_out > 0 && spoke_rows + left_out <= api_members,
            "{}: {spoke_rows} rows, {left_out} left out of {api_members}",
            b.name
        );
        assert_eq!(get(&url, &volunteer).status, 403);
        assert_eq!(
            get(&format!("{}/api/v1/lists/nope/export", served.base), &admin).status,
            404
        );
        assert_eq!(
            get(&format!("{url}x"), &admin).status,
            400,
            "unknown format"
        );
        let audit = json(&get(&format!("{}/api/v1/audit?limit=50", served.base), &admin).body);
        assert!(
            audit.as_array().unwrap().iter().any(|a| a["actor"] == "ada"
                && a["action"] == "export"
                && a["subject"] == "list young dems"
                && a["detail"].as_str().unwrap().starts_with("walk, ")),
            "{audit}"
        );

        // An import while the server runs reaches its counts (background rebuild).
        let before = json(
            &get(
                &count_url("ballot:accepted", "&include_voted=true"),
                &organizer,
            )
            .body,
        )["count"]
            .as_u64()
            .unwrap();
        let not_voted = reference.scan.members(&reference.query("!ballot:accepted"))[0];
        let id = reference.resolver.voter_id(not_voted).unwrap().to_string();
        let voter = rt.block_on(store.get_voter(&id)).unwrap().unwrap().record;
        let file = b.path("absentee_20261102.csv");
        std::fs::write(
            &file,
            format!(
                "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status\n\
                 {},{},{},11/03/2026,MAIL,09/01/2026,09/03/2026,11/01/2026,ACCEPTED\n",
                voter.county_name, voter.local_voter_id, voter.state_voter_id
            ),
        )
        .unwrap();
        b.cmd(&[
            "import",
            "ballots",
            file.to_str().unwrap(),
            "--layout",
            "nc-absentee",
        ])
        .assert()
        .success();
        let mut after = before;
        for _ in 0..120 {
            after = json(
                &get(
                    &count_url("ballot:accepted", "&include_voted=true"),
                    &organizer,
                )
                .body,
            )["count"]
                .as_u64()
                .unwrap();
            if after != before {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
        }
        assert_eq!(
            after,
            before + 1,
            "{}: the rebuilt index counts the new ballot",
            b.name
        );
        drop(served);
    }
}

/// True when a spreadsheet could run the cell as a formula: it starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return and is not a plain number.
fn formula_like(cell: &str) -> bool {
    let plain_number = {
        let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
        !body.is_empty()
            && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && body.bytes().filter(|b| *b == b'.').count() <= 1
            && body.bytes().any(|b| b.is_ascii_digit())
    };
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !plain_number
}

#[test]
fn formula_like_list_names_and_voter_fields_are_neutralised_in_every_export() {
    let nc = std::fs::read_to_string(common::shared(
        "voterfile/national-voter-file-synthetic/nc.csv",
    ))
    .unwrap();
    // A voter whose last name and precinct are formulas (the importer may clean some).
    let hostile = nc
        .replacen("\tLANDRY\t", "\t=cmd\t", 1)
        .replacen("\n1/7\t", "\n@SUM(1)\t", 1);
    assert_ne!(hostile, nc);
    for b in Backend::all("csvsafe") {
        let file = b.path("nc.csv");
        std::fs::write(&file, &hostile).unwrap();
        b.cmd(&[
            "import",
            "voters",
            file.to_str().unwrap(),
            "--layout",
            "ncvoter",
            "--as-of",
            "2026-09-01",
        ])
        .assert()
        .success();
        let list = "=HYPERLINK(\"http://evil.example\",\"x\")";
        b.cmd(&["list", "save", list, ""]).assert().success();
        let admin = token_for(&b, "ada", "admin");
        let organizer = token_for(&b, "ola", "organizer");
        let served = common::serve(&b);
        let mut voters = 0;
        for format in ["csv", "van", "spoke", "nationbuilder", "walk"] {
            let path = b.path(&format!("{format}.csv"));
            b.cmd(&[
                "list",
                "export",
                list,
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ])
            .assert()
            .success();
            let cli = std::fs::read_to_string(&path).unwrap();
            let url = format!(
                "{}/api/v1/lists/{}/export?format={format}",
                served.base,
                enc(list)
            );
            let api = get(&url, &admin);
            assert_eq!(api.status, 200, "{}: {format}: {}", b.name, api.body);
            assert_eq!(api.body, cli, "{}: {format}: API and CLI", b.name);
            assert_eq!(get(&url, &organizer).status, 403, "{}: {format}", b.name);
            let (_, rows) = csv_rows(&cli);
            if format == "csv" {
                voters = rows.len();
            }
            if format != "spoke" {
                assert!(!rows.is_empty(), "{}: {format}", b.name);
            }
            for row in &rows {
                for cell in row {
                    assert!(
                        !formula_like(cell),
                        "{}: {format}: {cell:?} in {row:?}",
                        b.name
                    );
                }
            }
            if format == "nationbuilder" {
                assert!(
                    rows.iter()
                        .all(|r| r.last().unwrap() == &format!("'{list}")),
                    "{}: tag_list holds the neutralised list name",
                    b.name
                );
            }
        }
        let spoke = get(
            &format!(
                "{}/api/v1/lists/{}/export?format=spoke",
                served.base,
                enc(list)
            ),
            &admin,
        );
        let (_, rows) = csv_rows(&spoke.body);
        let left_out: usize = spoke.headers["x-votebase-without-cell"].parse().unwrap();
        assert_eq!(
            (rows.len(), left_out),
            (0, voters),
            "{}: no cells appended (the file's phones have no line type), so every voter is left out for lack of a known cell",
            b.name
        );
    }
}
