//! The isolation test of issue 18: one `votebase serve --orgs` process serves two
//! organizations (A and B) by host name, on each store. Both hold data of every kind
//! (voters, a contact, an incident, a list, a volunteer and a project, a donation), B's
//! with distinctive names. Then every route — the API routes from the served OpenAPI
//! document, with their path parameters filled with B's ids, plus every page route — is
//! requested with A's API token and with A's session cookie:
//! - against B's host, every protected route answers 401/403/404 (or, for a page, the
//!   redirect to the sign-in page), and every public route answers as it does to a caller
//!   without credentials: A's credentials count for nothing there;
//! - against A's host, no answer carries any of B's names or ids.
//!
//! Afterwards B's data is unchanged. Also: `org create|list|members`, an unknown host's
//! 404 `unknown_organization`, and the same user name in both organizations being two
//! accounts with their own passwords; and with `serve --orgs all`, an organization
//! created while the server runs is served at its host without a restart (and its
//! token still opens nothing of the other's).

mod common;

use common::{Killed, Reply, http, postgres_available, postgres_url, reply, shared};
use serde_json::Value;
use std::time::{SystemTime, UNIX_EPOCH};

/// Text no route may show to A: B's voter names and ids, B's list, volunteer, project,
/// canvasser, incident and donor names.
const B_MARKERS: &[&str] = &[
    "QUIXBRAVO",
    "Quixbravo",
    "quixbravo",
    "QB000001",
    "QB000007",
    "BRAVOLINA",
];

/// One deployment under test: a data directory (SQLite) or a database with its own
/// platform schema (PostgreSQL), and the two organizations' names.
struct Deployment {
    /// `--data DIR` or `--database URL`.
    args: Vec<String>,
    /// Environment of every command.
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    a: String,
    b: String,
    /// PostgreSQL schemas to drop at the end: (platform schema, organizations).
    cleanup: Option<String>,
    name: &'static str,
}

impl Deployment {
    fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            args: vec![
                "--data".into(),
                dir.path().join("data").to_string_lossy().into(),
            ],
            env: Vec::new(),
            dir,
            a: "camp_a".into(),
            b: "camp_b".into(),
            cleanup: None,
            name: "sqlite",
        }
    }

    fn postgres() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let tag = format!("{}_{nanos}", std::process::id());
        let platform = format!("t_platform_{tag}");
        Self {
            args: vec!["--database".into(), postgres_url()],
            env: vec![("VOTEBASE_PLATFORM_SCHEMA".into(), platform.clone())],
            dir: tempfile::tempdir().unwrap(),
            a: format!("t_iso_a_{tag}"),
            b: format!("t_iso_b_{tag}"),
            cleanup: Some(platform),
            name: "postgres",
        }
    }

    fn all() -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        if postgres_available() {
            v.push(Self::postgres());
        }
        v
    }

    /// `votebase <store> [--org ORG] ARGS`, in the scratch directory.
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

    /// Runs a command that must succeed; its standard output.
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

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn host(&self, org: &str) -> String {
        format!("{}.localhost", org.replace('_', "-"))
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        if let Some(platform) = &self.cleanup {
            let sql = format!(
                "DROP SCHEMA IF EXISTS {platform} CASCADE; DROP SCHEMA IF EXISTS vb_{} CASCADE; DROP SCHEMA IF EXISTS vb_{} CASCADE",
                self.a, self.b
            );
            let _ = std::process::Command::new("psql")
                .args([&postgres_url(), "-qc", &sql])
                .output();
        }
    }
}

/// The synthetic NC voter file, for B with every voter renamed and renumbered
/// (`QB000001`…, last name QUIXBRAVO, first name BRAVOLINA).
fn voter_file(d: &Deployment, for_b: bool) -> String {
    let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
    if !for_b {
        return nc.to_string_lossy().into();
    }
    let text = std::fs::read_to_string(&nc).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let cols: Vec<&str> = header.split('\t').collect();
    let at = |name: &str| cols.iter().position(|c| *c == name).unwrap();
    let (ncid, last, first) = (at("ncid"), at("last_name"), at("first_name"));
    let mut out = format!("{header}\n");
    for (i, line) in lines.take(30).enumerate() {
        let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        fields[ncid] = format!("QB{:06}", i + 1);
        fields[last] = "QUIXBRAVO".into();
        fields[first] = "BRAVOLINA".into();
        out.push_str(&fields.join("\t"));
        out.push('\n');
    }
    let path = d.path("b_voters.csv");
    std::fs::write(&path, out).unwrap();
    path.to_string_lossy().into()
}

/// Gives one organization data of every kind; B's carries its markers. Returns the
/// organization's admin token.
fn seed(d: &Deployment, org: &str, for_b: bool) -> String {
    let o = Some(org);
    let (tag, who, voter) = if for_b {
        ("qb", "Quixbravo", "QB000001")
    } else {
        ("aa", "Alphonse", "DU994065")
    };
    d.ok(
        o,
        &[
            "import",
            "voters",
            &voter_file(d, for_b),
            "--layout",
            "ncvoter",
            "--as-of",
            "2026-09-01",
        ],
    );
    let contacts = d.path(&format!("{tag}_contacts.csv"));
    std::fs::write(
        &contacts,
        format!(
            "ContactHistoryID,StateFileID,ContactTypeName,DateCanvassed,CanvassedBy,ResultShortName,SupportID,ActivistCodes\n\
             {tag}1,{voter},Walk,10/02/2026 17:30,{tag}_{}_canvasser,Canvassed,2,Volunteer Prospect\n",
            who.to_lowercase()
        ),
    )
    .unwrap();
    d.ok(o, &["import", "contacts", contacts.to_str().unwrap()]);
    let incidents = d.path(&format!("{tag}_incidents.csv"));
    std::fs::write(
        &incidents,
        format!(
            "reported_at,category,county,polling_place,description,reporter_name,reporter_phone\n\
             2026-11-03 07:05,long_lines,Wake,{who} School,{who} saw a line around the block,{who} Reporter,(919) 555-2101\n"
        ),
    )
    .unwrap();
    d.ok(
        o,
        &[
            "incidents",
            "import",
            incidents.to_str().unwrap(),
            "--utc-offset",
            "-05:00",
        ],
    );
    d.ok(
        o,
        &[
            "list",
            "save",
            &format!("{tag}_{}_list", who.to_lowercase()),
            "",
        ],
    );
    let centroids = shared("geo/zcta_2021_census_gazetteer_centroids.csv");
    let volunteers = d.path(&format!("{tag}_volunteers.csv"));
    std::fs::write(
        &volunteers,
        format!(
            "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,issues\n\
             {tag}v1,{who},{who}son,{tag}@example.org,,53703,WI,python:3,10,yes,climate\n"
        ),
    )
    .unwrap();
    let projects = d.path(&format!("{tag}_projects.csv"));
    std::fs::write(
        &projects,
        format!(
            "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats,issues\n\
             {tag}p1,{who} Dems,{who} data pipeline,WI,53703,no,python:2,,10,2,climate\n"
        ),
    )
    .unwrap();
    let z = ["--zip-centroids", centroids.to_str().unwrap()];
    d.ok(
        o,
        &[
            &["volunteers", "import", volunteers.to_str().unwrap()][..],
            &z,
        ]
        .concat(),
    );
    d.ok(
        o,
        &[&["projects", "import", projects.to_str().unwrap()][..], &z].concat(),
    );
    write_donation(d, &d.path(&format!("{tag}_actblue.csv")), tag, who);
    d.ok(
        o,
        &[
            "donations",
            "import",
            d.path(&format!("{tag}_actblue.csv")).to_str().unwrap(),
        ],
    );
    // The same user name in both organizations: two accounts, two passwords.
    let password = format!("{tag} long password 1\n");
    d.cmd(o, &["user", "add", "ada", "--role", "admin"])
        .write_stdin(password)
        .assert()
        .success();
    d.ok(o, &["token", "create", "ada"]).trim().to_string()
}

/// One ActBlue contribution by a donor named after `who`.
fn write_donation(d: &Deployment, path: &std::path::Path, tag: &str, who: &str) {
    let _ = d;
    let header =
        std::fs::read_to_string(shared("donations/actblue-contributions-header.csv")).unwrap();
    let columns: Vec<&str> = header.trim_end().split(',').collect();
    let mut row = vec![String::new(); columns.len()];
    let mut set = |name: &str, value: &str| {
        let i = columns.iter().position(|c| *c == name).unwrap();
        row[i] = value.to_string();
    };
    set("Receipt ID", &format!("{tag}R1"));
    set("Date", "2026-03-02 10:00:00");
    set("Amount", "25.00");
    set("Donor First Name", who);
    set("Donor Last Name", &format!("{who}son"));
    set("Donor Addr1", "1 Main St");
    set("Donor City", "Raleigh");
    set("Donor State", "NC");
    set("Donor ZIP", "27601");
    set("Donor Country", "United States");
    set("Donor Occupation", "Teacher");
    set("Donor Employer", "School");
    set("Donor Email", &format!("{tag}@example.org"));
    set("Recipient Gov ID", "C00999999");
    set("Recipient Election", "2026 General");
    set("Payment Date", "2026-03-02 10:00:00");
    set("Card Type", "visa");
    set("Mobile", "f");
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .unwrap();
    w.write_record(&columns).unwrap();
    w.write_record(&row).unwrap();
    w.flush().unwrap();
}

/// `votebase serve --orgs A,B --base-domain localhost` on a free port; the port.
fn serve(d: &Deployment) -> (Killed, u16) {
    serve_orgs(d, &format!("{},{}", d.a, d.b))
}

/// `votebase serve --orgs WHICH --base-domain localhost` on a free port; the port.
fn serve_orgs(d: &Deployment, which: &str) -> (Killed, u16) {
    common::serve_orgs(&d.args, &d.env, d.dir.path(), which)
}

/// How a request identifies itself.
#[derive(Clone, Copy, Debug)]
enum Caller<'a> {
    Nobody,
    Token(&'a str),
    Cookie(&'a str),
}

/// One request to `host` (the Host header) on the server's port.
fn call(port: u16, host: &str, method: &str, path: &str, caller: Caller) -> Reply {
    let url = format!("http://127.0.0.1:{port}{path}");
    let host = format!("{host}:{port}");
    let agent = http();
    let with = |req: ureq::RequestBuilder<ureq::typestate::WithoutBody>| {
        let req = req.header("Host", &host);
        match caller {
            Caller::Nobody => req,
            Caller::Token(t) => req.header("Authorization", &format!("Bearer {t}")),
            Caller::Cookie(c) => req.header("Cookie", c),
        }
    };
    let with_body = |req: ureq::RequestBuilder<ureq::typestate::WithBody>| {
        let req = req
            .header("Host", &host)
            .header("Content-Type", "application/json");
        match caller {
            Caller::Nobody => req,
            Caller::Token(t) => req.header("Authorization", &format!("Bearer {t}")),
            // Same-origin, as a browser on A's pages would send it.
            Caller::Cookie(c) => req
                .header("Cookie", c)
                .header("Origin", &format!("http://{host}")),
        }
    };
    let mut resp = match method {
        "get" => with(agent.get(&url)).call(),
        "delete" => with(agent.delete(&url)).call(),
        "post" => with_body(agent.post(&url)).send("{}"),
        "put" => with_body(agent.put(&url)).send("{}"),
        "patch" => with_body(agent.patch(&url)).send("{}"),
        other => panic!("method {other}"),
    }
    .unwrap_or_else(|e| panic!("{method} {path} on {host}: {e}"));
    reply(&mut resp)
}

/// Signs `user` in on `host` through the login form; the session cookie.
fn sign_in(port: u16, host: &str, user: &str, password: &str) -> String {
    let host_port = format!("{host}:{port}");
    let mut form = http()
        .get(&format!("http://127.0.0.1:{port}/login"))
        .header("Host", &host_port)
        .call()
        .unwrap();
    let form = reply(&mut form);
    let csrf_cookie = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("vb_login_csrf="))
        .expect("login csrf cookie")
        .clone();
    let at = form
        .body
        .find("name=\"csrf\" value=\"")
        .expect("csrf field")
        + 19;
    let csrf = &form.body[at..at + 64];
    let mut resp = http()
        .post(&format!("http://127.0.0.1:{port}/login"))
        .header("Host", &host_port)
        .header("Cookie", &csrf_cookie)
        .send_form([("username", user), ("password", password), ("csrf", csrf)])
        .unwrap();
    let r = reply(&mut resp);
    assert_eq!(r.status, 303, "sign-in of {user} on {host}: {}", r.body);
    r.set_cookies
        .into_iter()
        .find(|c| c.starts_with("vb_session="))
        .expect("session cookie")
}

/// B's ids by path parameter name, read with B's own token on B's host.
fn b_ids(port: u16, host: &str, token: &str) -> Vec<(&'static str, String)> {
    let json = |path: &str| -> Value {
        let r = call(port, host, "get", path, Caller::Token(token));
        assert_eq!(r.status, 200, "B reads {path}: {}", r.body);
        serde_json::from_str(&r.body).unwrap()
    };
    let incidents = json("/api/v1/incidents");
    let incident = incidents
        .as_array()
        .or_else(|| incidents["incidents"].as_array())
        .and_then(|a| a.first())
        .and_then(|i| i["id"].as_i64())
        .unwrap_or(1)
        .to_string();
    vec![
        ("id", "QB000001".into()),
        ("voter", "QB000001".into()),
        ("state_voter_id", "QB000001".into()),
        ("name", "qb_quixbravo_list".into()),
        ("list", "qb_quixbravo_list".into()),
        ("incident", incident),
        ("project", "qbp1".into()),
        ("volunteer", "qbv1".into()),
        ("user", "ada".into()),
        ("snapshot", "1".into()),
        ("election", "quixbravo-2026".into()),
        ("kind", "chase".into()),
        ("n", "1".into()),
        ("precinct", "1".into()),
    ]
}

/// Fills a route's `{param}`s: numeric-looking parameters (`{id}` of incidents, events,
/// narratives, snapshots) get B's numbers, the others B's names.
fn fill(path: &str, ids: &[(&str, String)], incident: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let param = &rest[start + 1..end];
        let before = &out;
        let value = if param == "id"
            && [
                "/incidents/",
                "/events/",
                "/narratives/",
                "/snapshots/",
                "/items/",
                "/tokens/",
                "/worksheets/",
            ]
            .iter()
            .any(|p| before.ends_with(p))
        {
            incident.to_string()
        } else if param == "id" && before.ends_with("/projects/") {
            "qbp1".to_string()
        } else {
            ids.iter()
                .find(|(k, _)| *k == param)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "QB000001".into())
        };
        out.push_str(&value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Every page route (the API's come from the OpenAPI document): method and path.
const PAGES: &[(&str, &str)] = &[
    ("get", "/"),
    ("get", "/login"),
    ("get", "/voters/{id}"),
    ("get", "/snapshots"),
    ("get", "/snapshots/{id}"),
    ("get", "/admin/users"),
    ("post", "/admin/users/{name}/disable"),
    ("post", "/admin/users/{name}/enable"),
    ("post", "/admin/users/{name}/role"),
    ("post", "/admin/users/{name}/password"),
    ("get", "/ballots"),
    ("get", "/ballots/lists/{kind}"),
    ("get", "/vote"),
    ("get", "/vote/where"),
    ("get", "/vote/where.ics"),
    ("get", "/vote/registered"),
    ("get", "/incidents"),
    ("get", "/incidents/new"),
    ("post", "/incidents/new"),
    ("get", "/incidents/dashboard"),
    ("get", "/incidents/export"),
    ("get", "/incidents/{id}"),
    ("post", "/incidents/{id}/act"),
    ("get", "/incidents/{id}/attachments/{n}"),
    ("post", "/incidents/{id}/attachments"),
    ("get", "/report"),
    ("get", "/universes"),
    ("post", "/universes/lists"),
    ("post", "/voters/{id}/contacts"),
    ("get", "/purges"),
    ("get", "/purges/list"),
    ("get", "/purges/list.csv"),
    ("get", "/results"),
    ("get", "/results/{election}"),
    ("get", "/results/{election}/chair"),
    ("get", "/results/{election}/hotline"),
    ("get", "/results/{election}/admin"),
    ("post", "/results/{election}/codes"),
    ("get", "/results/{election}/worksheets/{id}"),
    ("get", "/disinfo"),
    ("get", "/disinfo/narratives/{id}"),
    ("post", "/disinfo/narratives/{id}/act"),
    ("get", "/disinfo/items/{id}/screenshot"),
    ("get", "/tip"),
    ("get", "/events"),
    ("get", "/events/{id}"),
    ("post", "/events/{id}/check-in"),
    ("get", "/projects"),
    ("get", "/projects/{id}"),
    ("post", "/projects/{id}/invite"),
    ("post", "/projects/{id}/decide"),
    ("get", "/volunteer/signup"),
    ("get", "/volunteer/matches"),
    ("get", "/volunteer/unsubscribe"),
    ("get", "/donations"),
    ("post", "/donations/reviews/{id}"),
    ("post", "/disinfo/subscription"),
    ("get", "/exchange"),
    ("post", "/exchange/{id}/approve"),
    ("post", "/exchange/{id}/end"),
    ("get", "/suppression"),
    ("post", "/suppression"),
    ("post", "/suppression/{id}/remove"),
    ("post", "/admin/archive"),
    ("post", "/logout"),
];

/// Live streams (server-sent events) stay open for a signed-in caller: only checked
/// against B's host, where they must refuse at once.
const STREAMS: &[&str] = &[
    "/incidents/events",
    "/disinfo/events",
    "/api/v1/incidents/events",
];

/// Pages anyone may open (public API routes are those the OpenAPI document lists
/// without a security requirement).
fn public_page(path: &str) -> bool {
    path == "/login"
        || path == "/report"
        || path == "/tip"
        || path == "/vote"
        || path.starts_with("/vote/")
        || path.starts_with("/volunteer/")
        || path == "/results"
        || path == "/results/{election}"
        || path == "/results/{election}/chair"
}

/// No B marker in the answer; one the request itself carried (B's id in the path) may
/// only be echoed by a refusal ("no voter QB000001").
fn no_b_marker(what: &str, path: &str, r: &Reply) {
    for m in B_MARKERS {
        if path.contains(m) && r.status >= 400 {
            continue;
        }
        assert!(
            !r.body.contains(m),
            "{what} ({}) shows B's {m}: {}",
            r.status,
            &r.body[..r.body.len().min(600)]
        );
    }
}

#[test]
fn two_organizations_on_one_server_see_only_their_own_data() {
    for d in Deployment::all() {
        eprintln!("--- {}", d.name);
        // The registry: create, list, refuse a second creation.
        d.ok(None, &["org", "create", &d.a, "--display-name", "Camp A"]);
        d.ok(None, &["org", "create", &d.b, "--display-name", "Camp B"]);
        let again = d.cmd(None, &["org", "create", &d.a]).output().unwrap();
        assert!(!again.status.success());
        assert!(
            String::from_utf8_lossy(&again.stderr).contains("already exists"),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        let listed: Value = serde_json::from_str(&d.ok(None, &["org", "list", "--json"])).unwrap();
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, [d.a.as_str(), d.b.as_str()]);
        assert_eq!(listed[0]["display_name"], "Camp A");

        let token_a = seed(&d, &d.a, false);
        let token_b = seed(&d, &d.b, true);
        d.cmd(Some(&d.b), &["user", "add", "bea", "--role", "organizer"])
            .write_stdin("bea long password 1\n")
            .assert()
            .success();
        let members = d.ok(None, &["org", "members", &d.b]);
        assert!(
            members.contains("ada\tadmin") && members.contains("bea\torganizer"),
            "{members}"
        );
        let members_a = d.ok(None, &["org", "members", &d.a]);
        assert!(!members_a.contains("bea"), "{members_a}");

        let (_server, port) = serve(&d);
        let (host_a, host_b) = (d.host(&d.a), d.host(&d.b));

        // An unknown organization, and an address outside the base domain: 404 JSON.
        for host in ["camp-zz.localhost", "127.0.0.1"] {
            let r = call(port, host, "get", "/api/v1/health", Caller::Nobody);
            assert_eq!(r.status, 404, "{host}: {}", r.body);
            assert!(r.body.contains("\"unknown_organization\""), "{}", r.body);
        }

        // The same name, two accounts: A's password does not open B's "ada".
        let cookie_a = sign_in(port, &host_a, "ada", "aa long password 1");
        let mut form = http()
            .get(&format!("http://127.0.0.1:{port}/login"))
            .header("Host", &format!("{host_b}:{port}"))
            .call()
            .unwrap();
        let form = reply(&mut form);
        let at = form.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf_cookie = form
            .set_cookies
            .iter()
            .find(|c| c.starts_with("vb_login_csrf="))
            .unwrap()
            .clone();
        let mut wrong = http()
            .post(&format!("http://127.0.0.1:{port}/login"))
            .header("Host", &format!("{host_b}:{port}"))
            .header("Cookie", &csrf_cookie)
            .send_form([
                ("username", "ada"),
                ("password", "aa long password 1"),
                ("csrf", &form.body[at..at + 64]),
            ])
            .unwrap();
        let wrong = reply(&mut wrong);
        assert!(
            !wrong
                .set_cookies
                .iter()
                .any(|c| c.starts_with("vb_session=")),
            "A's password signs nobody in on B's host ({})",
            wrong.status
        );

        // Both tokens and both sessions work on their own hosts.
        let own = call(
            port,
            &host_b,
            "get",
            "/api/v1/voters/QB000001",
            Caller::Token(&token_b),
        );
        assert_eq!(own.status, 200, "{}", own.body);
        assert!(own.body.contains("QUIXBRAVO"));
        let own = call(
            port,
            &host_a,
            "get",
            "/api/v1/voters/DU994065",
            Caller::Token(&token_a),
        );
        assert_eq!(own.status, 200, "{}", own.body);
        let home = call(port, &host_a, "get", "/", Caller::Cookie(&cookie_a));
        assert_eq!(home.status, 200);

        // Every route: the API's from the served document, and the pages.
        let doc = call(port, &host_a, "get", "/api/v1/openapi.json", Caller::Nobody);
        let doc: Value = serde_json::from_str(&doc.body).unwrap();
        let mut routes: Vec<(String, String)> = Vec::new();
        let mut public_api: Vec<String> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post", "put", "patch", "delete"] {
                if item.get(method).is_some() {
                    // The document's paths are absolute (`/api/v1/...`).
                    assert!(path.starts_with("/api/"), "{path}");
                    routes.push((method.into(), path.clone()));
                    // An operation without a security requirement is public.
                    let secured = item[method]
                        .get("security")
                        .and_then(Value::as_array)
                        .is_some_and(|s| !s.is_empty());
                    if !secured {
                        public_api.push(path.clone());
                    }
                }
            }
        }
        assert!(
            routes.len() > 40,
            "the document lists the API: {}",
            routes.len()
        );
        routes.extend(PAGES.iter().map(|(m, p)| (m.to_string(), p.to_string())));

        let before_b = b_view(port, &host_b, &token_b);
        let ids = b_ids(port, &host_b, &token_b);
        let incident = ids
            .iter()
            .find(|(k, _)| *k == "incident")
            .map(|(_, v)| v.clone())
            .unwrap();
        let (mut checked, mut b_reads) = (0, 0);
        for (method, template) in &routes {
            let path = fill(template, &ids, &incident);
            let what = |host: &str, c: &str| format!("{method} {path} on {host} with {c}");
            let anonymous = call(port, &host_b, method, &path, Caller::Nobody);
            // The same request with B's own token reaches B's real objects (so the
            // refusals below are about the caller, not about missing ids).
            if method == "get" && !STREAMS.contains(&template.as_str()) {
                let r = call(port, &host_b, method, &path, Caller::Token(&token_b));
                if r.status == 200 {
                    b_reads += 1;
                }
            }
            for (caller, label) in [
                (Caller::Token(&token_a), "A's token"),
                (Caller::Cookie(&cookie_a), "A's session"),
            ] {
                // Against B's host: nothing.
                let r = call(port, &host_b, method, &path, caller);
                assert_eq!(
                    r.status,
                    anonymous.status,
                    "{}: A's credentials count for nothing on B's host: {}",
                    what(&host_b, label),
                    &r.body[..r.body.len().min(400)]
                );
                if !(public_page(template) || public_api.contains(template)) {
                    let to_login = r.status == 303
                        && !template.starts_with("/api/")
                        && anonymous.status == 303;
                    assert!(
                        matches!(r.status, 401 | 403 | 404) || to_login,
                        "{}: {} {}",
                        what(&host_b, label),
                        r.status,
                        &r.body[..r.body.len().min(400)]
                    );
                }
                // Against A's own host: never B's data.
                if !STREAMS.contains(&template.as_str()) && template != "/logout" {
                    let r = call(port, &host_a, method, &path, caller);
                    // (503: the public lookup has no VIP feed installed here.)
                    assert!(
                        r.status < 500 || r.status == 503,
                        "{}: {} {}",
                        what(&host_a, label),
                        r.status,
                        &r.body[..r.body.len().min(400)]
                    );
                    no_b_marker(&what(&host_a, label), &path, &r);
                }
                checked += 1;
            }
        }
        for path in STREAMS {
            for caller in [Caller::Token(&token_a), Caller::Cookie(&cookie_a)] {
                let r = call(port, &host_b, "get", path, caller);
                assert!(
                    matches!(r.status, 401 | 403 | 404 | 303),
                    "{path}: {}",
                    r.status
                );
            }
        }
        // B's data is as it was: nothing A sent wrote there.
        assert_eq!(b_view(port, &host_b, &token_b), before_b, "{}", d.name);
        let members = d.ok(None, &["org", "members", &d.b, "--json"]);
        let members: Value = serde_json::from_str(&members).unwrap();
        assert!(
            members
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["disabled"] == false && m["user"]["role"] != "volunteer"),
            "{members}"
        );
        eprintln!(
            "{}: {checked} route × caller checks; B's token reads {b_reads} of the routes",
            d.name
        );
        assert!(b_reads > 40, "B's own token reads B's objects: {b_reads}");
    }
}

/// What B holds, as B reads it: voters, incidents, lists, projects, donations, audit-free.
fn b_view(port: u16, host: &str, token: &str) -> Vec<String> {
    [
        "/api/v1/voters?q=QUIXBRAVO",
        "/api/v1/incidents",
        "/api/v1/lists",
        "/api/v1/projects",
        "/api/v1/snapshots",
    ]
    .iter()
    .map(|p| {
        let r = call(port, host, "get", p, Caller::Token(token));
        format!("{p} {} {}", r.status, r.body)
    })
    .collect()
}

#[test]
fn an_organization_created_while_serving_all_is_served_without_a_restart() {
    for d in Deployment::all() {
        eprintln!("--- {}", d.name);
        d.ok(None, &["org", "create", &d.a]);
        let (_server, port) = serve_orgs(&d, "all");
        let (host_a, host_b) = (d.host(&d.a), d.host(&d.b));
        let health = |host: &str| call(port, host, "get", "/api/v1/health", Caller::Nobody);
        assert_eq!(health(&host_a).status, 200, "{}", d.name);
        let r = health(&host_b);
        assert_eq!(r.status, 404, "{}: not created yet: {}", d.name, r.body);
        assert!(r.body.contains("\"unknown_organization\""), "{}", r.body);

        // Created (with an account and a token) while the server runs.
        d.ok(None, &["org", "create", &d.b, "--display-name", "Camp B"]);
        d.cmd(Some(&d.b), &["user", "add", "bea", "--role", "admin"])
            .write_stdin("bea long password 1\n")
            .assert()
            .success();
        let token_b = d
            .ok(Some(&d.b), &["token", "create", "bea"])
            .trim()
            .to_string();
        assert_eq!(health(&host_b).status, 200, "{}: served now", d.name);
        let lists = call(
            port,
            &host_b,
            "get",
            "/api/v1/lists",
            Caller::Token(&token_b),
        );
        assert_eq!(lists.status, 200, "{}: {}", d.name, lists.body);
        // Its token is B's only; its first admin signs in on B's host.
        let on_a = call(
            port,
            &host_a,
            "get",
            "/api/v1/lists",
            Caller::Token(&token_b),
        );
        assert_eq!(on_a.status, 401, "{}: {}", d.name, on_a.body);
        sign_in(port, &host_b, "bea", "bea long password 1");
        // A name under the base domain that is still not registered stays unknown.
        assert_eq!(health("camp-nobody.localhost").status, 404, "{}", d.name);
    }
}
