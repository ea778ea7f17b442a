//! End to end on both stores: `votebase donations import` of a generated ActBlue export
//! with known truth (donors over the limit, one of them under a nickname at the same
//! address, a refunded gift that brings a donor back under the limit, a household sharing
//! an email, an itemizable donor without employer, a foreign address), recognised from
//! its header; a file with bad rows writes nothing and says which lines; the same file
//! twice gives the same totals; `donations flags` lists exactly the known flags with the
//! receipts that crossed the limit and the amounts to refund; `donations report` itemizes
//! the right contributions; a committee's own limit changes the flags. Then the real FEC
//! rows in `../shared/data/donations/fec/`, whose totals are recomputed here from the
//! file itself.

mod common;
use common::{fails, ok};

use common::Backend;
use std::collections::BTreeMap;

/// One generated gift.
#[derive(Clone)]
struct Gift {
    receipt: String,
    date: String,
    cents: i64,
    first: String,
    last: String,
    addr: String,
    city: String,
    state: String,
    zip: String,
    country: String,
    email: String,
    employer: String,
    occupation: String,
    election: &'static str,
    recurring_months: &'static str,
    refund: Option<(&'static str, &'static str)>,
}

/// A deterministic pseudo-random sequence (no dependency, same data every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const FIRST: [&str; 10] = [
    "Alice", "Carlos", "Dana", "Farid", "Grace", "Hiro", "Imani", "Keith", "Luz", "Nora",
];
const LAST: [&str; 8] = [
    "Abbott",
    "Baptiste",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Haddad",
];

#[allow(clippy::too_many_arguments)]
fn gift(
    receipt: &str,
    date: &str,
    dollars: i64,
    first: &str,
    last: &str,
    addr: &str,
    email: &str,
    election: &'static str,
) -> Gift {
    Gift {
        receipt: receipt.into(),
        date: format!("{date} 12:00:00"),
        cents: dollars * 100,
        first: first.into(),
        last: last.into(),
        addr: addr.into(),
        city: "Raleigh".into(),
        state: "NC".into(),
        zip: "27601".into(),
        country: "United States".into(),
        email: email.into(),
        employer: "Acme".into(),
        occupation: "Engineer".into(),
        election,
        recurring_months: "",
        refund: None,
    }
}

/// The generated export and its truth: gifts, and each person's (key) net total.
fn generate() -> (Vec<Gift>, BTreeMap<String, i64>) {
    let mut gifts = Vec::new();
    let mut rng = Lcg(17);
    let mut n = 0;
    let mut receipt = || {
        n += 1;
        format!("AB{n:05}")
    };
    let mut net: BTreeMap<String, i64> = BTreeMap::new();
    // 80 ordinary donors: small gifts, some recurring.
    for i in 0..80 {
        let (first, last) = (FIRST[i % 10], LAST[i / 10]);
        let email = format!(
            "{}.{}{i}@example.org",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let addr = format!("{} Maple Ave", 100 + i * 7);
        for k in 0..(1 + rng.next(4)) {
            let mut g = gift(
                &receipt(),
                &format!("2026-0{}-{:02}", 1 + k, 1 + rng.next(28)),
                5 + rng.next(60) as i64,
                first,
                last,
                &addr,
                &email,
                "2026 Primary",
            );
            if i % 4 == 0 {
                g.recurring_months = "99";
            }
            *net.entry(email.clone()).or_default() += g.cents;
            gifts.push(g);
        }
    }
    // Over the limit under a nickname at the same address: 2,000 + 1,000 + 800.
    let a = "9 Elm St";
    let e = "ralvarez@example.org";
    gifts.push(gift(
        &receipt(),
        "2026-01-10",
        2000,
        "Robert",
        "Alvarez",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        &receipt(),
        "2026-02-10",
        1000,
        "Bob",
        "Alvarez",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        "ALV-CROSS",
        "2026-03-10",
        800,
        "Robert",
        "Alvarez",
        a,
        e,
        "2026 Primary",
    ));
    // Over in the primary (crossed by 600), exactly at the limit in the general.
    let (a, e) = ("77 Birch Rd", "mchen@example.org");
    gifts.push(gift(
        &receipt(),
        "2026-01-05",
        3000,
        "Margaret",
        "Chen",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        "CHEN-CROSS",
        "2026-02-05",
        600,
        "Margaret",
        "Chen",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        &receipt(),
        "2026-07-05",
        3500,
        "Margaret",
        "Chen",
        a,
        e,
        "2026 General",
    ));
    // Crossed by 1,500 and still over after a further 200: 700 to refund.
    let (a, e) = ("5 Cedar Ct", "epetrova@example.org");
    gifts.push(gift(
        &receipt(),
        "2026-01-07",
        2500,
        "Elena",
        "Petrova",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        "PET-CROSS",
        "2026-02-07",
        1500,
        "Elena",
        "Petrova",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        &receipt(),
        "2026-03-07",
        200,
        "Elena",
        "Petrova",
        a,
        e,
        "2026 Primary",
    ));
    // 3,000 + 1,000 refunded: back at 3,000, not over.
    let (a, e) = ("12 Dogwood Ln", "wokafor@example.org");
    gifts.push(gift(
        &receipt(),
        "2026-01-09",
        3000,
        "William",
        "Okafor",
        a,
        e,
        "2026 Primary",
    ));
    let mut refunded = gift(
        &receipt(),
        "2026-02-09",
        1000,
        "William",
        "Okafor",
        a,
        e,
        "2026 Primary",
    );
    refunded.refund = Some(("RF-OKAFOR", "2026-02-20 09:00:00"));
    gifts.push(refunded);
    // A household sharing one email: two people.
    let (a, e) = ("40 Holly Dr", "smiths@example.org");
    gifts.push(gift(
        &receipt(),
        "2026-03-01",
        100,
        "Michael",
        "Smith",
        a,
        e,
        "2026 Primary",
    ));
    gifts.push(gift(
        &receipt(),
        "2026-03-02",
        50,
        "Jane",
        "Smith",
        a,
        e,
        "2026 Primary",
    ));
    // Itemizable (250) without employer or occupation.
    for (d, amount) in [("2026-02-11", 150), ("2026-04-11", 100)] {
        let mut g = gift(
            &receipt(),
            d,
            amount,
            "Priya",
            "Raman",
            "3 Oak Pl",
            "praman@example.org",
            "2026 Primary",
        );
        g.employer.clear();
        g.occupation.clear();
        gifts.push(g);
    }
    // A foreign address.
    let mut g = gift(
        &receipt(),
        "2026-03-15",
        50,
        "Liam",
        "Murphy",
        "1 Grafton St",
        "lmurphy@example.ie",
        "2026 Primary",
    );
    (g.city, g.state, g.zip, g.country) = (
        "Dublin".into(),
        String::new(),
        "D02".into(),
        "Ireland".into(),
    );
    gifts.push(g);
    (gifts, net)
}

fn write_actblue(path: &std::path::Path, gifts: &[Gift]) {
    let header =
        std::fs::read_to_string(common::shared("donations/actblue-contributions-header.csv"))
            .unwrap();
    let columns: Vec<&str> = header.trim_end().split(',').collect();
    assert_eq!(columns.len(), 101);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .unwrap();
    w.write_record(&columns).unwrap();
    for g in gifts {
        let mut row = vec![String::new(); columns.len()];
        let mut set = |name: &str, value: String| {
            let i = columns.iter().position(|c| *c == name).unwrap();
            row[i] = value;
        };
        set("Receipt ID", g.receipt.clone());
        set("Date", g.date.clone());
        set("Amount", format!("{}.{:02}", g.cents / 100, g.cents % 100));
        set("Recurring Total Months", g.recurring_months.into());
        set("Donor First Name", g.first.clone());
        set("Donor Last Name", g.last.clone());
        set("Donor Addr1", g.addr.clone());
        set("Donor City", g.city.clone());
        set("Donor State", g.state.clone());
        set("Donor ZIP", g.zip.clone());
        set("Donor Country", g.country.clone());
        set("Donor Occupation", g.occupation.clone());
        set("Donor Employer", g.employer.clone());
        set("Donor Email", g.email.clone());
        set("Recipient Gov ID", "C00999999".into());
        set("Recipient Election", g.election.into());
        set("Payment Date", g.date.clone());
        set("Card Type", "visa".into());
        set("Mobile", "f".into());
        if let Some((id, date)) = g.refund {
            set("Refund ID", id.into());
            set("Refund Date", date.into());
        }
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

#[test]
fn actblue_import_flags_and_report_with_known_truth() {
    let (gifts, ordinary) = generate();
    let gross: i64 = gifts.iter().map(|g| g.cents).sum();
    let refunded: i64 = gifts
        .iter()
        .filter(|g| g.refund.is_some())
        .map(|g| g.cents)
        .sum();
    // Itemized: every record of a person whose cycle aggregate exceeds $200.
    let ordinary_itemized: usize = ordinary
        .iter()
        .filter(|(_, net)| **net > 20_000)
        .map(|(email, _)| gifts.iter().filter(|g| &g.email == email).count())
        .sum();
    // Alvarez 3, Chen 3, Petrova 3, Okafor 2 + its refund, Raman 2.
    let itemized = ordinary_itemized + 3 + 3 + 3 + 3 + 2;
    for b in Backend::all("donations") {
        let file = b.path("actblue-2026.csv");
        write_actblue(&file, &gifts);

        // Bad rows: nothing written, lines and reasons in the rejects file.
        let mut bad = gifts[..3].to_vec();
        bad[1].date = "yesterday".into();
        bad.push(gifts[0].clone());
        write_actblue(&b.path("bad.csv"), &bad);
        let err = fails(&b, &["donations", "import", "bad.csv"]);
        assert!(err.contains("2 row(s) refused, nothing imported"), "{err}");
        let rejects = std::fs::read_to_string(b.path("bad.csv.rejects.csv")).unwrap();
        assert!(
            rejects.contains("3,Date,\"date \"\"yesterday\"\" matches none"),
            "{rejects}"
        );
        assert!(
            rejects.contains("5,receipt_id,receipt id AB00001 is already on line 2"),
            "{rejects}"
        );
        assert_eq!(
            ok(&b, &["donations", "flags"]).trim(),
            "flags: 0",
            "nothing imported"
        );
        let err = fails(&b, &["donations", "import", "bad.csv", "--layout", "fec"]);
        assert!(err.contains("refused"), "{err}");

        // The real import, recognised from the header, twice.
        let out = ok(&b, &["donations", "import", "actblue-2026.csv"]);
        let rows = gifts.len();
        assert!(
            out.contains(&format!(
                "(actblue): read {rows} rows, {} records (1 refunds, 0 chargebacks): {} new, 0 already imported",
                rows + 1,
                rows + 1
            )),
            "{out}"
        );
        assert!(
            out.contains("1 spellings joined known donors, 0 merged")
                || out.contains("0 spellings joined known donors, 1 merged"),
            "Bob Alvarez is Robert Alvarez: {out}"
        );
        let report = ok(&b, &["donations", "report", "--cycle", "2026"]);
        let again = ok(&b, &["donations", "import", "actblue-2026.csv"]);
        assert!(
            again.contains(&format!(
                ": 0 new, {} already imported; 0 new donors",
                rows + 1
            )),
            "{again}"
        );
        assert_eq!(
            ok(&b, &["donations", "report", "--cycle", "2026"]),
            report,
            "the same totals after a second import"
        );
        let first_line = report.lines().next().unwrap();
        assert_eq!(
            first_line,
            format!(
                "cycle 2026: {} gifts from {} donors, gross {}, net of 1 refunds {}",
                rows,
                ordinary.len() + 8,
                cents(gross),
                cents(gross - refunded)
            ),
            "{report}"
        );
        assert!(
            report.contains(&format!("itemized (Schedule A): {itemized} contributions")),
            "{report}"
        );

        let flags = ok(&b, &["donations", "flags"]);
        let lines: Vec<&str> = flags.lines().collect();
        let short: Vec<String> = lines[..lines.len() - 1]
            .iter()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let mut s = f[..4].join("|");
                if f[0] == "over_limit" {
                    s.push('|');
                    s.push_str(f[4]);
                }
                s
            })
            .collect();
        let expected = [
            "over_limit|Elena Petrova|epetrova@example.org|PET-CROSS|refund 700.00",
            "over_limit|Margaret Chen|mchen@example.org|CHEN-CROSS|refund 100.00",
            "over_limit|Robert Alvarez|ralvarez@example.org|ALV-CROSS|refund 300.00",
            "missing_employer|Priya Raman|praman@example.org|AB",
            "foreign_address|Liam Murphy|lmurphy@example.ie|AB",
            "possible_duplicate_donor|Jane Smith|smiths@example.org|AB",
            "possible_duplicate_donor|Michael Smith|smiths@example.org|AB",
        ];
        assert_eq!(short.len(), expected.len(), "{flags}");
        for (got, want) in short.iter().zip(expected) {
            assert!(got.starts_with(want), "{got} is not {want}: {flags}");
        }
        assert_eq!(*lines.last().unwrap(), "flags: 7", "{flags}");

        // The organization raises the committee's limit: no one is over it.
        ok(
            &b,
            &[
                "donations",
                "rules",
                "--committee",
                "C00999999",
                "--cycle",
                "2026",
                "--limit",
                "5000",
                "--itemize-over",
                "200",
            ],
        );
        let flags = ok(&b, &["donations", "flags", "--cycle", "2026"]);
        assert!(!flags.contains("over_limit"), "{flags}");
        assert!(flags.ends_with("flags: 4\n"), "{flags}");

        // Schedule A as CSV: header, formula-safe, the crossing receipt with its aggregate.
        let csv = ok(
            &b,
            &["donations", "report", "--cycle", "2026", "--format", "csv"],
        );
        assert!(csv.starts_with("committee_id,receipt_id,kind,entity_type,contributor_last_name"));
        assert_eq!(csv.lines().count(), itemized + 1, "{csv}");
        assert!(
            csv.lines()
                .any(|l| l.contains("CHEN-CROSS") && l.ends_with(",600.00,3600.00,P2026")),
            "{csv}"
        );
        assert!(
            csv.lines()
                .any(|l| l.contains("refund:RF-OKAFOR") && l.contains(",-1000.00,3000.00,")),
            "{csv}"
        );
    }
}

#[test]
fn real_fec_rows_import_once_with_the_files_own_totals() {
    let path = common::shared("donations/fec/itcont_sample_indiv18_5000.txt");
    let text = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&text);
    // Recomputed from the file: counted (non-memo) records, their net, the refunds.
    let (mut gifts, mut refunds, mut gross, mut net) = (0, 0, 0i64, 0i64);
    for line in text.lines() {
        let f: Vec<&str> = line.split('|').collect();
        assert_eq!(f.len(), 21);
        if f[18] == "X" {
            continue;
        }
        let c: i64 = (f[14].parse::<f64>().unwrap() * 100.0).round() as i64;
        if c < 0 || f[5].starts_with("22") {
            refunds += 1;
            net -= c.abs();
        } else {
            gifts += 1;
            gross += c;
            net += c;
        }
    }
    for b in Backend::all("donations_fec") {
        let out = ok(&b, &["donations", "import", path.to_str().unwrap()]);
        assert!(out.contains("(fec): read 5000 rows, 5000 records"), "{out}");
        assert!(out.contains("5000 new, 0 already imported"), "{out}");
        let report = ok(&b, &["donations", "report", "--cycle", "2018"]);
        let first = report.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("cycle 2018: {gifts} gifts from ")),
            "{first}"
        );
        assert!(
            first.ends_with(&format!(
                "gross {}, net of {refunds} refunds {}",
                cents(gross),
                cents(net)
            )),
            "{first}"
        );
        let again = ok(
            &b,
            &[
                "donations",
                "import",
                path.to_str().unwrap(),
                "--layout",
                "fec",
            ],
        );
        assert!(
            again.contains("0 new, 5000 already imported; 0 new donors"),
            "{again}"
        );
        assert_eq!(ok(&b, &["donations", "report", "--cycle", "2018"]), report);
        let flags = ok(&b, &["donations", "flags", "--cycle", "2018"]);
        let n: usize = flags
            .lines()
            .last()
            .and_then(|l| l.strip_prefix("flags: "))
            .and_then(|n| n.parse().ok())
            .expect("last line flags: N");
        assert_eq!(flags.lines().count(), n + 1);
        // 2018's limit was $2,700: an over-limit flag's refund is what exceeds it.
        for l in flags.lines().filter(|l| l.starts_with("over_limit\t")) {
            assert!(l.contains("over the 2700.00 limit"), "{l}");
        }
    }
}

/// A voter of the synthetic North Carolina file: (first, last, street, city, zip, ncid).
type NcVoter = (String, String, String, String, String, String);

/// Voters of the synthetic North Carolina file.
fn nc_voters() -> Vec<NcVoter> {
    let text = std::fs::read_to_string(common::shared(
        "voterfile/national-voter-file-synthetic/nc.csv",
    ))
    .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (f, l, s, c, z, id) = (
        col("first_name"),
        col("last_name"),
        col("res_street_address"),
        col("res_city_desc"),
        col("zip_code"),
        col("ncid"),
    );
    lines
        .map(|line| {
            let v: Vec<&str> = line.split('\t').collect();
            let t = |i: usize| v[i].trim().to_string();
            (t(f), t(l), t(s), t(c), t(z), t(id))
        })
        .collect()
}

#[test]
fn donors_who_are_voters_select_in_universes_and_show_on_the_timeline() {
    let voters = nc_voters();
    // Three voters with distinct names give; one donor is not in the voter file.
    let mut picked: Vec<&NcVoter> = Vec::new();
    for v in &voters {
        let unique = voters.iter().filter(|w| w.0 == v.0 && w.1 == v.1).count() == 1;
        if unique && !v.0.is_empty() && !v.2.is_empty() && v.4.len() == 5 {
            picked.push(v);
        }
        if picked.len() == 3 {
            break;
        }
    }
    assert_eq!(picked.len(), 3);
    let as_donor = |v: &NcVoter, receipt: &str, date: &str, dollars: i64| {
        let mut g = gift(
            receipt,
            date,
            dollars,
            &v.0,
            &v.1,
            &v.2,
            &format!("{}.{}@example.org", v.0, v.1).to_lowercase(),
            "2026 Primary",
        );
        g.city = v.3.clone();
        g.zip = v.4.clone();
        g
    };
    let mut a1 = as_donor(picked[0], "V-A1", "2026-02-01", 150);
    a1.recurring_months = "99";
    let mut gifts = vec![
        a1,
        as_donor(picked[0], "V-A2", "2026-03-01", 100),
        as_donor(picked[1], "V-B1", "2025-06-01", 600),
        as_donor(picked[2], "V-C1", "2024-05-01", 50),
    ];
    gifts[3].election = "2024 Primary";
    gifts.push(gift(
        "V-X1",
        "2026-02-02",
        900,
        "Zeb",
        "Outsider",
        "1 Nowhere Rd",
        "zeb@example.org",
        "2026 Primary",
    ));
    for b in Backend::all("donations_voters") {
        let nc = common::shared("voterfile/national-voter-file-synthetic/nc.csv");
        ok(
            &b,
            &[
                "import",
                "voters",
                nc.to_str().unwrap(),
                "--layout",
                "ncvoter",
            ],
        );
        write_actblue(&b.path("voters.csv"), &gifts);
        let out = ok(&b, &["donations", "import", "voters.csv"]);
        assert!(
            out.contains("voter file: 3 new donors linked, 0 to review, 1 not found"),
            "{}: {out}",
            b.name
        );
        let count = |expr: &str| -> u64 {
            let out = ok(&b, &["universe", "count", expr, "--include-voted"]);
            out.lines().last().unwrap().trim().parse().unwrap()
        };
        assert_eq!(count("donation_total>=200"), 2, "{}", b.name);
        assert_eq!(count("max_gift>=500"), 1);
        assert_eq!(count("recurring:yes"), 1);
        assert_eq!(count("recurring:no"), 2);
        assert_eq!(count("donated:2025-01-01.."), 2);
        assert_eq!(count("donated:..2024-12-31"), 1);
        assert_eq!(
            count("donated:2025-01-01.. donation_total>=200 !recurring:yes"),
            1
        );

        // The voter's timeline shows the gifts.
        b.cmd(&["user", "add", "finance", "--role", "data_manager"])
            .write_stdin("a long password 1\n")
            .assert()
            .success();
        let token = ok(&b, &["token", "create", "finance"]).trim().to_string();
        let s = common::serve(&b);
        let r = common::reply(
            &mut common::http()
                .get(&format!(
                    "{}/api/v1/voters/{}/timeline",
                    s.base, picked[0].5
                ))
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let t: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let gifts: Vec<&str> = t["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "gift")
            .map(|e| e["summary"].as_str().unwrap())
            .collect();
        assert_eq!(
            gifts,
            [
                "Gift of $100.00 (P2026)",
                "Recurring gift of $150.00 (P2026)"
            ],
            "{}",
            b.name
        );
    }
}

/// A CSV line's cells (the call lists have no quoted commas but in names we chose).
fn cells(line: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn call_lists_with_known_truth_on_both_stores() {
    let g = |receipt: &str, date: &str, dollars: i64, first: &str, last: &str, e: &'static str| {
        let email = format!("{}@example.org", first.to_lowercase());
        gift(receipt, date, dollars, first, last, "1 Main St", &email, e)
    };
    // Ann and Eve lapsed (nothing since 2026-01-01); Ben is at the primary's limit with
    // room in the general; Cara is at the limit in both (never on call time); Dev gave
    // once this year. Eve's surname is a formula.
    let gifts = vec![
        g("CL-A1", "2025-03-01", 100, "Ann", "Archer", "2026 Primary"),
        g("CL-A2", "2025-06-01", 50, "Ann", "Archer", "2026 Primary"),
        g("CL-B1", "2025-05-01", 3500, "Ben", "Bishop", "2026 Primary"),
        g("CL-B2", "2026-03-01", 200, "Ben", "Bishop", "2026 General"),
        g("CL-C1", "2026-02-01", 3500, "Cara", "Cole", "2026 Primary"),
        g("CL-C2", "2026-07-01", 3500, "Cara", "Cole", "2026 General"),
        g("CL-D1", "2026-04-01", 1000, "Dev", "Dutta", "2026 Primary"),
        g(
            "CL-E1",
            "2024-10-01",
            25,
            "Eve",
            "=HYPERLINK(1)",
            "2024 General",
        ),
    ];
    for b in Backend::all("donations_calls") {
        write_actblue(&b.path("calls.csv"), &gifts);
        ok(&b, &["donations", "import", "calls.csv"]);
        let list = |name: &str, extra: &[&str]| -> Vec<String> {
            let mut args = vec!["donations", "export", "--list", name, "--cycle", "2026"];
            args.extend_from_slice(extra);
            let out = ok(&b, &args);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(
                *lines.last().unwrap(),
                format!("donors: {}", lines.len() - 1),
                "{out}"
            );
            lines[..lines.len() - 1]
                .iter()
                .map(|l| l.split('\t').next().unwrap().to_string())
                .collect()
        };
        let since = ["--since", "2026-01-01"];
        assert_eq!(
            list("lapsed", &since),
            ["Ann Archer", "Eve =HYPERLINK(1)"],
            "largest total first: {}",
            b.name
        );
        assert_eq!(
            list("thank-you", &since),
            ["Cara Cole", "Dev Dutta", "Ben Bishop"],
            "latest gift first"
        );
        assert_eq!(
            list("call-time", &[]),
            ["Ben Bishop", "Dev Dutta", "Ann Archer", "Eve =HYPERLINK(1)"],
            "largest gift first, Cara has no room left"
        );
        assert_eq!(
            list("call-time", &["--top", "2"]),
            ["Ben Bishop", "Dev Dutta"]
        );

        // CSV: the finance team's columns, amounts in dollars, formula-safe.
        let csv = ok(
            &b,
            &[
                "donations",
                "export",
                "--list",
                "call-time",
                "--cycle",
                "2026",
                "--format",
                "csv",
            ],
        );
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "person,first_name,last_name,email,phone,address,city,state,zip,last_gift_date,last_gift_amount,gifts,max_gift,cycle_total,total,committee_id,room_primary,room_general"
        );
        assert_eq!(lines.len(), 5, "{csv}");
        let ben = cells(lines[1]);
        assert_eq!(
            ben[1..].join("|"),
            "Ben|Bishop|ben@example.org||1 Main St|Raleigh|NC|27601|2026-03-01|200.00|2|3500.00|3700.00|3700.00|C00999999|0.00|3300.00",
            "{csv}"
        );
        let eve = cells(lines[4]);
        assert_eq!(eve[2], "'=HYPERLINK(1)", "formula neutralised: {csv}");
        assert_eq!(
            (eve[13].as_str(), eve[14].as_str()),
            ("0.00", "25.00"),
            "nothing in the 2026 cycle"
        );
        let err = fails(
            &b,
            &["donations", "export", "--list", "lapsed", "--cycle", "2025"],
        );
        assert!(err.contains("cycle 2025 is not an even year"), "{err}");

        // The API: the same list for the export permission, audited.
        let token = common::add_user(&b, "finance", "data_manager");
        let admin = common::add_user(&b, "boss", "admin");
        let s = common::serve(&b);
        let get = |path: &str, token: &str| {
            common::reply(
                &mut common::http()
                    .get(&format!("{}{path}", s.base))
                    .header("Authorization", &format!("Bearer {token}"))
                    .call()
                    .unwrap(),
            )
        };
        let r = get(
            "/api/v1/donations/export?list=call-time&cycle=2026&top=2",
            &token,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let api: Vec<&str> = r.body.lines().collect();
        assert_eq!(api[..], lines[..3], "{}", b.name);
        let r = get(
            "/api/v1/donations/export?list=thank-you&since=2026-01-01&cycle=2026&format=json",
            &token,
        );
        let rows = common::json(&r);
        let names: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["first_name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Cara", "Dev", "Ben"]);
        assert_eq!(rows[2]["room_general_cents"], 330_000);
        let page = get("/donations", &token);
        assert!(
            page.body
                .contains("/api/v1/donations/export?list=lapsed&amp;format=csv"),
            "a link on /donations"
        );
        let audit = common::json(&get("/api/v1/audit?limit=500", &admin));
        let exports = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "export" && e["subject"] == "donations:call-time")
            .count();
        assert_eq!(
            exports, 4,
            "three CLI exports and one API export audited: {audit}"
        );
    }
}

#[test]
fn uncertain_donor_pairs_wait_for_review_and_a_decision_sticks() {
    let (mut gifts, _) = generate();
    // Two namesakes in one ZIP on other streets, the second gift without an email (a
    // check): the engine is unsure.
    let mut namesake = |receipt: &str, first: &str, last: &str, addr: &str, email: &str| {
        let mut g = gift(
            receipt,
            "2026-03-01",
            50,
            first,
            last,
            addr,
            email,
            "2026 Primary",
        );
        (g.city, g.zip) = ("Braddock Mills".into(), "28508".into());
        gifts.push(g);
    };
    namesake(
        "TS-1",
        "Timothy",
        "Smith",
        "2069 W Foster Lane",
        "tsmith1@example.org",
    );
    namesake("TS-2", "Timothy", "Smith", "2613 Pine Meadow Rd", "");
    namesake(
        "LO-1",
        "Lena",
        "Ortiz",
        "40 Quarry Rd",
        "lena.o@example.org",
    );
    namesake("LO-2", "Lena", "Ortiz", "7 Sycamore Bend", "");
    for b in Backend::all("donations_review") {
        write_actblue(&b.path("review.csv"), &gifts);
        let out = ok(&b, &["donations", "import", "review.csv"]);
        assert!(
            out.contains("2 uncertain pairs for review"),
            "{}: {out}",
            b.name
        );
        let queue = ok(&b, &["donations", "review"]);
        let lines: Vec<&str> = queue.lines().collect();
        assert_eq!(lines.len(), 3, "{queue}");
        assert_eq!(lines[2], "reviews: 2");
        let id_of = |name: &str| -> String {
            let line = lines.iter().find(|l| l.contains(name)).unwrap();
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f[1], "pending");
            assert!(f[5].contains("first_name: exact"), "explained: {line}");
            assert!(f[3].starts_with(name) && f[4].starts_with(name), "{line}");
            f[0].to_string()
        };
        let (tim, lena) = (id_of("Timothy Smith"), id_of("Lena Ortiz"));
        let thank_you = |b: &Backend| -> Vec<String> {
            ok(
                b,
                &[
                    "donations",
                    "export",
                    "--list",
                    "thank-you",
                    "--since",
                    "2026-03-01",
                    "--cycle",
                    "2026",
                ],
            )
            .lines()
            .filter(|l| l.starts_with("Lena Ortiz") || l.starts_with("Timothy Smith"))
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
        };
        assert_eq!(thank_you(&b).len(), 4, "two people each until decided");

        // Two people: rejected; one person: accepted (from the API, as a data manager).
        let out = ok(&b, &["donations", "review", "reject", &tim]);
        assert!(out.contains("stay two people"), "{out}");
        let token = common::add_user(&b, "finance", "data_manager");
        let s = common::serve(&b);
        let r = common::reply(
            &mut common::http()
                .post(&format!("{}/api/v1/donations/reviews/{lena}", s.base))
                .header("Authorization", &format!("Bearer {token}"))
                .header("Content-Type", "application/json")
                .send(r#"{"decision":"accept"}"#.as_bytes())
                .unwrap(),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let decided = common::json(&r);
        assert_eq!(decided["status"], "accepted");
        assert_eq!(decided["decided_by"], "finance");
        assert_eq!(decided["person"], decided["other_person"], "merged");
        let page = common::reply(
            &mut common::http()
                .get(&format!("{}/donations", s.base))
                .header("Authorization", &format!("Bearer {token}"))
                .call()
                .unwrap(),
        );
        assert!(page.body.contains("Donors to review (0)"), "{}", page.body);
        drop(s);
        let people = thank_you(&b);
        assert_eq!(
            people,
            ["Lena Ortiz", "Timothy Smith", "Timothy Smith"],
            "Lena's two gifts are one donor's now: {}",
            b.name
        );
        let err = fails(&b, &["donations", "review", "accept", &lena]);
        assert!(err.contains("already accepted"), "{err}");
        let err = fails(&b, &["donations", "review", "accept", "999"]);
        assert!(err.contains("no donor review 999"), "{err}");

        // A second import queues nothing again; the decisions are kept.
        ok(&b, &["donations", "import", "review.csv"]);
        assert_eq!(ok(&b, &["donations", "review"]).trim(), "reviews: 0");
        let all = ok(&b, &["donations", "review", "--all"]);
        assert!(
            all.contains("\trejected\t") && all.contains("\taccepted\t"),
            "{all}"
        );
        assert!(all.ends_with("reviews: 2\n"), "{all}");
    }
}
