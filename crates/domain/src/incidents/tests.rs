//! Unit tests of the incident rules: taxonomy, workflow, triage, dashboard, attachments.

use super::*;
use chrono::TimeZone;

fn at(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, 12, 0, 0).unwrap() + Duration::minutes(min)
}

fn n(id: i64, min: i64, category: &str) -> Neighbour {
    Neighbour {
        id,
        observed_at: at(min),
        category: category.into(),
        severity: Severity::Medium,
        cluster_id: None,
        duplicate_of: None,
    }
}

#[test]
fn taxonomy_has_stable_codes_and_custom_categories() {
    let mut rules = TriageRules::default();
    assert_eq!(rules.category("Long-Lines").unwrap().code, "long_lines");
    assert_eq!(
        rules.category("intimidation").unwrap().severity,
        Severity::Critical
    );
    let err = rules.category("aliens").unwrap_err();
    assert!(err.to_string().contains("long_lines"), "{err}");
    rules.custom_categories.push(CustomCategory {
        code: "voter_caging".into(),
        label: "Voter caging".into(),
        severity: Severity::High,
    });
    assert!(rules.validate().is_ok());
    assert_eq!(
        rules.category("voter_caging").unwrap().label,
        "Voter caging"
    );
    rules.custom_categories.push(CustomCategory {
        code: "Bad Code".into(),
        label: "x".into(),
        severity: Severity::Low,
    });
    assert!(rules.validate().unwrap_err().contains("snake_case"));
}

#[test]
fn workflow_moves_forward_resolves_and_reopens() {
    use IncidentStatus::*;
    let triage = IncidentAction::Triage { severity: None };
    let assign = IncidentAction::Assign { to: "lena".into() };
    let escalate = IncidentAction::Escalate { reason: "x".into() };
    let resolve = IncidentAction::Resolve {
        resolution: Resolution::FixedOnSite,
        note: String::new(),
    };
    let reopen = IncidentAction::Reopen {
        reason: "again".into(),
    };
    assert_eq!(next_status(New, &triage, false), Ok(Triaged));
    assert_eq!(next_status(Triaged, &assign, false), Ok(Assigned));
    assert_eq!(next_status(Assigned, &escalate, true), Ok(Escalated));
    assert_eq!(next_status(Escalated, &assign, true), Ok(Escalated));
    assert_eq!(next_status(Escalated, &resolve, true), Ok(Resolved));
    assert!(next_status(Resolved, &resolve, true).is_err());
    assert!(next_status(Resolved, &escalate, true).is_err());
    assert_eq!(next_status(Resolved, &reopen, true), Ok(Assigned));
    assert_eq!(next_status(Closed, &reopen, false), Ok(Triaged));
    assert!(next_status(New, &reopen, false).is_err());
    let close = IncidentAction::Close {
        resolution: Resolution::NoActionNeeded,
        note: String::new(),
    };
    assert_eq!(next_status(Resolved, &close, false), Ok(Closed));
    assert!(next_status(Closed, &close, false).is_err());
    let note = IncidentAction::Note { text: " ".into() };
    assert!(next_status(New, &note, false).is_err());
    let note = IncidentAction::Note {
        text: "called".into(),
    };
    assert_eq!(next_status(Escalated, &note, false), Ok(Escalated));
}

#[test]
fn three_reports_in_thirty_minutes_form_a_cluster_and_raise_severity() {
    let rules = TriageRules::default();
    // Two earlier reports: 10 and 25 minutes before.
    let near = [n(7, -10, "long_lines"), n(5, -25, "id_demanded")];
    let d = triage(&rules, "opened_late", Severity::Medium, at(0), &near);
    assert!(d.clustered);
    assert_eq!(d.cluster_id, Some(5));
    assert_eq!(d.severity, Severity::High);
    assert_eq!(
        d.raise,
        vec![(7, Severity::High), (5, Severity::High)],
        "the earlier reports join the cluster"
    );
    assert_eq!(d.duplicate_of, None);
    // One of them 31 minutes before: no cluster.
    let far = [n(7, -10, "long_lines"), n(5, -31, "id_demanded")];
    let d = triage(&rules, "opened_late", Severity::Medium, at(0), &far);
    assert!(!d.clustered);
    assert_eq!(d.severity, Severity::Medium);
    assert!(d.raise.is_empty());
    // Six reports: critical.
    let many: Vec<_> = (1..=5).map(|i| n(i, -i, "long_lines")).collect();
    let d = triage(&rules, "other", Severity::Low, at(0), &many);
    assert_eq!(d.severity, Severity::Critical);
    assert_eq!(d.cluster_id, Some(1));
}

#[test]
fn duplicates_are_linked_to_the_first_report() {
    let rules = TriageRules::default();
    let mut first = n(3, -50, "long_lines");
    first.duplicate_of = None;
    let mut second = n(4, -20, "long_lines");
    second.duplicate_of = Some(3);
    let d = triage(
        &rules,
        "long_lines",
        Severity::Medium,
        at(0),
        &[second, first],
    );
    assert_eq!(d.duplicate_of, Some(3));
    let d = triage(
        &rules,
        "long_lines",
        Severity::Medium,
        at(0),
        &[n(9, -61, "long_lines")],
    );
    assert_eq!(d.duplicate_of, None, "outside the window");
    assert!(triage(&rules, "intimidation", Severity::Critical, at(0), &[]).route_to_lead);
    assert!(!triage(&rules, "long_lines", Severity::Medium, at(0), &[]).route_to_lead);
}

#[test]
fn untouched_open_incidents_go_stale_after_fifteen_minutes() {
    let rules = TriageRules::default();
    assert!(!is_stale(&rules, IncidentStatus::New, at(0), at(14)));
    assert!(is_stale(&rules, IncidentStatus::New, at(0), at(15)));
    assert!(is_stale(&rules, IncidentStatus::Assigned, at(0), at(30)));
    assert!(!is_stale(&rules, IncidentStatus::Escalated, at(0), at(30)));
    assert!(!is_stale(&rules, IncidentStatus::Resolved, at(0), at(30)));
}

#[test]
fn place_keys_prefer_the_feed_place() {
    let mut l = IncidentLocation {
        county: "wake".into(),
        precinct: "01-07".into(),
        ..Default::default()
    };
    assert_eq!(l.place_key(), "precinct:WAKE:01-07");
    l.polling_place = "Oak  Grove school".into();
    assert_eq!(l.place_key(), "place:WAKE:OAK GROVE SCHOOL");
    l.polling_place_id = "pl12".into();
    assert_eq!(l.place_key(), "vip:pl12");
}

#[test]
fn dashboard_counts_and_percentiles() {
    let base = Incident {
        id: 1,
        created_at: at(0),
        observed_at: at(0),
        category: "long_lines".into(),
        severity: Severity::Medium,
        status: IncidentStatus::New,
        resolution: None,
        location: IncidentLocation {
            county: "WAKE".into(),
            polling_place: "OAK SCHOOL".into(),
            ..Default::default()
        },
        place_key: String::new(),
        description: String::new(),
        reporter: Reporter::default(),
        channel: "hotline".into(),
        created_by: "op".into(),
        assigned_to: None,
        cluster_id: None,
        duplicate_of: None,
        first_action_at: None,
        last_touched_at: at(0),
        resolved_at: None,
    };
    let mut b = base.clone();
    b.id = 2;
    b.status = IncidentStatus::Resolved;
    b.first_action_at = Some(at(2));
    b.resolved_at = Some(at(10));
    b.location.county = "DURHAM".into();
    let mut c = base.clone();
    c.id = 3;
    c.first_action_at = Some(at(4));
    c.observed_at = at(70);
    let d = dashboard(&[base, b, c], 5);
    assert_eq!(d.total, 3);
    assert_eq!(d.open, 2);
    assert_eq!(d.by_county[0], ("WAKE".into(), 2));
    assert_eq!(d.by_status, vec![("new".into(), 2), ("resolved".into(), 1)]);
    assert_eq!(d.by_hour.len(), 2);
    assert_eq!(d.top_places, vec![("OAK SCHOOL".into(), "WAKE".into(), 2)]);
    assert_eq!(d.time_to_first_action.p50_seconds, Some(120));
    assert_eq!(d.time_to_first_action.p90_seconds, Some(240));
    assert_eq!(d.time_to_resolution.p50_seconds, Some(600));
    assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90.0), Some(9));
}

#[test]
fn photos_are_checked_by_magic_bytes() {
    assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
    assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
    assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
    assert_eq!(sniff_image(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
    assert_eq!(sniff_image(b"%PDF-1.7"), None);
    assert_eq!(NewAttachment::new(vec![]), Err(AttachmentError::Empty));
    assert_eq!(
        NewAttachment::new(b"<html>".to_vec()),
        Err(AttachmentError::NotAnImage)
    );
    let big = vec![0xFF; MAX_ATTACHMENT_BYTES + 1];
    assert!(matches!(
        NewAttachment::new(big),
        Err(AttachmentError::TooLarge(_))
    ));
    let a = NewAttachment::new(vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2]).unwrap();
    assert_eq!(a.content_type, "image/jpeg");
    assert_eq!(a.sha256.len(), 64);
}
