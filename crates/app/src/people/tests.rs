use super::*;
use votebase_ingest::rejects::RejectWriter;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn taxonomy() -> BTreeSet<String> {
    BUILTIN_SKILLS.iter().map(|(n, _)| n.to_string()).collect()
}

#[test]
fn volunteers_file_reads_and_rejects_with_line_and_reason() {
    let dir = std::env::temp_dir().join(format!("vb-people-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = write(
        &dir,
        "volunteers.csv",
        "id,first_name,last_name,email,phone,zip,home_state,skills,hours_per_week,remote,languages\n\
         v1,Ana,Lopez,Ana@Example.org,(919) 606-0142,27601,Wisconsin,python:3;data_engineering:2,10,yes,es;en\n\
         v2,Wei,Chen,wei@example.org,,53703,WI,python:4,5,no,\n\
         v3,Sam,Ng,not-an-email,,53703,WI,python:1,5,no,\n\
         v1,Dup,Licate,d@example.org,,53703,WI,,5,no,\n\
         v5,Kim,Park,k@example.org,,53703,WI,knitting:2,5,maybe,\n",
    );
    let centroids = ZipCentroids::from_points([("27601".to_string(), (35.77, -78.63))]);
    let mut rejects = RejectWriter::new(dir.join("rejects.csv"));
    let parsed = import::read_volunteers_csv(
        &path,
        &taxonomy(),
        &centroids,
        "volunteers.csv",
        &mut rejects,
    )
    .unwrap();
    rejects.finish().unwrap();
    let text = std::fs::read_to_string(dir.join("rejects.csv")).unwrap();
    assert_eq!(parsed.rows.len(), 1, "{text}");
    assert_eq!(parsed.rejected, 4);
    let v = &parsed.rows[0].1;
    assert_eq!(v.person.emails, vec!["ana@example.org".to_string()]);
    assert_eq!(v.person.phones, vec!["+19196060142".to_string()]);
    assert_eq!(v.profile.home_state, "WI");
    assert_eq!((v.profile.lat, v.profile.lon), (Some(35.77), Some(-78.63)));
    assert_eq!(
        v.profile.languages,
        vec!["en".to_string(), "es".to_string()]
    );
    assert!(v.profile.remote);
    assert!(text.contains("3,skills,"), "{text}");
    assert!(text.contains("the level must be 1, 2 or 3"), "{text}");
    assert!(text.contains("4,email,"), "{text}");
    assert!(text.contains("already used on line 2"), "{text}");
    assert!(
        text.contains("knitting") && text.contains("not in the taxonomy"),
        "{text}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn projects_file_needs_its_columns() {
    let dir = std::env::temp_dir().join(format!("vb-projects-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = write(&dir, "projects.csv", "id,title\np1,x\n");
    let mut rejects = RejectWriter::new(dir.join("rejects.csv"));
    let err = import::read_projects_csv(&path, &taxonomy(), &ZipCentroids::default(), &mut rejects)
        .unwrap_err();
    assert!(
        err.to_string().contains("missing column(s) organization"),
        "{err}"
    );
    let path = write(
        &dir,
        "projects2.csv",
        "id,organization,title,state,zip,remote,required_skills,nice_skills,hours_per_week,seats,deadline,start\n\
         p1,Dems of WI,Data lead,WI,53703,no,python:2,sql:1,10,2,2026-11-03,2026-09-01\n\
         p2,Dems of WI,Ads,WI,,no,digital_ads:1,,10,2,,\n\
         p3,Dems of WI,Ads,WI,,yes,digital_ads:1,digital_ads:2,10,2,,\n",
    );
    let parsed =
        import::read_projects_csv(&path, &taxonomy(), &ZipCentroids::default(), &mut rejects)
            .unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rejected, 2);
    let p = &parsed.rows[0].1;
    assert_eq!(p.required_skills[0].skill, "python");
    assert_eq!(p.seats, 2);
    assert!(p.starts_on.is_some() && p.deadline.is_some());
    std::fs::remove_dir_all(dir).ok();
}
