//! Skills and their levels: the built-in taxonomy (Code for America's civic-tech skills
//! and common technologies, MIT, plus the campaign skills Tech for Campaigns staffs by),
//! the canonical form of a skill name, and the `skill:level;skill:level` list parser used
//! by every import (never panics; property-tested over arbitrary Unicode).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Highest skill level (1 beginner, 2 practised, 3 expert).
pub const MAX_LEVEL: u8 = 3;

/// Longest skill name accepted.
const MAX_SKILL_NAME: usize = 64;

/// The built-in taxonomy: canonical name and label. Organizations add their own.
pub const BUILTIN_SKILLS: &[(&str, &str)] = &[
    // Campaign work (Tech for Campaigns' project kinds).
    ("email", "Email marketing"),
    ("digital_ads", "Digital ads"),
    ("websites", "Websites"),
    ("texting", "Texting programs"),
    ("data_analysis", "Data analysis"),
    ("social_media", "Social media"),
    ("video", "Video"),
    ("copywriting", "Copywriting"),
    ("translation", "Translation"),
    ("canvassing", "Canvassing"),
    ("phone_banking", "Phone banking"),
    ("event_planning", "Event planning"),
    ("organizing", "Organizing"),
    // Code for America civic-tech skills.
    ("analytics", "Analytics"),
    ("back_end_developer", "Back-end developer"),
    ("big_data", "Big data"),
    ("creative_director", "Creative director"),
    ("data", "Data"),
    ("data_analyst", "Data analyst"),
    ("data_architect", "Data architect"),
    ("data_cleaning", "Data cleaning"),
    ("data_engineering", "Data engineering"),
    ("data_literacy", "Data literacy"),
    ("data_management", "Data management"),
    ("data_mining", "Data mining"),
    ("data_science", "Data science"),
    ("dev_ops", "DevOps"),
    ("front_end_developer", "Front-end developer"),
    ("full_stack_developer", "Full-stack developer"),
    ("fundraising", "Fundraising"),
    ("graphic_designer", "Graphic designer"),
    ("legal", "Legal"),
    ("market_research", "Market research"),
    ("marketing", "Marketing"),
    ("product_manager", "Product manager"),
    ("project_manager", "Project manager"),
    ("security", "Security"),
    ("technical_writing", "Technical writing"),
    ("test_engineer", "Test engineer"),
    ("user_researcher", "User researcher"),
    ("ux_designer", "UX designer"),
    ("visualization", "Visualization"),
    // Technologies.
    ("python", "Python"),
    ("r", "R"),
    ("sql", "SQL"),
    ("javascript", "JavaScript"),
    ("typescript", "TypeScript"),
    ("react", "React"),
    ("html", "HTML"),
    ("wordpress", "WordPress"),
    ("figma", "Figma"),
    ("adobe_creative_suite", "Adobe Creative Suite"),
    ("aws", "AWS"),
    ("django", "Django"),
    ("postgre_sql", "PostgreSQL"),
    ("rust", "Rust"),
    ("go", "Go"),
    ("java", "Java"),
    ("ruby_on_rails", "Ruby on Rails"),
    ("airtable", "Airtable"),
];

/// A skill with a level: a volunteer's level, or a project's minimum.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SkillLevel {
    /// Canonical skill name ([`normalize_skill_name`]).
    pub skill: String,
    /// 1 to [`MAX_LEVEL`].
    pub level: u8,
}

/// What is wrong with a skill list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkillListError {
    /// An item is not `skill:level`.
    #[error("{item:?} is not skill:level (for example python:3)")]
    Shape {
        /// The item as written (at most 80 characters).
        item: String,
    },
    /// The skill name has characters other than letters, digits, `_`, `-` and spaces,
    /// or is too long.
    #[error("{item:?}: a skill name has letters, digits, '_' or '-' only (at most 64)")]
    Name {
        /// The item as written.
        item: String,
    },
    /// The level is not 1, 2 or 3.
    #[error("{item:?}: the level must be 1, 2 or 3")]
    Level {
        /// The item as written.
        item: String,
    },
    /// A skill appears twice.
    #[error("skill {skill:?} is listed twice")]
    Repeated {
        /// The canonical name.
        skill: String,
    },
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// The canonical form of a skill name: trimmed, ASCII lowercase, spaces and `-` as `_`
/// (`"Data-Engineering"` → `data_engineering`); None when it has anything else or is
/// empty or longer than 64 characters.
pub fn normalize_skill_name(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() || t.len() > MAX_SKILL_NAME {
        return None;
    }
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        match c {
            'a'..='z' | '0'..='9' | '_' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            '-' | ' ' => out.push('_'),
            _ => return None,
        }
    }
    if out.chars().all(|c| c == '_') {
        return None;
    }
    Some(out)
}

/// Parses `skill:level;skill:level` (also `,` or `|` between items; spaces allowed; an
/// empty text is an empty list). The result is sorted by skill name.
pub fn parse_skill_list(text: &str) -> Result<Vec<SkillLevel>, SkillListError> {
    let mut out: Vec<SkillLevel> = Vec::new();
    for raw in text.split([';', ',', '|']) {
        let item = raw.trim();
        if item.is_empty() {
            continue;
        }
        let Some((name, level)) = item.rsplit_once(':') else {
            return Err(SkillListError::Shape { item: clip(item) });
        };
        let skill =
            normalize_skill_name(name).ok_or_else(|| SkillListError::Name { item: clip(item) })?;
        let level: u8 = match level.trim().parse() {
            Ok(l) if (1..=MAX_LEVEL).contains(&l) => l,
            _ => return Err(SkillListError::Level { item: clip(item) }),
        };
        if out.iter().any(|s| s.skill == skill) {
            return Err(SkillListError::Repeated { skill });
        }
        out.push(SkillLevel { skill, level });
    }
    out.sort();
    Ok(out)
}

/// The list back as `skill:level;skill:level`.
pub fn render_skill_list(skills: &[SkillLevel]) -> String {
    skills
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(";")
}

impl fmt::Display for SkillLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.skill, self.level)
    }
}
