//! Giving histories in ActBlue's export format, for the demo and `votebase bench
//! donations`. The header is ActBlue's 101-column "paid contributions" CSV, copied here as
//! a constant (the demo never reads `../shared` at run time). The demo's history draws its
//! donors from the fictional state's voters (so donors link to the voter file): many small
//! monthly recurring gifts, some one-off gifts, a few large ones, a few donors over the
//! per-election limit, refunds (a refunded gift's row carries `Refund ID` and `Refund
//! Date`), donors under variant names (a nickname, a move, a misspelt surname),
//! namesakes in one city (one ZIP over, another street and email: the linkage engine is
//! unsure), a household sharing an email, large donors without employer and a foreign address. The
//! benchmark's file is a million rows of synthetic donors, each always under one exact
//! spelling, so a plain SQL aggregation can be checked against votebase's. Deterministic
//! by seed.

use crate::DemoState;
use crate::names::NameBook;
use crate::rng::{Draw, SplitMix};
use chrono::{Days, NaiveDate};
use std::path::Path;

/// ActBlue's contributions export header (101 columns in 2026; "Reserved" repeats).
pub const ACTBLUE_COLUMNS: [&str; 101] = [
    "Receipt ID",
    "Date",
    "Amount",
    "Recurring Total Months",
    "Recurrence Number",
    "Recipient",
    "Fundraising Page",
    "Fundraising Partner",
    "Reference Code 2",
    "Reference Code",
    "Donor First Name",
    "Donor Last Name",
    "Donor Addr1",
    "Donor Addr2",
    "Donor City",
    "Donor State",
    "Donor ZIP",
    "Donor Country",
    "Donor Occupation",
    "Donor Employer",
    "Donor Email",
    "Donor Phone",
    "New Express Signup",
    "Comments",
    "Check Number",
    "Check Date",
    "Employer Addr1",
    "Employer Addr2",
    "Employer City",
    "Employer State",
    "Employer ZIP",
    "Employer Country",
    "Donor ID",
    "Fundraiser ID",
    "Fundraiser Recipient ID",
    "Fundraiser Contact Email",
    "Fundraiser Contact First Name",
    "Fundraiser Contact Last Name",
    "Partner ID",
    "Partner Contact Email",
    "Partner Contact First Name",
    "Partner Contact Last Name",
    "Reserved",
    "Lineitem ID",
    "AB Test Name",
    "AB Variation",
    "Recipient Committee",
    "Recipient ID",
    "Recipient Gov ID",
    "Recipient Election",
    "Reserved",
    "Payment ID",
    "Payment Date",
    "Disbursement ID",
    "Disbursement Date",
    "Recovery ID",
    "Recovery Date",
    "Refund ID",
    "Refund Date",
    "Fee",
    "Recur Weekly",
    "ActBlue Express Lane",
    "Reserved",
    "Card Type",
    "Reserved",
    "Reserved",
    "Reserved",
    "Reserved",
    "Mobile",
    "Recurring Upsell Shown",
    "Recurring Upsell Succeeded",
    "Double Down",
    "Smart Recurring",
    "Monthly Recurring Amount",
    "Apple Pay",
    "Card Replaced by Account Updater",
    "ActBlue Express Donor",
    "Custom Field 1 Label",
    "Custom Field 1 Value",
    "Donor US Passport Number",
    "Text Message Opt In",
    "Gift Identifier",
    "Gift Declined",
    "Shipping Addr1",
    "Shipping City",
    "Shipping State",
    "Shipping Zip",
    "Shipping Country",
    "Weekly Recurring Amount",
    "Smart Boost Amount",
    "Smart Boost Shown",
    "Bump Recurring Seen",
    "Bump Recurring Succeeded",
    "Weekly to Monthly Rollover Date",
    "Weekly Recurring Sunset",
    "Recurring Type",
    "Recurring Pledged",
    "Paypal",
    "Kind",
    "Managed Entity Name",
    "Managed Entity Committee Name",
];

/// The fictional campaign committee the demo's gifts go to.
pub const DEMO_COMMITTEE: &str = "C00900026";

/// Gifts on or after this day are designated for the general election.
fn general_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 13).expect("valid date")
}

/// The donor on a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DonorRow {
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
    /// Street.
    pub address: String,
    /// City.
    pub city: String,
    /// State.
    pub state: String,
    /// ZIP or postcode.
    pub zip: String,
    /// Country (empty for the United States).
    pub country: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Employer.
    pub employer: String,
    /// Occupation.
    pub occupation: String,
}

/// One gift row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftRow {
    /// Receipt ID.
    pub receipt: String,
    /// The day given.
    pub date: NaiveDate,
    /// Amount in cents.
    pub cents: i64,
    /// Part of a monthly recurring series.
    pub recurring: bool,
    /// `Refund ID` and `Refund Date` when refunded.
    pub refund: Option<(String, NaiveDate)>,
}

/// Writes rows in ActBlue's layout.
pub struct ActBlueWriter {
    out: csv::Writer<std::io::BufWriter<std::fs::File>>,
    at: [usize; 23],
    row: Vec<String>,
}

const SET: [&str; 23] = [
    "Receipt ID",
    "Date",
    "Amount",
    "Recurring Total Months",
    "Donor First Name",
    "Donor Last Name",
    "Donor Addr1",
    "Donor City",
    "Donor State",
    "Donor ZIP",
    "Donor Country",
    "Donor Occupation",
    "Donor Employer",
    "Donor Email",
    "Donor Phone",
    "Recipient Gov ID",
    "Recipient Election",
    "Payment Date",
    "Card Type",
    "Mobile",
    "Refund ID",
    "Refund Date",
    "Recipient Committee",
];

impl ActBlueWriter {
    /// Creates the file and writes the header.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(file);
        out.write_record(ACTBLUE_COLUMNS)?;
        let mut at = [0; 23];
        for (k, name) in SET.iter().enumerate() {
            at[k] = ACTBLUE_COLUMNS
                .iter()
                .position(|c| c == name)
                .expect("every column written is in the header");
        }
        Ok(Self {
            out,
            at,
            row: vec![String::new(); ACTBLUE_COLUMNS.len()],
        })
    }

    /// Writes one gift of `donor` to `committee`.
    pub fn write(
        &mut self,
        donor: &DonorRow,
        gift: &GiftRow,
        committee: &str,
    ) -> std::io::Result<()> {
        let when = format!("{} 12:00:00", gift.date);
        let election = if gift.date >= general_from() {
            "2026 General"
        } else {
            "2026 Primary"
        };
        let (refund_id, refund_date) = match &gift.refund {
            Some((id, on)) => (id.clone(), format!("{on} 09:00:00")),
            None => (String::new(), String::new()),
        };
        let values: [String; 23] = [
            gift.receipt.clone(),
            when.clone(),
            format!("{}.{:02}", gift.cents / 100, gift.cents % 100),
            if gift.recurring {
                "99".into()
            } else {
                String::new()
            },
            donor.first.clone(),
            donor.last.clone(),
            donor.address.clone(),
            donor.city.clone(),
            donor.state.clone(),
            donor.zip.clone(),
            donor.country.clone(),
            donor.occupation.clone(),
            donor.employer.clone(),
            donor.email.clone(),
            donor.phone.clone(),
            committee.into(),
            election.into(),
            when,
            "visa".into(),
            "f".into(),
            refund_id,
            refund_date,
            "Friends of the Demo Campaign".into(),
        ];
        for (k, v) in values.into_iter().enumerate() {
            self.row[self.at[k]] = v;
        }
        self.out.write_record(&self.row)?;
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// What the demo's giving history holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoDonations {
    /// Rows written.
    pub rows: usize,
    /// Donors (people, not spellings).
    pub donors: usize,
    /// Refunded gifts.
    pub refunds: usize,
    /// Donors planted over the primary's limit, by name.
    pub over_limit: Vec<String>,
    /// Donors who give under a second spelling.
    pub variants: usize,
    /// Donors planted with the name of another donor in the same city.
    pub namesakes: usize,
}

const NICKNAMES: &[(&str, &str)] = &[
    ("William", "Bill"),
    ("Robert", "Bob"),
    ("Richard", "Rick"),
    ("Elizabeth", "Liz"),
    ("Jennifer", "Jen"),
    ("Michael", "Mike"),
    ("James", "Jim"),
    ("Katherine", "Kate"),
    ("Christopher", "Chris"),
    ("Margaret", "Peggy"),
];
const EMPLOYERS: [&str; 8] = [
    "Self-employed",
    "Wake County Schools",
    "Duke Health",
    "Retired",
    "Acme Software",
    "City of Raleigh",
    "Tarheel Logistics",
    "Not employed",
];
const OCCUPATIONS: [&str; 8] = [
    "Consultant",
    "Teacher",
    "Nurse",
    "Retired",
    "Engineer",
    "Planner",
    "Driver",
    "Not employed",
];
const MONTHLY: [i64; 5] = [5, 10, 15, 25, 50];

fn title(upper: &str) -> String {
    upper
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f
                    .to_uppercase()
                    .chain(c.flat_map(|x| x.to_lowercase()))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// Writes the demo's ActBlue export of about `donors` donors drawn from the state's voters.
pub fn write_demo_donations(
    state: &DemoState,
    path: &Path,
    donors: usize,
) -> std::io::Result<DemoDonations> {
    let names = NameBook::get();
    let voters = state.voters.len().max(1);
    let every = (voters / donors.max(1)).max(1);
    let seed = state.options.seed ^ 0x0d0_4a7e;
    let mut w = ActBlueWriter::create(path)?;
    let mut summary = DemoDonations::default();
    let mut receipt = 0u64;
    let mut next_receipt = || {
        receipt += 1;
        format!("AB{receipt:07}")
    };
    let mut previous_email = String::new();
    let mut previous = DonorRow::default();
    for (i, v) in state.second_snapshot() {
        if summary.donors >= donors || !(i as usize).is_multiple_of(every) || v.confidential {
            continue;
        }
        let j = summary.donors;
        summary.donors += 1;
        let mut r = SplitMix::new(seed, u64::from(i));
        let precinct = &state.precincts[state.precinct_of(&v) as usize];
        let first = title(names.given(v.first));
        let last = title(&v.last_name());
        let mut donor = DonorRow {
            email: format!(
                "{}.{}{j}@example.com",
                first.to_lowercase().replace(' ', ""),
                last.to_lowercase().replace([' ', '\'', '-'], "")
            ),
            first,
            last,
            address: title(&state.street_address(&v)),
            city: title(&state.cities[precinct.city as usize].name),
            state: "NC".into(),
            zip: format!("{:05}", precinct.zip5),
            country: String::new(),
            phone: v.phone().unwrap_or_default(),
            employer: EMPLOYERS[r.index(EMPLOYERS.len())].into(),
            occupation: OCCUPATIONS[r.index(OCCUPATIONS.len())].into(),
        };
        if j % 97 == 50 {
            // A namesake of the previous donor in the same city, one ZIP over, on another
            // street with another email: maybe the same person, maybe not (the review
            // queue; in the same ZIP the linkage engine merges most such pairs).
            donor.first = previous.first.clone();
            donor.last = previous.last.clone();
            donor.email = format!(
                "{}{j}@example.net",
                previous.first.to_lowercase().replace(' ', "")
            );
            donor.city = previous.city.clone();
            donor.zip = previous
                .zip
                .parse::<u32>()
                .map(|z| format!("{:05}", z + 1))
                .unwrap_or_else(|_| previous.zip.clone());
            summary.namesakes += 1;
        }
        if j % 61 == 30 && !previous_email.is_empty() {
            // A household giving through one email address.
            donor.email = previous_email.clone();
        }
        if j % 150 == 11 {
            (donor.city, donor.state, donor.zip, donor.country) = (
                "Toronto".into(),
                "ON".into(),
                "M5V 2T6".into(),
                "Canada".into(),
            );
        }
        let mut gifts: Vec<GiftRow> = Vec::new();
        let mut gift = |date: NaiveDate, dollars: i64, recurring: bool| GiftRow {
            receipt: next_receipt(),
            date,
            cents: dollars * 100,
            recurring,
            refund: None,
        };
        match j % 20 {
            0..=12 => {
                let amount = MONTHLY[r.index(MONTHLY.len())];
                let dom = 1 + r.below(28) as u32;
                for month in (1 + r.below(6) as u32)..=11 {
                    gifts.push(gift(day(2026, month, dom), amount, true));
                }
            }
            13..=17 => {
                for _ in 0..(1 + r.below(3)) {
                    let on = day(2025, 3, 1) + Days::new(r.below(600));
                    gifts.push(gift(on, 10 + r.below(241) as i64, false));
                }
            }
            19 if j % 40 == 19 => {
                // Over the primary's limit: 2,000 + 1,000 + 1,000 crosses 3,500 by 500.
                gifts.push(gift(day(2026, 1, 10), 2_000, false));
                gifts.push(gift(day(2026, 3, 10), 1_000, false));
                gifts.push(gift(day(2026, 4, 10), 1_000, false));
                summary
                    .over_limit
                    .push(format!("{} {}", donor.first, donor.last));
            }
            _ => {
                for _ in 0..(1 + r.below(2)) {
                    let on = day(2025, 6, 1) + Days::new(r.below(500));
                    gifts.push(gift(on, 500 + r.below(2_401) as i64, false));
                }
            }
        }
        if j % 20 >= 18 && j % 3 == 0 {
            donor.employer.clear();
            donor.occupation.clear();
        }
        if j % 37 == 5
            && let Some(g) = gifts.last_mut()
        {
            g.refund = Some((format!("RF{}", &g.receipt[2..]), g.date + Days::new(10)));
            summary.refunds += 1;
        }
        gifts.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.receipt.cmp(&b.receipt)));
        // A second spelling for the newest gifts of a few donors.
        let variant = match j % 23 {
            7 => NICKNAMES
                .iter()
                .find(|(full, _)| *full == donor.first)
                .map(|(_, nick)| DonorRow {
                    first: nick.to_string(),
                    ..donor.clone()
                })
                .or_else(|| {
                    Some(DonorRow {
                        first: donor.first.chars().take(1).collect(),
                        ..donor.clone()
                    })
                }),
            15 => Some(DonorRow {
                // Moved across town: same name and email, a new address.
                address: format!("{} Juniper Ct", 100 + j),
                phone: String::new(),
                ..donor.clone()
            }),
            19 if donor.last.len() > 4 => {
                // A misspelt surname and another email at the same address.
                let mut b = donor.last.clone().into_bytes();
                b.swap(2, 3);
                let last = String::from_utf8(b).unwrap_or_default();
                Some(DonorRow {
                    email: format!("{}{}@example.net", donor.first.to_lowercase(), j),
                    last,
                    ..donor.clone()
                })
            }
            _ => None,
        };
        let split = if variant.is_some() && gifts.len() > 1 {
            summary.variants += 1;
            gifts.len() / 2
        } else {
            gifts.len()
        };
        for (k, g) in gifts.iter().enumerate() {
            let who = match &variant {
                Some(other) if k >= split => other,
                _ => &donor,
            };
            w.write(who, g, DEMO_COMMITTEE)?;
            summary.rows += 1;
        }
        previous_email = donor.email.clone();
        previous = donor;
    }
    w.finish()?;
    Ok(summary)
}

/// What the benchmark's file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BenchDonations {
    /// Rows written.
    pub rows: usize,
    /// Refunded gifts among them (each becomes a refund record of its own).
    pub refunds: usize,
    /// Distinct donors who gave.
    pub donors: usize,
}

const STREETS: [&str; 12] = [
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Birch", "Walnut", "Hickory", "Dogwood", "Magnolia",
    "Poplar", "Willow",
];
const CITIES: [&str; 12] = [
    "Raleigh",
    "Durham",
    "Cary",
    "Charlotte",
    "Greensboro",
    "Asheville",
    "Chapel Hill",
    "Greenville",
    "Wilmington",
    "Boone",
    "Fayetteville",
    "Hickory",
];

/// The benchmark's donor number `d`: always the same spelling, unique email and address,
/// names drawn uniformly from the name book and ZIPs from about 1,900, so that two
/// donors are one person for the linkage engine as rarely as for the plain SQL.
pub fn bench_donor(seed: u64, d: u64) -> DonorRow {
    let names = NameBook::get();
    let mut r = SplitMix::new(seed ^ 0xb0b_d07a, d);
    let first = title(names.given(r.index(names.given_len()) as u16));
    let last = title(names.surname(r.index(names.surname_len()) as u16));
    // About 1,900 ZIPs: two donors who happen to share a name rarely share a ZIP too.
    let zip = 27_006 + r.below(1_900);
    DonorRow {
        email: format!("donor{d}@example.net"),
        first,
        last,
        address: format!("{} {} St", 1 + d, STREETS[r.index(STREETS.len())]),
        city: CITIES[(zip % 12) as usize].into(),
        state: "NC".into(),
        zip: zip.to_string(),
        country: String::new(),
        phone: String::new(),
        employer: EMPLOYERS[r.index(EMPLOYERS.len())].into(),
        occupation: OCCUPATIONS[r.index(OCCUPATIONS.len())].into(),
    }
}

/// Writes `rows` gifts from `rows / 8` synthetic donors (many small gifts, some recurring,
/// a few large ones, 1% refunded), in ActBlue's layout.
pub fn write_bench_donations(
    path: &Path,
    rows: usize,
    seed: u64,
) -> std::io::Result<BenchDonations> {
    let donors = (rows / 8).max(1) as u64;
    let mut w = ActBlueWriter::create(path)?;
    let mut out = BenchDonations::default();
    let mut gave = vec![false; donors as usize];
    let mut r = SplitMix::new(seed, 0xd0_0a7e);
    for n in 0..rows {
        let d = r.below(donors);
        gave[d as usize] = true;
        let donor = bench_donor(seed, d);
        let date = day(2025, 1, 1) + Days::new(r.below(670));
        let roll = r.below(100);
        let dollars = match roll {
            0 => 1_000 + r.below(2_301),
            1..=14 => 100 + r.below(901),
            _ => 5 + r.below(96),
        } as i64;
        let refund = if r.chance(0.01) {
            out.refunds += 1;
            Some((format!("RF{n:08}"), date + Days::new(7)))
        } else {
            None
        };
        let gift = GiftRow {
            receipt: format!("AB{n:08}"),
            date,
            cents: dollars * 100 + if roll > 50 { 0 } else { 50 },
            recurring: roll >= 70,
            refund,
        };
        w.write(&donor, &gift, DEMO_COMMITTEE)?;
        out.rows += 1;
    }
    w.finish()?;
    out.donors = gave.iter().filter(|g| **g).count();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DemoOptions, build_state};

    #[test]
    fn the_header_is_actblues() {
        let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/donations/actblue-contributions-header.csv");
        let header = std::fs::read_to_string(shared).unwrap();
        let columns: Vec<&str> = header.trim_end().split(',').collect();
        assert_eq!(columns, ACTBLUE_COLUMNS);
    }

    #[test]
    fn the_demo_history_plants_what_the_page_shows_and_repeats() {
        let state = build_state(&DemoOptions {
            voters: 5_000,
            seed: 3,
            ..Default::default()
        });
        let dir = std::env::temp_dir().join(format!("vb-demo-donations-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.csv"), dir.join("b.csv"));
        let s = write_demo_donations(&state, &a, 300).unwrap();
        write_demo_donations(&state, &b, 300).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert_eq!(s.donors, 300);
        assert_eq!(s.over_limit.len(), 8, "{s:?}");
        assert!(
            s.refunds == 8 && s.variants >= 15 && s.namesakes == 3,
            "{s:?}"
        );
        assert!(s.rows > 1_000, "{s:?}");
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text.lines().count(), s.rows + 1);
        assert!(text.contains(",Canada,"));

        let n = 2_000;
        let bench = write_bench_donations(&b, n, 1).unwrap();
        assert_eq!(bench.rows, n);
        assert!(bench.refunds > 0 && bench.donors > 200, "{bench:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
