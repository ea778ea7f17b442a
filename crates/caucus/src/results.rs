//! Election-night rules over the domain's result types: the validation of an entry
//! (caucus math by this crate, vote sums, the history flag) in words a chair
//! understands ([`check_entry`]), and the projection that folds the append-only
//! submission log of one precinct's contest into what may be published ([`project`]).
//! [`ElectionNightRules`] bundles both as the
//! [`ResultRules`](votebase_domain::results::ResultRules) the stores are handed, so the
//! stores hold only SQL and the rules live here. Pure: no I/O.

use std::collections::BTreeMap;

use votebase_domain::results::{
    CandidateDelegates, CaucusEntry, CaucusGroup, Channel, Contest, Election, EntryCheck,
    EntryFinding, EntryStatus, LogEntry, Precinct, PrecinctResult, PrecinctStatus, ResultEntry,
    ResultRules, VersionSummary, VoteType,
};

use crate::{
    FindingKind, GroupResult, Rules, Severity, Submission, TossEffect, state_delegate_equivalents,
    validate,
};

/// The rules of election night as the stores use them: [`check_entry`] and [`project`].
#[derive(Debug, Clone, Copy, Default)]
pub struct ElectionNightRules;

impl ResultRules for ElectionNightRules {
    fn check(
        &self,
        election: &Election,
        precinct_id: &str,
        contest_key: &str,
        entry: &ResultEntry,
    ) -> EntryCheck {
        check_entry(election, precinct_id, contest_key, entry)
    }

    fn project(
        &self,
        election: &Election,
        precinct_id: &str,
        contest_key: &str,
        entries: &[LogEntry],
    ) -> PrecinctResult {
        project(election, precinct_id, contest_key, entries)
    }
}

/// The caucus groups in the contest's candidate order, zero for missing candidates.
fn caucus_groups(contest: &Contest, e: &CaucusEntry) -> Vec<CaucusGroup> {
    contest
        .candidates
        .iter()
        .map(|name| {
            e.groups
                .iter()
                .find(|g| &g.candidate == name)
                .cloned()
                .unwrap_or(CaucusGroup {
                    candidate: name.clone(),
                    first: 0,
                    final_alignment: 0,
                    delegates: None,
                })
        })
        .collect()
}

fn code_of(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::FirstAlignmentNotAttendees => "first_alignment_not_attendees",
        FindingKind::FinalLargerThanFirst => "final_larger_than_first",
        FindingKind::ViableGroupLostMembers => "viable_group_lost_members",
        FindingKind::NoViableGroup => "no_viable_group",
        FindingKind::DelegateTotalWrong => "delegate_total_wrong",
        FindingKind::DelegatesDifferFromRules => "delegates_differ_from_rules",
        FindingKind::MoreVotesFewerDelegates => "more_votes_fewer_delegates",
        FindingKind::SdeNotWholeDelegates => "sde_not_whole_delegates",
        FindingKind::NonViableGroupInFinal => "non_viable_group_in_final",
        FindingKind::CoinToss => "coin_toss",
    }
}

/// How far from the precinct's history a turnout may be before it is flagged: below a
/// third or above three times the last comparable turnout (and at least 20 people apart).
fn history_notice(precinct: &Precinct, turnout: u32, what: &str) -> Option<EntryFinding> {
    let past = precinct.history_turnout?;
    let (now, then) = (u64::from(turnout), u64::from(past));
    let far = now.abs_diff(then) >= 20 && (now * 3 < then || now > then * 3);
    far.then(|| {
        EntryFinding::notice(
            "far_from_history",
            format!(
                "{turnout} {what} is far from the {past} of the last comparable election in \
                 {}. If that is right, nothing to do; if not, check the count.",
                precinct.name
            ),
        )
    })
}

/// Validates an entry whose names passed [`check_names`](votebase_domain::results::check_names): the rules' findings (caucus
/// math by `votebase-caucus`, vote sums) and the history flag; for a caucus, also the
/// delegates and SDEs by the rules (with the coin-toss winners applied).
pub fn check_entry(
    election: &Election,
    precinct_id: &str,
    contest_key: &str,
    entry: &ResultEntry,
) -> EntryCheck {
    let (Some(precinct), Some(contest)) = (
        election.precinct(precinct_id),
        election.contest(contest_key),
    ) else {
        return EntryCheck {
            status: EntryStatus::NeedsCorrection,
            findings: vec![EntryFinding::error(
                "not_in_setup",
                None,
                format!(
                    "precinct {precinct_id:?} or contest {contest_key:?} is not in the election"
                ),
            )],
            delegates: Vec::new(),
            viability_threshold: None,
            coin_toss: Vec::new(),
        };
    };
    let mut findings = Vec::new();
    let mut delegates = Vec::new();
    let mut threshold = None;
    let mut coin_toss = Vec::new();
    match entry {
        ResultEntry::Caucus(e) => {
            let groups = caucus_groups(contest, e);
            let rules = Rules::default();
            let plain = Submission {
                delegates: precinct.delegates,
                attendees: Some(e.attendees),
                groups: groups
                    .iter()
                    .map(|g| GroupResult {
                        name: g.candidate.clone(),
                        first: g.first,
                        final_alignment: g.final_alignment,
                        delegates: 0,
                    })
                    .collect(),
            };
            // The rules' allocation, with the coin toss as the chair recorded it.
            let probe = validate(&plain, &rules);
            let allocation = probe.allocation;
            threshold = Some(allocation.threshold);
            let winners: Vec<usize> = e
                .coin_toss_winners
                .iter()
                .filter_map(|w| groups.iter().position(|g| &g.candidate == w))
                .collect();
            let computed = if allocation.is_settled() {
                Some(allocation.delegates.clone())
            } else {
                // Winners of a toss come out ahead: they gain a delegate (gain tosses) or
                // keep theirs (give-back tosses, where the others give one back).
                let mut moved = Vec::new();
                let mut slots = 0;
                for t in &allocation.coin_tosses {
                    coin_toss.extend(t.among.iter().map(|&g| groups[g].candidate.clone()));
                    let won: Vec<usize> = t
                        .among
                        .iter()
                        .copied()
                        .filter(|g| winners.contains(g))
                        .collect();
                    match t.effect {
                        TossEffect::GainOne => {
                            slots += t.count;
                            moved.extend(won);
                        }
                        TossEffect::LoseOne => {
                            let keep = t.among.len() as u32 - t.count;
                            slots += keep;
                            if won.len() as u32 == keep {
                                moved.extend(t.among.iter().copied().filter(|g| !won.contains(g)));
                            } else {
                                moved.extend(won); // wrong count: resolve refuses it
                                moved.push(usize::MAX);
                            }
                        }
                    }
                }
                match allocation.resolve(&moved) {
                    Ok(d) => Some(d),
                    Err(_) => {
                        findings.push(EntryFinding::error(
                            "coin_toss_needed",
                            None,
                            format!(
                                "The rules call for a coin toss among {}: {} of them come out \
                                 ahead by one delegate. Hold the toss, then mark who won it.",
                                coin_toss.join(", "),
                                slots
                            ),
                        ));
                        None
                    }
                }
            };
            let rules_delegates = computed
                .clone()
                .unwrap_or_else(|| allocation.first_outcome());
            let claimed: Vec<u32> = groups
                .iter()
                .zip(&rules_delegates)
                .map(|(g, &r)| g.delegates.unwrap_or(r))
                .collect();
            let sub = Submission {
                groups: groups
                    .iter()
                    .zip(&claimed)
                    .map(|(g, &d)| GroupResult {
                        name: g.candidate.clone(),
                        first: g.first,
                        final_alignment: g.final_alignment,
                        delegates: d,
                    })
                    .collect(),
                ..plain
            };
            let v = validate(&sub, &rules);
            for f in v.findings {
                if f.kind == FindingKind::CoinToss {
                    continue; // reported above as coin_toss_needed, or already settled
                }
                let finding = match f.severity {
                    Severity::Error => {
                        EntryFinding::error(code_of(f.kind), f.group.as_deref(), f.message)
                    }
                    Severity::Notice => EntryFinding::notice(code_of(f.kind), f.message),
                };
                findings.push(finding);
            }
            if let Some(d) = &computed
                && claimed != *d
                && !findings
                    .iter()
                    .any(|f| f.code == "delegates_differ_from_rules")
            {
                findings.push(EntryFinding::error(
                    "delegates_differ_from_rules",
                    None,
                    "The delegates written on the worksheet differ from the rules after the coin toss.".into(),
                ));
            }
            if let Some(n) = history_notice(precinct, e.attendees, "attendees") {
                findings.push(n);
            }
            let sde =
                state_delegate_equivalents(&rules_delegates, precinct.delegates, precinct.sde);
            if computed.is_some() {
                delegates = groups
                    .iter()
                    .zip(rules_delegates.iter().zip(sde))
                    .map(|(g, (&d, s))| CandidateDelegates {
                        candidate: g.candidate.clone(),
                        delegates: d,
                        sde: (s * 10_000.0).round() / 10_000.0,
                    })
                    .collect();
            }
        }
        ResultEntry::Votes(e) => {
            let total: u64 = e.counts.iter().map(|c| u64::from(c.votes)).sum();
            if let Some(cast) = e.ballots_cast
                && total > u64::from(cast) * contest_seats(contest)
            {
                findings.push(EntryFinding::error(
                    "votes_exceed_ballots",
                    None,
                    format!(
                        "The candidates' votes add up to {total}, but only {cast} ballots were \
                         cast. Check each candidate's line on the tally sheet."
                    ),
                ));
            }
            let turnout = e
                .ballots_cast
                .unwrap_or(total.min(u64::from(u32::MAX)) as u32);
            if let Some(n) = history_notice(precinct, turnout, "ballots") {
                findings.push(n);
            }
        }
    }
    let status = if findings.iter().any(EntryFinding::is_error) {
        EntryStatus::NeedsCorrection
    } else {
        EntryStatus::Accepted
    };
    EntryCheck {
        status,
        findings,
        delegates,
        viability_threshold: threshold,
        coin_toss,
    }
}

/// One vote per ballot in every contest set up here (vote-for-one offices).
fn contest_seats(_contest: &Contest) -> u64 {
    1
}

/// The numbers two entries must agree on: per candidate (first, final, delegates) for a
/// caucus with the attendees and coin toss; per candidate and vote type for votes.
fn comparable(entry: &ResultEntry, check: &EntryCheck) -> String {
    match entry {
        ResultEntry::Caucus(e) => {
            let mut groups: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
            for g in &e.groups {
                if g.first > 0 || g.final_alignment > 0 {
                    groups.insert(&g.candidate, (g.first, g.final_alignment));
                }
            }
            let delegates: Vec<(String, u32)> = check
                .delegates
                .iter()
                .filter(|d| d.delegates > 0)
                .map(|d| (d.candidate.clone(), d.delegates))
                .collect();
            format!("{}|{groups:?}|{delegates:?}", e.attendees)
        }
        ResultEntry::Votes(e) => {
            let counts: BTreeMap<(&str, VoteType), u32> = e
                .counts
                .iter()
                .filter(|c| c.votes > 0)
                .map(|c| ((c.candidate.as_str(), c.vote_type), c.votes))
                .collect();
            format!("{:?}|{counts:?}", e.ballots_cast)
        }
    }
}

/// Folds the log entries of one precinct's contest (any order; sorted by `seq` here)
/// into what may be published. The rules:
/// - only each channel's latest version counts (earlier ones stay in the history);
/// - a third check, when it is the newest entry, settles the precinct by itself;
/// - otherwise, when both chair and hotline reported, their latest versions must agree,
///   or the precinct is flagged for a third check;
/// - with double entry configured, one channel alone is not enough;
/// - an entry that breaks the rules is never published.
pub fn project(
    election: &Election,
    precinct_id: &str,
    contest_key: &str,
    entries: &[LogEntry],
) -> PrecinctResult {
    let mut entries: Vec<&LogEntry> = entries.iter().collect();
    entries.sort_by_key(|e| e.seq);
    let precinct = election.precinct(precinct_id);
    let history: Vec<VersionSummary> = entries
        .iter()
        .map(|e| VersionSummary {
            seq: e.seq,
            receipt_id: e.receipt.receipt_id.clone(),
            channel: e.submission.channel,
            version: e.receipt.version,
            actor: e.submission.actor.clone(),
            received_at: e.receipt.received_at,
            reason: e.submission.request.reason.clone(),
            status: e.receipt.check.status,
            result: e.submission.request.result.clone(),
            findings: e.receipt.check.findings.clone(),
        })
        .collect();
    let latest = |ch: Channel| {
        entries
            .iter()
            .rev()
            .find(|e| e.submission.channel == ch)
            .copied()
    };
    let mut out = PrecinctResult {
        precinct: precinct_id.to_owned(),
        county: precinct.map(|p| p.county.clone()).unwrap_or_default(),
        precinct_name: precinct.map(|p| p.name.clone()).unwrap_or_default(),
        contest: contest_key.to_owned(),
        status: PrecinctStatus::NotReported,
        status_message: "No result received yet.".into(),
        published: None,
        published_seq: None,
        delegates: Vec::new(),
        notices: Vec::new(),
        history,
        last_seq: entries.last().map(|e| e.seq).unwrap_or(0),
    };
    let Some(newest) = entries.last().copied() else {
        return out;
    };
    let publish = |out: &mut PrecinctResult, e: &LogEntry, message: String| {
        out.status = PrecinctStatus::Published;
        out.status_message = message;
        out.published = Some(e.submission.request.result.clone());
        out.published_seq = Some(e.seq);
        out.delegates = e.receipt.check.delegates.clone();
        out.notices = e.receipt.check.findings.clone();
    };
    let needs = |out: &mut PrecinctResult, e: &LogEntry| {
        out.status = PrecinctStatus::NeedsCorrection;
        let errors: Vec<&str> = e
            .receipt
            .check
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| f.message.as_str())
            .collect();
        out.status_message = format!(
            "The latest {} entry (version {}) needs a correction: {}",
            e.submission.channel.code(),
            e.receipt.version,
            errors.join(" ")
        );
    };
    if newest.submission.channel == Channel::Check {
        if newest.receipt.check.status == EntryStatus::Accepted {
            publish(
                &mut out,
                newest,
                "Settled by a third check of the worksheet.".into(),
            );
        } else {
            needs(&mut out, newest);
        }
        return out;
    }
    let chair = latest(Channel::Chair);
    let hotline = latest(Channel::Hotline);
    for e in [chair, hotline].into_iter().flatten() {
        if e.receipt.check.status != EntryStatus::Accepted {
            needs(&mut out, e);
            return out;
        }
    }
    match (chair, hotline) {
        (Some(c), Some(h)) => {
            if comparable(&c.submission.request.result, &c.receipt.check)
                == comparable(&h.submission.request.result, &h.receipt.check)
            {
                let newer = if c.seq > h.seq { c } else { h };
                publish(
                    &mut out,
                    newer,
                    "The chair's entry and the hotline entry agree.".into(),
                );
            } else {
                out.status = PrecinctStatus::Disagreement;
                out.status_message = format!(
                    "The chair's entry ({}) and the hotline entry ({}) disagree: a third check \
                     from the signed worksheet is needed.",
                    c.receipt.receipt_id, h.receipt.receipt_id
                );
            }
        }
        (Some(one), None) | (None, Some(one)) => {
            if election.double_entry {
                out.status = PrecinctStatus::AwaitingSecondEntry;
                out.status_message = format!(
                    "Received from the {} ({}); waiting for the second entry.",
                    one.submission.channel.code(),
                    one.receipt.receipt_id
                );
            } else {
                publish(&mut out, one, "Validated.".into());
            }
        }
        (None, None) => {
            // Only check entries older than a newer one: impossible, the newest is chair or hotline.
        }
    }
    out
}

#[cfg(test)]
mod tests;
