//! A generator of labelled election-day post streams: known election-day rumours ("polls
//! moved", "vote by text", "vote on Wednesday", "immigration agents at the polls", "no
//! ID, no vote"), each circulating in a few English and Spanish phrasings (filled from
//! slots of alternative wordings) repeated with small changes (a dropped word, openers,
//! closers, place names, hashtags, handles, links, capitals), planted in a
//! stream of unrelated chatter (sport, weather, food, traffic, school, music, and
//! ordinary get-out-the-vote reminders) in both languages. Every planted post carries its
//! narrative's key as its label; chatter has none. Deterministic for a seed (SplitMix64),
//! so tests, the demo and the benchmark see the same posts.

use chrono::{DateTime, Duration, Utc};

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        crate::minhash::mix(self.0)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// A known claim of the catalogue, as the team assessed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthClaim {
    /// Stable key (also the label of the planted narrative repeating it).
    pub key: &'static str,
    /// false | misleading | true | unverified.
    pub verdict: &'static str,
    /// The claim, in English.
    pub claim_en: &'static str,
    /// The claim, in Spanish.
    pub claim_es: &'static str,
    /// The counter-message, in English.
    pub counter_en: &'static str,
    /// The counter-message, in Spanish.
    pub counter_es: &'static str,
    /// Where the assessment comes from.
    pub source: &'static str,
}

/// The catalogue of the planted rumours.
pub const CLAIMS: &[SynthClaim] = &[
    SynthClaim {
        key: "polls-moved",
        verdict: "false",
        claim_en: "Polling places have moved to a new location on election day",
        claim_es: "Las casillas de votación se cambiaron de lugar el día de la elección",
        counter_en: "Polling places have not moved. Check yours at the state board's lookup.",
        counter_es: "Las casillas no se movieron. Consulte la suya en el sitio de la junta electoral.",
        source: "State Board of Elections",
    },
    SynthClaim {
        key: "vote-by-text",
        verdict: "false",
        claim_en: "You can vote by text message",
        claim_es: "Se puede votar por mensaje de texto",
        counter_en: "No one can vote by text. Vote in person or by mail ballot.",
        counter_es: "Nadie puede votar por mensaje de texto. Vote en persona o por correo.",
        source: "State Board of Elections",
    },
    SynthClaim {
        key: "vote-wednesday",
        verdict: "false",
        claim_en: "Voting continues on Wednesday, the day after election day",
        claim_es: "Se puede votar el miércoles, el día después de la elección",
        counter_en: "Election day is Tuesday. Polls close at 7:30 pm Tuesday.",
        counter_es: "La elección es el martes. Las casillas cierran a las 7:30 pm del martes.",
        source: "State Board of Elections",
    },
    SynthClaim {
        key: "ice-at-polls",
        verdict: "false",
        claim_en: "Immigration agents are arresting voters at polling places",
        claim_es: "Agentes de inmigración están arrestando votantes en las casillas",
        counter_en: "Federal agents may not intimidate voters. Report it to the hotline.",
        counter_es: "Los agentes no pueden intimidar a votantes. Repórtelo a la línea de ayuda.",
        source: "Voter protection hotline",
    },
    SynthClaim {
        key: "no-id-no-vote",
        verdict: "misleading",
        claim_en: "You need a passport or driver license to vote",
        claim_es: "Necesitas pasaporte o licencia de conducir para votar",
        counter_en: "Many kinds of ID are accepted, and voters without one can still vote.",
        counter_es: "Se aceptan muchas identificaciones, y sin una aún puede votar.",
        source: "State Board of Elections",
    },
];

/// Slots of one paraphrase template: each slot one of its alternatives ("" = left out).
type Template = &'static [&'static [&'static str]];

const OPENERS_EN: &[&str] = &[
    "",
    "BREAKING:",
    "ALERT",
    "PSA:",
    "Heads up!",
    "FYI",
    "Just heard:",
    "Share this:",
];
const OPENERS_ES: &[&str] = &[
    "",
    "URGENTE:",
    "ALERTA",
    "Ojo:",
    "Compartan:",
    "Me acaban de decir:",
    "Aviso:",
];
const CLOSERS_EN: &[&str] = &[
    "",
    "Share!",
    "Tell everyone",
    "pass it on",
    "RT",
    "#Election2026",
    "#NCvotes",
    "smh",
];
const CLOSERS_ES: &[&str] = &[
    "",
    "¡Compartan!",
    "díganle a todos",
    "pásalo",
    "#Elecciones2026",
    "#VotaNC",
    "ojo",
];

fn templates(key: &str) -> (&'static [Template], &'static [Template]) {
    match key {
        "polls-moved" => (
            &[
                &[
                    &["the", "our", "my", "your"],
                    &[
                        "polling place",
                        "polls",
                        "polling location",
                        "precinct polling place",
                    ],
                    &[
                        "has moved",
                        "have moved",
                        "was moved",
                        "got moved",
                        "have been moved",
                    ],
                    &[
                        "",
                        "to the high school",
                        "to a new location",
                        "across town",
                        "to the library",
                    ],
                    &["today", "this morning", "for election day", ""],
                ],
                &[
                    &["they moved", "officials moved", "the county moved"],
                    &["the polls", "our polling place", "the polling location"],
                    &["", "last minute", "without telling anyone"],
                    &["", "check before you go", "new location today"],
                ],
                &[
                    &[
                        "polling place changed",
                        "polls changed location",
                        "polling location moved",
                    ],
                    &["", "in our area", "for our precinct"],
                    &["", "do not go to the old place", "new location"],
                ],
            ],
            &[
                &[
                    &[
                        "la casilla",
                        "las casillas",
                        "el centro de votación",
                        "mi casilla",
                    ],
                    &[
                        "se cambió",
                        "se cambiaron",
                        "se movió",
                        "se movieron",
                        "la trasladaron",
                    ],
                    &["", "a otro lugar", "a la escuela", "a una nueva ubicación"],
                    &["", "hoy", "para el día de la elección"],
                ],
                &[
                    &["cambiaron", "movieron"],
                    &[
                        "las casillas",
                        "la casilla de votación",
                        "el lugar de votación",
                    ],
                    &["", "a última hora", "sin avisar"],
                    &["", "nueva ubicación", "revisen antes de ir"],
                ],
            ],
        ),
        "vote-by-text" => (
            &[
                &[
                    &["you can", "now you can", "voters can"],
                    &[
                        "vote by text",
                        "vote by text message",
                        "cast your vote by text",
                        "vote by sms",
                    ],
                    &["", "this year", "today"],
                    &[
                        "",
                        "just text VOTE to 55555",
                        "send VOTE to 55555",
                        "text your choice to 55555",
                    ],
                ],
                &[
                    &["skip the line:", "no need to go out:", "too busy?"],
                    &["text", "send a text message", "send an sms"],
                    &["VOTE", "your vote"],
                    &["to 55555", "to this number"],
                    &["", "and your vote counts", "it counts"],
                ],
            ],
            &[
                &[
                    &["puedes", "ahora puedes", "se puede"],
                    &[
                        "votar por mensaje de texto",
                        "votar por texto",
                        "votar por sms",
                        "votar por whatsapp",
                    ],
                    &["", "este año", "hoy"],
                    &["", "envía VOTO al 55555", "manda VOTO al 55555"],
                ],
                &[
                    &["no hagas fila:", "¿no tienes tiempo?"],
                    &[
                        "envía un mensaje de texto",
                        "manda un sms",
                        "manda un mensaje",
                    ],
                    &["con tu voto", "VOTO"],
                    &["al 55555", "a este número"],
                    &["", "y tu voto cuenta"],
                ],
            ],
        ),
        "vote-wednesday" => (
            &[
                &[
                    &["", "reminder:", "remember"],
                    &[
                        "you can still vote",
                        "voting continues",
                        "voting is extended",
                        "polls stay open",
                    ],
                    &["on wednesday", "until wednesday", "wednesday too"],
                    &[
                        "",
                        "the day after election day",
                        "if the lines are long",
                        "for everyone",
                    ],
                ],
                &[
                    &[
                        "too many people voting tuesday,",
                        "lines too long?",
                        "busy tuesday?",
                    ],
                    &[
                        "vote on wednesday",
                        "come back wednesday to vote",
                        "wednesday is voting day too",
                    ],
                    &["", "officials said", "it was announced"],
                ],
            ],
            &[
                &[
                    &["", "recuerden:", "ojo:"],
                    &[
                        "todavía se puede votar",
                        "la votación sigue",
                        "se extiende la votación",
                        "las casillas siguen abiertas",
                    ],
                    &["el miércoles", "hasta el miércoles", "también el miércoles"],
                    &["", "el día después de la elección", "si hay mucha fila"],
                ],
                &[
                    &["¿mucha fila el martes?", "¿no pudiste el martes?"],
                    &[
                        "vota el miércoles",
                        "puedes votar el miércoles",
                        "regresa el miércoles a votar",
                    ],
                    &["", "lo anunciaron"],
                ],
            ],
        ),
        "ice-at-polls" => (
            &[
                &[
                    &["", "warning:", "careful"],
                    &[
                        "ICE agents",
                        "immigration agents",
                        "ICE officers",
                        "immigration officers",
                    ],
                    &[
                        "are at the polls",
                        "are arresting voters at polling places",
                        "are checking papers at the polls",
                        "are waiting at polling places",
                    ],
                    &["", "today", "stay home", "do not go"],
                ],
                &[
                    &[
                        "they are arresting people",
                        "voters getting arrested",
                        "arrests happening",
                    ],
                    &["at polling places", "at the polls"],
                    &["by ICE", "by immigration"],
                    &["", "be careful", "stay away"],
                ],
            ],
            &[&[
                &["", "cuidado:", "alerta:"],
                &[
                    "agentes de ICE",
                    "agentes de inmigración",
                    "la migra",
                    "oficiales de inmigración",
                ],
                &[
                    "están en las casillas",
                    "están arrestando votantes en las casillas",
                    "piden papeles en las casillas",
                    "esperan en los centros de votación",
                ],
                &["", "hoy", "no vayan", "quédense en casa"],
            ]],
        ),
        _ => (
            &[
                &[
                    &["", "reminder:", "warning:"],
                    &[
                        "you need a passport to vote",
                        "no driver license no vote",
                        "you need a passport or driver license to vote",
                        "bring your passport or you cannot vote",
                    ],
                    &["", "they will turn you away", "no exceptions", "new rule"],
                ],
                &[
                    &["without a driver license", "without a passport"],
                    &[
                        "you cannot vote",
                        "they will not let you vote",
                        "your vote will not count",
                    ],
                    &["", "this year", "new law"],
                ],
            ],
            &[
                &[
                    &["", "ojo:", "aviso:"],
                    &[
                        "necesitas pasaporte para votar",
                        "sin licencia de conducir no puedes votar",
                        "necesitas pasaporte o licencia de conducir para votar",
                    ],
                    &["", "no hay excepciones", "nueva regla"],
                ],
                &[
                    &["sin pasaporte", "sin licencia de conducir"],
                    &["no puedes votar", "no te dejan votar", "tu voto no cuenta"],
                    &["", "este año", "nueva ley"],
                ],
            ],
        ),
    }
}

fn fill(rng: &mut Rng, t: Template) -> String {
    t.iter()
        .map(|slot| *rng.pick(slot))
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// How many phrasings of a rumour circulate per language (each post repeats one of them
/// with small changes).
pub const PHRASINGS: usize = 4;

/// The phrasings of a rumour in one language: [`PHRASINGS`] fillings of its templates,
/// the same for every stream (a rumour's wording is fixed once it starts spreading).
pub fn phrasings(key: &str, spanish: bool) -> Vec<String> {
    let (en, es) = templates(key);
    let mut rng = Rng::new(crate::minhash::fnv1a(key.as_bytes()) ^ u64::from(spanish));
    (0..PHRASINGS)
        .map(|_| {
            let t = *rng.pick(if spanish { es } else { en });
            fill(&mut rng, t)
        })
        .collect()
}

/// One post repeating a planted rumour (English or Spanish): one of its phrasings with
/// small changes: a word dropped now and then, an opener, a closer, a place name, a
/// handle, a link, shouting.
pub fn paraphrase(rng: &mut Rng, key: &str, spanish: bool, places: &[&str]) -> String {
    let (openers, closers) = if spanish {
        (OPENERS_ES, CLOSERS_ES)
    } else {
        (OPENERS_EN, CLOSERS_EN)
    };
    let base = phrasings(key, spanish)[rng.below(PHRASINGS)].clone();
    let mut words: Vec<&str> = base.split(' ').collect();
    if words.len() > 4 && rng.chance(0.3) {
        let at = rng.below(words.len());
        words.remove(at);
    }
    let mut parts = vec![rng.pick(openers).to_string(), words.join(" ")];
    if !places.is_empty() && rng.chance(0.3) {
        let p = rng.pick(places);
        parts.push(if spanish {
            format!("en el condado de {p}")
        } else {
            format!("in {p} County")
        });
    }
    parts.push(rng.pick(closers).to_string());
    if rng.chance(0.2) {
        parts.push(format!("@user{}", rng.below(5000)));
    }
    if rng.chance(0.2) {
        parts.push(format!(
            "https://t.example/{:x}",
            rng.next_u64() & 0xffff_ffff
        ));
    }
    let mut s = parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if rng.chance(0.3) {
        s = s.to_uppercase();
    }
    s
}

const CHATTER_EN: &[&[&str]] = &[
    &["the", "our", "my", "that", "this"],
    &[
        "coffee",
        "game",
        "concert",
        "storm",
        "traffic",
        "teacher",
        "dog",
        "garden",
        "pizza",
        "bridge",
        "library",
        "movie",
        "marathon",
        "bakery",
        "playoff",
        "festival",
        "highway",
        "cat",
        "recipe",
        "podcast",
        "album",
        "museum",
        "hurricane",
        "barbecue",
        "soccer",
        "basketball",
        "farmers market",
        "thunderstorm",
        "parade",
        "roof",
    ],
    &["was", "is", "looks", "felt", "seems", "got"],
    &[
        "amazing",
        "terrible",
        "late",
        "cold",
        "delicious",
        "closed",
        "packed",
        "loud",
        "cancelled",
        "beautiful",
        "slow",
        "huge",
        "weird",
        "perfect",
        "flooded",
        "sold out",
        "crowded",
        "quiet",
        "expensive",
        "fun",
    ],
    &[
        "today",
        "tonight",
        "this morning",
        "again",
        "yesterday",
        "all week",
        "on sunday",
        "downtown",
        "at noon",
        "lol",
        "honestly",
        "for real",
    ],
];
const CHATTER_ES: &[&[&str]] = &[
    &["el", "mi", "ese", "este", "nuestro"],
    &[
        "café",
        "partido",
        "concierto",
        "tráfico",
        "maestro",
        "perro",
        "jardín",
        "pastel",
        "puente",
        "cine",
        "mercado",
        "festival",
        "gato",
        "receta",
        "álbum",
        "museo",
        "huracán",
        "asado",
        "fútbol",
        "desfile",
        "techo",
        "restaurante",
        "camión",
        "parque",
        "equipo",
    ],
    &["estuvo", "está", "se ve", "fue", "parece"],
    &[
        "increíble",
        "terrible",
        "tarde",
        "frío",
        "delicioso",
        "cerrado",
        "lleno",
        "ruidoso",
        "bonito",
        "lento",
        "enorme",
        "raro",
        "perfecto",
        "caro",
        "divertido",
    ],
    &[
        "hoy",
        "anoche",
        "esta mañana",
        "otra vez",
        "ayer",
        "toda la semana",
        "el domingo",
        "en el centro",
        "jaja",
        "la verdad",
    ],
];
const GOTV_EN: &[&str] = &[
    "Polls are open until 7:30 tonight, go vote",
    "Just voted! Short line at my precinct",
    "Reminder: election day is Tuesday, find your polling place",
    "Need a ride to vote? Call the county party office",
    "Early voting ends Saturday",
];
const GOTV_ES: &[&str] = &[
    "Ya voté, la fila estaba corta",
    "Las casillas abren hasta las 7:30, vayan a votar",
    "Recuerden: la elección es el martes",
];

/// One unrelated post (mostly everyday chatter, sometimes an ordinary voting reminder),
/// English or Spanish.
pub fn chatter(rng: &mut Rng, spanish: bool) -> String {
    if rng.chance(0.02) {
        return rng
            .pick(if spanish { GOTV_ES } else { GOTV_EN })
            .to_string();
    }
    let slots = if spanish { CHATTER_ES } else { CHATTER_EN };
    let mut words: Vec<String> = slots.iter().map(|s| rng.pick(s).to_string()).collect();
    // A few extra everyday words keep chatter posts apart from each other.
    for _ in 0..rng.below(3) {
        let s = slots[1 + rng.below(3)];
        words.push(rng.pick(s).to_string());
    }
    if rng.chance(0.3) {
        words.push(format!("#{}", rng.pick(slots[1]).replace(' ', "")));
    }
    words.join(" ")
}

/// One generated post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthPost {
    /// Source id, unique in the stream.
    pub id: String,
    /// The text.
    pub text: String,
    /// Link to the post.
    pub url: String,
    /// Platform name.
    pub platform: &'static str,
    /// Author handle.
    pub author: String,
    /// When it was posted.
    pub posted_at: DateTime<Utc>,
    /// The planted narrative's key (its claim's key), or `None` for chatter.
    pub label: Option<&'static str>,
}

/// A planted narrative: its key, posts spread evenly (the trickle), and an optional
/// burst `(hour offset, posts in that hour)`.
pub type Planted = (&'static str, usize, Option<(u32, usize)>);

/// What to generate.
#[derive(Debug, Clone)]
pub struct StreamSpec {
    /// Seed.
    pub seed: u64,
    /// First hour of the stream.
    pub start: DateTime<Utc>,
    /// Hours the stream covers.
    pub hours: u32,
    /// Unrelated posts, spread evenly over the hours.
    pub chatter: usize,
    /// Planted narratives: key, posts spread evenly (the trickle), and an optional burst
    /// `(hour offset, posts in that hour)`.
    pub planted: Vec<Planted>,
    /// Share of Spanish posts.
    pub spanish: f64,
    /// Place names to mention now and then.
    pub places: Vec<&'static str>,
}

impl StreamSpec {
    /// The standard labelled set: two days of chatter with every rumour trickling at a
    /// post every few hours, and "polls moved" bursting to 40 posts in hour 30.
    pub fn election_day(seed: u64, chatter: usize) -> Self {
        Self {
            seed,
            start: DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
            hours: 48,
            chatter,
            planted: vec![
                ("polls-moved", 12, Some((30, 40))),
                ("vote-by-text", 16, None),
                ("vote-wednesday", 16, None),
                ("ice-at-polls", 12, None),
                ("no-id-no-vote", 12, None),
            ],
            spanish: 0.4,
            places: vec!["Wake", "Durham", "Mecklenburg", "Robeson"],
        }
    }
}

const PLATFORMS: &[&str] = &[
    "x",
    "facebook",
    "tiktok",
    "instagram",
    "whatsapp",
    "telegram",
];

/// Generates a stream, sorted by time (ties in generation order).
pub fn stream(spec: &StreamSpec) -> Vec<SynthPost> {
    let mut rng = Rng::new(spec.seed);
    let hours = spec.hours.max(1) as i64;
    let span = hours * 3600;
    let mut out = Vec::with_capacity(spec.chatter + 256);
    let mut push = |rng: &mut Rng, text: String, at: i64, label: Option<&'static str>, n: usize| {
        let id = format!("p{:08}", n);
        out.push(SynthPost {
            url: format!("https://{}.example/post/{id}", rng.pick(PLATFORMS)),
            platform: PLATFORMS[rng.below(PLATFORMS.len())],
            author: format!("user{}", rng.below(200_000)),
            posted_at: spec.start + Duration::seconds(at),
            text,
            id,
            label,
        });
    };
    let mut n = 0;
    for _ in 0..spec.chatter {
        let spanish = rng.chance(spec.spanish);
        let text = chatter(&mut rng, spanish);
        let at = rng.below(span as usize) as i64;
        push(&mut rng, text, at, None, n);
        n += 1;
    }
    for (key, trickle, burst) in &spec.planted {
        for _ in 0..*trickle {
            let spanish = rng.chance(spec.spanish);
            let text = paraphrase(&mut rng, key, spanish, &spec.places);
            let at = rng.below(span as usize) as i64;
            push(&mut rng, text, at, Some(*key), n);
            n += 1;
        }
        if let Some((hour, count)) = burst {
            for _ in 0..*count {
                let spanish = rng.chance(spec.spanish);
                let text = paraphrase(&mut rng, key, spanish, &spec.places);
                let at = i64::from(*hour) * 3600 + rng.below(3600) as i64;
                push(&mut rng, text, at, Some(*key), n);
                n += 1;
            }
        }
    }
    out.sort_by(|a, b| a.posted_at.cmp(&b.posted_at).then(a.id.cmp(&b.id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_sorted_and_labelled() {
        let spec = StreamSpec::election_day(7, 500);
        let a = stream(&spec);
        assert_eq!(a, stream(&spec));
        assert_eq!(a.len(), 500 + 12 + 40 + 16 + 16 + 12 + 12);
        assert!(a.windows(2).all(|w| w[0].posted_at <= w[1].posted_at));
        assert_eq!(
            a.iter().filter(|p| p.label == Some("polls-moved")).count(),
            52
        );
        let ids: std::collections::HashSet<_> = a.iter().map(|p| &p.id).collect();
        assert_eq!(ids.len(), a.len());
    }
}
