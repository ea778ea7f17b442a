use super::pages::{ActForm, volume_chart};
use super::*;

#[test]
fn volume_chart_spans_every_hour_and_scales_to_the_peak() {
    let c = volume_chart(&[(100, 2), (103, 8)], 100, 104, 240, 40);
    assert_eq!(c.hours, 5);
    assert_eq!(c.max, 8);
    assert_eq!(c.total, 10);
    let points: Vec<(i64, i64)> = c
        .points
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    assert_eq!(points.len(), 5);
    // x from the left pad to the right pad; the peak at the top, empty hours at the bottom.
    assert_eq!(points[0].0, 2);
    assert_eq!(points[4].0, 238);
    assert_eq!(points[3].1, 2);
    assert_eq!(points[1].1, 38);
    assert_eq!(points[0].1, 38 - 36 * 2 / 8);
}

#[test]
fn volume_chart_keeps_the_latest_hours_and_survives_empty_series() {
    let c = volume_chart(&[(0, 5), (10_000, 1)], 0, 10_000, 100, 20);
    assert_eq!(c.hours, MAX_CHART_HOURS);
    assert_eq!((c.total, c.max), (1, 1));
    let empty = volume_chart(&[], 7, 7, 100, 20);
    assert_eq!(empty.hours, 1);
    assert_eq!(empty.points, "50,18");
}

#[test]
fn action_forms_parse_and_refuse_unknown_ones() {
    let form = |action: &str, kind: &str, text: &str| ActForm {
        action: action.into(),
        to: " ana ".into(),
        kind: kind.into(),
        text: text.into(),
    };
    assert_eq!(
        form("respond", "platform_report", " filed ")
            .action()
            .unwrap(),
        NarrativeAction::Respond {
            kind: ResponseKind::PlatformReport,
            detail: "filed".into()
        }
    );
    assert_eq!(
        form("assign", "", "").action().unwrap(),
        NarrativeAction::Assign { to: "ana".into() }
    );
    assert!(form("respond", "tweet", "").action().is_err());
    assert!(form("delete", "", "").action().is_err());
}

#[test]
fn rejected_batches_list_their_lines() {
    let e = DisinfoError::Rejected {
        file: "request.jsonl".into(),
        errors: vec![
            app::LineError {
                line: 2,
                reason: "posted_at is not RFC 3339".into(),
            },
            app::LineError {
                line: 5,
                reason: "missing id".into(),
            },
        ],
    };
    let api: ApiError = e.into();
    let text = api.to_string();
    assert!(text.contains("line 2: posted_at"), "{text}");
    assert!(text.contains("line 5: missing id"), "{text}");
    assert_eq!(api.code(), "bad_request");
}

#[test]
fn cut_marks_long_labels() {
    assert_eq!(cut("abc", 5), "abc");
    assert_eq!(cut("abcdef", 3), "abc…");
}
