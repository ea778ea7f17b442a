use super::*;

#[test]
fn skill_lists_parse_and_render() {
    let got = parse_skill_list("python:3; Data-Engineering:2").unwrap();
    assert_eq!(
        got,
        vec![
            SkillLevel {
                skill: "data_engineering".into(),
                level: 2
            },
            SkillLevel {
                skill: "python".into(),
                level: 3
            },
        ]
    );
    assert_eq!(render_skill_list(&got), "data_engineering:2;python:3");
    assert_eq!(parse_skill_list("  ").unwrap(), vec![]);
    assert!(matches!(
        parse_skill_list("python"),
        Err(SkillListError::Shape { .. })
    ));
    assert!(matches!(
        parse_skill_list("python:4"),
        Err(SkillListError::Level { .. })
    ));
    assert!(matches!(
        parse_skill_list("python:0"),
        Err(SkillListError::Level { .. })
    ));
    assert!(matches!(
        parse_skill_list("py$thon:1"),
        Err(SkillListError::Name { .. })
    ));
    assert!(matches!(
        parse_skill_list("python:1;Python:2"),
        Err(SkillListError::Repeated { .. })
    ));
    assert!(
        BUILTIN_SKILLS
            .iter()
            .all(|(n, _)| normalize_skill_name(n).as_deref() == Some(*n))
    );
}

#[test]
fn double_opt_in_moves_one_way() {
    use MatchState::*;
    use MatchStep::*;
    assert_eq!(
        Invited.after(VolunteerAnswers { yes: true }),
        Ok(VolunteerYes)
    );
    assert_eq!(
        Invited.after(VolunteerAnswers { yes: false }),
        Ok(VolunteerNo)
    );
    assert_eq!(
        VolunteerYes.after(CampaignDecides { accept: true }),
        Ok(Accepted)
    );
    assert_eq!(
        VolunteerYes.after(CampaignDecides { accept: false }),
        Ok(Declined)
    );
    assert!(Invited.after(CampaignDecides { accept: true }).is_err());
    assert!(VolunteerNo.after(VolunteerAnswers { yes: true }).is_err());
    assert!(Accepted.after(VolunteerAnswers { yes: false }).is_err());
    for s in MatchState::ALL {
        assert_eq!(MatchState::parse(s.code()), Some(s));
    }
}

#[test]
fn emails_and_tags() {
    assert_eq!(
        normalize_email(" Ana@Example.ORG ").as_deref(),
        Some("ana@example.org")
    );
    for bad in [
        "",
        "ana",
        "ana@",
        "@x.org",
        "a b@x.org",
        "a@b@c.org",
        "a@x",
        "a@.x",
    ] {
        assert_eq!(normalize_email(bad), None, "{bad}");
    }
    assert_eq!(
        parse_tag_list("Climate; voting rights;;climate"),
        vec!["climate", "voting rights"]
    );
}
