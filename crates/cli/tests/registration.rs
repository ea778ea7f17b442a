//! End-to-end test of the public registration check on both stores: a name, year of
//! birth and ZIP give back only status and precinct, in English or Spanish, and checks
//! are rate-limited per address.

mod common;

use common::{Backend, shared};

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
        let s = common::serve(&b);
        let (status, body) = get(&format!(
            "{}/api/v1/registration?first_name=Mason&last_name=landry&birth_year=1992&zip=46984",
            s.base
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
            s.base
        ));
        assert!(body.contains("\"not_found\""), "{body}");
        let (status, _) = get(&format!("{}/api/v1/registration?first_name=Mason", s.base));
        assert_eq!(status, 400);
        // Oversized input is refused before any lookup, as JSON and as a page.
        let long = "M".repeat(101);
        let (status, body) = get(&format!(
            "{}/api/v1/registration?first_name={long}&last_name=Landry&birth_year=1992&zip=46984",
            s.base
        ));
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("at most 100"), "{body}");
        let (status, page) = get(&format!(
            "{}/vote/registered?first_name=Mason&last_name=Landry&birth_year=1992&zip={}",
            s.base,
            "4".repeat(5000)
        ));
        assert_eq!(status, 400);
        assert!(page.contains("too long"), "{page}");
        let (status, page) = get(&format!(
            "{}/vote/registered?first_name=Mason&last_name=Landry&birth_year=1992&zip=46984&lang=es",
            s.base
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
                s.base
            ));
            if status == 429 {
                limited = true;
                break;
            }
        }
        assert!(limited, "{}: checks are rate-limited", b.name);
    }
}
