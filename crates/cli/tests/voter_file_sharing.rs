//! The shared state voter file of issue 18, end to end on both stores: a `state` organization
//! imports a voter file and vote history once; `camp` subscribes to it (`org subscribe`)
//! and reads it — counts, voter records, history and field changes — without importing
//! anything, while its own imports are refused with where to import instead; its ballot
//! files and a contact it records stay its own (its lists drop who voted, the state's do
//! not; the contact is on `camp`'s timeline only); a new snapshot imported by `state`
//! reaches `camp`'s universe counts on a running server (no restart); `camp`'s archive
//! holds its own data, not the state's file; the refusals (an organization that already
//! holds a file, chains, itself) say why; `org unsubscribe` gives `camp` its own (empty)
//! file back. The read-only guarantee inside the databases is tested by each backend.

mod common;

use common::{Killed, http, postgres_available, postgres_url, reply};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

const HEADER: &str = "county_id\tcounty_desc\tvoter_reg_num\tncid\tlast_name\tfirst_name\tmiddle_name\tname_suffix_lbl\tstatus_cd\treason_cd\tres_street_address\tres_city_desc\tstate_cd\tzip_code\tfull_phone_number\tregistr_dt\trace_code\tethnic_code\tparty_cd\tgender_code\tbirth_year\tage_at_year_end\tprecinct_abbrv\tprecinct_desc\tcong_dist_abbrv\tnc_senate_abbrv\tnc_house_abbrv";

fn row(id: &str, n: u32, party: &str, street: &str) -> String {
    format!(
        "1\tALAMANCE\t{n}0\t{id}\tSMITH{n}\tANA\t\t\tA\tAV\t{n} {street}\tBURLINGTON\tNC\t27215\t\t01/02/2000\tW\tNL\t{party}\tF\t1980\t46\t01\tPCT 01\t4\t24\t63"
    )
}

/// A voter file of the rows given.
fn voter_file(rows: &[String]) -> String {
    let mut text = String::from(HEADER);
    for r in rows {
        text.push('\n');
        text.push_str(r);
    }
    text.push('\n');
    text
}

/// One deployment: its store options, environment and organization names.
struct Deployment {
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    state: String,
    camp: String,
    other: String,
    cleanup: Option<String>,
    name: &'static str,
}

impl Deployment {
    fn all() -> Vec<Self> {
        let mut v = vec![{
            let dir = tempfile::tempdir().unwrap();
            Self {
                args: vec![
                    "--data".into(),
                    dir.path().join("data").to_string_lossy().into(),
                ],
                env: Vec::new(),
                dir,
                state: "state".into(),
                camp: "camp".into(),
                other: "other".into(),
                cleanup: None,
                name: "sqlite",
            }
        }];
        if postgres_available() {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let tag = format!("{}_{nanos}", std::process::id());
            let platform = format!("t_platform_vf_{tag}");
            v.push(Self {
                args: vec!["--database".into(), postgres_url()],
                env: vec![("VOTEBASE_PLATFORM_SCHEMA".into(), platform.clone())],
                dir: tempfile::tempdir().unwrap(),
                state: format!("t_vfs_{tag}"),
                camp: format!("t_vfc_{tag}"),
                other: format!("t_vfo_{tag}"),
                cleanup: Some(platform),
                name: "postgres",
            });
        }
        v
    }

    fn cmd(&self, org: Option<&str>, args: &[&str]) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("votebase").unwrap();
        c.args(&self.args);
        if let Some(org) = org {
            c.args(["--org", org]);
        }
        c.args(args)
            .env_remove("VOTEBASE_DATABASE")
            .env_remove("VOTEBASE_ORG")
            .current_dir(self.dir.path());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn ok(&self, org: Option<&str>, args: &[&str]) -> String {
        let out = self.cmd(org, args).output().unwrap();
        assert!(
            out.status.success(),
            "{}: votebase {args:?} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails(&self, org: Option<&str>, args: &[&str]) -> String {
        let out = self.cmd(org, args).output().unwrap();
        assert!(
            !out.status.success(),
            "{}: votebase {args:?} should fail",
            self.name
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    fn count(&self, org: &str, expr: &str) -> u64 {
        common::last_number(&self.ok(Some(org), &["universe", "count", expr, "--include-voted"]))
    }

    fn show(&self, org: &str, id: &str) -> Value {
        serde_json::from_str(&self.ok(Some(org), &["voters", "show", id, "--json"])).unwrap()
    }

    /// `votebase serve --orgs all --base-domain localhost`; the port.
    fn serve(&self) -> (Killed, u16) {
        common::serve_orgs(&self.args, &self.env, self.dir.path(), "all")
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if let Some(platform) = &self.cleanup {
            let mut sql = format!("DROP SCHEMA IF EXISTS {platform} CASCADE;");
            for org in [&self.state, &self.camp, &self.other] {
                sql.push_str(&format!(
                    " DROP SCHEMA IF EXISTS vbv_{org} CASCADE; DROP SCHEMA IF EXISTS vb_{org} CASCADE;"
                ));
            }
            let _ = std::process::Command::new("psql")
                .args([&postgres_url(), "-qc", &sql])
                .output();
        }
    }
}

/// A GET on the organization's host; status and JSON body.
fn get(port: u16, org: &str, path: &str, token: &str) -> (u16, Value) {
    let host = format!("{}.localhost:{port}", org.replace('_', "-"));
    let mut resp = http()
        .get(&format!("http://127.0.0.1:{port}{path}"))
        .header("Host", &host)
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    let r = reply(&mut resp);
    (
        r.status,
        serde_json::from_str(&r.body).unwrap_or(Value::Null),
    )
}

fn token(d: &Deployment, org: &str, name: &str) -> String {
    d.cmd(Some(org), &["user", "add", name, "--role", "admin"])
        .write_stdin("a long password 1\n")
        .assert()
        .success();
    d.ok(Some(org), &["token", "create", name])
        .trim()
        .to_string()
}

#[test]
fn campaigns_read_the_state_file_organizations_voter_file_without_importing_it() {
    for d in Deployment::all() {
        let (state, camp, other) = (d.state.as_str(), d.camp.as_str(), d.other.as_str());
        for org in [state, camp, other] {
            d.ok(None, &["org", "create", org]);
        }
        let first: Vec<String> = vec![
            row("VF1", 1, "DEM", "MAIN ST"),
            row("VF2", 2, "DEM", "MAIN ST"),
            row("VF3", 3, "REP", "MAIN ST"),
            row("VF4", 4, "UNA", "MAIN ST"),
        ];
        let file1 = d.write("state1.txt", &voter_file(&first));
        d.ok(
            Some(state),
            &[
                "import",
                "voters",
                &file1,
                "--layout",
                "ncvoter",
                "--as-of",
                "2026-09-01",
            ],
        );
        let history = d.write(
            "history.txt",
            "county_id\tcounty_desc\tvoter_reg_num\telection_lbl\telection_desc\tvoting_method\tvoted_party_cd\tvoted_party_desc\tpct_label\tpct_description\tncid\tvoted_county_id\tvoted_county_desc\tvtd_label\tvtd_description\n\
             1\tALAMANCE\t10\t11/08/2022\t11/08/2022 GENERAL\tIN-PERSON\tDEM\tDEMOCRATIC\t01\tPCT 01\tVF1\t1\tALAMANCE\t01\tPCT 01\n",
        );
        d.ok(
            Some(state),
            &["import", "history", &history, "--layout", "ncvhis"],
        );

        // An organization holding a file of its own cannot subscribe; nor can one read
        // its own file.
        let own = d.write("own.txt", &voter_file(&[row("OWN1", 9, "DEM", "OAK ST")]));
        d.ok(
            Some(other),
            &["import", "voters", &own, "--layout", "ncvoter"],
        );
        let refused = d.fails(None, &["org", "subscribe", other, "--voter-file", state]);
        assert!(
            refused.contains("holds a voter file of its own (1 snapshot(s)"),
            "{}: {refused}",
            d.name
        );
        let refused = d.fails(None, &["org", "subscribe", state, "--voter-file", state]);
        assert!(
            refused.contains("cannot read its own voter file"),
            "{refused}"
        );

        // Before: the campaign has nothing. After subscribing: the state's file.
        assert_eq!(d.count(camp, ""), 0, "{}", d.name);
        let said = d.ok(None, &["org", "subscribe", camp, "--voter-file", state]);
        assert!(said.contains("now reads the voter file of"), "{said}");
        assert_eq!(d.count(camp, ""), 4, "{}: every state voter", d.name);
        assert_eq!(d.count(camp, "party:DEM"), 2, "{}", d.name);
        assert_eq!(d.count(camp, "voted:2022-11-08"), 1, "{}: history", d.name);
        let shown = d.show(camp, "VF1");
        assert_eq!(shown["history"].as_array().unwrap().len(), 1, "{shown}");
        let listed: Value = serde_json::from_str(&d.ok(None, &["org", "list", "--json"])).unwrap();
        let camp_row = listed
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == camp)
            .unwrap();
        assert_eq!(camp_row["voter_file_from"], state, "{listed}");
        // A chain is refused both ways.
        let refused = d.fails(None, &["org", "subscribe", other, "--voter-file", camp]);
        assert!(refused.contains("reads the voter file of"), "{refused}");
        let refused = d.fails(None, &["org", "subscribe", state, "--voter-file", other]);
        assert!(refused.contains("reads the voter file of"), "{refused}");

        // The campaign cannot write the shared file: imports are refused before reading.
        let second: Vec<String> = vec![
            row("VF1", 1, "DEM", "MAIN ST"),
            row("VF2", 2, "DEM", "ELM ST"),
            row("VF4", 4, "UNA", "MAIN ST"),
            row("VF5", 5, "DEM", "MAIN ST"),
            row("VF6", 6, "DEM", "MAIN ST"),
        ];
        let file2 = d.write("state2.txt", &voter_file(&second));
        for (kind, file, layout) in [
            ("voters", &file2, "ncvoter"),
            ("history", &history, "ncvhis"),
        ] {
            let refused = d.fails(Some(camp), &["import", kind, file, "--layout", layout]);
            assert!(
                refused.contains("voter file is read-only")
                    && refused.contains(&format!("shared by organization {state}")),
                "{}: {refused}",
                d.name
            );
        }
        assert_eq!(d.count(state, ""), 4, "{}: nothing written", d.name);

        // Ballot files are the campaign's own: its lists drop who voted, the state's do not.
        let ballots = d.write(
            "absentee_20261020.csv",
            "county_desc,voter_reg_num,ncid,election_dt,ballot_req_type,ballot_req_dt,ballot_send_dt,ballot_rtn_dt,ballot_rtn_status\n\
             ALAMANCE,10,VF1,11/03/2026,MAIL,09/01/2026,09/03/2026,10/15/2026,ACCEPTED\n",
        );
        let loaded = d.ok(
            Some(camp),
            &["import", "ballots", &ballots, "--layout", "nc-absentee"],
        );
        assert!(loaded.contains("unmatched 0"), "{}: {loaded}", d.name);
        let without_voted = |org: &str| -> u64 {
            common::last_number(&d.ok(Some(org), &["universe", "count", "party:DEM"]))
        };
        assert_eq!(without_voted(camp), 1, "{}: VF1 voted", d.name);
        assert_eq!(
            without_voted(state),
            2,
            "{}: the state has no ballots",
            d.name
        );

        // A contact the campaign records is its own: on its timeline, not the state's.
        let contacts = d.write(
            "contacts.csv",
            "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName,SupportID,ActivistCodes\n\
             C1,VF2,Walk,10/02/2026 17:30,zoe,Canvassed,1,\n",
        );
        d.ok(Some(camp), &["import", "contacts", &contacts]);
        let camp_token = token(&d, camp, "ada");
        let state_token = token(&d, state, "sam");
        let (server, port) = d.serve();
        // Subscribing is audited on both sides.
        let audit = |org: &str, token: &str| {
            get(port, org, "/api/v1/audit?limit=100", token)
                .1
                .to_string()
        };
        assert!(
            audit(camp, &camp_token).contains("voter_file.subscribe"),
            "{}",
            d.name
        );
        assert!(
            audit(state, &state_token).contains("voter_file.share"),
            "{}",
            d.name
        );
        let (status, camp_line) = get(port, camp, "/api/v1/voters/VF2/timeline", &camp_token);
        assert_eq!(status, 200, "{camp_line}");
        let walks = |t: &Value| {
            t["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["kind"] == "contact")
                .count()
        };
        assert_eq!(walks(&camp_line), 1, "{}: {camp_line}", d.name);
        let (status, state_line) = get(port, state, "/api/v1/voters/VF2/timeline", &state_token);
        assert_eq!(status, 200, "{state_line}");
        assert_eq!(walks(&state_line), 0, "{}: {state_line}", d.name);

        // A new snapshot of the state reaches the running campaign's counts.
        let count = |org: &str, token: &str, q: &str| {
            let (status, body) = get(
                port,
                org,
                &format!("/api/v1/universes/count?q={q}&include_voted=true"),
                token,
            );
            assert_eq!(status, 200, "{body}");
            body["count"].as_u64().unwrap()
        };
        assert_eq!(count(camp, &camp_token, "party:DEM"), 2, "{}", d.name);
        assert_eq!(
            get(
                port,
                camp,
                "/api/v1/universes/count?q=party:DEM",
                &camp_token
            )
            .1["count"],
            1,
            "{}: the served campaign drops who voted",
            d.name
        );
        d.ok(
            Some(state),
            &[
                "import",
                "voters",
                &file2,
                "--layout",
                "ncvoter",
                "--as-of",
                "2026-10-01",
            ],
        );
        // The index notices the new data version at its next check and rebuilds in the
        // background: poll.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while count(camp, &camp_token, "party:DEM") != 4 {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: the state's new snapshot is never seen by the served campaign",
                d.name
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        assert_eq!(
            count(camp, &camp_token, ""),
            5,
            "{}: VF3 left the file",
            d.name
        );
        drop(server);
        let changes = d.show(camp, "VF2")["changes"].clone();
        assert!(
            changes.to_string().contains("ELM"),
            "{}: the state's field changes: {changes}",
            d.name
        );

        // Purge watch reads the state's rolls and removals (VF3 left the file).
        let report = d.ok(Some(camp), &["purges", "report", "--format", "json"]);
        let state_report = d.ok(Some(state), &["purges", "report", "--format", "json"]);
        assert_eq!(report, state_report, "{}: the same report", d.name);

        // The campaign's archive holds its own data, not the state's voter file.
        let archive = d.dir.path().join("camp.zip");
        let exported: Value = serde_json::from_str(
            d.ok(
                None,
                &[
                    "org",
                    "export",
                    camp,
                    "--out",
                    archive.to_str().unwrap(),
                    "--json",
                ],
            )
            .lines()
            .last()
            .unwrap(),
        )
        .unwrap();
        let rows_of = |table: &str| {
            exported["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == table)
                .map(|t| t["rows"].as_u64().unwrap())
        };
        assert_eq!(rows_of("voters"), Some(0), "{}: {exported}", d.name);
        assert_eq!(rows_of("contact_events"), Some(1), "{}: {exported}", d.name);
        assert_eq!(rows_of("voter_file_source"), None, "{}: {exported}", d.name);

        // Ending the subscription gives the campaign its own, empty, file back.
        d.ok(None, &["org", "unsubscribe", camp]);
        assert_eq!(d.count(camp, ""), 0, "{}", d.name);
        let (_server, port) = d.serve();
        let (_, audit) = get(port, state, "/api/v1/audit?limit=100", &state_token);
        assert!(
            audit.to_string().contains("voter_file.unshare"),
            "{}: {audit}",
            d.name
        );
        let refused = d.fails(None, &["org", "unsubscribe", camp]);
        assert!(
            refused.contains("reads no other organization's voter file"),
            "{refused}"
        );
    }
}
