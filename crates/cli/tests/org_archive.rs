//! Organization archives end to end: a demo-sized organization is exported, imported as a
//! new organization on the same store and across stores (SQLite → PostgreSQL → SQLite),
//! and every copy answers the same counts, universe counts, list exports and voter
//! timeline; a second import changes nothing; a tampered archive is refused naming the
//! damaged file; imported users cannot sign in until an admin resets them; both sides'
//! audit logs record the transfer with the archive's SHA-256.

mod common;

use common::{Backend, ok, postgres_available, postgres_url};
use std::path::Path;

const LIST: &str = "young";

/// A backend's global options pointed at another organization.
fn at_org(b: &Backend, org: &str) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    let mut skip = false;
    for a in &b.args {
        if skip {
            skip = false;
            continue;
        }
        if a == "--org" {
            skip = true;
            continue;
        }
        args.push(a.clone());
    }
    args.extend(["--org".into(), org.into()]);
    args
}

/// Runs `votebase` with `global` then `args`, expecting success; stdout.
fn run(b: &Backend, global: &[String], args: &[&str]) -> String {
    let mut c = assert_cmd::Command::cargo_bin("votebase").expect("binary");
    let out = c
        .args(global)
        .args(args)
        .env_remove("VOTEBASE_DATABASE")
        .current_dir(b.dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn run_fails(b: &Backend, global: &[String], args: &[&str]) -> String {
    let mut c = assert_cmd::Command::cargo_bin("votebase").expect("binary");
    let out = c
        .args(global)
        .args(args)
        .env_remove("VOTEBASE_DATABASE")
        .current_dir(b.dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What must be equal between an organization and its copy.
#[derive(Debug, PartialEq)]
struct Answers {
    snapshots: String,
    universe: String,
    list_walk: String,
    list_csv: String,
    voter: String,
    donations: String,
    users: Vec<String>,
}

fn answers(b: &Backend, global: &[String], voter: &str) -> Answers {
    let mut snapshots: serde_json::Value =
        serde_json::from_str(&run(b, global, &["snapshots", "--json"])).unwrap();
    micros(&mut snapshots);
    let mut voter_json: serde_json::Value =
        serde_json::from_str(&run(b, global, &["voters", "show", voter, "--json"])).unwrap();
    micros(&mut voter_json);
    // Phone appends record when they were appended; everything else is the voter's own.
    if let Some(o) = voter_json.as_object_mut() {
        o.remove("phones");
    }
    Answers {
        snapshots: snapshots.to_string(),
        universe: run(
            b,
            global,
            &[
                "universe",
                "count",
                "party:DEM age:18..29",
                "--by",
                "county",
            ],
        ),
        list_walk: run(b, global, &["list", "export", LIST, "--format", "walk"]),
        list_csv: run(b, global, &["list", "export", LIST, "--format", "van"]),
        voter: voter_json.to_string(),
        donations: run(b, global, &["donations", "flags"]),
        users: run(b, global, &["user", "list"])
            .lines()
            .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
            .collect(),
    }
}

/// Instants to the microsecond: what PostgreSQL keeps of the nanoseconds SQLite stores.
fn micros(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) => {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                *s = t
                    .with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(micros),
        serde_json::Value::Object(o) => o.values_mut().for_each(micros),
        _ => {}
    }
}

fn first_voter(list_csv: &str) -> String {
    let mut rows = csv::Reader::from_reader(list_csv.as_bytes());
    let record = rows.records().next().expect("a row").expect("csv");
    record[0].to_string()
}

fn audit_actions(global: &[String]) -> String {
    let db = global.iter().position(|a| a == "--data");
    match db {
        Some(i) => {
            let org = global.last().unwrap();
            let file = Path::new(&global[i + 1]).join(format!("{org}.sqlite3"));
            let conn = rusqlite::Connection::open(file).unwrap();
            let mut stmt = conn
                .prepare("SELECT action || ' ' || subject || ' ' || detail FROM audit_log")
                .unwrap();
            let rows: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.join("\n")
        }
        None => {
            let org = global.last().unwrap();
            let out = std::process::Command::new("psql")
                .args([
                    &postgres_url(),
                    "-qtAc",
                    &format!(
                        "SELECT action || ' ' || subject || ' ' || detail FROM vb_{org}.audit_log"
                    ),
                ])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        }
    }
}

fn drop_pg_org(org: &str) {
    let _ = std::process::Command::new("psql")
        .args([
            &postgres_url(),
            "-qc",
            &format!("DROP SCHEMA IF EXISTS vb_{org} CASCADE"),
        ])
        .output();
}

#[test]
fn an_organization_moves_whole_between_organizations_and_backends() {
    let sqlite = Backend::sqlite();
    ok(&sqlite, &["demo", "--no-serve", "--voters", "2000"]);
    ok(&sqlite, &["list", "save", LIST, "party:DEM age:18..29"]);
    let source = at_org(&sqlite, "default");
    let list_csv = run(
        &sqlite,
        &source,
        &["list", "export", LIST, "--format", "van"],
    );
    let voter = first_voter(&list_csv);
    let original = answers(&sqlite, &source, &voter);
    assert!(
        original.list_walk.lines().count() > 1,
        "{}",
        original.list_walk
    );

    // Export: the archive, audited on the exporting side with its checksum.
    let archive = sqlite.path("default.vbarchive.zip");
    let archive_arg = archive.to_str().unwrap();
    let exported: serde_json::Value = serde_json::from_str(&run(
        &sqlite,
        &source,
        &["org", "export", "default", "--out", archive_arg, "--json"],
    ))
    .unwrap();
    let sha = exported["sha256"].as_str().unwrap().to_string();
    assert_eq!(sha.len(), 64);
    assert!(
        audit_actions(&source).contains(&format!("org.export default sha256={sha}")),
        "the export is audited with its checksum"
    );
    let bytes = std::fs::read(&archive).unwrap();
    for secret in ["$argon2", "password_hash"] {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "no {secret} in the archive (manifest and README are stored; tables compressed)"
        );
    }

    // Same store, new organization.
    let copy = at_org(&sqlite, "copy");
    let out = run(
        &sqlite,
        &copy,
        &["org", "import", archive_arg, "--as", "copy"],
    );
    assert!(out.contains("from organization default as copy"), "{out}");
    let copied = answers(&sqlite, &copy, &voter);
    assert_eq!(original.snapshots, copied.snapshots);
    assert_eq!(original.universe, copied.universe);
    assert_eq!(original.list_walk, copied.list_walk);
    assert_eq!(original.list_csv, copied.list_csv);
    assert_eq!(original.voter, copied.voter);
    assert_eq!(original.donations, copied.donations);
    assert_eq!(original.users.len(), copied.users.len());
    let imported_audit = audit_actions(&copy);
    assert!(
        imported_audit.contains(&format!("org.import copy sha256={sha} from=default")),
        "the import is audited with the source and checksum: {imported_audit}"
    );
    // Imported users are disabled and have no password.
    let users = run(&sqlite, &copy, &["user", "list"]);
    assert!(
        users.contains("admin") && users.contains("disabled"),
        "{users}"
    );
    assert!(!users.contains("enabled"), "{users}");

    // The same archive again: nothing changes.
    let again = run(
        &sqlite,
        &copy,
        &["org", "import", archive_arg, "--as", "copy"],
    );
    assert!(again.contains("already imported"), "{again}");
    assert_eq!(answers(&sqlite, &copy, &voter).snapshots, copied.snapshots);

    // Into an organization that already holds data: refused.
    let err = run_fails(
        &sqlite,
        &source,
        &["org", "import", archive_arg, "--as", "default"],
    );
    assert!(err.contains("already holds data"), "{err}");

    // A byte flipped inside a table file: refused, naming the file; nothing written.
    let tampered = sqlite.path("tampered.zip");
    tamper(&archive, &tampered);
    let other = at_org(&sqlite, "other");
    let err = run_fails(
        &sqlite,
        &other,
        &["org", "import", tampered.to_str().unwrap(), "--as", "other"],
    );
    assert!(err.contains("damaged") && err.contains("tables/"), "{err}");
    assert_eq!(
        run(&sqlite, &other, &["snapshots", "--json"]).trim(),
        "[]",
        "nothing imported"
    );

    if !postgres_available() {
        return;
    }
    // SQLite → PostgreSQL.
    let pg = Backend::postgres("arch");
    let pg_org = format!("arch_{}", std::process::id());
    let pg_copy = at_org(&pg, &pg_org);
    let result = std::panic::catch_unwind(|| {
        run(
            &pg,
            &pg_copy,
            &["org", "import", archive_arg, "--as", &pg_org],
        );
        let on_pg = answers(&pg, &pg_copy, &voter);
        assert_eq!(original.snapshots, on_pg.snapshots);
        assert_eq!(original.universe, on_pg.universe);
        assert_eq!(original.list_walk, on_pg.list_walk);
        assert_eq!(original.list_csv, on_pg.list_csv);
        assert_eq!(original.voter, on_pg.voter);
        assert_eq!(original.donations, on_pg.donations);
        // New rows after the import get fresh ids (sequences advanced).
        run(&pg, &pg_copy, &["voters", "show", &voter]);

        // … and back: PostgreSQL → SQLite.
        let back_archive = pg.path("back.zip");
        run(
            &pg,
            &pg_copy,
            &[
                "org",
                "export",
                &pg_org,
                "--out",
                back_archive.to_str().unwrap(),
            ],
        );
        let back = at_org(&sqlite, "back");
        run(
            &sqlite,
            &back,
            &[
                "org",
                "import",
                back_archive.to_str().unwrap(),
                "--as",
                "back",
            ],
        );
        let returned = answers(&sqlite, &back, &voter);
        assert_eq!(original.snapshots, returned.snapshots);
        assert_eq!(original.universe, returned.universe);
        assert_eq!(original.list_walk, returned.list_walk);
        assert_eq!(original.list_csv, returned.list_csv);
        assert_eq!(original.voter, returned.voter);
        assert_eq!(original.donations, returned.donations);
    });
    drop_pg_org(&pg_org);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// Copies `from` to `to` with one byte flipped inside the largest table file's data
/// (the zip's own CRC is patched, so only the manifest's SHA-256 can catch it).
fn tamper(from: &Path, to: &Path) {
    use std::io::{Read, Write};
    let mut reader = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut writer = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let largest = (0..reader.len())
        .max_by_key(|i| reader.by_index(*i).unwrap().size())
        .unwrap();
    for i in 0..reader.len() {
        let mut entry = reader.by_index(i).unwrap();
        let name = entry.name().expect("entry name").to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if i == largest {
            let at = data.len() / 2;
            // Swap one digit for another: the line stays valid JSON.
            data[at] = if data[at] == b'1' { b'2' } else { b'1' };
        }
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&data).unwrap();
    }
    writer.finish().unwrap();
}

/// `POST URL` with an optional Bearer token, cookie and form; status, the archive
/// checksum header and the body's bytes.
fn post(
    url: &str,
    token: Option<&str>,
    cookie: Option<&str>,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Vec<u8>) {
    let mut req = common::http().post(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    let mut resp = if form.is_empty() {
        req.send_empty()
    } else {
        req.send_form(form.iter().copied())
    }
    .expect("request");
    let sha = resp
        .headers()
        .get("x-archive-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap_or_default();
    (resp.status().as_u16(), sha, body)
}

fn hidden_csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
    body[at..at + 64].to_string()
}

/// Signs in through the login form: the session cookie and the page's CSRF token.
fn sign_in(base: &str, user: &str) -> (String, String) {
    let get = |url: &str, cookie: Option<&str>| {
        let mut req = common::http().get(url);
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        common::reply(&mut req.call().expect("request"))
    };
    let form = get(&format!("{base}/login"), None);
    let login_cookie = form
        .set_cookies
        .iter()
        .find(|c| c.starts_with("vb_login_csrf="))
        .cloned()
        .expect("login cookie");
    let mut resp = common::http()
        .post(&format!("{base}/login"))
        .header("Cookie", &login_cookie)
        .send_form([
            ("username", user),
            ("password", "a long password 1"),
            ("csrf", hidden_csrf(&form.body).as_str()),
        ])
        .expect("request");
    let signed_in = common::reply(&mut resp);
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    let session = signed_in
        .set_cookies
        .iter()
        .find(|c| c.starts_with("vb_session="))
        .cloned()
        .expect("session cookie");
    let page = get(&format!("{base}/admin/users"), Some(&session));
    assert!(page.body.contains("Download archive"), "{}", page.body);
    (session.clone(), hidden_csrf(&page.body))
}

#[test]
fn only_administrators_download_the_archive_and_it_imports() {
    for b in Backend::all("archttp") {
        let admin = common::add_user(&b, "ada", "admin");
        let manager = common::add_user(&b, "dan", "data_manager");
        let organizer = common::add_user(&b, "ola", "organizer");
        let volunteer = common::add_user(&b, "val", "volunteer");
        let served = common::serve(&b);
        let mut doc = common::http()
            .get(&format!("{}/api/v1/openapi.json", served.base))
            .call()
            .expect("openapi");
        let doc = common::reply(&mut doc);
        assert!(
            doc.body.contains("/api/v1/org/archive"),
            "documented in OpenAPI"
        );
        let url = format!("{}/api/v1/org/archive", served.base);
        // Route x role: signed out, admin, data manager, organizer, volunteer.
        for (who, expected) in [
            (None, 401),
            (Some(admin.as_str()), 200),
            (Some(manager.as_str()), 403),
            (Some(organizer.as_str()), 403),
            (Some(volunteer.as_str()), 403),
        ] {
            let (status, _, _) = post(&url, who, None, &[]);
            assert_eq!(status, expected, "{}: {who:?}", b.name);
        }
        let (status, sha, bytes) = post(&url, Some(&admin), None, &[]);
        assert_eq!(status, 200);
        let sha = sha.expect("checksum header");
        let file = b.path("downloaded.zip");
        std::fs::write(&file, &bytes).unwrap();

        // The admin page's button: a session with the CSRF token; without it, refused.
        let (session, csrf) = sign_in(&served.base, "ada");
        let page = format!("{}/admin/archive", served.base);
        let (refused, _, _) = post(&page, None, Some(&session), &[("csrf", "wrong")]);
        assert_eq!(refused, 403, "{}", b.name);
        let (status, page_sha, page_bytes) = post(&page, None, Some(&session), &[("csrf", &csrf)]);
        assert_eq!(status, 200, "{}", b.name);
        assert!(page_sha.is_some() && page_bytes.starts_with(b"PK"));
        drop(served);

        // The download is audited under the admin's name with its checksum, and imports.
        let copy = format!("http_copy_{}", std::process::id());
        let global = at_org(&b, &copy);
        if b.name == "sqlite" {
            let audit = audit_actions(&at_org(&b, "default"));
            assert!(
                audit.contains(&format!("org.export default sha256={sha}")),
                "{audit}"
            );
        } else {
            let org = b.args.last().unwrap().clone();
            let audit = audit_actions(&at_org(&b, &org));
            assert!(
                audit.contains(&format!("org.export {org} sha256={sha}")),
                "{audit}"
            );
        }
        let out = run(
            &b,
            &global,
            &["org", "import", file.to_str().unwrap(), "--as", &copy],
        );
        if b.name == "postgres" {
            drop_pg_org(&copy);
        }
        assert!(out.contains("imported"), "{out}");
    }
}
