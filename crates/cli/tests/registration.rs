//! End-to-end test of the public registration check on both stores: a name, year of
//! birth and ZIP give back only status and precinct, in English or Spanish, and checks
//! are rate-limited per address.

mod common;

use common::{Backend, shared};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(b: &Backend) -> Server {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("votebase"))
        .args(&b.args)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("server starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let line = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving http://"))
        .expect("address");
    std::thread::spawn(move || for _ in lines {});
    let base = line
        .split("serving ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    Server(child, base.trim_end_matches('/').to_string())
}

fn get(url: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent.get(url).call().expect("request");
    (
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    )
}

#[test]
fn registration_check_returns_only_status_and_precinct() {
    for b in Backend::all("reg") {
        let nc = shared("voterfile/national-voter-file-synthetic/nc.csv");
        b.cmd(&[
            "import",
            "voters",
            nc.to_str().unwrap(),
            "--layout",
            "ncvoter",
            "--as-of",
            "2026-09-01",
        ])
        .assert()
        .success();
        let s = start(&b);
        let (status, body) = get(&format!(
            "{}/api/v1/registration?first_name=Mason&last_name=landry&birth_year=1992&zip=46984",
            s.1
        ));
        assert_eq!(status, 200, "{}: {body}", b.name);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["result"], "found", "{}: {v}", b.name);
        assert_eq!(v["registrations"][0]["status"], "inactive");
        assert_eq!(v["registrations"][0]["precinct_code"], "1/7");
        for private in ["LANDRY", "JOHNSON", "DU994065", "MASON"] {
            assert!(
                !body.to_uppercase().contains(private),
                "{}: leaks {private}: {body}",
                b.name
            );
        }
        let (_, body) = get(&format!(
            "{}/api/v1/registration?first_name=Mason&last_name=Landry&birth_year=1950&zip=46984",
            s.1
        ));
        assert!(body.contains("\"not_found\""), "{body}");
        let (status, _) = get(&format!("{}/api/v1/registration?first_name=Mason", s.1));
        assert_eq!(status, 400);
        let (status, page) = get(&format!(
            "{}/vote/registered?first_name=Mason&last_name=Landry&birth_year=1992&zip=46984&lang=es",
            s.1
        ));
        assert_eq!(status, 200);
        assert!(
            page.contains("Usted está inscrito") && page.contains("lang=\"es\""),
            "{page}"
        );
        let mut limited = false;
        for _ in 0..30 {
            let (status, _) = get(&format!(
                "{}/api/v1/registration?first_name=A&last_name=B&birth_year=1990&zip=27601",
                s.1
            ));
            if status == 429 {
                limited = true;
                break;
            }
        }
        assert!(limited, "{}: checks are rate-limited", b.name);
    }
}
